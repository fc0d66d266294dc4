// The medicines register and what a dispense costs. Health Insurance Act (Ravikindlustuse
// seadus) § 43: the fund reimburses a medicine at 100, 90, 75 or 50 %; the insured person pays
// a fixed part per dispensing and the rest of the price above it at (100 − rate) %.
import type { Medication } from "@medplum/fhirtypes";
import { EXTENSION } from "../fhir/identifiers.ts";

export type ReimbursementRate = 50 | 75 | 90 | 100;
export const REIMBURSEMENT_RATES: readonly ReimbursementRate[] = [50, 75, 90, 100];

export interface Medicine {
  /** The register's code (the Medication resource's id). */
  code: string;
  name: string;
  substance: string;
  strength: string;
  form: string;
  /** Units in one package. */
  packageSize: number;
  /** Price of one package, euro cents. */
  priceCents: number;
  reimbursementRate: ReimbursementRate;
  /** Narcotic and psychotropic substances: 30 days' validity instead of 60. */
  narcotic: boolean;
}

/**
 * The fixed part per dispensing (§ 43 (1)-(3)). riik's sandbox values: the 2.50 € of the 50 and
 * 75 % rates and the 1.27 € of the 90 and 100 % rates; check the law in force before real use.
 */
export const FIXED_SHARE_CENTS: { readonly [R in ReimbursementRate]: number } = { 50: 250, 75: 250, 90: 127, 100: 127 };

/** Prescription validity (the Minister of Social Affairs' regulation on prescriptions): 60 days, narcotics 30. */
export const VALIDITY_DAYS = { ordinary: 60, narcotic: 30 } as const;

export interface Shares {
  priceCents: number;
  patientCents: number;
  fundCents: number;
}

/**
 * The price of `packages` packages, split between the patient and the health insurance fund;
 * the fund pays nothing for a patient who is not insured (Health Insurance Act § 5).
 */
export function sharesOf(
  medicine: Pick<Medicine, "priceCents" | "reimbursementRate">,
  packages: number,
  insured = true,
): Shares {
  const priceCents = medicine.priceCents * packages;
  if (!insured) return { priceCents, patientCents: priceCents, fundCents: 0 };
  const fixed = Math.min(priceCents, FIXED_SHARE_CENTS[medicine.reimbursementRate]);
  const patientCents = fixed + Math.round(((priceCents - fixed) * (100 - medicine.reimbursementRate)) / 100);
  return { priceCents, patientCents, fundCents: priceCents - patientCents };
}

/** The register as FHIR R4 Medication resources (price, rate and narcotic as extensions). */
export function medicationOf(medicine: Medicine): Medication & { id: string } {
  return {
    resourceType: "Medication",
    id: medicine.code,
    code: {
      coding: [{ system: "https://riik.ee/fhir/CodeSystem/medicines", code: medicine.code, display: medicine.name }],
    },
    form: { text: medicine.form },
    amount: {
      numerator: { value: medicine.packageSize, unit: medicine.form },
      denominator: { value: 1, unit: "package" },
    },
    ingredient: [
      {
        itemCodeableConcept: { text: medicine.substance },
        isActive: true,
        strength: { numerator: { value: 1, unit: medicine.strength }, denominator: { value: 1, unit: medicine.form } },
      },
    ],
    extension: [
      { url: EXTENSION.price, valueMoney: { value: medicine.priceCents / 100, currency: "EUR" } },
      { url: EXTENSION.reimbursementRate, valueDecimal: medicine.reimbursementRate },
      { url: EXTENSION.narcotic, valueBoolean: medicine.narcotic },
    ],
  };
}

/** A small register for the sandbox: one medicine at each rate and a narcotic. */
export const SAMPLE_MEDICINES: readonly Medicine[] = [
  {
    code: "metformin-500",
    name: "Metformin 500 mg",
    substance: "metformin",
    strength: "500 mg",
    form: "tablet",
    packageSize: 60,
    priceCents: 4_00,
    reimbursementRate: 90,
    narcotic: false,
  },
  {
    code: "amoxicillin-500",
    name: "Amoxicillin 500 mg",
    substance: "amoxicillin",
    strength: "500 mg",
    form: "capsule",
    packageSize: 20,
    priceCents: 6_20,
    reimbursementRate: 50,
    narcotic: false,
  },
  {
    code: "ramipril-5",
    name: "Ramipril 5 mg",
    substance: "ramipril",
    strength: "5 mg",
    form: "tablet",
    packageSize: 30,
    priceCents: 8_40,
    reimbursementRate: 75,
    narcotic: false,
  },
  {
    code: "insulin-glargine-100",
    name: "Insulin glargine 100 U/ml",
    substance: "insulin glargine",
    strength: "100 U/ml",
    form: "pen",
    packageSize: 5,
    priceCents: 45_60,
    reimbursementRate: 100,
    narcotic: false,
  },
  {
    code: "morphine-10",
    name: "Morphine 10 mg",
    substance: "morphine",
    strength: "10 mg",
    form: "tablet",
    packageSize: 20,
    priceCents: 9_80,
    reimbursementRate: 100,
    narcotic: true,
  },
];
