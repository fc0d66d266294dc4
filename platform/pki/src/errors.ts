import { RiikError } from "@riik/core";

export type PkiErrorCode =
  | "PKI_NOT_INITIALISED"
  | "PKI_ALREADY_INITIALISED"
  | "PKI_KEY_MISSING"
  | "PKI_KEY_PASSPHRASE"
  | "PKI_UNKNOWN_CA"
  | "PKI_CERTIFICATE_UNKNOWN"
  | "PKI_CERTIFICATE_AMBIGUOUS"
  | "PKI_STATUS_TRANSITION"
  | "PKI_ARGUMENT"
  | "PKI_RA_UNAUTHORIZED"
  | "PKI_RA_QUOTA"
  /** The authority may not ask for this (its permissions), or the document is not one it asked for. */
  | "PKI_RA_FORBIDDEN"
  | "PKI_RA_EXISTS"
  | "PKI_RA_UNKNOWN"
  /** The trust services could not be reached, or answered what a registration authority cannot use. */
  | "PKI_RA_UNAVAILABLE"
  | "PKI_DER"
  /** No incident of that id has been declared. */
  | "PKI_INCIDENT_UNKNOWN"
  /** A renewal's proof of the old key (its Web eID token, `details.reason`) was refused. */
  | "PKI_RENEWAL_REFUSED"
  | "OCSP_MALFORMED_REQUEST"
  | "OCSP_UNAUTHORIZED"
  | "OCSP_CONTENT_TYPE"
  | "OCSP_RESPONSE_INVALID"
  | "OCSP_UNAVAILABLE"
  | "TSA_MALFORMED_REQUEST"
  | "TSA_BAD_ALGORITHM"
  | "TSA_UNACCEPTED_POLICY"
  | "TSA_UNACCEPTED_EXTENSION"
  | "TSA_CONTENT_TYPE"
  | "TSA_TOKEN_INVALID"
  | "CARD_FORMAT"
  /** `riik id issue --out` names a file that exists: refused before anything is issued. */
  | "CARD_FILE_EXISTS"
  /** The card file could not be written after issuance; the certificates were revoked. */
  | "CARD_FILE_WRITE"
  | "CARD_PIN_FORMAT"
  | "CARD_WRONG_PIN";

export class PkiError extends RiikError<PkiErrorCode> {}
