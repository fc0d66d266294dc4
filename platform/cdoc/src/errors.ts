import { RiikError } from "@riik/core";

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
  | "CDOC_ARGUMENT";

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
};

export class CdocError extends RiikError<CdocErrorCode> {
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
