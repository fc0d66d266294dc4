import { RiikError } from "@riik/core";

/**
 * Why a Web eID authentication token, its challenge nonce or its certificate was refused.
 * One code per refusal, so a service can map each to an HTTP status and a message
 * (most are 401; WEBEID_OCSP_UNAVAILABLE is 503, the token-shape codes are 400).
 */
export type WebEidErrorCode =
  /** The token is not JSON, or a field is missing, has the wrong type or bad encoding (`details.fields`). */
  | "WEBEID_TOKEN_FORMAT"
  /** `format` is not `web-eid:1` or `web-eid:1.<minor>`. */
  | "WEBEID_UNSUPPORTED_FORMAT"
  /** `algorithm` is not one of the JWA names the spec allows, or does not fit the certificate's key. */
  | "WEBEID_ALGORITHM"
  /** The challenge nonce handed to createAuthToken is not base64 of at least 256 bits. */
  | "WEBEID_NONCE_FORMAT"
  /** The nonce was never issued by this store (or was evicted from it). */
  | "WEBEID_NONCE_UNKNOWN"
  /** The nonce was issued more than its lifetime (5 minutes) ago. */
  | "WEBEID_NONCE_EXPIRED"
  /** The nonce was already used once. */
  | "WEBEID_NONCE_REUSED"
  /** The origin is not a bare http(s) origin, or not the origin this service expects. */
  | "WEBEID_ORIGIN"
  | "WEBEID_CERTIFICATE_EXPIRED"
  | "WEBEID_CERTIFICATE_NOT_YET_VALID"
  /** Not an authentication certificate: no digitalSignature key usage, or an EKU without clientAuth. */
  | "WEBEID_CERTIFICATE_PURPOSE"
  /** No certificate policies, a disallowed policy, or none of the accepted ones. */
  | "WEBEID_CERTIFICATE_POLICY"
  /** Not issued (signed) by one of the trusted identity-document CAs. */
  | "WEBEID_UNTRUSTED_CA"
  | "WEBEID_CERTIFICATE_REVOKED"
  /** Revoked with reason certificateHold: the card is suspended and may be resumed. */
  | "WEBEID_CERTIFICATE_SUSPENDED"
  /** The OCSP responder answered `unknown` for the certificate. */
  | "WEBEID_CERTIFICATE_STATUS_UNKNOWN"
  /** The certificate has no OCSP URL, or the responder cannot be reached or gave no valid answer. */
  | "WEBEID_OCSP_UNAVAILABLE"
  /** The subject lacks a personal identification code (serialNumber PNOxx-…) or a name. */
  | "WEBEID_CERTIFICATE_SUBJECT"
  /** The signature does not verify over hash(origin) ‖ hash(nonce) with the certificate's key. */
  | "WEBEID_SIGNATURE"
  /** A caller (not the token) passed a bad argument, e.g. validator options. */
  | "WEBEID_ARGUMENT";

export class WebEidError extends RiikError<WebEidErrorCode> {}
