import { type ComponentMigration, changeJournalMigration } from "@riik/core";
import { eventOutboxMigration, pubsubPublisherMigration } from "@riik/kit";
import { sql } from "kysely";

/**
 * No foreign keys: a replica is rebuilt from a snapshot and the journal in whatever order
 * the embassy applies them; the register's own writes keep persons, relations and
 * addresses consistent. Natural primary keys (the embassy pages snapshots by them); on
 * SQLite the tables are WITHOUT ROWID, one B-tree each.
 */
const schema: ComponentMigration = {
  async up(db, dialect) {
    const withoutRowid = dialect === "sqlite" ? sql`without rowid` : sql``;
    await db.schema
      .createTable("person")
      .addColumn("personal_code", "text", (c) => c.primaryKey())
      .addColumn("given_name", "text", (c) => c.notNull())
      .addColumn("surname", "text", (c) => c.notNull())
      .addColumn("sex", "text", (c) => c.notNull())
      .addColumn("birth_date", "text", (c) => c.notNull())
      .addColumn("date_of_death", "text")
      .addColumn("citizenship", "text", (c) => c.notNull())
      .modifyEnd(withoutRowid)
      .execute();
    await db.schema
      .createTable("relation")
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("from_code", "text", (c) => c.notNull())
      .addColumn("to_code", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("relation_pk", ["kind", "from_code", "to_code"])
      .modifyEnd(withoutRowid)
      .execute();
    await createRelationToIndex(db);
    await db.schema
      .createTable("address")
      .addColumn("personal_code", "text", (c) => c.notNull())
      .addColumn("n", "integer", (c) => c.notNull())
      .addColumn("county", "text", (c) => c.notNull())
      .addColumn("municipality", "text", (c) => c.notNull())
      .addColumn("settlement", "text", (c) => c.notNull())
      .addColumn("street", "text", (c) => c.notNull())
      .addColumn("house", "text", (c) => c.notNull())
      .addColumn("apartment", "text")
      .addColumn("postal_code", "text", (c) => c.notNull())
      .addColumn("ehak_code", "text")
      .addColumn("since", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("address_pk", ["personal_code", "n"])
      .modifyEnd(withoutRowid)
      .execute();
  },
};

/** Parents of a person and the second side of a marriage are found by to_code. */
export function createRelationToIndex(db: Parameters<ComponentMigration["up"]>[0]) {
  return db.schema.createIndex("relation_to").on("relation").columns(["to_code", "kind"]).execute();
}

/**
 * Life events (issue 13): the personal codes handed out, so that none is handed out twice,
 * and the registrar's vital events by its eventId, so that none is applied twice.
 */
const lifeEvents: ComponentMigration = {
  async up(db, dialect) {
    const withoutRowid = dialect === "sqlite" ? sql`without rowid` : sql``;
    await db.schema
      .createTable("personal_code_allocation")
      .addColumn("personal_code", "text", (c) => c.primaryKey())
      .addColumn("birth_date", "text", (c) => c.notNull())
      .addColumn("sex", "text", (c) => c.notNull())
      .addColumn("serial", "integer", (c) => c.notNull())
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("client", "text")
      .addColumn("allocated_at", "text", (c) => c.notNull())
      .modifyEnd(withoutRowid)
      .execute();
    await db.schema
      .createTable("vital_event")
      .addColumn("event_id", "text", (c) => c.primaryKey())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("request_hash", "text", (c) => c.notNull())
      .addColumn("request", "text", (c) => c.notNull())
      .addColumn("result", "text", (c) => c.notNull())
      .addColumn("client", "text")
      .addColumn("recorded_at", "text", (c) => c.notNull())
      .modifyEnd(withoutRowid)
      .execute();
  },
};

/** The register's migrations by name, applied in name order (see openStorage). */
export const populationRegisterMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_population_register": schema,
  "0003_event_outbox": eventOutboxMigration,
  "0004_life_events": lifeEvents,
  // The outbox served as events over X-Road (kit publish/subscribe): subscriptions, parked events.
  "0005_pubsub": pubsubPublisherMigration,
};
