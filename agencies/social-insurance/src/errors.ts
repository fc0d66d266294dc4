import { type ErrorCatalogue, RiikError } from "@riik/core";

export type SocialInsuranceErrorCode =
  /** A date, month or child that cannot be what it says. */
  | "BENEFIT_INPUT"
  /** No rule set was in force on that date (before the first one riik knows). */
  | "RULES_NOT_IN_FORCE"
  | "PERSONAL_CODE_INVALID"
  | "IBAN_INVALID"
  | "OFFER_NOT_FOUND"
  /** Only a parent of the child may accept an offer, and only a parent may receive it. */
  | "NOT_A_PARENT"
  /** A person's offers and payments are shown to that person only. */
  | "NOT_THE_PERSON"
  | "OFFER_ALREADY_CONFIRMED";

export class SocialInsuranceError extends RiikError<SocialInsuranceErrorCode> {}

/** HTTP statuses of the Board's codes (the service base adds REQUEST_INVALID and the rest). */
export const SOCIAL_INSURANCE_ERRORS: ErrorCatalogue<SocialInsuranceErrorCode> = {
  BENEFIT_INPUT: { status: 400 },
  RULES_NOT_IN_FORCE: { status: 422 },
  PERSONAL_CODE_INVALID: { status: 400 },
  IBAN_INVALID: { status: 400 },
  OFFER_NOT_FOUND: { status: 404 },
  NOT_A_PARENT: { status: 403 },
  NOT_THE_PERSON: { status: 403 },
  OFFER_ALREADY_CONFIRMED: { status: 409 },
};
