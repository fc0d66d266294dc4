// The capsule store's bound on senders after the move to core's client_bound: a database made
// before it (capsule_rate) opens, its open windows carry over, and the bound answers as before.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openStorage } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { CAPSULE_COMPONENT, capsuleMigrations } from "../src/capsule-server/capsule-store.ts";
import { CapsuleStore, CdocError } from "../src/index.ts";

const LIMIT = { max: 2, windowMs: 60_000 };
const at = (seconds: number) => new Date(Date.parse("2026-11-28T10:00:00Z") + seconds * 1000);

for (const target of await dialectTargets()) {
  describe(`the capsule store on ${target.dialect}`, () => {
    test("a database from before client_bound keeps each address's window", async () => {
      const location = target.location(CAPSULE_COMPONENT);
      const before = await openStorage<any>({
        component: CAPSULE_COMPONENT,
        ...location,
        migrations: { "001_capsules": capsuleMigrations["001_capsules"]! },
      });
      try {
        await before.db
          .insertInto("capsule_rate")
          .values([
            { client: "192.0.2.1", window_start: at(0).getTime(), requests: 2 },
            { client: "192.0.2.2", window_start: at(0).getTime(), requests: 1 },
          ])
          .execute();
      } finally {
        await before.close();
      }
      const store = await CapsuleStore.open(location);
      try {
        await assert.rejects(store.countRequest("192.0.2.1", LIMIT, at(15)), (error) => {
          assert.ok(error instanceof CdocError);
          assert.equal(error.code, "CAPSULE_RATE_LIMITED");
          assert.deepEqual(error.details, { retryAfter: 45 });
          return true;
        });
        await store.countRequest("192.0.2.2", LIMIT, at(15));
        await assert.rejects(store.countRequest("192.0.2.2", LIMIT, at(16)), { code: "CAPSULE_RATE_LIMITED" });
        // The purge deletes the windows that ended, and only those.
        await store.countRequest("192.0.2.3", LIMIT, at(30));
        await store.purge(at(60), LIMIT.windowMs);
        const rows = await store.storage.db.selectFrom("client_bound").select(["bound", "client"]).execute();
        assert.deepEqual(rows, [{ bound: "capsule", client: "192.0.2.3" }]);
        await store.countRequest("192.0.2.1", LIMIT, at(60));
      } finally {
        await store.close();
      }
    });
  });
}
