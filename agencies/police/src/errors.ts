import { type ErrorCatalogue, RiikError } from "@riik/kit";

export type PoliceErrorCode =
  /** The query's fields are well-formed but wrong (a check digit, a date; each listed in details). */
  | "POLICE_INPUT"
  /** The population register has no such person. */
  | "POLICE_NOT_FOUND"
  /** The exchange layer refused the query or the provider failed (the X-Road error is in details). */
  | "POLICE_UPSTREAM"
  /** The configuration file cannot be read or a field of it is wrong (each listed in details). */
  | "POLICE_CONFIG"
  /** The sanctions list file cannot be read or is not the EU consolidated list's CSV (line in details). */
  | "POLICE_SANCTIONS_LIST"
  /** A records file to import cannot be read or a record of it is wrong (each listed in details). */
  | "POLICE_RECORDS_FILE";

export class PoliceError extends RiikError<PoliceErrorCode> {}

/** HTTP statuses of the police app's answers (typed: a new code without a status does not compile). */
export const POLICE_ERRORS: ErrorCatalogue<
  Exclude<PoliceErrorCode, "POLICE_CONFIG" | "POLICE_SANCTIONS_LIST" | "POLICE_RECORDS_FILE">
> = {
  POLICE_INPUT: { status: 400 },
  POLICE_NOT_FOUND: { status: 404 },
  POLICE_UPSTREAM: { status: 502 },
};
