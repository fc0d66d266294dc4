import { type ErrorCatalogue, RiikError } from "@riik/core";

export type BusinessRegisterErrorCode =
  | "REGISTRY_CODE_INVALID"
  | "COMPANY_NOT_FOUND"
  | "COMPANY_DELETED"
  | "NAME_INVALID"
  | "NAME_TAKEN"
  | "PERSONAL_CODE_INVALID"
  | "APPLICATION_INVALID"
  | "CAPITAL_TOO_LOW"
  | "APPLICATION_NOT_FOUND"
  | "APPLICATION_CLOSED"
  | "SIGNATURE_INVALID"
  | "SIGNER_NOT_FOUNDER"
  | "SIGNED_OTHER_VERSION"
  | "SIGNATURES_MISSING"
  | "FEE_NOT_PAID"
  | "BOARD_MEMBER_BANNED"
  /** No board member lives in Estonia and no contact person is named (Commercial Code § 631). */
  | "CONTACT_PERSON_REQUIRED"
  /** The contact person does not live in Estonia (not in the population register). */
  | "CONTACT_PERSON_INVALID"
  | "CHANGE_INVALID"
  | "CURSOR_INVALID"
  | "PERSON_UNKNOWN"
  | "PERSON_DECEASED"
  | "E_RESIDENCY_INVALID"
  | "CHECKS_UNAVAILABLE"
  | "SIGNER_CERTIFICATE_REVOKED"
  | "FOUNDING_RATE_LIMITED"
  | "ANNUAL_REPORT_INVALID"
  | "ANNUAL_REPORT_EXISTS"
  | "SIGNER_NOT_REPRESENTATIVE"
  | "REGISTRY_CODE_TAKEN";

export class BusinessRegisterError extends RiikError<BusinessRegisterErrorCode> {}

/** HTTP statuses of the register's codes (the service base adds REQUEST_INVALID and the rest). */
export const BUSINESS_REGISTER_ERRORS: ErrorCatalogue<BusinessRegisterErrorCode> = {
  REGISTRY_CODE_INVALID: { status: 400 },
  COMPANY_NOT_FOUND: { status: 404 },
  COMPANY_DELETED: { status: 409 },
  NAME_INVALID: { status: 400 },
  NAME_TAKEN: { status: 409 },
  PERSONAL_CODE_INVALID: { status: 400 },
  APPLICATION_INVALID: { status: 400 },
  CAPITAL_TOO_LOW: { status: 400 },
  APPLICATION_NOT_FOUND: { status: 404 },
  APPLICATION_CLOSED: { status: 409 },
  SIGNATURE_INVALID: { status: 422 },
  SIGNER_NOT_FOUNDER: { status: 403 },
  SIGNED_OTHER_VERSION: { status: 409 },
  SIGNATURES_MISSING: { status: 409 },
  FEE_NOT_PAID: { status: 402 },
  BOARD_MEMBER_BANNED: { status: 409 },
  CONTACT_PERSON_REQUIRED: { status: 422 },
  CONTACT_PERSON_INVALID: { status: 422 },
  CHANGE_INVALID: { status: 400 },
  CURSOR_INVALID: { status: 400 },
  PERSON_UNKNOWN: { status: 422 },
  PERSON_DECEASED: { status: 422 },
  E_RESIDENCY_INVALID: { status: 422 },
  /** Another register (population, e-residency, police) or the OCSP responder did not answer: nothing registered. */
  CHECKS_UNAVAILABLE: { status: 503 },
  SIGNER_CERTIFICATE_REVOKED: { status: 422 },
  /** One client created its hour's applications (details.limit, details.retryAfterSeconds). */
  FOUNDING_RATE_LIMITED: { status: 429 },
  ANNUAL_REPORT_INVALID: { status: 400 },
  ANNUAL_REPORT_EXISTS: { status: 409 },
  REGISTRY_CODE_TAKEN: { status: 409 },
  SIGNER_NOT_REPRESENTATIVE: { status: 403 },
};
