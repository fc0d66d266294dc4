import { parsePersonalCode } from "@riik/core";

/** Perekonnaseadus § 8 and Tsiviilseadustiku üldosa seadus § 8: a person comes of age at 18. */
export const AGE_OF_MAJORITY = 18;

/** The calendar date (YYYY-MM-DD) in Estonia at AT: a birthday begins at local midnight. */
export function estonianDate(at: Date): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Tallinn",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

/**
 * The day a person born on BIRTHDATE (YYYY-MM-DD) comes of age. Someone born on 29 February
 * comes of age on 1 March when the 18th year is not a leap year (the day after 28 February,
 * as the anniversary falls in no shorter month).
 */
export function dayOfMajority(birthdate: string): string {
  const [year, month, day] = birthdate.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year + AGE_OF_MAJORITY, month - 1, day));
  // Date.UTC rolls 29 February of a common year over to 1 March, which is the rule above.
  return date.toISOString().slice(0, 10);
}

/** Whether a person born on BIRTHDATE is a minor at AT: born by then and not yet of age. */
export function isMinorOn(birthdate: string, at: Date): boolean {
  const today = estonianDate(at);
  return birthdate <= today && today < dayOfMajority(birthdate);
}

/** Whether the holder of PERSONAL_CODE (EVS 585: the birth date is in the code) is a minor at AT. */
export function isMinor(personalCode: string, at: Date): boolean {
  return isMinorOn(parsePersonalCode(personalCode).birthDate, at);
}
