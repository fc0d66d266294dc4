// A register part's number (registriosa number): the land register numbers each kinnistu
// with a whole number the registry department gives (Land Register Act § 4); written without
// leading zeros, so one part has exactly one spelling.
import { LandRegisterError } from "../errors.ts";

const NUMBER = /^[1-9][0-9]{0,9}$/;

export function parseRegisterPartNumber(text: string): string {
  if (!NUMBER.test(text))
    throw new LandRegisterError(
      "REGISTER_PART_NUMBER_INVALID",
      `a register part number is 1 to 10 digits without a leading zero, got ${JSON.stringify(text.slice(0, 20))}`,
    );
  return text;
}
