// The register on SQLite and PostgreSQL: a registration and its changes, and a replica rebuilt
// from the change journal with embassyRegistry.applyChange equals the register.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { BusinessRegisterError, embassyRegistry, openBusinessRegister } from "../src/index.ts";
import { applicationOf, signedContainer, startFoundingSandbox } from "./fixture.ts";

for (const target of await dialectTargets()) {
  describe(`business register on ${target.dialect}`, async () => {
    const sandbox = await startFoundingSandbox();
    const options = { trustAnchors: [sandbox.trust.services.root] };

    test("the bound on founding: applications per client and hour, kept across a restart", async () => {
      const location = target.location("business_register_quota");
      const bounded = { ...options, foundingHourlyLimit: 2 };
      const mari = await sandbox.founder("Mari", "Maasikas", "1987-07-28");
      const at = new Date("2026-11-28T10:15:00Z");
      let register = await openBusinessRegister(location, bounded);
      try {
        const create = (name: string, client: string, when = at) =>
          register.createApplication(applicationOf(name, [mari]), { client, at: when });
        await create("Kvoot Üks OÜ", "xroad:EE/GOV/70006317/portal");
        await create("Kvoot Kaks OÜ", "xroad:EE/GOV/70006317/portal");
        await assert.rejects(create("Kvoot Kolm OÜ", "xroad:EE/GOV/70006317/portal"), (error: unknown) => {
          assert.ok(error instanceof BusinessRegisterError);
          assert.equal(error.code, "FOUNDING_RATE_LIMITED");
          assert.deepEqual(error.details, { limit: 2, retryAfterSeconds: 45 * 60 });
          return true;
        });
        await create("Kvoot Teine OÜ", "address:127.0.0.1");
        await register.close();
        register = await openBusinessRegister(location, bounded);
        await assert.rejects(create("Kvoot Kolm OÜ", "xroad:EE/GOV/70006317/portal"), {
          code: "FOUNDING_RATE_LIMITED",
        });
        await create("Kvoot Kolm OÜ", "xroad:EE/GOV/70006317/portal", new Date("2026-11-28T11:00:00Z"));
      } finally {
        await register.close();
      }
    });

    test("registration, changes and deletion journal what a replica needs", async () => {
      const register = await openBusinessRegister(target.location("business_register"), options);
      const replica = await openBusinessRegister(target.location("business_register_replica"), options);
      try {
        const mari = await sandbox.founder("Mari", "Maasikas", "1987-07-28");
        const created = await register.createApplication(applicationOf("Andmebaasi OÜ", [mari]));
        await register.sign(created.id, await signedContainer(created.document, [mari], sandbox.tsaUrl));
        const company = await register.register(created.id, "R-1");
        assert.equal(company.shareCapitalCents, 100);
        await register.changeCapital(company.registryCode, 5_000_000_000);
        await register.changeBoard(company.registryCode, [
          { personalCode: "38001085718", givenName: "Jaan", surname: "Tamm" },
        ]);
        assert.equal((await register.company(company.registryCode)).shareCapitalCents, 5_000_000_000);
        const { entries } = await register.changes(0, 1000);
        await replica.db.transaction().execute(async (trx) => {
          for (const entry of await register.db.selectFrom("change_journal").selectAll().orderBy("seq").execute())
            await embassyRegistry.applyChange(trx, entry);
        });
        assert.ok(entries.length >= 6);
        assert.deepEqual(await replica.companies(), await register.companies());
        assert.deepEqual(await replica.allPersons(), await register.allPersons());
        assert.deepEqual(
          await replica.representationRights("38001085718"),
          await register.representationRights("38001085718"),
        );
        assert.deepEqual(await register.representationRights(mari.personalCode), []);
      } finally {
        await replica.close();
        await register.close();
      }
    });
  });
}
