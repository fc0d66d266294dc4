// The worked example, part 2 of 3: the register's rules and its error catalogue.
import { type ErrorCatalogue, PersonalCodeError, parsePersonalCode, RiikError } from "@riik/kit";
import type { Transaction } from "kysely";
import type { Card, LibraryCardDb } from "./schema.ts";

export type LibraryCardErrorCode = "PERSONAL_CODE_INVALID" | "CARD_NOT_FOUND" | "CARD_EXISTS" | "CHANGE_INVALID";
export class LibraryCardError extends RiikError<LibraryCardErrorCode> {}

export const LIBRARY_CARD_ERRORS: ErrorCatalogue<LibraryCardErrorCode> = {
  PERSONAL_CODE_INVALID: { status: 400 },
  CARD_NOT_FOUND: { status: 404 },
  CARD_EXISTS: { status: 409 },
  CHANGE_INVALID: { status: 400 },
};

/** A holder is a person with a valid personal code (EVS 585: date and check digit). */
export function holderCode(text: string): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new LibraryCardError("PERSONAL_CODE_INVALID", error.message, { details: { reason: error.code } });
    throw error;
  }
}

/** One card per holder and library; card numbers are the library's code and a running number. */
export async function newCard(
  trx: Transaction<LibraryCardDb>,
  holder: string,
  library: string,
  today: string,
): Promise<Card> {
  const existing = await trx
    .selectFrom("card")
    .select("card_number")
    .where("holder_code", "=", holder)
    .where("library", "=", library)
    .executeTakeFirst();
  if (existing)
    throw new LibraryCardError("CARD_EXISTS", `${holder} already holds card ${existing.card_number} of ${library}`);
  const count = await trx
    .selectFrom("card")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("library", "=", library)
    .executeTakeFirstOrThrow();
  const cardNumber = `${library}-${String(Number(count.n) + 1).padStart(6, "0")}`;
  return { cardNumber, holderCode: holder, library, issued: today };
}
