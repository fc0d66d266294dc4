import { generatePersonalCode, PersonalCodeError, parsePersonalCode, type Sex } from "@riik/core";
import { PopulationRegisterError } from "../errors.ts";

/**
 * EVS 585 (personal code G YYMMDD SSS C): SSS tells apart those born on one day. The register
 * numbers a day's births 001-999 across both sexes, each code after every code already used
 * for that day, so a code once handed out (or a seeded one) is never handed out again.
 */
export const FIRST_SERIAL = 1;
export const LAST_SERIAL = 999;

/** The first seven digits (century-and-sex digit, YYMMDD) of a birth date's codes: male, female. */
export function codePrefixes(birthDate: string): [male: string, female: string] {
  const prefix = (sex: Sex) => generatePersonalCode(birthDate, sex, 0).slice(0, 7);
  return [prefix("male"), prefix("female")];
}

/** The serial (SSS) of a code. */
export const serialOf = (code: string): number => Number(code.slice(7, 10));

/** The serial after the highest used on the day, or undefined when 999 is used. */
export function nextSerial(highestUsed: number | undefined): number | undefined {
  const next = Math.max(highestUsed ?? 0, FIRST_SERIAL - 1) + 1;
  return next <= LAST_SERIAL ? next : undefined;
}

/**
 * A personal code given in a request, already of the schema's shape, whose date and check
 * digit are right (EVS 585), or PERSONAL_CODE_INVALID naming what is wrong.
 */
export function checkedPersonalCode(text: string, field = "personalCode"): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new PopulationRegisterError("PERSONAL_CODE_INVALID", `${field}: ${error.message}`, {
        cause: error,
        details: { reason: error.code, field },
      });
    throw error;
  }
}
