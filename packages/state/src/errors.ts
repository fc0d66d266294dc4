import { type ErrorCatalogue, RiikError } from "@riik/core";

export type StateErrorCode =
  /** A command-line argument or configuration value is wrong. */
  | "STATE_ARGUMENT"
  /** The data directory cannot be used (another version, another port layout, half-written files). */
  | "STATE_DATA_DIR"
  /** A step of the first start failed; re-running `riik up` redoes it. */
  | "STATE_INIT"
  /** The police app's request is malformed (every bad field is listed in details). */
  | "POLICE_INPUT"
  /** The population register has no such person. */
  | "POLICE_NOT_FOUND"
  /** The exchange layer refused the query or the provider failed (the X-Road error is in details). */
  | "POLICE_UPSTREAM";

export class StateError extends RiikError<StateErrorCode> {}

/** HTTP statuses of the police app's errors. */
export const POLICE_ERRORS: ErrorCatalogue = {
  POLICE_INPUT: { status: 400 },
  POLICE_NOT_FOUND: { status: 404 },
  POLICE_UPSTREAM: { status: 502 },
};
