import { RiikError } from "@riik/core";

export type SignatureErrorCode =
  | "SIG_ARGUMENT"
  /** The ZIP structure is broken or uses what ASiC forbids (encryption, ZIP64, unknown methods). */
  | "ASIC_ZIP"
  /** `mimetype` missing, not first, compressed, with an extra field, or with another media type. */
  | "ASIC_MIMETYPE"
  /** An entry name escapes the container (`..`, absolute, backslash, drive letter, control characters). */
  | "ASIC_PATH"
  | "ASIC_DUPLICATE_NAME"
  /** Sizes or compression ratio beyond the limits: a compression bomb or an oversized container. */
  | "ASIC_TOO_LARGE"
  | "ASIC_MANIFEST"
  /** A signatures*.xml file is not well-formed XAdES as this package reads it. */
  | "XADES_FORMAT"
  /** Data files cannot change once a container holds a signature. */
  | "SIGN_CONTAINER_SEALED"
  | "SIGN_NO_FILES"
  /** The signer's key did not produce a signature that verifies with its certificate. */
  | "SIGN_BAD_SIGNER"
  | "SIGN_TSA_FAILED"
  | "SIGN_OCSP_FAILED"
  | "SIGNER_REVOKED"
  | "SIGNER_SUSPENDED"
  | "SIGNER_UNKNOWN"
  | "SIGNER_CERTIFICATE"
  /** A validator was given no trusted root: it refuses rather than judge (CLI exit 3). */
  | "VERIFY_NO_TRUST_ANCHOR"
  /** `riik verify`: the container's verdict is not `valid`. */
  | "CONTAINER_INVALID"
  /** A signed document's container holds other files than the one document, or none. */
  | "DOCUMENT_FILES"
  | "CONTAINER_INDETERMINATE";

export class SignatureError extends RiikError<SignatureErrorCode> {}
