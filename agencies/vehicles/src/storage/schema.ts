// The vehicle register's tables: vehicles with their owner and responsible user, and driving
// licences with their categories, on the kit's storage (changes journalled, events queued).
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
} from "@riik/kit";

export interface VehicleTable {
  vin: string;
  /** Canonical plate (upper case, no spaces); unique among registered vehicles. */
  plate: string;
  make: string;
  model: string;
  /** EU vehicle category (Regulation (EU) 2018/858 annex I; L-categories of 168/2013): M1, N1, L3e, … */
  category: string;
  /** Personal code or registry code of the owner. */
  owner: string;
  /** Personal code or registry code of the responsible user (vastutav kasutaja). */
  user: string;
  first_registered: string;
}

export interface LicenceCategoryTable {
  personal_code: string;
  category: string;
  /** First issued (YYYY-MM-DD). */
  since: string;
  /** Valid until (YYYY-MM-DD), inclusive. */
  valid_until: string;
}

export interface LicenceTable {
  personal_code: string;
  /** The licence document's number. */
  number: string;
  /** Suspended (a court's or the police's decision) until this date, inclusive; null when not. */
  suspended_until: string | null;
}

/** A transfer of ownership: its document, and who has signed it so far. */
export interface OwnershipTransferTable {
  id: string;
  vin: string;
  seller: string;
  buyer: string;
  /** The canonical JSON both parties sign (ownership-transfer.ts). */
  document: string;
  /** awaiting-signatures | completed. */
  status: string;
  /** Personal codes of the parties whose valid signature the register has seen, comma-separated. */
  signed_by: string;
  /** The last container accepted (base64): with both signatures once completed. */
  container: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface VehicleRegisterDb extends ChangeJournalDb, EventOutboxDb {
  vehicle: VehicleTable;
  licence: LicenceTable;
  licence_category: LicenceCategoryTable;
  ownership_transfer: OwnershipTransferTable;
}

export const VEHICLE_REGISTER_COMPONENT = "vehicle_register";

export const vehicleRegisterMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_register": {
    async up(db) {
      await db.schema
        .createTable("vehicle")
        .addColumn("vin", "text", (c) => c.primaryKey())
        .addColumn("plate", "text", (c) => c.notNull().unique())
        .addColumn("make", "text", (c) => c.notNull())
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("user", "text", (c) => c.notNull())
        .addColumn("first_registered", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("vehicle_owner").on("vehicle").column("owner").execute();
      await db.schema
        .createTable("licence")
        .addColumn("personal_code", "text", (c) => c.primaryKey())
        .addColumn("number", "text", (c) => c.notNull().unique())
        .addColumn("suspended_until", "text")
        .execute();
      await db.schema
        .createTable("licence_category")
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("since", "text", (c) => c.notNull())
        .addColumn("valid_until", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("licence_category_pk", ["personal_code", "category"])
        .execute();
    },
  },
  "0004_ownership_transfer": {
    async up(db) {
      await db.schema
        .createTable("ownership_transfer")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("vin", "text", (c) => c.notNull())
        .addColumn("seller", "text", (c) => c.notNull())
        .addColumn("buyer", "text", (c) => c.notNull())
        .addColumn("document", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("signed_by", "text", (c) => c.notNull())
        .addColumn("container", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("completed_at", "text")
        .execute();
    },
  },
};
