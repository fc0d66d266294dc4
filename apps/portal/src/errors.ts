import { type ErrorCatalogue, RiikError } from "@riik/core";
import type { SignatureErrorCode } from "@riik/signature";

/** Why the portal refused a request; the browser maps each code to a message in et and en. */
export type PortalErrorCode =
  /** The configuration file is missing, not JSON, or has bad fields (`details.fields`). */
  | "PORTAL_CONFIG"
  /** No session, or the session expired: log in again. */
  | "PORTAL_UNAUTHENTICATED"
  /** A state-changing request without this portal's Origin (cross-site request forgery guard). */
  | "PORTAL_CSRF"
  /** The authentication service refused the login (`message`: its reason code, e.g. WEBEID_CERTIFICATE_SUSPENDED). */
  | "PORTAL_LOGIN_REFUSED"
  /** The authentication service's answer did not validate (state, PKCE, ID token). */
  | "PORTAL_LOGIN_FAILED"
  /** The browser came back with no login this portal started, or too late. */
  | "PORTAL_LOGIN_EXPIRED"
  /** The authentication service cannot be reached (discovery, token endpoint). */
  | "PORTAL_AUTH_UNAVAILABLE"
  /** A back-channel logout token that does not validate (Back-Channel Logout 1.0, 2.6). */
  | "PORTAL_LOGOUT_TOKEN"
  /** The operator view asked without the operator token, or from a non-loopback address. */
  | "PORTAL_OPERATOR_FORBIDDEN"
  /** The operator view is not configured (no state file). */
  | "PORTAL_OPERATOR_UNCONFIGURED"
  /** The register has no such entry. */
  | "PORTAL_NOT_FOUND"
  /** The person is not in the population register (an e-resident or a foreigner): the register's 404 PERSON_NOT_FOUND. */
  | "PORTAL_NOT_IN_REGISTER"
  /** The security server answered with an X-Road error (`details.type`). */
  | "PORTAL_XROAD"
  /** The provider answered with something that is not the agreed JSON. */
  | "PORTAL_BAD_RESPONSE"
  /** The security server cannot be reached. */
  | "PORTAL_UNAVAILABLE"
  /** A request body with bad fields (`details.fields`). */
  | "PORTAL_INPUT"
  /** Files or a container beyond the upload limit (`details.maxBytes`). */
  | "PORTAL_TOO_LARGE"
  /** The portal holds as many documents being signed as it may; try again later. */
  | "PORTAL_BUSY"
  /** This person holds as many documents being signed as one person may (`details.maxBytes`, `details.maxEntries`). */
  | "PORTAL_QUOTA"
  /** Signing is not configured (no `signing` section). */
  | "PORTAL_SIGNING_UNCONFIGURED"
  /** The signing certificate was not issued by a trusted identity-document CA. */
  | "PORTAL_SIGNER_UNTRUSTED"
  /** The signing certificate names another person than the one logged in. */
  | "PORTAL_SIGNER_NOT_YOU"
  /** No such prepared signature or signed container in this session (expired, used, or never made). */
  | "PORTAL_SIGNATURE_UNKNOWN"
  /**
   * The agency refused the request with its own typed code (`details.providerCode`, e.g. the
   * business register's NAME_TAKEN, `details.status` its HTTP status): an answer the page tells.
   */
  | "PORTAL_REFUSED"
  /** This portal is not configured for that agency's services (`details.service`: business-register, e-residency). */
  | "PORTAL_SERVICE_UNCONFIGURED"
  /** While acting for a company only the company's pages are shown, not the board member's own. */
  | "PORTAL_ACTING_FOR_COMPANY"
  /** A company whose registry card does not name the person, and whom they do not act for. */
  | "PORTAL_COMPANY_FORBIDDEN"
  /** The application to sign is not the document the founders sign (its sha256 does not match), or not this founder's to sign. */
  | "PORTAL_APPLICATION_MISMATCH"
  /** Too many requests of a bounded kind from one address (e-Residency applications an hour; `details.retryAfterSeconds`). */
  | "PORTAL_RATE_LIMITED"
  /** While acting for someone else: this page is the person's own (the family benefits, the tax return). */
  | "PORTAL_ACTING_FOR_SOMEONE"
  /** The health information system holds no record of the person (no Patient): nothing to close or declare yet. */
  | "PORTAL_HEALTH_NO_RECORD"
  /** The document, or the whole record, is closed already. */
  | "PORTAL_HEALTH_ALREADY_CLOSED"
  /** No such document or closure in force in the person's own record. */
  | "PORTAL_HEALTH_UNKNOWN"
  /** The person named already holds a mandate in force. */
  | "PORTAL_HEALTH_ALREADY_REPRESENTATIVE"
  /** The person has no valid ID card authentication certificate in the certificate directory to encrypt for. */
  | "PORTAL_NO_RECIPIENT";

export class PortalError extends RiikError<PortalErrorCode> {}

/**
 * One catalogue for the portal's HTTP statuses: its own codes and @riik/signature's. (Login
 * refusals are the auth service's; they come back as its reason code, not as HTTP errors here.)
 */
export const PORTAL_ERRORS: ErrorCatalogue<PortalErrorCode | SignatureErrorCode> = Object.freeze({
  PORTAL_CONFIG: { status: 500 },
  PORTAL_UNAUTHENTICATED: { status: 401 },
  PORTAL_CSRF: { status: 403 },
  PORTAL_LOGIN_REFUSED: { status: 401 },
  PORTAL_LOGIN_FAILED: { status: 401 },
  PORTAL_LOGIN_EXPIRED: { status: 401 },
  PORTAL_AUTH_UNAVAILABLE: { status: 503 },
  PORTAL_LOGOUT_TOKEN: { status: 400 },
  PORTAL_OPERATOR_FORBIDDEN: { status: 403 },
  PORTAL_OPERATOR_UNCONFIGURED: { status: 404 },
  PORTAL_NOT_FOUND: { status: 404 },
  PORTAL_NOT_IN_REGISTER: { status: 404 },
  PORTAL_XROAD: { status: 502 },
  PORTAL_BAD_RESPONSE: { status: 502 },
  PORTAL_UNAVAILABLE: { status: 503 },
  PORTAL_INPUT: { status: 400 },
  PORTAL_TOO_LARGE: { status: 413 },
  PORTAL_BUSY: { status: 503 },
  PORTAL_QUOTA: { status: 429 },
  PORTAL_SIGNING_UNCONFIGURED: { status: 404 },
  PORTAL_SIGNER_UNTRUSTED: { status: 403 },
  PORTAL_SIGNER_NOT_YOU: { status: 403 },
  PORTAL_SIGNATURE_UNKNOWN: { status: 404 },
  PORTAL_REFUSED: { status: 422 },
  PORTAL_SERVICE_UNCONFIGURED: { status: 404 },
  PORTAL_ACTING_FOR_COMPANY: { status: 403 },
  PORTAL_COMPANY_FORBIDDEN: { status: 403 },
  PORTAL_APPLICATION_MISMATCH: { status: 409 },
  PORTAL_RATE_LIMITED: { status: 429 },
  PORTAL_ACTING_FOR_SOMEONE: { status: 403 },
  PORTAL_HEALTH_NO_RECORD: { status: 404 },
  PORTAL_HEALTH_ALREADY_CLOSED: { status: 409 },
  PORTAL_HEALTH_UNKNOWN: { status: 404 },
  PORTAL_HEALTH_ALREADY_REPRESENTATIVE: { status: 409 },
  PORTAL_NO_RECIPIENT: { status: 404 },
  // @riik/signature's refusals while signing or reading an uploaded container.
  SIG_ARGUMENT: { status: 400 },
  ASIC_ZIP: { status: 400 },
  ASIC_MIMETYPE: { status: 400 },
  ASIC_PATH: { status: 400 },
  ASIC_DUPLICATE_NAME: { status: 400 },
  ASIC_TOO_LARGE: { status: 413 },
  ASIC_MANIFEST: { status: 400 },
  XADES_FORMAT: { status: 400 },
  SIGN_CONTAINER_SEALED: { status: 409 },
  SIGN_NO_FILES: { status: 400 },
  SIGN_BAD_SIGNER: { status: 400 },
  SIGN_TSA_FAILED: { status: 503 },
  SIGN_OCSP_FAILED: { status: 503 },
  SIGNER_REVOKED: { status: 403 },
  SIGNER_SUSPENDED: { status: 403 },
  SIGNER_UNKNOWN: { status: 403 },
  SIGNER_CERTIFICATE: { status: 400 },
  // A validator without a trusted root: the portal's own configuration is at fault.
  VERIFY_NO_TRUST_ANCHOR: { status: 500 },
  // Verdicts of `riik verify`; the portal answers a report instead, so these are never thrown here.
  CONTAINER_INVALID: { status: 422 },
  CONTAINER_INDETERMINATE: { status: 422 },
  DOCUMENT_FILES: { status: 400 },
});
