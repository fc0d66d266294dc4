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

export interface VehicleRegisterDb extends ChangeJournalDb, EventOutboxDb {
  vehicle: VehicleTable;
  licence: LicenceTable;
  licence_category: LicenceCategoryTable;
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
};
