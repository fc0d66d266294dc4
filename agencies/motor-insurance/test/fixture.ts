// Test support: a statement's parts for two drivers, and insurers with policies on their cars.
import { generatePersonalCode } from "@riik/core";
import type { CommonPart, DriverPart } from "../src/index.ts";

export const driverA = generatePersonalCode("1982-06-11", "male", 81);
export const driverB = generatePersonalCode("1996-02-29", "female", 82);
export const insurerA = "10000018";
export const insurerB = "10000024";
export const clientOf = (registryCode: string) => `EE/COM/${registryCode}/policies`;

export const common: CommonPart = {
  date: "2026-11-20",
  time: "08:15",
  place: "Tallinn, Pärnu mnt 20 ristmik",
  injuries: false,
  otherDamage: { vehicles: false, objects: false },
  witnesses: [{ name: "Kati Karu", contact: "+372 5555 0101" }],
};

export function partOf(driver: string, plate: string, overrides: Partial<DriverPart> = {}): DriverPart {
  return {
    policyholder: { name: "Policy Holder", personalCode: driver },
    vehicle: { plate, make: "Toyota", model: "Corolla" },
    driver: { personalCode: driver, name: "Driver", licence: driver === driverA ? "ET100001" : "ET100002" },
    pointOfImpact: "front",
    damage: "bumper",
    circumstances: [8],
    remarks: "",
    attachments: [{ name: "sketch.svg", mediaType: "image/svg+xml", sha256: "a".repeat(64) }],
    ...overrides,
  };
}

/** A policy body for `plate`, valid through 2026. */
export const policyFor = (number: string, vin: string, plate: string, holder: string) => ({
  number,
  vin,
  plate,
  holder: { name: "Policy Holder", personalCode: holder },
  validFrom: "2026-01-01T00:00:00.000Z",
  validUntil: "2027-01-01T00:00:00.000Z",
});
