import { type ErrorCatalogue, RiikError } from "@riik/core";

export type TaxBoardErrorCode =
  /** An amount, month or line that cannot be what it says (beyond what the schema checks). */
  | "DECLARATION_INVALID"
  /** The same declaration id from the same payer with different content. */
  | "DECLARATION_CONFLICT"
  | "DECLARATION_NOT_FOUND"
  | "REGISTRY_CODE_INVALID"
  | "PERSONAL_CODE_INVALID"
  /** The X-Road client that sent a declaration is not the payer it declares for. */
  | "NOT_THE_PAYER"
  /** A person's return is shown to and confirmed by that person only. */
  | "NOT_THE_PERSON"
  /** No rules are known for the year (riik knows 2023-2025). */
  | "RULES_NOT_IN_FORCE"
  /** The Board opens the returns of a year on 15 February of the next. */
  | "RETURN_NOT_OPEN"
  /** The population register has no such person: the pre-filled return is for residents. */
  | "NOT_RESIDENT"
  | "LINE_NOT_CORRECTABLE"
  | "IBAN_INVALID"
  | "RETURN_ALREADY_CONFIRMED"
  /** The population register could not be read; nothing was written, try again. */
  | "REGISTER_UNAVAILABLE";

export class TaxBoardError extends RiikError<TaxBoardErrorCode> {}

/** HTTP statuses of the Board's codes (the service base adds REQUEST_INVALID and the rest). */
export const TAX_BOARD_ERRORS: ErrorCatalogue<TaxBoardErrorCode> = {
  DECLARATION_INVALID: { status: 400 },
  DECLARATION_CONFLICT: { status: 409 },
  DECLARATION_NOT_FOUND: { status: 404 },
  REGISTRY_CODE_INVALID: { status: 400 },
  PERSONAL_CODE_INVALID: { status: 400 },
  NOT_THE_PAYER: { status: 403 },
  NOT_THE_PERSON: { status: 403 },
  RULES_NOT_IN_FORCE: { status: 422 },
  RETURN_NOT_OPEN: { status: 409 },
  NOT_RESIDENT: { status: 422 },
  LINE_NOT_CORRECTABLE: { status: 400 },
  IBAN_INVALID: { status: 400 },
  RETURN_ALREADY_CONFIRMED: { status: 409 },
  REGISTER_UNAVAILABLE: { status: 503 },
};
