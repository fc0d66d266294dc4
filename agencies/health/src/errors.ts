import { type ErrorCatalogue, RiikError } from "@riik/core";

export type HealthErrorCode =
  /** A resource or a search that is not what FHIR R4 and this server's profile say (details.expression names the field). */
  | "RESOURCE_INVALID"
  | "SEARCH_INVALID"
  | "RESOURCE_NOT_FOUND"
  /** A reference to a resource this server does not hold (a patient, a medicine, a role). */
  | "REFERENCE_NOT_FOUND"
  /** An interaction the CapabilityStatement does not offer (e.g. creating an AuditEvent). */
  | "INTERACTION_NOT_SUPPORTED"
  /** A second Patient, Practitioner or Organization with the same identifier. */
  | "IDENTIFIER_TAKEN"
  /** A professional's read or write without X-Road-Issue (the purpose). */
  | "PURPOSE_MISSING"
  /** The person acting has no active role at the calling provider (X-Road-Client). */
  | "ROLE_REQUIRED"
  | "LICENCE_EXPIRED"
  /** The patient closed this document or the whole record (a Consent). */
  | "DOCUMENT_CLOSED"
  /** Only the patient may close or reopen their data, and see who read it. */
  | "NOT_THE_PATIENT"
  | "PHARMACY_NOT_LICENSED"
  | "PRESCRIPTION_NOT_SIGNED"
  | "PRESCRIPTION_ALREADY_SIGNED"
  | "PRESCRIPTION_EXPIRED"
  /** Every dispensing the prescription allows was made, or nothing remains. */
  | "PRESCRIPTION_USED"
  | "QUANTITY_EXCEEDS_REMAINING"
  | "SIGNATURE_INVALID"
  | "SIGNER_NOT_PRESCRIBER"
  /** A document signed by someone other than its author (the professional writing it). */
  | "SIGNER_NOT_AUTHOR"
  /** A named-representative prescription collected by someone who is neither the patient nor the person named. */
  | "BUYER_NOT_ENTITLED"
  /** The person named on a prescription no longer holds (or does not yet hold) the patient's mandate. */
  | "REPRESENTATIVE_MANDATE_ENDED"
  /** The health insurance fund did not answer whether the patient is insured: nothing dispensed, try again. */
  | "INSURANCE_UNAVAILABLE";

export class HealthError extends RiikError<HealthErrorCode> {}

/** HTTP statuses of the health codes (FHIR R4 http.html#2.21.0.4: 400 invalid, 403, 404, 405, 409/412, 422 business rules). */
export const HEALTH_ERRORS: ErrorCatalogue<HealthErrorCode> = {
  RESOURCE_INVALID: { status: 400 },
  SEARCH_INVALID: { status: 400 },
  RESOURCE_NOT_FOUND: { status: 404 },
  REFERENCE_NOT_FOUND: { status: 422 },
  INTERACTION_NOT_SUPPORTED: { status: 405 },
  IDENTIFIER_TAKEN: { status: 409 },
  PURPOSE_MISSING: { status: 403 },
  ROLE_REQUIRED: { status: 403 },
  LICENCE_EXPIRED: { status: 403 },
  DOCUMENT_CLOSED: { status: 403 },
  NOT_THE_PATIENT: { status: 403 },
  PHARMACY_NOT_LICENSED: { status: 403 },
  PRESCRIPTION_NOT_SIGNED: { status: 409 },
  PRESCRIPTION_ALREADY_SIGNED: { status: 409 },
  PRESCRIPTION_EXPIRED: { status: 409 },
  PRESCRIPTION_USED: { status: 409 },
  QUANTITY_EXCEEDS_REMAINING: { status: 409 },
  SIGNATURE_INVALID: { status: 422 },
  SIGNER_NOT_PRESCRIBER: { status: 403 },
  SIGNER_NOT_AUTHOR: { status: 403 },
  BUYER_NOT_ENTITLED: { status: 403 },
  REPRESENTATIVE_MANDATE_ENDED: { status: 403 },
  INSURANCE_UNAVAILABLE: { status: 503 },
};

/** The OperationOutcome issue type (FHIR R4 ValueSet issue-type) of each code. */
export const ISSUE_TYPE: { readonly [K in HealthErrorCode]: string } = {
  RESOURCE_INVALID: "invalid",
  SEARCH_INVALID: "invalid",
  RESOURCE_NOT_FOUND: "not-found",
  REFERENCE_NOT_FOUND: "not-found",
  INTERACTION_NOT_SUPPORTED: "not-supported",
  IDENTIFIER_TAKEN: "duplicate",
  PURPOSE_MISSING: "security",
  ROLE_REQUIRED: "forbidden",
  LICENCE_EXPIRED: "forbidden",
  DOCUMENT_CLOSED: "suppressed",
  NOT_THE_PATIENT: "forbidden",
  PHARMACY_NOT_LICENSED: "forbidden",
  PRESCRIPTION_NOT_SIGNED: "business-rule",
  PRESCRIPTION_ALREADY_SIGNED: "business-rule",
  PRESCRIPTION_EXPIRED: "business-rule",
  PRESCRIPTION_USED: "business-rule",
  QUANTITY_EXCEEDS_REMAINING: "business-rule",
  SIGNATURE_INVALID: "security",
  SIGNER_NOT_PRESCRIBER: "security",
  SIGNER_NOT_AUTHOR: "security",
  BUYER_NOT_ENTITLED: "forbidden",
  REPRESENTATIVE_MANDATE_ENDED: "forbidden",
  INSURANCE_UNAVAILABLE: "transient",
};

/** An error about one field, named as a FHIRPath expression (OperationOutcome.issue.expression). */
export function fieldError(code: HealthErrorCode, expression: string, message: string): HealthError {
  return new HealthError(code, message, { details: { expression: [expression] } });
}
