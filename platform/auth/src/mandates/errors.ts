import { type ErrorCatalogue, RiikError } from "@riik/core";

/** Why the mandates service refused a request or an administrator's command. */
export type MandateErrorCode =
  /** A field is missing or malformed (a personal code, a role, a date). */
  | "MANDATE_ARGUMENT"
  /** A person cannot grant a mandate to themselves. */
  | "MANDATE_SELF"
  /** The validity ends before it begins, or has ended already. */
  | "MANDATE_VALIDITY"
  /** No mandate with this id (or none the caller granted). */
  | "MANDATE_UNKNOWN"
  /** The mandate was revoked already. */
  | "MANDATE_REVOKED"
  /** No bearer access token of this provider with scope openid, or an expired one. */
  | "MANDATE_UNAUTHENTICATED"
  /** A valid token without the `mandates` scope: its relying party may not manage mandates. */
  | "MANDATE_INSUFFICIENT_SCOPE"
  /** A source of rights to represent (the population register over X-Road) did not answer. */
  | "MANDATE_SOURCE_UNAVAILABLE";

export class MandateError extends RiikError<MandateErrorCode> {}

export const MANDATE_ERRORS: ErrorCatalogue<MandateErrorCode> = {
  MANDATE_ARGUMENT: { status: 400 },
  MANDATE_SELF: { status: 400 },
  MANDATE_VALIDITY: { status: 400 },
  MANDATE_UNKNOWN: { status: 404 },
  MANDATE_REVOKED: { status: 409 },
  MANDATE_UNAUTHENTICATED: { status: 401 },
  MANDATE_INSUFFICIENT_SCOPE: { status: 403 },
  MANDATE_SOURCE_UNAVAILABLE: { status: 503 },
};
