// The vehicle register on SQLite and PostgreSQL, and its API: registration with every refusal,
// licences, and the roadside check's answers (valid, by an including category, expired,
// suspended, not held, no licence).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import { createVehicleRegisterService, openVehicleRegister, VehicleError, type VehicleRegister } from "../src/index.ts";

const owner = generatePersonalCode("1985-03-14", "male", 61);
const driver = generatePersonalCode("1999-12-01", "female", 62);
const refused = (code: string) => (e: unknown) => e instanceof VehicleError && e.code === code;
const car = { vin: "WVWZZZ1JZ3W386752", plate: "123 ABC", make: "Volkswagen", model: "Golf", category: "M1", owner };

for (const target of await dialectTargets()) {
  describe(`vehicle register on ${target.dialect}`, () => {
    test("registration, lookups and the roadside check", async () => {
      const register = await openVehicleRegister(target.location("vehicle_register"));
      try {
        const vehicle = await register.registerVehicle({ ...car, user: driver }, new Date("2026-01-05T10:00:00Z"));
        assert.equal(vehicle.plate, "123ABC");
        assert.equal((await register.vehicle("123 abc")).vin, car.vin);
        assert.equal((await register.vehicle(car.vin)).user, driver);
        assert.deepEqual(
          (await register.vehiclesOf(driver)).map((v) => v.vin),
          [car.vin],
        );
        await assert.rejects(register.registerVehicle(car), refused("VEHICLE_EXISTS"));
        await assert.rejects(register.registerVehicle({ ...car, vin: "WVWZZZ1JZ3W386753" }), refused("PLATE_TAKEN"));
        await assert.rejects(register.registerVehicle({ ...car, vin: "1M8GDM9A1KP042788" }), refused("VIN_INVALID"));
        await assert.rejects(register.registerVehicle({ ...car, category: "Q9" }), refused("VEHICLE_INVALID"));
        await assert.rejects(register.vehicle("999ZZZ"), refused("VEHICLE_NOT_FOUND"));

        assert.equal((await register.drivingRight(driver, "B", "2026-06-01")).reason, "no-licence");
        await register.issueLicence(driver, "ET123456", [
          { category: "B", since: "2018-01-10", validUntil: "2028-01-09" },
          { category: "CE", since: "2020-05-01", validUntil: "2025-04-30" },
        ]);
        const check = (category: string, on = "2026-06-01") => register.drivingRight(driver, category, on);
        assert.deepEqual(await check("B"), {
          personalCode: driver,
          category: "B",
          on: "2026-06-01",
          allowed: true,
          by: "B",
          validUntil: "2028-01-09",
          reason: "valid",
        });
        assert.equal((await check("AM")).by, "B", "B includes AM");
        assert.equal((await check("C1")).reason, "expired", "CE includes C1, but expired in 2025");
        assert.equal((await check("C1", "2024-01-01")).allowed, true);
        assert.equal((await check("A")).reason, "category-not-held");
        await register.suspendLicence(driver, "2026-12-31");
        assert.equal((await check("B")).reason, "suspended");
        assert.equal((await check("B", "2027-01-01")).allowed, true);
        await assert.rejects(
          register.issueLicence(owner, "ET123456", [{ category: "B", since: "2020-01-01", validUntil: "2030-01-01" }]),
          refused("LICENCE_INVALID"),
        );
        await assert.rejects(register.suspendLicence(owner, null), refused("LICENCE_NOT_FOUND"));
        const journal = await register.store.db.selectFrom("change_journal").select("entity").execute();
        assert.deepEqual(
          journal.map((j) => j.entity),
          ["vehicle", "licence", "licence"],
        );
      } finally {
        await register.close();
      }
    });
  });
}

describe("the vehicle register's API", () => {
  let register: VehicleRegister;
  let service: MemberService;
  let url: string;
  before(async () => {
    register = await openVehicleRegister({ dataDir: temporaryDirectory() });
    service = createVehicleRegisterService(register);
    url = await service.listen({ port: 0 });
  });
  after(async () => {
    await service.close();
    await register.close();
  });
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });

  test("register, look up by plate, licence and the roadside check; subjects named, errors name nobody", async () => {
    const created = await call("POST", "/vehicles", { ...car, user: driver });
    assert.equal(created.status, 201);
    assert.deepEqual(
      created.headers.get(DATA_SUBJECTS_HEADER)?.split(",").sort(),
      [`EE${owner}`, `EE${driver}`].sort(),
    );
    const byPlate = await call("GET", "/vehicles/123ABC");
    assert.equal((await byPlate.json()).vin, car.vin);
    const licence = await call("PUT", `/persons/${driver}/licence`, {
      number: "ET654321",
      categories: [{ category: "B", since: "2018-01-10", validUntil: "2099-01-09" }],
    });
    assert.equal(licence.status, 200);
    const right = await call("GET", `/persons/EE${driver}/driving-right?category=b`);
    assert.equal(right.status, 200);
    assert.equal((await right.json()).allowed, true);
    assert.equal(right.headers.get(DATA_SUBJECTS_HEADER), `EE${driver}`);
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/vehicles", car, 409, "VEHICLE_EXISTS"],
      ["POST", "/vehicles", { ...car, extra: 1 }, 400, "REQUEST_INVALID"],
      ["GET", "/vehicles/000AAA", undefined, 404, "VEHICLE_NOT_FOUND"],
      ["GET", `/persons/${owner}/licence`, undefined, 404, "LICENCE_NOT_FOUND"],
      ["GET", `/persons/${driver}/driving-right?category=ZZ`, undefined, 400, "LICENCE_CATEGORY_INVALID"],
      ["GET", "/persons/38001085719/driving-right?category=B", undefined, 400, "PERSONAL_CODE_INVALID"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, body);
      assert.equal(res.status, status, path);
      assert.equal((await res.json()).code, code, path);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null);
    }
  });
});
