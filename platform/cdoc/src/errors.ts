import { RiikError } from "@riik/core/errors";

export type CdocErrorCode =
  /** Not a CDOC2 container: prelude, version, lengths or the FlatBuffers header are malformed. */
  | "CDOC_FORMAT"
  /** A header field the specification requires is missing, or has an unsupported value. */
  | "CDOC_UNSUPPORTED"
  /** The decryption key matches no recipient in the header. */
  | "CDOC_NOT_RECIPIENT"
  /** The header HMAC does not verify: the header was changed, or the key (password, secret) is wrong. */
  | "CDOC_HEADER_HMAC"
  /** The ChaCha20-Poly1305 tag over the payload does not verify: truncated, extended or altered. */
  | "CDOC_PAYLOAD_AUTH"
  /** The decrypted tar stream is malformed, names a path outside the output directory, or a link. */
  | "CDOC_TAR_ENTRY"
  /** The decompressed payload exceeds the configured bound. */
  | "CDOC_TOO_LARGE"
  /** The output file or directory entry already exists; nothing is overwritten. */
  | "CDOC_OUTPUT_EXISTS"
  /** A caller's argument (key, label, password, file list) is unusable. */
  | "CDOC_ARGUMENT"
  /** A key capsule server could not be reached, refused the request or answered something unusable. */
  | "CDOC_KEY_SERVER"
  // The capsule server's own codes (src/capsule-server/), answered to its HTTP clients.
  /** A key capsule in a request is malformed: base64, lengths, a key that is not on its curve. */
  | "CAPSULE_INVALID"
  /** The requested x-expiry-time is not a future RFC 3339 date-time. */
  | "CAPSULE_EXPIRY_INVALID"
  /** No capsule for this transaction id and client certificate (absent, expired or another's: never told apart). */
  | "CAPSULE_NOT_FOUND"
  /** The GET side was called without a TLS client certificate. */
  | "CAPSULE_NO_CLIENT_CERTIFICATE"
  /** The TLS client certificate does not chain to a configured trust anchor, or is not valid for client authentication. */
  | "CAPSULE_CLIENT_CERTIFICATE_UNTRUSTED"
  /** Too many capsules from one address in the current window; retry after the Retry-After seconds. */
  | "CAPSULE_RATE_LIMITED";

const HTTP_STATUS: Record<CdocErrorCode, number> = {
  CDOC_FORMAT: 400,
  CDOC_UNSUPPORTED: 415,
  CDOC_NOT_RECIPIENT: 403,
  CDOC_HEADER_HMAC: 400,
  CDOC_PAYLOAD_AUTH: 400,
  CDOC_TAR_ENTRY: 400,
  CDOC_TOO_LARGE: 413,
  CDOC_OUTPUT_EXISTS: 409,
  CDOC_ARGUMENT: 400,
  CDOC_KEY_SERVER: 502,
  CAPSULE_INVALID: 400,
  CAPSULE_EXPIRY_INVALID: 400,
  CAPSULE_NOT_FOUND: 404,
  CAPSULE_NO_CLIENT_CERTIFICATE: 401,
  CAPSULE_CLIENT_CERTIFICATE_UNTRUSTED: 403,
  CAPSULE_RATE_LIMITED: 429,
};

/** The codes and statuses as a service's error catalogue (core's `createHttpService`). */
export const CDOC_ERROR_CATALOGUE = Object.fromEntries(
  Object.entries(HTTP_STATUS).map(([code, status]) => [code, { status }]),
) as { readonly [K in CdocErrorCode]: { status: number } };

export class CdocError extends RiikError<CdocErrorCode> {
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
