import { RiikError } from "@riik/core";

export type DirectoryErrorCode =
  /** slapd is missing, its configuration was refused, or it did not start listening. */
  | "DIRECTORY_SLAPD"
  /** The personal code is not one: refused before it reaches an LDAP filter (RFC 4515 injection). */
  | "DIRECTORY_BAD_CODE"
  /** The directory could not be reached or refused the search. */
  | "DIRECTORY_UNAVAILABLE"
  | "DIRECTORY_ARGUMENT";

const STATUS: Record<DirectoryErrorCode, number> = {
  DIRECTORY_SLAPD: 500,
  DIRECTORY_BAD_CODE: 400,
  DIRECTORY_UNAVAILABLE: 503,
  DIRECTORY_ARGUMENT: 400,
};

export class DirectoryError extends RiikError<DirectoryErrorCode> {
  get statusCode(): number {
    return STATUS[this.code];
  }
}
