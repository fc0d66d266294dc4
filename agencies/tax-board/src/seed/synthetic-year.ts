// A year of declarations for a synthetic population: who works where and for how much, whose
// bank reports housing-loan interest and who pays into a III pillar fund. Each person's year is
// drawn from a generator seeded by (seed, personal code), so the same persons and seed give the
// same declarations whichever way they are read: per person (returns, the bench) or per payer
// and month (the seed's declarations).

import { parsePersonalCode, registryCodeFor } from "@riik/core";
import type { PayrollIncome, ReturnInput } from "../rules/income-tax-return.ts";
import { rulesFor } from "../rules/tax-years.ts";

export interface SyntheticOptions {
  year: number;
  /** The same seed gives the same year; default 1. */
  seed?: number;
  /** Employers in the economy; default one per 15 persons, at least 20. */
  employers?: number;
}

/** One employee's month as the synthetic employer declares it. */
export interface SyntheticMonth extends PayrollIncome {
  socialTaxCents: number;
  unemploymentInsuranceEmployerCents: number;
}

export interface SyntheticPerson {
  personalCode: string;
  payroll: SyntheticMonth[];
  housingLoanInterest: { payer: string; amountCents: number } | null;
  voluntaryPension: { payer: string; amountCents: number } | null;
}

/** Banks and III pillar fund managers: registry codes of the e-Business Register's scheme. */
export const SYNTHETIC_BANKS = [1, 2, 3, 4, 5].map((n) => registryCodeFor("company", 900_000 + n));
export const SYNTHETIC_FUNDS = [1, 2, 3, 4].map((n) => registryCodeFor("company", 910_000 + n));
const employerCode = (index: number) => registryCodeFor("company", 200_000 + index);

/** mulberry32 (as the population register's generator uses), seeded per person. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the seed and the code: each person's own stream. */
function personSeed(seed: number, code: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const MINIMUM_WAGE: Readonly<Record<number, number>> = { 2023: 725_00, 2024: 820_00, 2025: 886_00 };

/**
 * A person's year. Wages: log-normal around a median of €1,550 a month (Statistics Estonia's
 * 2024 median is about that), never below the minimum wage; about 78 % of those aged 18-65 work,
 * 12 % of them a second job; 85 % all year. The employer withholds monthly with the €654 basic
 * exemption applied on the main job (most employees apply for it; 70 % of those earning over
 * €2,100 a month tell the employer not to), so the return settles the difference. Unemployment
 * insurance 1.6 % (employer 0.8 %), funded pension 2 %, social tax 33 %.
 */
export function syntheticPerson(personalCode: string, options: SyntheticOptions, employers: number): SyntheticPerson {
  const { year } = options;
  const rules = rulesFor(year);
  const random = generator(personSeed(options.seed ?? 1, personalCode));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const born = Number(parsePersonalCode(personalCode).birthDate.slice(0, 4));
  const age = year - born;
  const person: SyntheticPerson = { personalCode, payroll: [], housingLoanInterest: null, voluntaryPension: null };
  if (age < 18 || age > 65 || random() >= 0.78) return person;
  const minimum = MINIMUM_WAGE[year] ?? 820_00;
  const main = Math.max(minimum, Math.round(155_000 * Math.exp(0.5 * normal())));
  const fundedPension = born >= 1983 || random() < 0.7;
  const jobs: Array<{ payer: string; monthly: number; from: number; to: number; exemption: boolean }> = [];
  // Large employers employ more: the index is skewed towards 0.
  const pick = () => employerCode(Math.floor(employers * random() ** 3));
  const [from, to] = random() < 0.85 ? [1, 12] : [1 + Math.floor(random() * 6), 7 + Math.floor(random() * 6)];
  jobs.push({ payer: pick(), monthly: main, from, to, exemption: !(main > 210_000 && random() < 0.7) });
  if (random() < 0.12) {
    const start = 1 + Math.floor(random() * 12);
    const second = {
      payer: pick(),
      monthly: Math.round(main * (0.2 + 0.3 * random())),
      from: start,
      to: 12,
      exemption: false,
    };
    if (second.payer !== jobs[0]!.payer) jobs.push(second);
  }
  for (const job of jobs)
    for (let m = job.from; m <= job.to; m++) {
      const gross = job.monthly;
      const ui = Math.round(gross * 0.016);
      const pension = fundedPension ? Math.round(gross * 0.02) : 0;
      const exemption = job.exemption ? Math.round(rules.basicExemptionCents / 12) : 0;
      person.payroll.push({
        payer: job.payer,
        declarationId: `payroll-${year}-${String(m).padStart(2, "0")}`,
        month: `${year}-${String(m).padStart(2, "0")}`,
        grossCents: gross,
        incomeTaxWithheldCents: Math.round(Math.max(0, gross - ui - pension - exemption) * rules.rate),
        unemploymentInsuranceCents: ui,
        fundedPensionCents: pension,
        socialTaxCents: Math.round(gross * 0.33),
        unemploymentInsuranceEmployerCents: Math.round(gross * 0.008),
      });
    }
  // Housing loans: about 10 % of those with wages, interest €150-€3,000 a year.
  if (age >= 25 && age <= 60 && random() < 0.125)
    person.housingLoanInterest = {
      payer: SYNTHETIC_BANKS[Math.floor(random() * SYNTHETIC_BANKS.length)]!,
      amountCents: 150_00 + Math.floor(random() * 2850_00),
    };
  // III pillar: about 15 % of those with wages, up to the deductible 15 % of income (some above it).
  if (random() < 0.15) {
    const income = person.payroll.reduce((s, m) => s + m.grossCents, 0);
    person.voluntaryPension = {
      payer: SYNTHETIC_FUNDS[Math.floor(random() * SYNTHETIC_FUNDS.length)]!,
      amountCents: Math.max(10_00, Math.min(6500_00, Math.round(income * 0.18 * random()))),
    };
  }
  return person;
}

export const defaultEmployers = (persons: number) => Math.max(20, Math.ceil(persons / 15));

/** Each person's year, lazily. */
export function* syntheticYear(
  persons: Iterable<string>,
  options: SyntheticOptions & { employers: number },
): Generator<SyntheticPerson> {
  for (const code of persons) yield syntheticPerson(code, options, options.employers);
}

/** What each person's return is computed from, lazily (the bench's input). */
export function* syntheticReturnInputs(
  persons: Iterable<string>,
  options: SyntheticOptions & { employers: number },
): Generator<ReturnInput> {
  const { year } = options;
  for (const p of syntheticYear(persons, options))
    yield {
      year,
      personalCode: p.personalCode,
      payroll: p.payroll,
      housingLoanInterest: p.housingLoanInterest
        ? [{ ...p.housingLoanInterest, declarationId: `interest-${year}` }]
        : [],
      voluntaryPension: p.voluntaryPension ? [{ ...p.voluntaryPension, declarationId: `pension-${year}` }] : [],
    };
}
