// What a family is entitled to, line by line, each with the reason a person can read: the
// childbirth allowance on a birth (Family Benefits Act § 18), the monthly child allowance
// (§ 20-21) and the allowance for a family with many children (§ 22¹).
import { PersonalCodeError, parsePersonalCode } from "@riik/core";
import { SocialInsuranceError } from "../errors.ts";
import { RULE_SETS, type RuleSet, ruleSetOn } from "./rule-sets.ts";

export interface Child {
  personalCode: string;
  /** In general or vocational education after 16 (the education register's answer). */
  studying?: boolean;
}

export type Benefit = "childbirth-allowance" | "child-allowance" | "large-family-allowance";

export interface BenefitLine {
  benefit: Benefit;
  /** The child it is for; absent for the family's allowance. */
  child?: string;
  amountCents: number;
  /** Why this amount, in a sentence. */
  why: string;
  /** The rule set it was computed with. */
  rules: { effectiveFrom: string; source: string };
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;
const cite = (set: RuleSet) => ({ effectiveFrom: set.effectiveFrom, source: set.source });

function birthDate(child: Child): string {
  try {
    return parsePersonalCode(child.personalCode).birthDate;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new SocialInsuranceError("BENEFIT_INPUT", `child ${child.personalCode}: ${error.message}`);
    throw error;
  }
}

/** The date a person turns `years` (a 29 February birthday falls on 1 March in other years). */
function anniversary(born: string, years: number): string {
  const [y, m, d] = born.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y + years, m - 1, d));
  return date.toISOString().slice(0, 10);
}

/**
 * Whether the child allowance is paid for a month (§ 21): from the month of birth until the
 * child turns 16; for a child in education until 19, and to the end of the school year
 * (31 August) in which they turn 19.
 */
function receivesChildAllowance(child: Child, firstDay: string, lastDay: string): { yes: boolean; why: string } {
  const born = birthDate(child);
  if (born > lastDay) return { yes: false, why: "not born yet" };
  if (firstDay < anniversary(born, 16)) return { yes: true, why: "under 16" };
  if (!child.studying) return { yes: false, why: "16 or older and not in education" };
  if (firstDay < anniversary(born, 19)) return { yes: true, why: "in education and under 19" };
  const turned19 = anniversary(born, 19);
  const schoolYearStart = `${Number(firstDay.slice(0, 4)) - (firstDay.slice(5, 7) < "09" ? 1 : 0)}-09-01`;
  if (turned19 >= schoolYearStart) return { yes: true, why: "turned 19 in this school year and in education" };
  return { yes: false, why: "19 or older before this school year" };
}

/** The month's child allowances and large-family allowance, with the rules in force on its first day. */
export function monthlyEntitlement(
  children: readonly Child[],
  month: string,
  sets: readonly RuleSet[] = RULE_SETS,
): { month: string; lines: BenefitLine[]; totalCents: number } {
  const match = MONTH.exec(month);
  if (!match) throw new SocialInsuranceError("BENEFIT_INPUT", `month ${JSON.stringify(month)} must be YYYY-MM`);
  const firstDay = `${month}-01`;
  const lastDay = new Date(Date.UTC(Number(match[1]), Number(match[2]), 0)).toISOString().slice(0, 10);
  const set = ruleSetOn(firstDay, sets);
  if (new Set(children.map((c) => c.personalCode)).size !== children.length)
    throw new SocialInsuranceError("BENEFIT_INPUT", "a child is listed twice");
  // Counted by the number of children receiving it, not birth order: the oldest two get the
  // first and second child's rate (§ 20(2); the Board's example of a family of four).
  const receiving = children
    .filter((child) => receivesChildAllowance(child, firstDay, lastDay).yes)
    .sort((a, b) => birthDate(a).localeCompare(birthDate(b)) || a.personalCode.localeCompare(b.personalCode));
  const lines: BenefitLine[] = receiving.map((child, index) => {
    const amountCents = index < 2 ? set.childAllowanceFirstSecondCents : set.childAllowanceThirdOnCents;
    const place = index === 0 ? "first" : index === 1 ? "second" : `number ${index + 1}`;
    return {
      benefit: "child-allowance",
      child: child.personalCode,
      amountCents,
      why: `child allowance for the ${place} of ${receiving.length} children receiving it, oldest first (${receivesChildAllowance(child, firstDay, lastDay).why}): ${euros(amountCents)}`,
      rules: cite(set),
    };
  });
  if (receiving.length >= 3) {
    const amountCents = receiving.length >= 7 ? set.largeFamilySevenOnCents : set.largeFamilyThreeToSixCents;
    lines.push({
      benefit: "large-family-allowance",
      amountCents,
      why: `${receiving.length} children receive child allowance (${receiving.length >= 7 ? "seven or more" : "three to six"}): ${euros(amountCents)}`,
      rules: cite(set),
    });
  }
  return { month, lines, totalCents: lines.reduce((sum, line) => sum + line.amountCents, 0) };
}

/** The one-time childbirth allowance for the children of one birth, with the rules in force on the birth date. */
export function childbirthAllowance(newborns: readonly Child[], sets: readonly RuleSet[] = RULE_SETS): BenefitLine[] {
  if (newborns.length === 0) throw new SocialInsuranceError("BENEFIT_INPUT", "a birth has at least one child");
  const dates = new Set(newborns.map(birthDate));
  if (dates.size !== 1) throw new SocialInsuranceError("BENEFIT_INPUT", "the children of one birth share a birth date");
  const set = ruleSetOn([...dates][0]!, sets);
  // Three or more born at once: the larger amount for each (§ 18(2)); twins get the ordinary one.
  const multiple = newborns.length >= 3;
  const amountCents = multiple ? set.childbirthMultipleCents : set.childbirthCents;
  return newborns.map((child) => ({
    benefit: "childbirth-allowance",
    child: child.personalCode,
    amountCents,
    why: multiple
      ? `childbirth allowance, ${newborns.length} children born at once: ${euros(amountCents)} each`
      : `childbirth allowance: ${euros(amountCents)}`,
    rules: cite(set),
  }));
}
