// The family benefits' amounts as the Family Benefits Act (perehüvitiste seadus, RT I) set them
// over time. A rule set is in force from its date until the next one's; an amount is always
// computed with the set in force in the month it is for, and names it, so any figure can be
// explained and an old month recomputed as it was. Amounts in cents.
import { SocialInsuranceError } from "../errors.ts";

export interface RuleSet {
  /** The first day it is in force (YYYY-MM-DD). */
  readonly effectiveFrom: string;
  /** Where the amounts come from, for the person who asks "why this amount". */
  readonly source: string;
  /** Childbirth allowance per child (one-time, § 18). */
  readonly childbirthCents: number;
  /** Per child when three or more are born at once (§ 18(2)). */
  readonly childbirthMultipleCents: number;
  /** Child allowance per month: the first and second child receiving it (§ 20). */
  readonly childAllowanceFirstSecondCents: number;
  /** …and the third and each later one, counted by the number receiving it, youngest last. */
  readonly childAllowanceThirdOnCents: number;
  /** Allowance for a family with many children per month (§ 22¹): three to six children receiving child allowance… */
  readonly largeFamilyThreeToSixCents: number;
  /** …seven or more. */
  readonly largeFamilySevenOnCents: number;
}

/** Oldest first. A new year's amounts are a new entry here, never an edit of a past one. */
export const RULE_SETS: readonly RuleSet[] = Object.freeze([
  {
    effectiveFrom: "2019-01-01",
    source: "Family Benefits Act as in force 2019-01-01 (child allowance €60 for the first and second child)",
    childbirthCents: 320_00,
    childbirthMultipleCents: 1000_00,
    childAllowanceFirstSecondCents: 60_00,
    childAllowanceThirdOnCents: 100_00,
    largeFamilyThreeToSixCents: 300_00,
    largeFamilySevenOnCents: 400_00,
  },
  {
    effectiveFrom: "2023-01-01",
    source: "Family Benefits Act as amended in force 2023-01-01 (RT I, 22.06.2022): €80, large families €650/€850",
    childbirthCents: 320_00,
    childbirthMultipleCents: 1000_00,
    childAllowanceFirstSecondCents: 80_00,
    childAllowanceThirdOnCents: 100_00,
    largeFamilyThreeToSixCents: 650_00,
    largeFamilySevenOnCents: 850_00,
  },
  {
    effectiveFrom: "2024-04-01",
    source:
      "Family Benefits Act as amended in force 2024-04-01 (RT I, 30.12.2023): €80 for every child, large families €450/€650",
    childbirthCents: 320_00,
    childbirthMultipleCents: 1000_00,
    childAllowanceFirstSecondCents: 80_00,
    childAllowanceThirdOnCents: 80_00,
    largeFamilyThreeToSixCents: 450_00,
    largeFamilySevenOnCents: 650_00,
  },
]);

/** The rule set in force on a date (YYYY-MM-DD); RULES_NOT_IN_FORCE before the first. */
export function ruleSetOn(date: string, sets: readonly RuleSet[] = RULE_SETS): RuleSet {
  let found: RuleSet | undefined;
  for (const set of sets) if (set.effectiveFrom <= date) found = set;
  if (!found)
    throw new SocialInsuranceError(
      "RULES_NOT_IN_FORCE",
      `no family benefit rules are known for ${date}; the first set is in force from ${sets[0]?.effectiveFrom}`,
    );
  return found;
}
