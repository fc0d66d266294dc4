// The Schnorr-style Fiat–Shamir proofs Belenios 2.0 uses everywhere (trustees.ml / election.ml
// `fs_prove`): commit A_i = base_i^w, challenge = H(prefix, A_1..A_k) mod q, response = w − x·challenge.
// A verifier recomputes A_i = base_i^response · image_i^challenge. Each use differs only in its
// bases and its hash prefix, written down in the spec section cited at each function.
import { ElectoralOfficeError } from "../errors.ts";
import {
  GROUP_NAME,
  hashToExponent,
  isElement,
  isExponent,
  mod,
  mul,
  parseNumber,
  pow,
  q,
  randomExponent,
} from "./group.ts";

export interface Proof {
  readonly challenge: bigint;
  readonly response: bigint;
}

/** A public statement: image = base^x for the prover's secret x. */
export type Statement = readonly [base: bigint, image: bigint];

export function prove(secret: bigint, bases: readonly bigint[], prefix: string): Proof {
  const w = randomExponent();
  const challenge = hashToExponent(
    prefix,
    bases.map((base) => pow(base, w)),
  );
  return { challenge, response: mod(w - secret * challenge, q) };
}

export function verifies(proof: Proof, statements: readonly Statement[], prefix: string): boolean {
  if (!isExponent(proof.challenge) || !isExponent(proof.response)) return false;
  const commitments = statements.map(([base, image]) => mul(pow(base, proof.response), pow(image, proof.challenge)));
  return hashToExponent(prefix, commitments) === proof.challenge;
}

// §4.5 Verification keys: H_pok(X, A) = SHA256("pok|" G "|" X "|" A).
export const pokPrefix = (publicKey: bigint): string => `pok|${GROUP_NAME}|${publicKey}|`;

// §4.6.1 Signing (threshold PKI): SHA256("sigmsg|" M "|" A).
export const signedMessagePrefix = (message: string): string => `sigmsg|${message}|`;

// §4.12.2 Non-homomorphic answers: SHA256("raweg|" S "|" y "," α "," β "|" A), S = φ "|" credential.
export const rawElGamalPrefix = (s: string, y: bigint, alpha: bigint, beta: bigint): string =>
  `raweg|${s}|${y},${alpha},${beta}|`;

// §4.17 Partial decryptions: SHA256("decrypt|" φ "|" X "|" A "," B).
export const decryptionPrefix = (fingerprint: string, publicKey: bigint): string =>
  `decrypt|${fingerprint}|${publicKey}|`;

// §4.14 Signatures: SHA256("sig|" H "|" A), H the hash of the ballot without its signature.
export const ballotSignaturePrefix = (hash: string): string => `sig|${hash}|`;

export function proofJson(proof: Proof): { challenge: string; response: string } {
  return { challenge: proof.challenge.toString(), response: proof.response.toString() };
}

/** Reads {challenge, response}, both exponents below q. */
export function parseProof(value: unknown, path: string): Proof {
  const o = expectObject(value, path, ["challenge", "response"]);
  const challenge = parseNumber(o.challenge, `${path}.challenge`);
  const response = parseNumber(o.response, `${path}.response`);
  if (!isExponent(challenge) || !isExponent(response)) {
    throw new ElectoralOfficeError("NOT_IN_GROUP", `${path} has a number that is not below q`, { details: { path } });
  }
  return { challenge, response };
}

/** Reads a group element and checks it is in the subgroup. */
export function parseElement(value: unknown, path: string): bigint {
  const x = parseNumber(value, path);
  if (!isElement(x)) {
    throw new ElectoralOfficeError("NOT_IN_GROUP", `${path} is not an element of ${GROUP_NAME}`, { details: { path } });
  }
  return x;
}

/** An object with exactly these keys (Belenios' atdgen readers reject neither extra nor missing keys silently; we refuse both). */
export function expectObject(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be a JSON object`, { details: { path } });
  }
  const o = value as Record<string, unknown>;
  const missing = keys.filter((k) => !(k in o));
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must have exactly the fields ${keys.join(", ")}`, {
      details: { path, missing, extra },
    });
  }
  return o;
}

export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be a JSON array`, { details: { path } });
  }
  return value;
}
