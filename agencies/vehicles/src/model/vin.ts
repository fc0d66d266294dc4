// The vehicle identification number (ISO 3779:2009): 17 characters of A-Z and 0-9 without I, O
// and Q, in three sections — the world manufacturer identifier (ISO 3780), the vehicle
// descriptor and the vehicle indicator. ISO 3779 leaves position 9 to the manufacturer; North
// America (WMI region 1-5, 49 CFR 565.15) and China (L, GB 16735) make it a check digit, and
// there it is checked. Elsewhere a wrong "check digit" is no error: it is not one.
import { VehicleError } from "../errors.ts";

const ALPHABET = /^[A-HJ-NPR-Z0-9]{17}$/;
/** 49 CFR 565.15 table I: the letters' values (I, O and Q are not in the alphabet). */
const VALUE: Readonly<Record<string, number>> = Object.fromEntries([
  ..."0123456789".split("").map((d) => [d, Number(d)]),
  ..."ABCDEFGH".split("").map((c, i) => [c, i + 1]),
  ..."JKLMN".split("").map((c, i) => [c, i + 1]),
  ["P", 7],
  ["R", 9],
  ..."STUVWXYZ".split("").map((c, i) => [c, i + 2]),
]);
/** 49 CFR 565.15 table III: the weight of each position; position 9 is the check digit's own. */
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const;

export interface Vin {
  readonly vin: string;
  /** World manufacturer identifier, positions 1-3. */
  readonly wmi: string;
  /** Vehicle descriptor section, positions 4-9. */
  readonly vds: string;
  /** Vehicle indicator section, positions 10-17. */
  readonly vis: string;
  /** Whether position 9 is a check digit in the region the WMI names (and it was checked). */
  readonly checkDigitApplies: boolean;
}

/** The check digit for a VIN (49 CFR 565.15(c)): weighted sum mod 11, 10 written X. */
export function vinCheckDigit(vin: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (VALUE[vin[i]!] ?? 0) * WEIGHTS[i]!;
  const remainder = sum % 11;
  return remainder === 10 ? "X" : String(remainder);
}

/** Regions where position 9 is a check digit: North America (1-5) and China (L). */
export const checkDigitApplies = (vin: string): boolean => /^[1-5L]/.test(vin);

/** A VIN in canonical form (upper case, no spaces or hyphens), or VIN_INVALID saying why. */
export function parseVin(text: string): Vin {
  const vin = text.replace(/[\s-]/g, "").toUpperCase();
  if (vin.length !== 17)
    throw new VehicleError("VIN_INVALID", `a VIN has 17 characters; ${JSON.stringify(text)} has ${vin.length}`);
  if (!ALPHABET.test(vin))
    throw new VehicleError("VIN_INVALID", `a VIN uses A-Z and 0-9 but not I, O or Q: ${JSON.stringify(text)}`);
  const applies = checkDigitApplies(vin);
  if (applies && vin[8] !== vinCheckDigit(vin))
    throw new VehicleError(
      "VIN_INVALID",
      `the check digit of ${vin} (position 9) is ${vin[8]}, it should be ${vinCheckDigit(vin)}`,
    );
  return { vin, wmi: vin.slice(0, 3), vds: vin.slice(3, 9), vis: vin.slice(9), checkDigitApplies: applies };
}
