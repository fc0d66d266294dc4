import { type ComponentMigration, columnTypes } from "@riik/core";

/** Schema of the ledger component; the same on SQLite and PostgreSQL. */
export const ledgerMigrations: Readonly<Record<string, ComponentMigration>> = Object.freeze({
  "0001_calendar": {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      // One row per closed round: the calendar leaf, written in the transaction that
      // also stores the checkpoint of the new size.
      await db.schema
        .createTable("calendar_leaf")
        .addColumn("round_index", "bigint", (c) => c.primaryKey())
        .addColumn("leaf", types.binary, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      // One signed checkpoint per size; the primary key makes a second, different
      // checkpoint for a size impossible to store.
      await db.schema
        .createTable("checkpoint")
        .addColumn("tree_size", "bigint", (c) => c.primaryKey())
        .addColumn("note", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("publication")
        .addColumn("tree_size", "bigint", (c) => c.primaryKey())
        .addColumn("root", types.binary, (c) => c.notNull())
        .addColumn("code", "text", (c) => c.notNull())
        .addColumn("published_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
});

export interface LedgerDb {
  calendar_leaf: { round_index: number; leaf: Uint8Array; created_at: number };
  checkpoint: { tree_size: number; note: string; created_at: number };
  publication: { tree_size: number; root: Uint8Array; code: string; published_at: number };
}
