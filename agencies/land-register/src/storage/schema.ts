// The land register's tables on the kit's storage (changes journalled for the data embassy,
// events queued in the outbox): register parts with their four parts, who owns what (for a
// person's property), the journal of applications ranked by arrival, and the anchored entries.
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
  type RegistryDefinition,
  rowJournal,
} from "@riik/kit";

export interface RegisterPartTable {
  number: string;
  /** property | apartment. */
  kind: string;
  /** Parts I-IV (RegisterPartContent) as JSON. */
  content: string;
  /** The number of the part's last entry. */
  seq: number;
  opened_at: string;
}

/** Part II by owner: a person's or a company's register parts. */
export interface PartOwnerTable {
  part_number: string;
  owner_code: string;
}

/** The journal (Land Register Act § 34¹): an application's journal number is its rank. */
export interface ApplicationTable {
  application_id: string;
  journal_no: number;
  part_number: string;
  /** transfer | mortgage. */
  kind: string;
  /** The notary's X-Road client that filed it. */
  filed_by: string;
  /** deed.json exactly as signed (UTF-8). */
  deed: string;
  /** The signed ASiC-E container (base64). */
  container: string;
  container_sha256: string;
  /** pending | entered | refused. */
  status: string;
  refusal: string | null;
  /** The entry (part_entry.seq) that decided it. */
  entry_seq: number | null;
  filed_at: string;
  decided_at: string | null;
}

export interface PartEntryTable {
  part_number: string;
  seq: number;
  journal_no: number | null;
  /** opened | entered | refused. */
  decision: string;
  /** The anchored record (canonical JSON, entry-record.ts). */
  record: string;
  /** Its keyless signature from the integrity ledger (riik-ledger-signature/v1). */
  ledger_signature: string;
}

export interface LandRegisterDb extends ChangeJournalDb, EventOutboxDb {
  register_part: RegisterPartTable;
  part_owner: PartOwnerTable;
  application: ApplicationTable;
  part_entry: PartEntryTable;
}

export const LAND_REGISTER_COMPONENT = "land_register";

export const landRegisterMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_register": {
    async up(db) {
      await db.schema
        .createTable("register_part")
        .addColumn("number", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("opened_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("part_owner")
        .addColumn("part_number", "text", (c) => c.notNull())
        .addColumn("owner_code", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("part_owner_pk", ["part_number", "owner_code"])
        .execute();
      await db.schema.createIndex("part_owner_code").on("part_owner").column("owner_code").execute();
      await db.schema
        .createTable("application")
        .addColumn("application_id", "text", (c) => c.primaryKey())
        .addColumn("journal_no", "integer", (c) => c.notNull().unique())
        .addColumn("part_number", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("filed_by", "text", (c) => c.notNull())
        .addColumn("deed", "text", (c) => c.notNull())
        .addColumn("container", "text", (c) => c.notNull())
        .addColumn("container_sha256", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("refusal", "text")
        .addColumn("entry_seq", "integer")
        .addColumn("filed_at", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .execute();
      await db.schema
        .createIndex("application_part")
        .on("application")
        .columns(["part_number", "status", "journal_no"])
        .execute();
      await db.schema
        .createTable("part_entry")
        .addColumn("part_number", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("journal_no", "integer")
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("record", "text", (c) => c.notNull())
        .addColumn("ledger_signature", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("part_entry_pk", ["part_number", "seq"])
        .execute();
    },
  },
};

/**
 * The register's tables as its change journal carries them, whole rows (entity = table, key
 * = key columns joined by "/"), so the data embassy replicates the land register as it does
 * the population register (issue 15).
 */
const TABLES = {
  register_part: {
    key: ["number"],
    columns: [
      ["number", "text"],
      ["kind", "text"],
      ["content", "text"],
      ["seq", "integer"],
      ["opened_at", "text"],
    ],
  },
  part_owner: {
    key: ["part_number", "owner_code"],
    columns: [
      ["part_number", "text"],
      ["owner_code", "text"],
    ],
  },
  application: {
    key: ["application_id"],
    columns: [
      ["application_id", "text"],
      ["journal_no", "integer"],
      ["part_number", "text"],
      ["kind", "text"],
      ["filed_by", "text"],
      ["deed", "text"],
      ["container", "text"],
      ["container_sha256", "text"],
      ["status", "text"],
      ["refusal", "text"],
      ["entry_seq", "integer"],
      ["filed_at", "text"],
      ["decided_at", "text"],
    ],
  },
  part_entry: {
    key: ["part_number", "seq"],
    columns: [
      ["part_number", "text"],
      ["seq", "integer"],
      ["journal_no", "integer"],
      ["decision", "text"],
      ["record", "text"],
      ["ledger_signature", "text"],
    ],
  },
} as const;

export const landRegisterRows = rowJournal<LandRegisterDb, typeof TABLES>(TABLES);

/** The land register as the data embassy replicates it (loaded by name as `embassyRegistry`). */
export const embassyRegistry: RegistryDefinition<LandRegisterDb> = landRegisterRows.registry({
  name: "land-register",
  component: LAND_REGISTER_COMPONENT,
  migrations: landRegisterMigrations,
});
