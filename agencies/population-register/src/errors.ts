import { type ErrorCatalogue, RiikError } from "@riik/core";

export type PopulationRegisterErrorCode =
  | "PERSON_NOT_FOUND"
  | "PERSONAL_CODE_INVALID"
  | "PERSON_DECEASED"
  | "ADDRESS_INVALID"
  | "ADDRESS_NOT_FOUND"
  | "REGISTER_NOT_EMPTY"
  | "SEED_ARGUMENT"
  | "CHANGE_INVALID";

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
};
