// The per-client bound on SQLite and PostgreSQL: exactly `max` of n requests in a window pass,
// a window that ended opens again (from the next request, or on the clock), the count survives
// reopening the database, the table keeps one row per live window, a refusal counted in a
// rolled-back transaction is gone, and parallel requests on PostgreSQL never share the last slot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type ClientBound,
  ClientBounds,
  type ClientBoundTable,
  type ComponentMigration,
  clientBoundMigration,
  openStorage,
} from "../src/index.ts";
import { dialectTargets } from "../src/testing/index.ts";

interface BoundsDb {
  client_bound: ClientBoundTable;
}

const migrations: Record<string, ComponentMigration> = { "0001_client_bound": clientBoundMigration() };
const START = new Date("2026-11-28T10:15:00Z");
const later = (ms: number) => new Date(START.getTime() + ms);
const HOUR = 3_600_000;

for (const target of await dialectTargets()) {
  describe(`client bounds on ${target.dialect}`, () => {
    it("of n requests in one window exactly the first max pass; refused ones say when the first one's window ends", async () => {
      const storage = await target.open<BoundsDb>({ component: "bounds_property", migrations });
      const bounds = new ClientBounds(storage.db);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.integer({ min: 0, max: HOUR - 1 }), { maxLength: 20 }),
          async (max, offsets) => {
            run += 1;
            const bound = { name: `p${run}`, max, windowMs: HOUR };
            const answers = [];
            offsets.sort((a, b) => a - b);
            for (const offset of offsets) answers.push(await bounds.admit(bound, "192.0.2.1", later(offset)));
            assert.deepEqual(
              answers.map((a) => a.admitted),
              offsets.map((_, i) => i < max),
            );
            answers.forEach((answer, i) => {
              if (!answer.admitted)
                assert.equal(
                  answer.retryAfterSeconds,
                  Math.max(1, Math.ceil((offsets[0]! + HOUR - offsets[i]!) / 1000)),
                );
            });
          },
        ),
        { numRuns: 30 },
      );
    });

    it("a window that ended opens again from the next request; clients and bounds are counted apart", async () => {
      const storage = await target.open<BoundsDb>({ component: "bounds_roll", migrations });
      const bounds = new ClientBounds(storage.db);
      const bound: ClientBound = { name: "form", max: 2, windowMs: 60_000 };
      assert.equal((await bounds.admit(bound, "a", later(0))).admitted, true);
      assert.equal((await bounds.admit(bound, "a", later(10_000))).admitted, true);
      assert.deepEqual(await bounds.admit(bound, "a", later(20_000)), {
        admitted: false,
        requests: 3,
        retryAfterSeconds: 40,
      });
      assert.equal((await bounds.admit(bound, "b", later(20_000))).admitted, true);
      assert.equal((await bounds.admit({ ...bound, name: "other" }, "a", later(20_000))).admitted, true);
      // Refused ones count: the window is still the first one until 60 s after it began.
      assert.equal((await bounds.admit(bound, "a", later(59_999))).admitted, false);
      assert.deepEqual(await bounds.admit(bound, "a", later(60_000)), { admitted: true, requests: 1 });
      // The new window began at 60 s: it ends at 120 s, not 60 s after the old one.
      await bounds.admit(bound, "a", later(61_000));
      assert.deepEqual(await bounds.admit(bound, "a", later(62_000)), {
        admitted: false,
        requests: 3,
        retryAfterSeconds: 58,
      });
      // b's window ended at 80 s: an admission of the bound deletes it, other bounds keep theirs.
      await bounds.admit(bound, "a", later(80_000));
      const rows = await storage.db.selectFrom("client_bound").select(["bound", "client"]).execute();
      assert.deepEqual(rows.map((r) => `${r.bound}/${r.client}`).sort(), ["form/a", "other/a"]);
      assert.equal(await bounds.purge({ ...bound, name: "other" }, later(80_000)), 1);
      assert.equal(await bounds.purge(bound, later(80_000)), 0);
      assert.equal(await bounds.purge(bound, later(120_000)), 1);
      assert.deepEqual(await storage.db.selectFrom("client_bound").selectAll().execute(), []);
    });

    it("aligned windows follow the clock: at 10:15 an hourly bound reopens at 11:00", async () => {
      const storage = await target.open<BoundsDb>({ component: "bounds_aligned", migrations });
      const bounds = new ClientBounds(storage.db);
      const bound: ClientBound = { name: "hourly", max: 1, windowMs: HOUR, aligned: true };
      assert.equal((await bounds.admit(bound, "a", START)).admitted, true);
      assert.deepEqual(await bounds.admit(bound, "a", later(1)), {
        admitted: false,
        requests: 2,
        retryAfterSeconds: 45 * 60,
      });
      assert.equal((await bounds.admit(bound, "a", new Date("2026-11-28T10:59:59.999Z"))).admitted, false);
      assert.equal((await bounds.admit(bound, "a", new Date("2026-11-28T11:00:00Z"))).admitted, true);
      const [row] = await storage.db.selectFrom("client_bound").selectAll().execute();
      assert.equal(Number(row?.window_start), Date.parse("2026-11-28T11:00:00Z"));
    });

    it("the count survives reopening the database, in a table of the component's own name", async () => {
      const location = target.location("bounds_restart");
      const own = { "0001_bounds": clientBoundMigration("capsule_bound") };
      const bound: ClientBound = { name: "capsule", max: 2, windowMs: HOUR };
      const first = await openStorage<any>({ component: "bounds_restart", migrations: own, ...location });
      try {
        const bounds = new ClientBounds(first.db, "capsule_bound");
        for (let i = 0; i < bound.max; i += 1) assert.ok((await bounds.admit(bound, "a", later(i))).admitted);
      } finally {
        await first.close();
      }
      const again = await openStorage<any>({ component: "bounds_restart", migrations: own, ...location });
      try {
        const bounds = new ClientBounds(again.db, "capsule_bound");
        assert.deepEqual(await bounds.admit(bound, "a", later(60_000)), {
          admitted: false,
          requests: 3,
          retryAfterSeconds: 3540,
        });
      } finally {
        await again.close();
      }
    });

    it("counted in a transaction, a request stands or falls with it", async () => {
      const storage = await target.open<BoundsDb>({ component: "bounds_trx", migrations });
      const bounds = new ClientBounds(storage.db);
      const bound: ClientBound = { name: "founding", max: 1, windowMs: HOUR };
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          assert.equal((await bounds.admit(bound, "a", START, trx)).admitted, true);
          throw new Error("the founding failed");
        }),
        /the founding failed/,
      );
      await storage.db.transaction().execute(async (trx) => {
        assert.deepEqual(await bounds.admit(bound, "a", START, trx), { admitted: true, requests: 1 });
      });
      assert.equal((await bounds.admit(bound, "a", START)).admitted, false);
    });

    // On PostgreSQL the requests run at once on the pool's connections; SQLite has one writer.
    it("parallel requests of one client never both take the last slot", async () => {
      const storage = await target.open<BoundsDb>({ component: "bounds_parallel", migrations });
      const bounds = new ClientBounds(storage.db);
      for (const max of [1, 7, 25]) {
        const bound: ClientBound = { name: `parallel${max}`, max, windowMs: HOUR };
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) => bounds.admit(bound, "192.0.2.1", later(i))),
        );
        assert.equal(answers.filter((a) => a.admitted).length, max);
        assert.deepEqual(
          answers.map((a) => a.requests).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        // And in transactions (the pool's ten connections each holding one open).
        const inTransactions = { ...bound, name: `${bound.name}trx` };
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            storage.db.transaction().execute((trx) => bounds.admit(inTransactions, "192.0.2.1", later(i), trx)),
          ),
        );
        assert.equal(outcomes.filter((a) => a.admitted).length, Math.min(max, 20));
      }
    });
  });
}
