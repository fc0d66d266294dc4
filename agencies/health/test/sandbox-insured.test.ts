import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { openInsuranceRegister, sandboxInsurancePeriod, seedSandboxInsured } from "../src/index.ts";

const TODAY = "2026-11-29";
const code = (birthDate: string, sex: "male" | "female" = "female") => generatePersonalCode(birthDate, sex, 1);

describe("the sandbox's insured residents", () => {
  it("insures children until their 19th birthday, pensioners from their 65th, the rest as employed", () => {
    assert.deepEqual(sandboxInsurancePeriod(code("2010-05-01"), TODAY), {
      personalCode: code("2010-05-01"),
      basis: "child",
      start: "2010-05-01",
      end: "2029-05-01",
    });
    assert.equal(sandboxInsurancePeriod(code("2007-11-30"), TODAY).basis, "child", "18 until tomorrow");
    assert.equal(sandboxInsurancePeriod(code("2007-11-29"), TODAY).basis, "employment", "19 today");
    assert.deepEqual(sandboxInsurancePeriod(code("1961-11-29", "male"), TODAY), {
      personalCode: code("1961-11-29", "male"),
      basis: "pension",
      start: "2026-11-29",
      end: null,
    });
    assert.equal(sandboxInsurancePeriod(code("1961-11-30"), TODAY).start, "2025-01-01");
    // A 29 February birthday falls on 1 March in a common year.
    assert.equal(sandboxInsurancePeriod(code("2012-02-29"), TODAY).end, "2031-03-01");
  });

  it("records every resident in one transaction, and the register then answers insured", async () => {
    const dataDir = temporaryDirectory("riik-insured-");
    const residents = [code("2010-05-01"), code("1950-01-01", "male"), code("1990-06-15")];
    assert.equal(await seedSandboxInsured({ dataDir }, residents, TODAY), 3);
    const register = await openInsuranceRegister({ dataDir });
    try {
      for (const resident of residents) assert.equal((await register.insuredOn(resident, TODAY)).insured, true);
      assert.equal((await register.insuredOn(code("1990-06-16"), TODAY)).insured, false);
    } finally {
      await register.close();
    }
    // One bad code and nothing is recorded.
    const empty = temporaryDirectory("riik-insured-");
    await assert.rejects(seedSandboxInsured({ dataDir: empty }, [code("1990-06-15"), "12345678901"], TODAY));
    const untouched = await openInsuranceRegister({ dataDir: empty });
    try {
      assert.equal((await untouched.insuredOn(code("1990-06-15"), TODAY)).insured, false);
    } finally {
      await untouched.close();
    }
  });
});
