import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { demoVin, openVehicleRegister, parseVin, seedDemoVehicles } from "../src/index.ts";

describe("the sandbox's demo drivers", () => {
  it("gives each person a car with a valid VIN and plate and a B licence valid today", async () => {
    const dataDir = temporaryDirectory("riik-demo-vehicles-");
    const persons = [generatePersonalCode("1980-01-08", "female", 1), generatePersonalCode("1975-06-01", "male", 2)];
    const today = new Date("2026-11-29T12:00:00Z");
    assert.deepEqual(await seedDemoVehicles({ dataDir }, persons, today), ["101DEM", "102DEM"]);
    assert.equal(parseVin(demoVin(0)).vin, demoVin(0));
    const register = await openVehicleRegister({ dataDir });
    try {
      const [car] = await register.vehiclesOf(persons[1]!);
      assert.deepEqual([car?.plate, car?.owner, car?.vin], ["102DEM", persons[1], demoVin(1)]);
      const right = await register.drivingRight(persons[0]!, "B", "2026-11-29");
      assert.equal(right.allowed, true, JSON.stringify(right));
      assert.equal((await register.drivingRight(persons[0]!, "C", "2026-11-29")).allowed, false);
    } finally {
      await register.close();
    }
    // Seeding again is refused by the register (the VIN is taken), not doubled.
    await assert.rejects(seedDemoVehicles({ dataDir }, persons, today), { code: "VEHICLE_EXISTS" });
  });
});
