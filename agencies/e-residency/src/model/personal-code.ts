// An e-resident's personal identification code (EVS 585): birth date and sex as the travel
// document gives them, and the lowest serial of that day and sex not yet in the register.
import { generatePersonalCode, type Sex } from "@riik/core";
import { EResidencyError } from "../errors.ts";

/** The code with the lowest serial (0-999) not among `taken`; PERSONAL_CODES_EXHAUSTED when all are. */
export function assignPersonalCode(birthDate: string, sex: Sex, taken: Iterable<number>): string {
  const used = new Set(taken);
  for (let serial = 0; serial <= 999; serial++)
    if (!used.has(serial)) return generatePersonalCode(birthDate, sex, serial);
  throw new EResidencyError("PERSONAL_CODES_EXHAUSTED", `every personal code of ${birthDate} (${sex}) is taken`);
}
