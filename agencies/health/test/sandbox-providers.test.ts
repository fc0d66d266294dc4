// The sandbox's directory seeded on SQLite and PostgreSQL: a second run creates nothing, and
// what was seeded is enough for the doctor to act at the clinic and the pharmacist to dispense
// at the pharmacy (active roles, a licensed pharmacy), and for the patients to be found by code.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Patient } from "@medplum/fhirtypes";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import {
  activeRole,
  openHealthStore,
  PERSONAL_CODE_SYSTEM,
  pharmacyLicensed,
  type SandboxProviders,
  seedSandboxProviders,
} from "../src/index.ts";

const SPEC: SandboxProviders = {
  clinic: { registryCode: "10090010", name: "Demokliinik OÜ" },
  pharmacy: { registryCode: "10090027", name: "Demoapteek OÜ" },
  doctor: { personalCode: generatePersonalCode("1975-03-04", "female", 11), givenName: "Mari", surname: "Arst" },
  pharmacist: { personalCode: generatePersonalCode("1985-07-08", "male", 12), givenName: "Peeter", surname: "Rohi" },
  patients: [
    { personalCode: generatePersonalCode("1990-01-02", "male", 13), givenName: "Jaan", surname: "Tamm" },
    { personalCode: generatePersonalCode("2012-02-29", "female", 14) },
  ],
};
const AT = new Date("2026-11-29T08:00:00Z");

for (const target of await dialectTargets()) {
  describe(`the sandbox's providers on ${target.dialect}`, () => {
    test("seeds the clinic, the licensed pharmacy, the professionals' roles and the patients once", async () => {
      const location = target.location("health");
      assert.deepEqual(await seedSandboxProviders(location, SPEC, AT), {
        Organization: 2,
        Practitioner: 2,
        PractitionerRole: 2,
        Patient: 2,
      });
      assert.deepEqual(await seedSandboxProviders(location, SPEC, new Date("2026-11-30T08:00:00Z")), {
        Organization: 0,
        Practitioner: 0,
        PractitionerRole: 0,
        Patient: 0,
      });
      const store = await openHealthStore(location);
      try {
        const doctor = await activeRole(store, SPEC.doctor.personalCode, "10090010", AT, "doctor");
        assert.equal(doctor.licence, `D${SPEC.doctor.personalCode.slice(-5)}`);
        assert.deepEqual(doctor.role.period, { start: "2026-11-29", end: "2031-11-29" });
        const inFiveYears = await activeRole(
          store,
          SPEC.doctor.personalCode,
          "10090010",
          new Date("2031-11-29T20:00:00Z"),
        );
        assert.equal(inFiveYears.organization.name, "Demokliinik OÜ");
        await assert.rejects(
          activeRole(store, SPEC.doctor.personalCode, "10090010", new Date("2031-11-30T08:00:00Z")),
          { code: "LICENCE_EXPIRED" },
        );
        const pharmacist = await activeRole(store, SPEC.pharmacist.personalCode, "10090027", AT, "pharmacist");
        assert.equal(pharmacyLicensed(pharmacist.organization, AT), true);
        // The doctor has no role at the pharmacy, the pharmacist none at the clinic.
        await assert.rejects(activeRole(store, SPEC.doctor.personalCode, "10090027", AT), { code: "ROLE_REQUIRED" });
        await assert.rejects(activeRole(store, SPEC.pharmacist.personalCode, "10090010", AT), {
          code: "ROLE_REQUIRED",
        });
        const leapling = (await store.patientByCode(SPEC.patients[1]!.personalCode))!;
        assert.deepEqual(
          {
            birthDate: (leapling.resource as Patient).birthDate,
            gender: (leapling.resource as Patient).gender,
            patient: leapling.patientCode,
          },
          { birthDate: "2012-02-29", gender: "female", patient: SPEC.patients[1]!.personalCode },
        );
        const jaan = (await store.patientByCode(SPEC.patients[0]!.personalCode))!;
        assert.deepEqual((jaan.resource as Patient).name, [{ given: ["Jaan"], family: "Tamm" }]);
        assert.equal(
          (await store.idsBy("Patient", "identifier", PERSONAL_CODE_SYSTEM, SPEC.patients[0]!.personalCode)).length,
          1,
        );
      } finally {
        await store.close();
      }
    });

    test("a bad personal code is refused with the field named, and a run again completes what the first left undone", async () => {
      // A store of its own (SQLite's target shares one directory between components).
      const location =
        target.dialect === "sqlite"
          ? { dataDir: temporaryDirectory("riik-health-seed-") }
          : target.location("healthseed");
      await assert.rejects(
        seedSandboxProviders(location, { ...SPEC, patients: [{ personalCode: "38001085719" }] }, AT),
        { code: "PERSONAL_CODE_CHECKSUM" },
      );
      const again = await seedSandboxProviders(location, SPEC, AT);
      assert.equal(again.Organization, 0);
      assert.equal(again.Patient, 2);
    });
  });
}
