// The bureau's tables: insurers (companies), policies per vehicle with their period, and
// accident cases with their statement, signatures and anchored timeline.
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
} from "@riik/kit";

export interface InsurerTable {
  registry_code: string;
  name: string;
  registered_at: string;
}

export interface PolicyTable {
  number: string;
  insurer_code: string;
  vin: string;
  plate: string;
  holder_name: string;
  /** Personal code of a person policyholder (a Data Tracker subject), else null. */
  holder_code: string | null;
  /** ISO instants; the policy covers [valid_from, valid_until). */
  valid_from: string;
  valid_until: string;
  submitted_at: string;
}

export interface AccidentCaseTable {
  id: string;
  /** What driver A gives driver B to join; null once B has joined. */
  join_code: string | null;
  /** reported | joined | signed | accepted | decided | paid | refused | closed. */
  status: string;
  driver_a: string;
  driver_b: string | null;
  insurer_a: string;
  insurer_b: string | null;
  injuries: number;
  /** CommonPart and the vehicle parts, JSON. */
  common: string;
  part_a: string;
  part_b: string | null;
  /** Personal codes whose valid signature over the statement the bureau holds, comma-separated. */
  signed_by: string;
  /** The last container accepted (base64). */
  container: string | null;
  /** Insurers' registry codes that accepted the case, comma-separated. */
  accepted_by: string;
  liability: string | null;
  created_at: string;
  closed_at: string | null;
}

export interface CaseEventTable {
  case_id: string;
  seq: number;
  step: string;
  /** The record's exact bytes (canonical JSON): what the ledger signature is over. */
  record: string;
  /** riik-ledger-signature/v1 over SHA-256(record). */
  ledger_signature: string;
}

export interface MotorInsuranceDb extends ChangeJournalDb, EventOutboxDb {
  insurer: InsurerTable;
  policy: PolicyTable;
  accident_case: AccidentCaseTable;
  case_event: CaseEventTable;
}

export const MOTOR_INSURANCE_COMPONENT = "motor_insurance";

export const motorInsuranceMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_register": {
    async up(db) {
      await db.schema
        .createTable("insurer")
        .addColumn("registry_code", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("registered_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("policy")
        .addColumn("number", "text", (c) => c.primaryKey())
        .addColumn("insurer_code", "text", (c) => c.notNull())
        .addColumn("vin", "text", (c) => c.notNull())
        .addColumn("plate", "text", (c) => c.notNull())
        .addColumn("holder_name", "text", (c) => c.notNull())
        .addColumn("holder_code", "text")
        .addColumn("valid_from", "text", (c) => c.notNull())
        .addColumn("valid_until", "text", (c) => c.notNull())
        .addColumn("submitted_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("policy_vin").on("policy").column("vin").execute();
      await db.schema.createIndex("policy_plate").on("policy").column("plate").execute();
    },
  },
  "0004_accident_case": {
    async up(db) {
      await db.schema
        .createTable("accident_case")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("join_code", "text", (c) => c.unique())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("driver_a", "text", (c) => c.notNull())
        .addColumn("driver_b", "text")
        .addColumn("insurer_a", "text", (c) => c.notNull())
        .addColumn("insurer_b", "text")
        .addColumn("injuries", "integer", (c) => c.notNull())
        .addColumn("common", "text", (c) => c.notNull())
        .addColumn("part_a", "text", (c) => c.notNull())
        .addColumn("part_b", "text")
        .addColumn("signed_by", "text", (c) => c.notNull())
        .addColumn("container", "text")
        .addColumn("accepted_by", "text", (c) => c.notNull())
        .addColumn("liability", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("closed_at", "text")
        .execute();
      await db.schema
        .createTable("case_event")
        .addColumn("case_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("step", "text", (c) => c.notNull())
        .addColumn("record", "text", (c) => c.notNull())
        .addColumn("ledger_signature", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("case_event_pk", ["case_id", "seq"])
        .execute();
    },
  },
};
