// The portal's own store on SQLite and PostgreSQL: the bound on new e-Residency applications
// per client address survives a restart (a new store on the same database), stays per client
// and per kind, and a window that ended opens again.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { openPortalStore, PortalError } from "../src/index.ts";

const BOUND = { name: "e-residency-application", max: 3, windowMs: 3600_000 };
const limited = (error: unknown) => error instanceof PortalError && error.code === "PORTAL_RATE_LIMITED";

for (const target of await dialectTargets()) {
  describe(`the portal's store on ${target.dialect}`, () => {
    test("a restart keeps the bound of each client; other clients and kinds are counted apart", async () => {
      const location = target.location("portal");
      const start = Date.parse("2026-11-28T10:00:00Z");
      const first = await openPortalStore(location);
      try {
        for (let i = 0; i < BOUND.max; i += 1) await first.count(BOUND, "192.0.2.1", start + i);
      } finally {
        await first.close();
      }
      // A new process on the same database: the fourth is refused, with the seconds left.
      const again = await openPortalStore(location);
      try {
        await assert.rejects(again.count(BOUND, "192.0.2.1", start + 60_000), (error) => {
          assert.ok(limited(error));
          assert.equal((error as PortalError).details?.retryAfterSeconds, 3540);
          return true;
        });
        // Refused ones count too: a flood does not reopen the window early.
        await assert.rejects(again.count(BOUND, "192.0.2.1", start + 61_000), limited);
        await again.count(BOUND, "192.0.2.2", start + 62_000);
        await again.count({ ...BOUND, name: "another-form" }, "192.0.2.1", start + 63_000);
        // An hour after its window began, the client may apply again; the rows are one per client and kind.
        await again.count(BOUND, "192.0.2.1", start + BOUND.windowMs + 1);
        const rows = await again.storage.db.selectFrom("client_bound").selectAll().execute();
        assert.deepEqual(rows.map((r) => [r.bound, r.client, Number(r.requests)]).sort(), [
          ["another-form", "192.0.2.1", 1],
          ["e-residency-application", "192.0.2.1", 1],
          ["e-residency-application", "192.0.2.2", 1],
        ]);
      } finally {
        await again.close();
      }
    });
  });
}
