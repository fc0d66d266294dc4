// The sandbox's member companies (clinic, pharmacy) are seeded under the registry codes their
// X-Road member codes carry; a code another company holds is refused and nothing is written.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { openBusinessRegister, seedDemoCompaniesIn } from "../src/index.ts";

const manager = { personalCode: "47804121002", givenName: "Mari", surname: "Arst" };
const clinic = { registryCode: "10090010", name: "Demokliinik OÜ", activity: "86211", board: manager };

for (const target of await dialectTargets()) {
  describe(`member companies on ${target.dialect}`, () => {
    test("seeded under their own registry code, beside the demo companies", async () => {
      const location = target.location("business_register_members");
      const seeded = await seedDemoCompaniesIn(
        location,
        [{ personalCode: "38001085718", givenName: "Jaan", surname: "Tamm" }],
        [clinic],
      );
      assert.deepEqual(
        seeded.map((s) => s.company.name),
        ["Tamm ja Partnerid 1 OÜ", "Demokliinik OÜ"],
      );
      const register = await openBusinessRegister(location, { trustAnchors: [] });
      try {
        const company = await register.company("10090010");
        assert.equal(company.name, "Demokliinik OÜ");
        assert.deepEqual(
          (await register.persons("10090010")).filter((p) => p.role === "board").map((p) => p.personalCode),
          [manager.personalCode],
        );
        // The demo companies keep taking codes from the register's own range.
        assert.ok(Number(seeded[0]!.company.registryCode) >= 16_000_000);
        await assert.rejects(seedDemoCompaniesIn(location, [], [{ ...clinic, name: "Teine Kliinik OÜ" }]), {
          code: "REGISTRY_CODE_TAKEN",
        });
        await assert.rejects(register.company("1009001"), { code: "REGISTRY_CODE_INVALID" });
        assert.deepEqual((await register.companies()).map((c) => c.name).sort(), [
          "Demokliinik OÜ",
          "Tamm ja Partnerid 1 OÜ",
        ]);
      } finally {
        await register.close();
      }
    });
  });
}
