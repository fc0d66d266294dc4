import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import {
  appendEvents,
  changeJournalMigration,
  type DeliveredEvent,
  type EventOutboxDb,
  EventOutboxError,
  eventOutboxMigration,
  openMemberStorage,
  startOutboxDispatcher,
} from "../src/index.ts";

const migrations = { "0001_change_journal": changeJournalMigration, "0002_event_outbox": eventOutboxMigration };

for (const target of await dialectTargets()) {
  describe(`event outbox on ${target.dialect}`, () => {
    it("delivers in order, at least once: a failed delivery holds back every later event, and a restart resumes", async () => {
      const location = target.location("outbox");
      const open = () => openMemberStorage<EventOutboxDb>({ component: "outbox", ...location, migrations });
      let store = await open();
      for (let i = 1; i <= 5; i++)
        await store.write(async ({ change, emit }) => {
          change({ entity: "thing", key: String(i), op: "upsert", data: { i } });
          emit({ type: "thing.made", data: { i } });
        });
      // A change that rolls back emits nothing.
      await assert.rejects(
        store.write(async ({ emit }) => {
          emit({ type: "thing.made", data: { i: 99 } });
          throw new Error("rolled back");
        }),
      );

      const seen: number[] = [];
      let failAt: number | undefined = 3;
      const deliver = async (event: DeliveredEvent) => {
        const { i } = event.data as { i: number };
        if (i === failAt) throw new Error("receiver down");
        seen.push(i);
      };
      const errors: unknown[] = [];
      let dispatcher = startOutboxDispatcher({
        db: store.db,
        deliver,
        onError: (e) => errors.push(e),
        intervalMs: 3_600_000,
      });
      assert.equal(await dispatcher.drain(), 2);
      assert.deepEqual(seen, [1, 2], "event 3 failed and nothing overtook it");
      assert.equal(errors.length, 1);
      await dispatcher.stop();
      await store.close();

      // A restart: the undelivered events are still there and go out in order.
      failAt = undefined;
      store = await open();
      dispatcher = startOutboxDispatcher({ db: store.db, deliver, intervalMs: 3_600_000 });
      try {
        assert.equal(await dispatcher.drain(), 3);
        assert.deepEqual(seen, [1, 2, 3, 4, 5]);
        assert.equal(await dispatcher.drain(), 0);
        const rows = await store.db.selectFrom("event_outbox").selectAll().orderBy("seq").execute();
        assert.deepEqual(
          rows.map((r) => [r.type, JSON.parse(r.data).i, r.delivered_at !== null]),
          [1, 2, 3, 4, 5].map((i) => ["thing.made", i, true]),
        );
      } finally {
        await dispatcher.stop();
        await store.close();
      }
    });

    it("is written only inside the change's transaction, with dotted event types", async () => {
      const storage = await target.open<EventOutboxDb>({ component: "outbox_rules", migrations });
      await assert.rejects(
        appendEvents(storage.db as never, [{ type: "x.y", data: 1 }]),
        (e: unknown) => e instanceof EventOutboxError && e.code === "OUTBOX_OUTSIDE_TRANSACTION",
      );
      await assert.rejects(
        storage.db.transaction().execute((trx) => appendEvents(trx, [{ type: "Not A Type", data: 1 }])),
        (e: unknown) => e instanceof EventOutboxError && e.code === "OUTBOX_ARGUMENT",
      );
    });
  });
}
