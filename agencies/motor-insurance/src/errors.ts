import { type ErrorCatalogue, RiikError } from "@riik/core";

export type MotorInsuranceErrorCode =
  | "REGISTRY_CODE_INVALID"
  /** The business register does not know the company, or it is deleted. */
  | "COMPANY_UNKNOWN"
  | "INSURER_EXISTS"
  /** The X-Road client is not a registered insurer (policies are submitted by the insurer itself). */
  | "NOT_AN_INSURER"
  | "POLICY_INVALID"
  | "POLICY_EXISTS"
  /** Another policy covers the vehicle in that period (one compulsory policy at a time). */
  | "POLICY_OVERLAP"
  /** No policy has ever been registered for the vehicle. */
  | "VEHICLE_UNKNOWN"
  /** The vehicle is known, but no policy covers it at that moment. */
  | "NOT_INSURED"
  /** A European Accident Statement field that is missing or cannot be what it says. */
  | "STATEMENT_INVALID"
  | "CASE_NOT_FOUND"
  | "JOIN_CODE_INVALID"
  /** The step does not follow from where the case is (e.g. a decision before both signatures). */
  | "CASE_STEP_INVALID"
  /** The statement was signed; it can no longer change (a change would void the signature). */
  | "STATEMENT_SIGNED"
  /** The signed document is not the case's statement as it is now (the driver did not sign what is there). */
  | "SIGNED_OTHER_STATEMENT"
  | "SIGNATURE_INVALID"
  /** The signer is not the driver the signature is for, or not a driver of the case. */
  | "SIGNER_NOT_DRIVER"
  /** The case is shown to its drivers, their insurers, and the police when injuries are reported. */
  | "NOT_A_PARTY"
  /** The integrity ledger did not anchor the step; nothing was recorded. */
  | "LEDGER_UNAVAILABLE";

export class MotorInsuranceError extends RiikError<MotorInsuranceErrorCode> {}

export const MOTOR_INSURANCE_ERRORS: ErrorCatalogue<MotorInsuranceErrorCode> = {
  REGISTRY_CODE_INVALID: { status: 400 },
  COMPANY_UNKNOWN: { status: 422 },
  INSURER_EXISTS: { status: 409 },
  NOT_AN_INSURER: { status: 403 },
  POLICY_INVALID: { status: 400 },
  POLICY_EXISTS: { status: 409 },
  POLICY_OVERLAP: { status: 409 },
  VEHICLE_UNKNOWN: { status: 404 },
  NOT_INSURED: { status: 404 },
  STATEMENT_INVALID: { status: 400 },
  CASE_NOT_FOUND: { status: 404 },
  JOIN_CODE_INVALID: { status: 404 },
  CASE_STEP_INVALID: { status: 409 },
  STATEMENT_SIGNED: { status: 409 },
  SIGNED_OTHER_STATEMENT: { status: 422 },
  SIGNATURE_INVALID: { status: 422 },
  SIGNER_NOT_DRIVER: { status: 403 },
  NOT_A_PARTY: { status: 403 },
  LEDGER_UNAVAILABLE: { status: 503 },
};
