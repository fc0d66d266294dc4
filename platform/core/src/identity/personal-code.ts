import { RiikError } from "../errors.ts";

/**
 * Estonian personal identification code (isikukood), EVS 585:2016.
 *
 *   G YY MM DD SSS C
 *   G   century and sex: 1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s, 7/8 = 2100s; odd = male
 *   SSS serial number of births on that day
 *   C   check digit: weights 1..9,1 then, if the remainder is 10, 3..9,1,2,3; 10 again -> 0
 */
export type PersonalCodeErrorCode =
  | "PERSONAL_CODE_FORMAT"
  | "PERSONAL_CODE_CENTURY"
  | "PERSONAL_CODE_DATE"
  | "PERSONAL_CODE_CHECKSUM"
  | "PERSONAL_CODE_ARGUMENT";

export class PersonalCodeError extends RiikError<PersonalCodeErrorCode> {}

export type Sex = "male" | "female";

export interface PersonalCode {
  /** The 11 digits. */
  readonly code: string;
  readonly birthDate: string; // YYYY-MM-DD
  readonly sex: Sex;
  readonly serial: number;
}

const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1] as const;
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 1, 2, 3] as const;

function weightedRemainder(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(digits[i]) * (weights[i] ?? 0);
  return sum % 11;
}

/** The check digit for the first ten digits (EVS 585 section 6). */
export function personalCodeCheckDigit(firstTen: string): number {
  if (!/^\d{10}$/.test(firstTen)) {
    throw new PersonalCodeError("PERSONAL_CODE_ARGUMENT", "firstTen must be exactly 10 digits");
  }
  const first = weightedRemainder(firstTen, FIRST_WEIGHTS);
  if (first < 10) return first;
  const second = weightedRemainder(firstTen, SECOND_WEIGHTS);
  return second < 10 ? second : 0;
}

function centuryOf(digit: number): number | undefined {
  return digit >= 1 && digit <= 8 ? 1800 + Math.floor((digit - 1) / 2) * 100 : undefined;
}

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Accepts `38001085718`, `EE38001085718` (X-Road) and `PNOEE-38001085718` (certificates). */
export function parsePersonalCode(input: string): PersonalCode {
  const digits = stripPersonalCodePrefix(input);
  if (!/^\d{11}$/.test(digits)) {
    throw new PersonalCodeError(
      "PERSONAL_CODE_FORMAT",
      `a personal code has 11 digits (optionally prefixed EE or PNOEE-), got ${JSON.stringify(input.slice(0, 40))}`,
    );
  }
  const centuryDigit = Number(digits[0]);
  const century = centuryOf(centuryDigit);
  if (century === undefined) {
    throw new PersonalCodeError(
      "PERSONAL_CODE_CENTURY",
      `the first digit (century and sex) must be 1-8, got ${centuryDigit}`,
    );
  }
  const year = century + Number(digits.slice(1, 3));
  const month = Number(digits.slice(3, 5));
  const day = Number(digits.slice(5, 7));
  if (!isRealDate(year, month, day)) {
    throw new PersonalCodeError(
      "PERSONAL_CODE_DATE",
      `digits 2-7 must be a real birth date, ${digits.slice(1, 7)} is not a date in ${century}s`,
    );
  }
  const expected = personalCodeCheckDigit(digits.slice(0, 10));
  if (expected !== Number(digits[10])) {
    throw new PersonalCodeError(
      "PERSONAL_CODE_CHECKSUM",
      `check digit is ${digits[10]} but should be ${expected}: the code is mistyped`,
    );
  }
  return Object.freeze({
    code: digits,
    birthDate: `${year}-${digits.slice(3, 5)}-${digits.slice(5, 7)}`,
    sex: centuryDigit % 2 === 1 ? "male" : "female",
    serial: Number(digits.slice(7, 10)),
  });
}

export function isValidPersonalCode(input: string): boolean {
  try {
    parsePersonalCode(input);
    return true;
  } catch {
    return false;
  }
}

function stripPersonalCodePrefix(input: string): string {
  if (input.startsWith("PNOEE-")) return input.slice(6);
  if (input.startsWith("EE")) return input.slice(2);
  return input;
}

/** Builds a valid code for a birth date (YYYY-MM-DD), sex and serial 0-999. */
export function generatePersonalCode(birthDate: string, sex: Sex, serial: number): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!match) {
    throw new PersonalCodeError("PERSONAL_CODE_ARGUMENT", "birthDate must be YYYY-MM-DD");
  }
  const [, yyyy, mm, dd] = match as unknown as [string, string, string, string];
  const year = Number(yyyy);
  if (year < 1800 || year > 2199 || !isRealDate(year, Number(mm), Number(dd))) {
    throw new PersonalCodeError(
      "PERSONAL_CODE_ARGUMENT",
      `birthDate must be a real date in 1800-2199, got ${birthDate}`,
    );
  }
  if (!Number.isInteger(serial) || serial < 0 || serial > 999) {
    throw new PersonalCodeError("PERSONAL_CODE_ARGUMENT", "serial must be an integer 0-999");
  }
  const centuryDigit = Math.floor((year - 1800) / 100) * 2 + (sex === "male" ? 1 : 2);
  const firstTen = `${centuryDigit}${yyyy.slice(2)}${mm}${dd}${String(serial).padStart(3, "0")}`;
  return `${firstTen}${personalCodeCheckDigit(firstTen)}`;
}

/** `EE38001085718`: the form X-Road uses in `X-Road-UserId` and Data Tracker records. */
export const xroadUserId = (code: string): string => `EE${parsePersonalCode(code).code}`;
/** `PNOEE-38001085718`: the certificate subject serialNumber (ETSI EN 319 412-1 5.1.3). */
export const certificateSerialNumber = (code: string): string => `PNOEE-${parsePersonalCode(code).code}`;
