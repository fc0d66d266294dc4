import { DIGEST_LENGTHS, type DigestAlgorithm, parseDigestAlgorithm } from "@riik/core";
import { LedgerError } from "../errors.ts";

/** The names the wire and the signature file use for the input hash algorithms. */
export type ImprintAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";

/**
 * Algorithm tags of an imprint: the one-byte hash identifiers of KSI (Guardtime), so a
 * riik imprint is byte for byte a KSI imprint: tag || digest.
 */
export const IMPRINT_TAGS: Readonly<Record<ImprintAlgorithm, number>> = Object.freeze({
  "SHA-256": 0x01,
  "SHA-384": 0x04,
  "SHA-512": 0x05,
});

const NODE_NAMES: Readonly<Record<ImprintAlgorithm, DigestAlgorithm>> = {
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

export interface Imprint {
  readonly algorithm: ImprintAlgorithm;
  readonly digest: Uint8Array;
}

export function imprintAlgorithm(name: unknown): ImprintAlgorithm {
  if (typeof name === "string") {
    try {
      const parsed = parseDigestAlgorithm(name);
      return `SHA-${parsed.slice(3)}` as ImprintAlgorithm;
    } catch {
      // fall through to the typed refusal
    }
  }
  throw new LedgerError(
    "REQUEST_ALGORITHM",
    `unsupported hash algorithm ${JSON.stringify(name)}; use SHA-256, SHA-384 or SHA-512`,
  );
}

export function nodeDigestName(algorithm: ImprintAlgorithm): DigestAlgorithm {
  return NODE_NAMES[algorithm];
}

export function digestLength(algorithm: ImprintAlgorithm): number {
  return DIGEST_LENGTHS[NODE_NAMES[algorithm]];
}

/** Decodes a digest given in lowercase or uppercase hex, or canonical standard base64, and checks its length. */
export function decodeDigest(algorithm: ImprintAlgorithm, text: unknown, field = "digest"): Uint8Array {
  const length = digestLength(algorithm);
  if (typeof text !== "string") throw new LedgerError("REQUEST_DIGEST", `${field} must be a hex or base64 string`);
  let bytes: Buffer | undefined;
  if (text.length === length * 2 && /^[0-9a-fA-F]+$/.test(text)) bytes = Buffer.from(text, "hex");
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, "base64");
    if (decoded.toString("base64") === text) bytes = decoded;
  }
  if (!bytes) throw new LedgerError("REQUEST_DIGEST", `${field} is neither hex nor canonical base64`);
  if (bytes.length !== length) {
    throw new LedgerError("REQUEST_DIGEST", `${field} must be ${length} bytes for ${algorithm}, got ${bytes.length}`, {
      details: { field, expected: length, actual: bytes.length },
    });
  }
  return bytes;
}

/** The imprint bytes, tag || digest: the data of a round-tree leaf (RFC 6962 leaf input). */
export function encodeImprint(imprint: Imprint): Buffer {
  const out = Buffer.allocUnsafe(1 + imprint.digest.length);
  out[0] = IMPRINT_TAGS[imprint.algorithm];
  out.set(imprint.digest, 1);
  return out;
}
