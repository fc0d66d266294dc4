import type { ErrorCatalogue } from "@riik/core";
import { RiikError } from "@riik/core";

export type AppLoginErrorCode =
  /** Nobody with this personal code has enrolled an app. */
  | "NO_ACCOUNT"
  | "APP_ARGUMENT"
  /** The enrolment code was never issued, is used up or expired. */
  | "APP_ENROLMENT_CODE"
  /** The person already holds as many unused enrolment codes as allowed. */
  | "APP_TOO_MANY_CODES"
  /** The enrolment's proof of possession or a login signature does not verify with the app's key. */
  | "APP_SIGNATURE_INVALID"
  /** The app's request lacks or has a wrong account credential. */
  | "APP_UNAUTHORISED"
  | "APP_SESSION_UNKNOWN"
  /** The session has its answer already: a second signature or refusal is refused. */
  | "APP_SESSION_FINISHED"
  /** The session's completion was handed over once already (status answers COMPLETE once). */
  | "APP_SESSION_USED"
  /** The person has as many logins waiting for the app as allowed. */
  | "APP_TOO_MANY_PENDING"
  /** The trust services could not issue the app's certificate. */
  | "APP_ENROLMENT_FAILED";

export class AppLoginError extends RiikError<AppLoginErrorCode> {}

export const APP_LOGIN_ERRORS: ErrorCatalogue<AppLoginErrorCode> = {
  NO_ACCOUNT: { status: 404 },
  APP_ARGUMENT: { status: 400 },
  APP_ENROLMENT_CODE: { status: 403 },
  APP_TOO_MANY_CODES: { status: 429 },
  APP_SIGNATURE_INVALID: { status: 400 },
  APP_UNAUTHORISED: { status: 401 },
  APP_SESSION_UNKNOWN: { status: 404 },
  APP_SESSION_FINISHED: { status: 409 },
  APP_SESSION_USED: { status: 409 },
  APP_TOO_MANY_PENDING: { status: 429 },
  APP_ENROLMENT_FAILED: { status: 502 },
};
