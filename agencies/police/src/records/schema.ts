// The police's own records: criminal records and business bans (the punishment register's
// part the police answer from), and the log of background checks they answered.
import { type ChangeJournalDb, type ComponentMigration, changeJournalMigration } from "@riik/kit";

export interface CriminalRecordTable {
  reference: string;
  /** Absent for a foreigner convicted without an Estonian personal code. */
  personal_code: string | null;
  given_name: string;
  surname: string;
  /** YYYY-MM-DD */
  date_of_birth: string;
  /** ISO 3166-1 alpha-2. */
  citizenship: string | null;
  offence: string;
  convicted_on: string;
  /** From this day the record is expunged (Punishment Register Act § 24-25) and no longer answered. */
  expunged_on: string | null;
}

/** A prohibition on business (Penal Code § 49, Commercial Code § 48): no board seat until `until`. */
export interface BusinessBanTable {
  reference: string;
  personal_code: string;
  given_name: string;
  surname: string;
  date_of_birth: string;
  reason: string;
  since: string;
  /** Last day of the ban; null: until lifted. */
  until: string | null;
}

/** Every background check answered: who asked (X-Road-Client), about whom, and the answer. */
export interface BackgroundCheckTable {
  id: string;
  checked_at: string;
  consumer: string | null;
  given_name: string;
  surname: string;
  date_of_birth: string;
  citizenship: string;
  document_number: string;
  personal_code: string | null;
  result: string;
  /** The findings as JSON. */
  findings: string;
}

export interface PoliceDb extends ChangeJournalDb {
  criminal_record: CriminalRecordTable;
  business_ban: BusinessBanTable;
  background_check: BackgroundCheckTable;
}

export const POLICE_COMPONENT = "police";

export const policeMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_records": {
    async up(db) {
      await db.schema
        .createTable("criminal_record")
        .addColumn("reference", "text", (c) => c.primaryKey())
        .addColumn("personal_code", "text")
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("surname", "text", (c) => c.notNull())
        .addColumn("date_of_birth", "text", (c) => c.notNull())
        .addColumn("citizenship", "text")
        .addColumn("offence", "text", (c) => c.notNull())
        .addColumn("convicted_on", "text", (c) => c.notNull())
        .addColumn("expunged_on", "text")
        .execute();
      await db.schema.createIndex("criminal_record_code").on("criminal_record").column("personal_code").execute();
      await db.schema.createIndex("criminal_record_birth").on("criminal_record").column("date_of_birth").execute();
      await db.schema
        .createTable("business_ban")
        .addColumn("reference", "text", (c) => c.primaryKey())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("surname", "text", (c) => c.notNull())
        .addColumn("date_of_birth", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("since", "text", (c) => c.notNull())
        .addColumn("until", "text")
        .execute();
      await db.schema.createIndex("business_ban_code").on("business_ban").column("personal_code").execute();
      await db.schema.createIndex("business_ban_birth").on("business_ban").column("date_of_birth").execute();
      await db.schema
        .createTable("background_check")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("checked_at", "text", (c) => c.notNull())
        .addColumn("consumer", "text")
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("surname", "text", (c) => c.notNull())
        .addColumn("date_of_birth", "text", (c) => c.notNull())
        .addColumn("citizenship", "text", (c) => c.notNull())
        .addColumn("document_number", "text", (c) => c.notNull())
        .addColumn("personal_code", "text")
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("findings", "text", (c) => c.notNull())
        .execute();
    },
  },
};
