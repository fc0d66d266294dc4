import { type ErrorCatalogue, RiikError } from "@riik/core";

/** Why the authentication service refused a request or an administrator's command. */
export type AuthErrorCode =
  /** A caller passed a bad argument (client metadata, a key name, configuration). */
  | "AUTH_ARGUMENT"
  /** `riik auth client add` for a client id that exists already. */
  | "AUTH_CLIENT_EXISTS"
  /** No relying party with this client id. */
  | "AUTH_CLIENT_UNKNOWN"
  /** The signing-key table names no usable key (run `riik auth keys rotate`). */
  | "AUTH_NO_SIGNING_KEY"
  /** The login interaction is unknown or expired (start again at the relying party). */
  | "AUTH_INTERACTION_UNKNOWN"
  /** No challenge was issued for this interaction, or it was used or expired. */
  | "AUTH_CHALLENGE_UNKNOWN"
  /** The login method is not offered for this request (scope or minimum acr). */
  | "AUTH_METHOD_NOT_OFFERED"
  /** A subject is not a country prefix and a personal code (`EE38001085718`). */
  | "AUTH_SUBJECT_INVALID";

export class AuthError extends RiikError<AuthErrorCode> {}

export const AUTH_ERRORS: ErrorCatalogue<AuthErrorCode> = {
  AUTH_ARGUMENT: { status: 400 },
  AUTH_CLIENT_EXISTS: { status: 409 },
  AUTH_CLIENT_UNKNOWN: { status: 404 },
  AUTH_NO_SIGNING_KEY: { status: 503 },
  AUTH_INTERACTION_UNKNOWN: { status: 404 },
  AUTH_CHALLENGE_UNKNOWN: { status: 400 },
  AUTH_METHOD_NOT_OFFERED: { status: 403 },
  AUTH_SUBJECT_INVALID: { status: 400 },
};
