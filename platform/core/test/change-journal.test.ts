import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  lastChangeSeq,
  readChanges,
  recordChanges,
} from "../src/index.ts";
import { dialectTargets } from "../src/testing/index.ts";

interface RegistryDb extends ChangeJournalDb {
  item: { key: string; value: string };
}

const migrations: Record<string, ComponentMigration> = {
  "0001_item": {
    async up(db) {
      await db.schema
        .createTable("item")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0002_change_journal": changeJournalMigration,
};

for (const target of await dialectTargets()) {
  describe(`change journal on ${target.dialect}`, () => {
    it("commits changes and their journal entries together, or neither", async () => {
      const storage = await target.open<RegistryDb>({ component: "journal", migrations });
      await storage.db.transaction().execute(async (trx) => {
        await trx.insertInto("item").values({ key: "a", value: "1" }).execute();
        await recordChanges(trx, [{ entity: "item", key: "a", op: "upsert", data: { value: "1" } }]);
      });
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          await trx.insertInto("item").values({ key: "b", value: "2" }).execute();
          await recordChanges(trx, [{ entity: "item", key: "b", op: "upsert", data: { value: "2" } }]);
          throw new Error("abort");
        }),
      );
      const entries = await readChanges(storage.db, 0, 10);
      assert.deepEqual(
        entries.map((e) => [e.seq, e.key, JSON.parse(e.data!)]),
        [[1, "a", { value: "1" }]],
      );
      assert.equal(await lastChangeSeq(storage.db), 1);
      assert.equal((await storage.db.selectFrom("item").selectAll().execute()).length, 1);
    });

    it("refuses to journal outside a transaction", async () => {
      const storage = await target.open<RegistryDb>({ component: "journal2", migrations });
      await assert.rejects(recordChanges(storage.db as any, [{ entity: "item", key: "x", op: "delete" }]), {
        code: "JOURNAL_OUTSIDE_TRANSACTION",
      });
    });
  });
}
