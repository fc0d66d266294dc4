import { type ErrorCatalogue, RiikError } from "@riik/core";

export type EResidencyErrorCode =
  /** The applicant is under 18 on the day of the application (e-Residency is for adults). */
  | "APPLICANT_UNDER_18"
  /** The travel document has expired, or a date of the form is not a real date. */
  | "DOCUMENT_EXPIRED"
  | "APPLICATION_INVALID"
  /** Not a JPEG or PNG by its magic bytes, not base64, or over 2 MB decoded. */
  | "PHOTO_INVALID"
  | "PICKUP_LOCATION_UNKNOWN"
  /**
   * No such application, or the access key does not open it: one answer for both, so that
   * nobody can learn which application numbers exist by trying keys.
   */
  | "APPLICATION_UNKNOWN"
  /** The application is not at the step asked for (not paid, still being checked, …). */
  | "APPLICATION_NOT_READY"
  | "ALREADY_DECIDED"
  /** The person acting (X-Road-UserId) or a signer of the decision is not a listed official. */
  | "NOT_AN_OFFICIAL"
  /** Not an ASiC-E container, a signature or chain that does not validate, or a decision for another application. */
  | "DECISION_SIGNATURE"
  /** The signed decision is not {number, granted, reason?}, or refuses without a reason. */
  | "DECISION_INVALID"
  /** The travel document shown at the pick-up point is not the one the application names. */
  | "IDENTITY_MISMATCH"
  /** Every serial of the birth date and sex is taken (EVS 585 has 1000 a day). */
  | "PERSONAL_CODES_EXHAUSTED"
  | "E_RESIDENT_NOT_FOUND"
  | "E_RESIDENT_REVOKED"
  /** The trust services are not configured or did not issue the digital ID. */
  | "CARDS_UNAVAILABLE"
  /** One client's applications of the window are used up (details.limit, details.retryAfterSeconds; Retry-After). */
  | "APPLICATIONS_RATE_LIMITED"
  /**
   * The population register did not say whether a personal code is free: nothing is granted
   * (fail closed), the same signed decision can be sent again.
   */
  | "POPULATION_REGISTER_UNAVAILABLE";

export class EResidencyError extends RiikError<EResidencyErrorCode> {}

export const E_RESIDENCY_ERRORS: ErrorCatalogue<EResidencyErrorCode> = {
  APPLICANT_UNDER_18: { status: 422 },
  DOCUMENT_EXPIRED: { status: 422 },
  APPLICATION_INVALID: { status: 400 },
  PHOTO_INVALID: { status: 422 },
  PICKUP_LOCATION_UNKNOWN: { status: 400 },
  APPLICATION_UNKNOWN: { status: 404 },
  APPLICATION_NOT_READY: { status: 409 },
  ALREADY_DECIDED: { status: 409 },
  NOT_AN_OFFICIAL: { status: 403 },
  DECISION_SIGNATURE: { status: 422 },
  DECISION_INVALID: { status: 422 },
  IDENTITY_MISMATCH: { status: 422 },
  PERSONAL_CODES_EXHAUSTED: { status: 409 },
  E_RESIDENT_NOT_FOUND: { status: 404 },
  E_RESIDENT_REVOKED: { status: 409 },
  CARDS_UNAVAILABLE: { status: 503 },
  APPLICATIONS_RATE_LIMITED: { status: 429 },
  POPULATION_REGISTER_UNAVAILABLE: { status: 503 },
};
