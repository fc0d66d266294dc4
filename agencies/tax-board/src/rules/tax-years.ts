// The Income Tax Act's (tulumaksuseadus, TuMS) figures for a resident person's annual return,
// one entry per tax year. A year's figures are a new entry, never an edit of a past one, so an
// old return recomputes as it was; each names its source so any amount can be explained.
// Amounts in cents, rates as fractions.
import { TaxBoardError } from "../errors.ts";

export interface TaxYearRules {
  year: number;
  /** Where the figures come from, for the person who asks "why this amount". */
  source: string;
  /** § 4(1): the income tax rate. */
  rate: number;
  /** § 23: the general basic exemption per year… */
  basicExemptionCents: number;
  /** …in full up to this annual income, reduced linearly to nothing at `phaseOutToCents`. */
  phaseOutFromCents: number;
  phaseOutToCents: number;
  /**
   * § 23² (repealed from 2024): the additional exemption per child up to 17, from the second
   * such child; null when not in force.
   */
  childExemptionCents: number | null;
  /** § 25 (repealed from 2024): housing-loan interest deductible up to this; null when not in force. */
  housingInterestCapCents: number | null;
  /** § 28²(1): § 25, § 26 (training) and § 27 (gifts) deductions together at most this… */
  deductionCapCents: number;
  /** …and at most this share of the income taxable in Estonia. */
  deductionIncomeShare: number;
  /** § 28: voluntary (III pillar) pension contributions up to this share of income… */
  pensionShare: number;
  /** …and this amount. */
  pensionCapCents: number;
}

const EXEMPTION = { basicExemptionCents: 7848_00, phaseOutFromCents: 14_400_00, phaseOutToCents: 25_200_00 };
const LIMITS = { deductionCapCents: 1200_00, deductionIncomeShare: 0.5, pensionShare: 0.15, pensionCapCents: 6000_00 };

/** Oldest first. */
export const TAX_YEARS: readonly TaxYearRules[] = Object.freeze([
  {
    year: 2023,
    source:
      "Income Tax Act as in force for 2023: § 4(1) 20 %; § 23 €7,848 phased out €14,400-€25,200; § 23² €1,848 from the second child; § 25 interest up to €300; § 28² €1,200 and 50 %; § 28 15 % and €6,000",
    rate: 0.2,
    ...EXEMPTION,
    childExemptionCents: 1848_00,
    housingInterestCapCents: 300_00,
    ...LIMITS,
  },
  {
    year: 2024,
    source:
      "Income Tax Act as in force for 2024 (amended June 2023: § 23² and § 25 repealed from 2024): § 4(1) 20 %; § 23 €7,848 phased out €14,400-€25,200; § 28² €1,200 and 50 %; § 28 15 % and €6,000",
    rate: 0.2,
    ...EXEMPTION,
    childExemptionCents: null,
    housingInterestCapCents: null,
    ...LIMITS,
  },
  {
    year: 2025,
    source:
      "Income Tax Act as in force for 2025 (amended June 2023: the rate 22 % from 2025): § 4(1) 22 %; § 23 €7,848 phased out €14,400-€25,200; § 28² €1,200 and 50 %; § 28 15 % and €6,000",
    rate: 0.22,
    ...EXEMPTION,
    childExemptionCents: null,
    housingInterestCapCents: null,
    ...LIMITS,
  },
]);

/** The rules of a tax year; RULES_NOT_IN_FORCE for a year riik has no figures for. */
export function rulesFor(year: number, years: readonly TaxYearRules[] = TAX_YEARS): TaxYearRules {
  const found = years.find((rules) => rules.year === year);
  if (!found)
    throw new TaxBoardError(
      "RULES_NOT_IN_FORCE",
      `no income tax rules are known for ${year}; riik knows ${years.map((r) => r.year).join(", ")}`,
    );
  return found;
}

/**
 * § 23: the basic exemption for an annual income: in full up to the phase-out's start, nothing
 * from its end, and between them `E − E / (to − from) × (income − from)` (for 2024: 7848 −
 * 7848 / 10 800 × (income − 14 400)), rounded to the cent.
 */
export function basicExemption(incomeCents: number, rules: TaxYearRules): number {
  const { basicExemptionCents: full, phaseOutFromCents: from, phaseOutToCents: to } = rules;
  if (incomeCents <= from) return full;
  if (incomeCents >= to) return 0;
  return Math.round((full * (to - incomeCents)) / (to - from));
}
