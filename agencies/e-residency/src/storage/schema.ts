// The e-Residency agency's tables: applications with their payment, background check and
// signed decision; the register of e-residents (not the population register); an event
// journal per application; and the counters of application numbers. On the kit's storage
// (changes journalled, events queued).
import {
  type ChangeJournalDb,
  type ClientBoundTable,
  type ComponentMigration,
  changeJournalMigration,
  clientBoundMigration,
  type EventOutboxDb,
  eventOutboxMigration,
} from "@riik/kit";

export type ApplicationStatus =
  | "awaiting-payment"
  | "background-check"
  | "awaiting-decision"
  | "granted"
  | "refused"
  /** Hand-over started: the digital ID is being ordered from the trust services. */
  | "card-ordered"
  | "issued";

export interface ApplicationTable {
  /** ER-YYYY-NNNNNN */
  number: string;
  /** SHA-256 (hex) of the access key; the key itself is shown to the applicant once. */
  access_key_hash: string;
  status: ApplicationStatus;
  given_name: string;
  surname: string;
  date_of_birth: string;
  sex: "male" | "female";
  citizenship: string;
  document_number: string;
  document_expires: string;
  email: string;
  /** base64 JPEG or PNG, checked by its magic bytes. */
  photo: string;
  reason: string;
  pickup_location: string;
  submitted_at: string;
  receipt_id: string | null;
  paid_at: string | null;
  /** clear | hit, from the police's background check. */
  check_result: string | null;
  /** JSON array of the police's findings. */
  check_findings: string | null;
  checked_at: string | null;
  /** granted | refused */
  decision: string | null;
  decision_reason: string | null;
  decided_at: string | null;
  /** Personal codes of the signing officials, comma-separated. */
  decided_by: string | null;
  /** The signed decision container (base64 ASiC-E). */
  decision_container: string | null;
  personal_code: string | null;
  handed_over_at: string | null;
  /** The state fee quoted at submission, and the rule (its effectiveFrom) it came from. */
  fee_cents: number;
  fee_rule: string | null;
  /** X-Road-Id of the police's background check. */
  check_query: string | null;
  /** X-Road-Id of the check asked again with the granted personal code (Data Tracker). */
  check_attributed: string | null;
  /** When a hand-over claimed the application (card-ordered); null once released. */
  card_claimed_at: string | null;
}

export interface EResidentTable {
  personal_code: string;
  application_number: string;
  birth_date: string;
  sex: "male" | "female";
  serial: number;
  /** pending (granted, ID not yet handed over) | valid | revoked; expired is valid past valid_until. */
  status: "pending" | "valid" | "revoked";
  /** Last day of the digital ID's validity (YYYY-MM-DD). */
  valid_until: string | null;
  /** The digital ID's document number, to revoke it. */
  card_document_number: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
}

export interface ApplicationEventTable {
  number: string;
  /** 1, 2, … within the application: the journal's order. */
  seq: number;
  at: string;
  type: string;
  /** Who caused it: applicant, police, or the official's personal code. */
  actor: string;
  /** JSON */
  data: string;
}

/** Codes the population register holds: never given to an e-resident, never asked about again. */
export interface ResidentCodeTable {
  personal_code: string;
  birth_date: string;
  sex: "male" | "female";
  serial: number;
  checked_at: string;
}

export interface CounterTable {
  name: string;
  value: number;
}

export interface EResidencyDb extends ChangeJournalDb, EventOutboxDb {
  application: ApplicationTable;
  e_resident: EResidentTable;
  application_event: ApplicationEventTable;
  counter: CounterTable;
  resident_code: ResidentCodeTable;
  client_bound: ClientBoundTable;
}

export const E_RESIDENCY_COMPONENT = "e_residency";

export const eResidencyMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_applications": {
    async up(db) {
      await db.schema
        .createTable("counter")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "integer", (c) => c.notNull())
        .execute();
      let table = db.schema
        .createTable("application")
        .addColumn("number", "text", (c) => c.primaryKey())
        .addColumn("access_key_hash", "text", (c) => c.notNull());
      for (const column of [
        "status",
        "given_name",
        "surname",
        "date_of_birth",
        "sex",
        "citizenship",
        "document_number",
        "document_expires",
        "email",
        "photo",
        "reason",
        "pickup_location",
        "submitted_at",
      ])
        table = table.addColumn(column, "text", (c) => c.notNull());
      for (const column of [
        "receipt_id",
        "paid_at",
        "check_result",
        "check_findings",
        "checked_at",
        "decision",
        "decision_reason",
        "decided_at",
        "decided_by",
        "decision_container",
        "handed_over_at",
      ])
        table = table.addColumn(column, "text");
      await table.addColumn("personal_code", "text", (c) => c.unique()).execute();
      await db.schema.createIndex("application_status").on("application").column("status").execute();
      await db.schema
        .createTable("e_resident")
        .addColumn("personal_code", "text", (c) => c.primaryKey())
        .addColumn("application_number", "text", (c) => c.notNull().unique())
        .addColumn("birth_date", "text", (c) => c.notNull())
        .addColumn("sex", "text", (c) => c.notNull())
        .addColumn("serial", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("valid_until", "text")
        .addColumn("card_document_number", "text")
        .addColumn("revoked_at", "text")
        .addColumn("revocation_reason", "text")
        .addUniqueConstraint("e_resident_serial", ["birth_date", "sex", "serial"])
        .execute();
      await db.schema
        .createTable("application_event")
        .addColumn("number", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("application_event_pk", ["number", "seq"])
        .execute();
    },
  },
  "0004_codes_bounds_fees": {
    async up(db, dialect) {
      // Applications before this were quoted the €120 of the then constant.
      await db.schema
        .alterTable("application")
        .addColumn("fee_cents", "integer", (c) => c.notNull().defaultTo(120_00))
        .execute();
      for (const column of ["fee_rule", "check_query", "check_attributed", "card_claimed_at"])
        await db.schema.alterTable("application").addColumn(column, "text").execute();
      await db.schema
        .createTable("resident_code")
        .addColumn("personal_code", "text", (c) => c.primaryKey())
        .addColumn("birth_date", "text", (c) => c.notNull())
        .addColumn("sex", "text", (c) => c.notNull())
        .addColumn("serial", "integer", (c) => c.notNull())
        .addColumn("checked_at", "text", (c) => c.notNull())
        .execute();
      await clientBoundMigration().up(db, dialect);
    },
  },
};
