import { type ErrorCatalogue, RiikError } from "@riik/core";

export type PopulationRegisterErrorCode =
  | "PERSON_NOT_FOUND"
  | "PERSONAL_CODE_INVALID"
  | "PERSON_DECEASED"
  | "ADDRESS_INVALID"
  | "ADDRESS_NOT_FOUND"
  | "REGISTER_NOT_EMPTY"
  | "SEED_ARGUMENT"
  | "CHANGE_INVALID"
  /** Every sequence number 001-999 of a birth date is taken (EVS 585: three digits). */
  | "PERSONAL_CODES_EXHAUSTED"
  /** A date that cannot be: not a calendar date, in the future, before the person's birth or after their death. */
  | "DATE_INVALID"
  /** An event the law does not allow: marrying oneself or under 18, a parent younger than the child. */
  | "EVENT_INVALID"
  /** The registrar's eventId was recorded before; details.result is the first registration's result. */
  | "EVENT_DUPLICATE"
  /** The eventId was recorded before for a different event. */
  | "EVENT_ID_REUSED"
  | "PERSON_MARRIED"
  | "NOT_MARRIED";

export class PopulationRegisterError extends RiikError<PopulationRegisterErrorCode> {}

/**
 * HTTP statuses of the register's codes (the service base adds REQUEST_INVALID, BODY_*,
 * CONTENT_TYPE_UNSUPPORTED and ROUTE_NOT_FOUND). Typed: a new code without a status does not compile.
 */
export const POPULATION_REGISTER_ERRORS: ErrorCatalogue<PopulationRegisterErrorCode> = {
  PERSON_NOT_FOUND: { status: 404 },
  PERSONAL_CODE_INVALID: { status: 400 },
  PERSON_DECEASED: { status: 409 },
  ADDRESS_INVALID: { status: 400 },
  ADDRESS_NOT_FOUND: { status: 404 },
  REGISTER_NOT_EMPTY: { status: 409 },
  SEED_ARGUMENT: { status: 400 },
  CHANGE_INVALID: { status: 400 },
  PERSONAL_CODES_EXHAUSTED: { status: 409 },
  DATE_INVALID: { status: 400 },
  EVENT_INVALID: { status: 400 },
  EVENT_DUPLICATE: { status: 409 },
  EVENT_ID_REUSED: { status: 409 },
  PERSON_MARRIED: { status: 409 },
  NOT_MARRIED: { status: 409 },
};
