import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { openMotorInsuranceBureau, SANDBOX_INSURER, seedDemoInsurance } from "../src/index.ts";

describe("the sandbox's insurer", () => {
  it("insures each demo car for a year from today; the bureau names the insurer and the policy; a rerun adds nothing", async () => {
    const dataDir = temporaryDirectory("riik-demo-insurance-");
    // Policies are not anchored (only an accident case's steps are): an anchor call fails the seed.
    const anchor = { anchor: async () => assert.fail("a policy is not anchored") };
    const holder = generatePersonalCode("1980-01-08", "female", 1);
    const cars = [
      { vin: "TMBJJ7NE0L0000001", plate: "101DEM", holder: { name: "Mari Maasikas", personalCode: holder } },
      { vin: "TMBJJ7NE0L0000002", plate: "102DEM", holder: { name: "Jaan Tamm", personalCode: holder } },
    ];
    const today = new Date("2026-11-29T12:00:00Z");
    const policies = await seedDemoInsurance({ dataDir }, cars, anchor, today);
    assert.deepEqual(
      policies.map((p) => [p.number, p.plate, p.insurer, p.validUntil]),
      [
        ["DK-000001", "101DEM", SANDBOX_INSURER.registryCode, "2027-11-29T12:00:00.000Z"],
        ["DK-000002", "102DEM", SANDBOX_INSURER.registryCode, "2027-11-29T12:00:00.000Z"],
      ],
    );
    const bureau = await openMotorInsuranceBureau({ dataDir }, { anchor, trustAnchors: [] });
    try {
      const insured = await bureau.insurance({ plate: "102DEM" }, new Date("2027-06-01T00:00:00Z"));
      assert.deepEqual(insured.insurer, SANDBOX_INSURER);
      assert.equal(insured.policy.holder.personalCode, holder);
      await assert.rejects(bureau.insurance({ plate: "101DEM" }, new Date("2027-11-29T12:00:00Z")), {
        code: "NOT_INSURED",
      });
    } finally {
      await bureau.close();
    }
    // A second run (a start interrupted after the seed) registers nothing twice.
    assert.deepEqual(await seedDemoInsurance({ dataDir }, cars, anchor, today), []);
    const again = await openMotorInsuranceBureau({ dataDir }, { anchor, trustAnchors: [] });
    try {
      assert.deepEqual(await again.insurers(), [SANDBOX_INSURER]);
      const policies = await again.store.db.selectFrom("policy").select("number").execute();
      assert.deepEqual(policies.map((row) => row.number).sort(), ["DK-000001", "DK-000002"]);
    } finally {
      await again.close();
    }
  });
});
