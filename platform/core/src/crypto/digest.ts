import { createHash, timingSafeEqual } from "node:crypto";
import { RiikError } from "../errors.ts";

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

export const DIGEST_LENGTHS: Readonly<Record<DigestAlgorithm, number>> = Object.freeze({
  sha256: 32,
  sha384: 48,
  sha512: 64,
});

export class DigestError extends RiikError<"DIGEST_ALGORITHM" | "DIGEST_LENGTH"> {}

export function parseDigestAlgorithm(name: string): DigestAlgorithm {
  const normalised = name.toLowerCase().replace("-", "");
  if (normalised in DIGEST_LENGTHS) return normalised as DigestAlgorithm;
  throw new DigestError(
    "DIGEST_ALGORITHM",
    `unsupported digest algorithm ${JSON.stringify(name)}; use SHA-256, SHA-384 or SHA-512`,
  );
}

export function digest(algorithm: DigestAlgorithm, ...parts: Array<Uint8Array | string>): Uint8Array {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export const sha256 = (...parts: Array<Uint8Array | string>): Uint8Array => digest("sha256", ...parts);

/** Checks that `bytes` has the length of `algorithm`'s output, naming the argument on failure. */
export function assertDigestLength(name: string, algorithm: DigestAlgorithm, bytes: Uint8Array): void {
  if (bytes.length !== DIGEST_LENGTHS[algorithm]) {
    throw new DigestError(
      "DIGEST_LENGTH",
      `${name} must be a ${DIGEST_LENGTHS[algorithm]}-byte ${algorithm} digest, got ${bytes.length} bytes`,
    );
  }
}

/** Constant-time equality for secrets and MACs; different lengths are simply unequal. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
