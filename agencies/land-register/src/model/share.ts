// Shares of co-ownership (Law of Property Act § 70: ideal shares) as the land register writes
// them, a fraction n/d — 1/2, 6784/100000 for an apartment's share of the land. Fractions are
// kept as written (an apartment's 6784/100000 is not reduced) and compared exactly in bigints.
import { LandRegisterError } from "../errors.ts";

const SHARE = /^([1-9][0-9]{0,11})\/([1-9][0-9]{0,11})$/;

export interface Share {
  numerator: bigint;
  denominator: bigint;
}

/** "n/d" with 0 < n ≤ d, no leading zeros or spaces; SHARES_INVALID otherwise. */
export function parseShare(text: string): Share {
  const match = SHARE.exec(text);
  if (!match)
    throw new LandRegisterError(
      "SHARES_INVALID",
      `a share is a fraction n/d of positive whole numbers (1/2), got ${JSON.stringify(text.slice(0, 30))}`,
    );
  const share = { numerator: BigInt(match[1]!), denominator: BigInt(match[2]!) };
  if (share.numerator > share.denominator)
    throw new LandRegisterError("SHARES_INVALID", `a share is at most the whole, got ${text}`);
  return share;
}

export const formatShare = (share: Share): string => `${share.numerator}/${share.denominator}`;

/** The shares of all owners make the whole, exactly; SHARES_INVALID naming the sum otherwise. */
export function assertWhole(shares: readonly string[]): void {
  let numerator = 0n;
  let denominator = 1n;
  for (const text of shares) {
    const share = parseShare(text);
    numerator = numerator * share.denominator + share.numerator * denominator;
    denominator *= share.denominator;
  }
  if (shares.length === 0 || numerator !== denominator)
    throw new LandRegisterError(
      "SHARES_INVALID",
      `the owners' shares must sum to 1, they sum to ${reduced(numerator, denominator)}`,
    );
}

function reduced(numerator: bigint, denominator: bigint): string {
  let [a, b] = [numerator, denominator];
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? "0" : `${numerator / a}/${denominator / a}`;
}
