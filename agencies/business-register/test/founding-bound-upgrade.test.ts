// A register made before the founding bound moved to core's client_bound (migration 0009):
// each client's latest hour carries over, so the upgrade does not reopen a used-up hour.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClientBounds, openStorage } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { businessRegisterMigrations, openBusinessRegister } from "../src/index.ts";
import { BUSINESS_REGISTER_COMPONENT, FOUNDING_BOUND } from "../src/storage/schema.ts";

const HOURLY = { name: FOUNDING_BOUND, max: 2, windowMs: 3_600_000, aligned: true };

for (const target of await dialectTargets()) {
  describe(`the founding bound's upgrade on ${target.dialect}`, () => {
    test("founding_quota's current hours carry over to client_bound", async () => {
      const location = target.location("business_register_upgrade");
      const before = await openStorage<any>({
        component: BUSINESS_REGISTER_COMPONENT,
        ...location,
        migrations: Object.fromEntries(Object.entries(businessRegisterMigrations).filter(([name]) => name < "0009")),
      });
      try {
        await before.db
          .insertInto("founding_quota")
          .values([
            { client: "xroad:EE/GOV/70006317/portal", hour: "2026-11-28T09", created: 5 },
            { client: "xroad:EE/GOV/70006317/portal", hour: "2026-11-28T10", created: 2 },
            { client: "address:127.0.0.1", hour: "2026-11-28T10", created: 1 },
          ])
          .execute();
      } finally {
        await before.close();
      }
      const register = await openBusinessRegister(location, { trustAnchors: [] });
      try {
        const rows = await register.db.selectFrom("client_bound").selectAll().orderBy("client").execute();
        const tenOClock = Date.parse("2026-11-28T10:00:00Z");
        assert.deepEqual(
          rows.map((r) => [r.bound, r.client, Number(r.window_start), Number(r.requests)]),
          [
            [FOUNDING_BOUND, "address:127.0.0.1", tenOClock, 1],
            [FOUNDING_BOUND, "xroad:EE/GOV/70006317/portal", tenOClock, 2],
          ],
        );
        const bounds = new ClientBounds(register.db);
        const at = new Date("2026-11-28T10:15:00Z");
        assert.deepEqual(await bounds.admit(HOURLY, "xroad:EE/GOV/70006317/portal", at), {
          admitted: false,
          requests: 3,
          retryAfterSeconds: 45 * 60,
        });
        assert.equal((await bounds.admit(HOURLY, "address:127.0.0.1", at)).admitted, true);
        await assert.rejects(
          register.db
            .selectFrom("founding_quota" as never)
            .selectAll()
            .execute(),
          /founding_quota/,
        );
      } finally {
        await register.close();
      }
    });
  });
}
