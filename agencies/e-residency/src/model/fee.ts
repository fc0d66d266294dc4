// The state fee for an e-resident's digital ID as the State Fees Act (riigilõivuseadus, RT I)
// set it over time: the identity documents' fees of § 27². A rule is in force from its date
// until the next one's; an application is quoted the rule in force on the day it is submitted
// and keeps that amount, so every receipt can be explained and none is recomputed later.
// Sources (checked 2026-11): the 2014 act that created the digital ID and its fee (RT I,
// 29.10.2014, 1, in force 2014-12-01: €50); the rise to €100 from 2016-02-01 (reported by
// Postimees/BNS); €100 with pick-up in Estonia and €120 at a foreign mission as in force in
// 2024 (the date the €120 mission rate began is not verified here); €150 from 2025-01-01 by
// the act amending the State Fees Act published 28.06.2024 (Riigi Teataja news; e-resident.gov.ee).
import { EResidencyError } from "../errors.ts";

export interface FeeRule {
  /** The first day it is in force (YYYY-MM-DD). */
  readonly effectiveFrom: string;
  /** Where the amount comes from, for the person who asks "why this amount". */
  readonly source: string;
  /** With pick-up at a service office in Estonia. */
  readonly inEstoniaCents: number;
  /** With pick-up at a foreign mission or an outside provider abroad. */
  readonly abroadCents: number;
}

/** Oldest first. A new rate is a new entry here, never an edit of a past one. */
export const FEE_RULES: readonly FeeRule[] = Object.freeze([
  {
    effectiveFrom: "2014-12-01",
    source: "State Fees Act § 27² as amended by RT I, 29.10.2014, 1 (in force 2014-12-01): €50",
    inEstoniaCents: 50_00,
    abroadCents: 50_00,
  },
  {
    effectiveFrom: "2016-02-01",
    source: "State Fees Act § 27² as in force 2016-02-01: €100, €120 with pick-up at a foreign mission",
    inEstoniaCents: 100_00,
    abroadCents: 120_00,
  },
  {
    effectiveFrom: "2025-01-01",
    source: "State Fees Act § 27² as amended in force 2025-01-01 (RT I, 28.06.2024): €150 wherever picked up",
    inEstoniaCents: 150_00,
    abroadCents: 150_00,
  },
]);

export interface Fee {
  amountCents: number;
  currency: "EUR";
  /** The rule's effectiveFrom. */
  rule: string;
}

/** The fee for an application submitted on DAY (YYYY-MM-DD) with pick-up in COUNTRY (ISO 3166-1 alpha-2). */
export function feeFor(day: string, country: string, rules: readonly FeeRule[] = FEE_RULES): Fee {
  const rule = rules.findLast((candidate) => candidate.effectiveFrom <= day);
  if (!rule)
    throw new EResidencyError(
      "APPLICATION_INVALID",
      `no state fee for an e-resident's digital ID was in force on ${day}`,
    );
  return {
    amountCents: country === "EE" ? rule.inEstoniaCents : rule.abroadCents,
    currency: "EUR",
    rule: rule.effectiveFrom,
  };
}
