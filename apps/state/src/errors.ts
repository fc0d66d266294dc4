import { type ErrorCatalogue, RiikError } from "@riik/core";

/** The police app's answers. */
export type PoliceErrorCode =
  /** The query's fields are well-formed but wrong (a check digit, a date; each listed in details). */
  | "POLICE_INPUT"
  /** The population register has no such person. */
  | "POLICE_NOT_FOUND"
  /** The exchange layer refused the query or the provider failed (the X-Road error is in details). */
  | "POLICE_UPSTREAM";

export type StateErrorCode =
  | PoliceErrorCode
  /** A command-line argument or configuration value is wrong. */
  | "STATE_ARGUMENT"
  /** The data directory cannot be used (another version, another port layout, half-written files). */
  | "STATE_DATA_DIR"
  /** A step of the first start failed; re-running `riik up` redoes it. */
  | "STATE_INIT";

export class StateError extends RiikError<StateErrorCode> {}

/** HTTP statuses of the police app's errors (typed: a new code without a status does not compile). */
export const POLICE_ERRORS: ErrorCatalogue<PoliceErrorCode> = {
  POLICE_INPUT: { status: 400 },
  POLICE_NOT_FOUND: { status: 404 },
  POLICE_UPSTREAM: { status: 502 },
};
