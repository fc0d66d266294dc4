// The register's tables, migrations and the registry definition the data embassy replicates.
import {
  type ChangeJournalDb,
  type ClientBoundTable,
  type ComponentMigration,
  changeJournalMigration,
  clientBoundMigration,
  type EventOutboxDb,
  eventOutboxMigration,
  type MemberWrite,
  type RegistryDefinition,
  rowJournal,
} from "@riik/kit";
import type { Kysely } from "kysely";

export interface CompanyTable {
  registry_code: string;
  name: string;
  /** nameKey(name): unique among companies not deleted. */
  name_key: string;
  legal_form: string;
  /** registered | deleted. */
  status: string;
  seat_address: string;
  share_capital_cents: number;
  email: string;
  /** EMTAK 2008 (NACE Rev. 2 based) five-digit activity code. */
  emtak: string;
  registered: string;
  deleted: string | null;
}

/** A person on the registry card: board member, shareholder, beneficial owner, contact person, founder. */
export interface CompanyPersonTable {
  registry_code: string;
  role: string;
  /** 11-digit Estonian personal code (citizens and e-residents alike). */
  personal_code: string;
  given_name: string;
  surname: string;
  /** Shareholders: nominal value of the share in cents; otherwise null. */
  share_cents: number | null;
  since: string;
}

/** A company (registered here) on another's registry card: a founder or shareholder that is a legal person. */
export interface CompanyLegalPersonTable {
  registry_code: string;
  role: string;
  /** The holder's registry code. */
  holder_code: string;
  holder_name: string;
  share_cents: number | null;
  since: string;
}

/** Representation rights (Commercial Code § 181): who may act for the company, alone or jointly. */
export interface RepresentationTable {
  registry_code: string;
  personal_code: string;
  /** alone | jointly. */
  scope: string;
  since: string;
}

export interface ApplicationTable {
  id: string;
  /** The canonical JSON of the application: what every founder signs. */
  document: string;
  sha256: string;
  /** open | registered. */
  status: string;
  fee_receipt: string | null;
  registry_code: string | null;
  created: string;
}

/** An annual report on the register (Accounting Act § 14, Commercial Code § 179), as listed on the company. */
export interface AnnualReportTable {
  registry_code: string;
  financial_year: number;
  /** JSON: the container's data files [{name, mediaType, size, sha256}]. */
  files: string;
  /** JSON: personal codes of the board members who signed. */
  signed_by: string;
  container_sha256: string;
  submitted: string;
}

/** The signed container itself (base64), kept beside its listing; not journalled (the listing is). */
export interface AnnualReportContainerTable {
  registry_code: string;
  financial_year: number;
  container: string;
}

/** The bound on founding: applications created per client and hour, counted in `client_bound`. */
export const FOUNDING_BOUND = "founding";

/** Who an application concerns (founders, board members): a person's applications without reading every document. */
export interface ApplicationPersonTable {
  application_id: string;
  personal_code: string;
}

export interface ApplicationSignatureTable {
  application_id: string;
  personal_code: string;
  /** sha256 of the container that carries the signature. */
  container_sha256: string;
  signing_time: string;
  /** The signing certificate, base64 DER (asked about again by OCSP at registration). */
  certificate: string | null;
  /** JSON array of the CA certificates the signature carried, base64 DER. */
  ca_certificates: string | null;
}

export interface BusinessRegisterDb extends ChangeJournalDb, EventOutboxDb {
  company: CompanyTable;
  company_person: CompanyPersonTable;
  company_legal_person: CompanyLegalPersonTable;
  representation: RepresentationTable;
  application: ApplicationTable;
  application_signature: ApplicationSignatureTable;
  application_person: ApplicationPersonTable;
  client_bound: ClientBoundTable;
  annual_report: AnnualReportTable;
  annual_report_container: AnnualReportContainerTable;
}

export const BUSINESS_REGISTER_COMPONENT = "business_register";

export const businessRegisterMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_register": {
    async up(db) {
      await db.schema
        .createTable("company")
        .addColumn("registry_code", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("name_key", "text", (c) => c.notNull())
        .addColumn("legal_form", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("seat_address", "text", (c) => c.notNull())
        .addColumn("share_capital_cents", "bigint", (c) => c.notNull())
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("emtak", "text", (c) => c.notNull())
        .addColumn("registered", "text", (c) => c.notNull())
        .addColumn("deleted", "text")
        .execute();
      await db.schema.createIndex("company_name_key").on("company").column("name_key").execute();
      await db.schema
        .createTable("company_person")
        .addColumn("registry_code", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("surname", "text", (c) => c.notNull())
        .addColumn("share_cents", "bigint")
        .addColumn("since", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("company_person_pk", ["registry_code", "role", "personal_code"])
        .execute();
      await db.schema.createIndex("company_person_code").on("company_person").column("personal_code").execute();
      await db.schema
        .createTable("representation")
        .addColumn("registry_code", "text", (c) => c.notNull())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("since", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("representation_pk", ["registry_code", "personal_code"])
        .execute();
      await db.schema.createIndex("representation_code").on("representation").column("personal_code").execute();
      await db.schema
        .createTable("application")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("sha256", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("fee_receipt", "text")
        .addColumn("registry_code", "text")
        .addColumn("created", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("application_signature")
        .addColumn("application_id", "text", (c) => c.notNull())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("container_sha256", "text", (c) => c.notNull())
        .addColumn("signing_time", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("application_signature_pk", ["application_id", "personal_code"])
        .execute();
    },
  },
  // The fresh OCSP check at registration needs each signer's certificate and its CAs.
  "0004_signature_certificates": {
    async up(db) {
      await db.schema.alterTable("application_signature").addColumn("certificate", "text").execute();
      await db.schema.alterTable("application_signature").addColumn("ca_certificates", "text").execute();
    },
  },
  // A person's applications (contract E, GET /persons/{code}/applications), open ones indexed.
  "0005_application_person": {
    async up(db) {
      await db.schema
        .createTable("application_person")
        .addColumn("application_id", "text", (c) => c.notNull())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("application_person_pk", ["application_id", "personal_code"])
        .execute();
      await db.schema.createIndex("application_person_code").on("application_person").column("personal_code").execute();
      const open = await (db as Kysely<BusinessRegisterDb>)
        .selectFrom("application")
        .select(["id", "document"])
        .where("status", "=", "open")
        .execute();
      for (const { id, document } of open)
        for (const personal_code of applicationPersons(JSON.parse(document)))
          await (db as Kysely<BusinessRegisterDb>)
            .insertInto("application_person")
            .values({ application_id: id, personal_code })
            .execute();
    },
  },
  "0006_founding_quota": {
    async up(db) {
      await db.schema
        .createTable("founding_quota")
        .addColumn("client", "text", (c) => c.notNull())
        .addColumn("hour", "text", (c) => c.notNull())
        .addColumn("created", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("founding_quota_pk", ["client", "hour"])
        .execute();
    },
  },
  "0007_annual_report": {
    async up(db) {
      await db.schema
        .createTable("annual_report")
        .addColumn("registry_code", "text", (c) => c.notNull())
        .addColumn("financial_year", "integer", (c) => c.notNull())
        .addColumn("files", "text", (c) => c.notNull())
        .addColumn("signed_by", "text", (c) => c.notNull())
        .addColumn("container_sha256", "text", (c) => c.notNull())
        .addColumn("submitted", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("annual_report_pk", ["registry_code", "financial_year"])
        .execute();
      await db.schema
        .createTable("annual_report_container")
        .addColumn("registry_code", "text", (c) => c.notNull())
        .addColumn("financial_year", "integer", (c) => c.notNull())
        .addColumn("container", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("annual_report_container_pk", ["registry_code", "financial_year"])
        .execute();
    },
  },
  "0008_company_legal_person": {
    async up(db) {
      await db.schema
        .createTable("company_legal_person")
        .addColumn("registry_code", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("holder_code", "text", (c) => c.notNull())
        .addColumn("holder_name", "text", (c) => c.notNull())
        .addColumn("share_cents", "bigint")
        .addColumn("since", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("company_legal_person_pk", ["registry_code", "role", "holder_code"])
        .execute();
    },
  },
  // founding_quota (client, ISO hour, created) becomes core's client_bound (one row per client,
  // its hour's start in epoch ms); each client's latest hour carries over.
  "0009_client_bound": {
    async up(db, dialect) {
      await clientBoundMigration().up(db, dialect);
      const latest = new Map<string, { hour: string; created: number }>();
      for (const row of await db.selectFrom("founding_quota").selectAll().execute()) {
        const seen = latest.get(row.client);
        if (!seen || row.hour > seen.hour) latest.set(row.client, { hour: row.hour, created: Number(row.created) });
      }
      for (const [client, { hour, created }] of latest)
        await db
          .insertInto("client_bound")
          .values({ bound: FOUNDING_BOUND, client, window_start: Date.parse(`${hour}:00:00Z`), requests: created })
          .execute();
      await db.schema.dropTable("founding_quota").execute();
    },
  },
};

/** The persons an application concerns: its founders who are persons and its board members. */
export function applicationPersons(application: {
  founders: ReadonlyArray<object>;
  board: ReadonlyArray<{ personalCode: string }>;
}): string[] {
  const codes = [...application.founders, ...application.board].flatMap((p) =>
    "personalCode" in p && typeof p.personalCode === "string" ? [p.personalCode] : [],
  );
  return [...new Set(codes)];
}

const TABLES = {
  company: {
    key: ["registry_code"],
    columns: [
      ["registry_code", "text"],
      ["name", "text"],
      ["name_key", "text"],
      ["legal_form", "text"],
      ["status", "text"],
      ["seat_address", "text"],
      ["share_capital_cents", "integer"],
      ["email", "text"],
      ["emtak", "text"],
      ["registered", "text"],
      ["deleted", "text"],
    ],
  },
  company_person: {
    key: ["registry_code", "role", "personal_code"],
    columns: [
      ["registry_code", "text"],
      ["role", "text"],
      ["personal_code", "text"],
      ["given_name", "text"],
      ["surname", "text"],
      ["share_cents", "integer"],
      ["since", "text"],
    ],
  },
  company_legal_person: {
    key: ["registry_code", "role", "holder_code"],
    columns: [
      ["registry_code", "text"],
      ["role", "text"],
      ["holder_code", "text"],
      ["holder_name", "text"],
      ["share_cents", "integer"],
      ["since", "text"],
    ],
  },
  representation: {
    key: ["registry_code", "personal_code"],
    columns: [
      ["registry_code", "text"],
      ["personal_code", "text"],
      ["scope", "text"],
      ["since", "text"],
    ],
  },
  annual_report: {
    key: ["registry_code", "financial_year"],
    columns: [
      ["registry_code", "text"],
      ["financial_year", "integer"],
      ["files", "text"],
      ["signed_by", "text"],
      ["container_sha256", "text"],
      ["submitted", "text"],
    ],
  },
} as const;
type JournalledTable = keyof typeof TABLES;
const rows = rowJournal<BusinessRegisterDb, typeof TABLES>(TABLES);

/**
 * The write as the person acting (X-Road-UserId, EE + personal code): every journal entry
 * with data names them as `actor` beside the row (a delete carries no data in core's
 * journal, so it is named by the upserts of the same write).
 */
export function withActor<DB>(write: MemberWrite<DB>, actor: string | undefined): MemberWrite<DB> {
  if (!actor) return write;
  return {
    trx: write.trx,
    emit: (event) => write.emit(event),
    change: (change) =>
      write.change(change.op === "upsert" ? { ...change, data: { ...(change.data as object), actor } } : change),
  };
}

/**
 * Writes ROW of TABLE (or deletes it) and journals the change in the same transaction: the
 * register and a replica replaying the journal take the very same step.
 */
export function journalled(
  write: MemberWrite<BusinessRegisterDb>,
  table: JournalledTable,
  op: "upsert" | "delete",
  row: object,
): Promise<void> {
  return rows.write(write, table, op, row);
}

/**
 * The journalled tables (applications are the register's working state, not the register):
 * entity = table name, key = key columns joined by "/", data = the row.
 */
export const embassyRegistry: RegistryDefinition<BusinessRegisterDb> = rows.registry({
  name: "business-register",
  component: BUSINESS_REGISTER_COMPONENT,
  migrations: businessRegisterMigrations,
});
