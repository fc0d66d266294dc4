// A resident person's annual income tax return (TuMS chapter 4: income less the exemptions and
// deductions, taxed at the year's rate, against the tax withheld), pre-filled from what payers
// declared. Every line names its source (which declaration, which sender, or the rules) and
// says why its amount is what it is; the totals are nothing but sums of the lines.
import { TaxBoardError } from "../errors.ts";
import { basicExemption, rulesFor, TAX_YEARS, type TaxYearRules } from "./tax-years.ts";

/** One month's payroll of one employee as the employer declared it (TSD annex 1). */
export interface PayrollIncome {
  payer: string;
  declarationId: string;
  month: string;
  grossCents: number;
  incomeTaxWithheldCents: number;
  /** The employee's unemployment insurance premium withheld (1.6 %). */
  unemploymentInsuranceCents: number;
  /** The mandatory funded pension (II pillar) contribution withheld. */
  fundedPensionCents: number;
}

/** A bank's housing-loan interest or a pension fund's III pillar contributions for the year. */
export interface DeclaredAmount {
  payer: string;
  declarationId: string;
  amountCents: number;
}

export interface ReturnInput {
  year: number;
  personalCode: string;
  payroll: readonly PayrollIncome[];
  housingLoanInterest: readonly DeclaredAmount[];
  voluntaryPension: readonly DeclaredAmount[];
  /** The person's children as the population register answers (for § 23²); not yet claimed by the other parent. */
  children?: readonly { personalCode: string; birthDate: string }[];
  /** The person's own figures for correctable lines (`training`, `interest:<bank>`, `pension:<fund>`). */
  corrections?: Readonly<Record<string, number>>;
}

export type LineSource =
  | { kind: "payroll"; payer: string; declarations: string[] }
  | { kind: "housing-loan-interest" | "voluntary-pension"; payer: string; declarations: string[] }
  | { kind: "population-register"; children: string[] }
  | { kind: "person"; declared: number | null }
  | { kind: "rules"; year: number };

/**
 * What a line does to the tax: income adds to it, a deduction takes from the income, withheld
 * is tax already paid; a claim is an amount declared or claimed, whose allowed part is a deduction.
 */
export type LineKind = "income" | "deduction" | "withheld" | "claim";

export interface ReturnLine {
  key: string;
  kind: LineKind;
  amountCents: number;
  source: LineSource;
  why: string;
}

export interface TaxReturn {
  year: number;
  personalCode: string;
  lines: ReturnLine[];
  incomeCents: number;
  deductionsCents: number;
  taxableCents: number;
  taxCents: number;
  withheldCents: number;
  /** Withheld less tax: positive is refunded, negative is due. */
  balanceCents: number;
  rules: { year: number; source: string };
}

/** Lines the person may correct: their own training expenses, and what a bank or fund declared. */
export const CORRECTABLE = /^(training|interest:\d{8}|pension:\d{8})$/;

const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;
const percent = (share: number) => `${Math.round(share * 100)} %`;

function amount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TaxBoardError("DECLARATION_INVALID", `${what} must be a whole number of cents, 0 or more, got ${value}`);
  return value;
}

/** Sums by payer, in the order payers first appear. */
function byPayer<T extends { payer: string; declarationId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.payer);
    if (group) group.push(item);
    else groups.set(item.payer, [item]);
  }
  return groups;
}

const declarationsOf = (items: readonly { declarationId: string }[]) => [...new Set(items.map((i) => i.declarationId))];

/** The claimed amounts of a kind: one claim line per payer, the person's correction replacing the declared amount. */
function claims(
  lines: ReturnLine[],
  declared: readonly DeclaredAmount[],
  prefix: "interest" | "pension",
  kind: "housing-loan-interest" | "voluntary-pension",
  corrections: Readonly<Record<string, number>>,
): number {
  let total = 0;
  for (const [payer, items] of byPayer(declared)) {
    const sum = items.reduce((s, i) => s + amount(i.amountCents, `${kind} from ${payer}`), 0);
    const key = `${prefix}:${payer}`;
    const corrected = corrections[key];
    const cents = corrected ?? sum;
    total += cents;
    lines.push(
      corrected === undefined
        ? {
            key,
            kind: "claim",
            amountCents: sum,
            source: { kind, payer, declarations: declarationsOf(items) },
            why: `declared by ${payer}: ${euros(sum)}`,
          }
        : {
            key,
            kind: "claim",
            amountCents: corrected,
            source: { kind: "person", declared: sum },
            why: `corrected by you to ${euros(corrected)} (${payer} declared ${euros(sum)})`,
          },
    );
  }
  // A claim with nothing declared (a bank that never reported): the person's own figure.
  for (const [key, cents] of Object.entries(corrections))
    if (key.startsWith(`${prefix}:`) && !lines.some((l) => l.key === key)) {
      total += cents;
      lines.push({
        key,
        kind: "claim",
        amountCents: cents,
        source: { kind: "person", declared: null },
        why: `added by you: ${euros(cents)}`,
      });
    }
  return total;
}

/** The return for one person and year, every line with its source and reason. */
export function computeReturn(input: ReturnInput, years: readonly TaxYearRules[] = TAX_YEARS): TaxReturn {
  const rules = rulesFor(input.year, years);
  const corrections = input.corrections ?? {};
  for (const [key, cents] of Object.entries(corrections)) {
    if (!CORRECTABLE.test(key))
      throw new TaxBoardError("LINE_NOT_CORRECTABLE", `line ${JSON.stringify(key)} cannot be corrected`);
    amount(cents, `the correction of ${key}`);
  }
  const lines: ReturnLine[] = [];
  const cite = { kind: "rules", year: rules.year } as const;

  // Income, tax withheld and the contributions withheld, per employer.
  let income = 0;
  let contributions = 0;
  for (const [payer, months] of byPayer(input.payroll)) {
    let gross = 0;
    let withheld = 0;
    let paid = 0;
    for (const m of months) {
      gross += amount(m.grossCents, `gross income from ${payer}`);
      withheld += amount(m.incomeTaxWithheldCents, `income tax withheld by ${payer}`);
      paid +=
        amount(m.unemploymentInsuranceCents, `unemployment insurance withheld by ${payer}`) +
        amount(m.fundedPensionCents, `funded pension withheld by ${payer}`);
    }
    const source = { kind: "payroll", payer, declarations: declarationsOf(months) } as const;
    const count = new Set(months.map((m) => m.month)).size;
    lines.push(
      {
        key: `income:${payer}`,
        kind: "income",
        amountCents: gross,
        source,
        why: `wages from ${payer}, ${count} month${count === 1 ? "" : "s"} declared: ${euros(gross)}`,
      },
      {
        key: `withheld:${payer}`,
        kind: "withheld",
        amountCents: withheld,
        source,
        why: `income tax ${payer} withheld: ${euros(withheld)}`,
      },
      {
        key: `contributions:${payer}`,
        kind: "deduction",
        amountCents: paid,
        source,
        why: `unemployment insurance and funded pension ${payer} withheld, deducted from income: ${euros(paid)}`,
      },
    );
    income += gross;
    contributions += paid;
  }

  // § 23: the basic exemption from the year's income.
  const exemption = basicExemption(income, rules);
  lines.push({
    key: "basic-exemption",
    kind: "deduction",
    amountCents: exemption,
    source: cite,
    why:
      income <= rules.phaseOutFromCents
        ? `income ${euros(income)} is at most ${euros(rules.phaseOutFromCents)}: the full ${euros(exemption)} (§ 23)`
        : income >= rules.phaseOutToCents
          ? `income ${euros(income)} is at least ${euros(rules.phaseOutToCents)}: no basic exemption (§ 23)`
          : `income ${euros(income)}: ${euros(rules.basicExemptionCents)} less ${euros(rules.basicExemptionCents)} / ${euros(rules.phaseOutToCents - rules.phaseOutFromCents)} × (${euros(income)} − ${euros(rules.phaseOutFromCents)}) = ${euros(exemption)} (§ 23)`,
  });

  // § 23² (to 2023): the additional exemption from the second child up to 17.
  if (rules.childExemptionCents !== null && input.children && input.children.length > 0) {
    const young = input.children.filter((c) => Number(c.birthDate.slice(0, 4)) >= rules.year - 17);
    const cents = Math.max(0, young.length - 1) * rules.childExemptionCents;
    lines.push({
      key: "child-exemption",
      kind: "deduction",
      amountCents: cents,
      source: { kind: "population-register", children: young.map((c) => c.personalCode) },
      why: `${young.length} child${young.length === 1 ? "" : "ren"} up to 17 in the population register: ${euros(rules.childExemptionCents)} for each from the second = ${euros(cents)} (§ 23²)`,
    });
  }

  // § 25 (to 2023) housing-loan interest and § 26 training, limited together by § 28².
  const interest = claims(lines, input.housingLoanInterest, "interest", "housing-loan-interest", corrections);
  const interestAllowed =
    rules.housingInterestCapCents === null ? 0 : Math.min(interest, rules.housingInterestCapCents);
  if (interest > 0)
    lines.push({
      key: "housing-loan-interest",
      kind: "claim",
      amountCents: interestAllowed,
      source: cite,
      why:
        rules.housingInterestCapCents === null
          ? `housing-loan interest is not deductible for ${rules.year} (§ 25 repealed from 2024)`
          : `housing-loan interest ${euros(interest)}, at most ${euros(rules.housingInterestCapCents)} (§ 25): ${euros(interestAllowed)}, within the limit below`,
    });
  const training = corrections.training;
  if (training !== undefined)
    lines.push({
      key: "training",
      kind: "claim",
      amountCents: training,
      source: { kind: "person", declared: null },
      why: `training expenses you added: ${euros(training)} (§ 26)`,
    });
  const limited = interestAllowed + (training ?? 0);
  if (limited > 0) {
    const shareCap = Math.floor((income - contributions) * rules.deductionIncomeShare);
    const cents = Math.max(0, Math.min(limited, rules.deductionCapCents, shareCap));
    lines.push({
      key: "limited-deductions",
      kind: "deduction",
      amountCents: cents,
      source: cite,
      why: `interest and training ${euros(limited)}, at most ${euros(rules.deductionCapCents)} and ${percent(rules.deductionIncomeShare)} of income less contributions (${euros(Math.max(0, shareCap))}) (§ 28²): ${euros(cents)}`,
    });
  }

  // § 28: III pillar contributions.
  const pension = claims(lines, input.voluntaryPension, "pension", "voluntary-pension", corrections);
  if (pension > 0) {
    const shareCap = Math.floor(income * rules.pensionShare);
    const cents = Math.min(pension, shareCap, rules.pensionCapCents);
    lines.push({
      key: "voluntary-pension",
      kind: "deduction",
      amountCents: cents,
      source: cite,
      why: `III pillar contributions ${euros(pension)}, at most ${percent(rules.pensionShare)} of income (${euros(shareCap)}) and ${euros(rules.pensionCapCents)} (§ 28): ${euros(cents)}`,
    });
  }

  return totals(input, lines, rules);
}

/** The totals, from the lines alone: what the property test checks. */
export function totals(
  who: { year: number; personalCode: string },
  lines: ReturnLine[],
  rules: TaxYearRules,
): TaxReturn {
  let incomeCents = 0;
  let deductionsCents = 0;
  let withheldCents = 0;
  for (const line of lines)
    if (line.kind === "income") incomeCents += line.amountCents;
    else if (line.kind === "deduction") deductionsCents += line.amountCents;
    else if (line.kind === "withheld") withheldCents += line.amountCents;
  const taxableCents = Math.max(0, incomeCents - deductionsCents);
  const taxCents = Math.round(taxableCents * rules.rate);
  return {
    year: who.year,
    personalCode: who.personalCode,
    lines,
    incomeCents,
    deductionsCents,
    taxableCents,
    taxCents,
    withheldCents,
    balanceCents: withheldCents - taxCents,
    rules: { year: rules.year, source: rules.source },
  };
}

export interface ReturnsSummary {
  returns: number;
  taxCents: number;
  withheldCents: number;
  refundCents: number;
  dueCents: number;
}

/**
 * Every return of a population at once (the Board's run on 15 February, and the bench): each
 * computed in full, lines and reasons, handed to `each` if given and then dropped, so memory
 * stays flat whatever the population.
 */
export function computeReturns(
  inputs: Iterable<ReturnInput>,
  each?: (taxReturn: TaxReturn) => void,
  years: readonly TaxYearRules[] = TAX_YEARS,
): ReturnsSummary {
  const summary: ReturnsSummary = { returns: 0, taxCents: 0, withheldCents: 0, refundCents: 0, dueCents: 0 };
  for (const input of inputs) {
    const result = computeReturn(input, years);
    summary.returns++;
    summary.taxCents += result.taxCents;
    summary.withheldCents += result.withheldCents;
    if (result.balanceCents > 0) summary.refundCents += result.balanceCents;
    else summary.dueCents -= result.balanceCents;
    each?.(result);
  }
  return summary;
}
