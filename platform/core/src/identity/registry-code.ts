// Registry codes (registrikood) of the e-Business Register: 8 digits, the first by legal form,
// the last a check digit by the personal code's two-round modulo-11 scheme (EVS 585 section 6,
// weights 1..7 then 3..9 over the first seven digits).
import { RiikError } from "../errors.ts";
import { personalCodeCheckDigit } from "./personal-code.ts";

/** A registry code that is not one: `details.reason` FORMAT, CLASS or CHECKSUM. */
export class RegistryCodeError extends RiikError<"REGISTRY_CODE_INVALID"> {}

/** The first digit by kind of legal person (Commercial Register Act practice). */
export const REGISTRY_CODE_CLASSES = {
  company: 1,
  state: 7,
  nonProfit: 8,
  foundation: 9,
} as const;
export type RegistryCodeClass = keyof typeof REGISTRY_CODE_CLASSES;

/**
 * The check digit of seven digits: core's personal-code function over the seven followed by
 * three zeros (a zero adds nothing whatever its weight, so the weights of the first seven are
 * 1..7 and 3..9, as in the register's own scheme).
 */
export function registryCodeCheckDigit(firstSeven: string): number {
  if (!/^\d{7}$/.test(firstSeven))
    throw new RegistryCodeError("REGISTRY_CODE_INVALID", "a registry code's first part is exactly 7 digits");
  return personalCodeCheckDigit(`${firstSeven}000`);
}

/** The code, or REGISTRY_CODE_INVALID naming what is wrong (format, class digit, check digit). */
export function parseRegistryCode(text: string): string {
  if (!/^\d{8}$/.test(text))
    throw new RegistryCodeError(
      "REGISTRY_CODE_INVALID",
      `a registry code has 8 digits, got ${JSON.stringify(text.slice(0, 20))}`,
      {
        details: { reason: "FORMAT" },
      },
    );
  if (!(Object.values(REGISTRY_CODE_CLASSES) as number[]).includes(Number(text[0])))
    throw new RegistryCodeError("REGISTRY_CODE_INVALID", `a registry code starts with 1, 7, 8 or 9, got ${text[0]}`, {
      details: { reason: "CLASS" },
    });
  const expected = registryCodeCheckDigit(text.slice(0, 7));
  if (expected !== Number(text[7]))
    throw new RegistryCodeError("REGISTRY_CODE_INVALID", `check digit is ${text[7]} but should be ${expected}`, {
      details: { reason: "CHECKSUM" },
    });
  return text;
}

export function isValidRegistryCode(text: string): boolean {
  try {
    parseRegistryCode(text);
    return true;
  } catch {
    return false;
  }
}

/** The code for a running number (0..999999) in a class: class digit, six digits, check digit. */
export function registryCodeFor(kind: RegistryCodeClass, serial: number): string {
  if (!Number.isInteger(serial) || serial < 0 || serial > 999_999)
    throw new RegistryCodeError("REGISTRY_CODE_INVALID", "a registry code's serial is 0..999999");
  const firstSeven = `${REGISTRY_CODE_CLASSES[kind]}${String(serial).padStart(6, "0")}`;
  return `${firstSeven}${registryCodeCheckDigit(firstSeven)}`;
}
