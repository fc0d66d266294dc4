// What the Board's HTTP and storage tests share: an employer, a bank and a fund with valid
// registry codes, residents in a population register held in memory, and a year of payroll
// whose return is worked out by hand below.
import { generatePersonalCode } from "@riik/core";
import {
  type PayrollDeclaration,
  type PopulationSource,
  type Resident,
  SYNTHETIC_BANKS,
  SYNTHETIC_FUNDS,
} from "../src/index.ts";

export const EMPLOYER = "10421629"; // Eesti Energia AS, a real registry code
export const EMPLOYER_CLIENT = `EE/COM/${EMPLOYER}/palk`;
export const BANK = SYNTHETIC_BANKS[0]!;
export const BANK_CLIENT = `EE/COM/${BANK}/laenud`;
export const FUND = SYNTHETIC_FUNDS[0]!;
export const FUND_CLIENT = `EE/COM/${FUND}/pensionid`;
/** A valid Estonian IBAN (ISO 13616 check digits), spaced as a person types it. */
export const IBAN = "EE38 2200 2210 2014 5685";
/** 2025's returns are open (they opened on 15 February 2026, Tallinn time). */
export const OPEN = new Date("2026-03-02T09:00:00Z");

export const residentBorn = (birthDate: string, serial: number): Resident => ({
  personalCode: generatePersonalCode(birthDate, serial % 2 === 0 ? "female" : "male", serial),
  birthDate,
  children: [],
});

/** The population register as the Board reads it: these residents, no one else. */
export function populationOf(residents: readonly Resident[]): PopulationSource {
  const known = new Map(residents.map((r) => [r.personalCode, r]));
  return {
    resident: async (code) => known.get(code) ?? null,
    exists: async (code) => known.has(code),
  };
}

/** €1,500 gross a month, €250 income tax withheld, 1.6 % and 2 % contributions (€24 and €30). */
export const employee = (personalCode: string) => ({
  personalCode,
  grossCents: 150_000,
  incomeTaxWithheldCents: 25_000,
  socialTaxCents: 49_500,
  unemploymentInsuranceEmployeeCents: 2_400,
  unemploymentInsuranceEmployerCents: 1_200,
  fundedPensionCents: 3_000,
});

export const payrollMonth = (month: number, codes: readonly string[], year = 2025): PayrollDeclaration => ({
  declarationId: `tsd-${year}-${String(month).padStart(2, "0")}`,
  payer: EMPLOYER,
  month: `${year}-${String(month).padStart(2, "0")}`,
  employees: codes.map(employee),
});

export const MONTHS = Array.from({ length: 12 }, (_, i) => i + 1);

/**
 * 2025, €1,500 a month all year, €250 withheld a month, €1,000 III pillar (by hand): income
 * €18,000; contributions 12 × €54 = €648; basic exemption 7,848 × (25,200 − 18,000) / 10,800 =
 * €5,232 (§ 23); III pillar €1,000 (under 15 % and €6,000, § 28); housing-loan interest shown,
 * not deducted (§ 25 repealed from 2024). Taxable 18,000 − 648 − 5,232 − 1,000 = €11,120, tax
 * 22 % = €2,446.40; withheld €3,000, refund €553.60.
 */
export const BY_HAND = { taxableCents: 1_112_000, taxCents: 244_640, withheldCents: 300_000, balanceCents: 55_360 };
/** The same with €500 of training added by the person (§ 26, within § 28²'s €1,200): tax €2,336.40, refund €663.60. */
export const WITH_TRAINING = { taxableCents: 1_062_000, taxCents: 233_640, balanceCents: 66_360 };
export const PENSION_CENTS = 100_000;
export const INTEREST_CENTS = 240_000;
