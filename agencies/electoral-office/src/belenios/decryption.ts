// Partial decryptions and the result (Belenios spec §4.17 and §4.18): each trustee publishes
// α^x for every ciphertext of the (shuffled) tally with a proof that log_g X = log_α (α^x); the
// factors combine — Lagrange interpolation at 0 inside a Pedersen group (§4.18) — into α^s, and
// β / α^s is the encoded answer vector of each ballot.
import { ElectoralOfficeError } from "../errors.ts";
import { type Ciphertext, unblind } from "./elgamal.ts";
import { decodeInts, g, inverseModulo, isElement, mod, mul, pow, q } from "./group.ts";
import {
  decryptionPrefix,
  expectArray,
  expectObject,
  type Proof,
  parseElement,
  parseProof,
  proofJson,
  prove,
  verifies,
} from "./proofs.ts";
import type { TrusteeKind } from "./trustees.ts";

export interface PartialDecryption {
  readonly factors: bigint[][];
  readonly proofs: Proof[][];
}

/** A partial decryption and its owner: the trustee's 1-based position (Single keys, then Pedersen members). */
export interface OwnedPartialDecryption {
  readonly owner: number;
  readonly decryption: PartialDecryption;
}

export function decryptPartially(
  fingerprint: string,
  tally: readonly (readonly Ciphertext[])[],
  secret: bigint,
): PartialDecryption {
  const prefix = decryptionPrefix(fingerprint, pow(g, secret));
  return {
    factors: tally.map((cs) => cs.map((c) => pow(c.alpha, secret))),
    proofs: tally.map((cs) => cs.map((c) => prove(secret, [g, c.alpha], prefix))),
  };
}

/** election.ml `check_factor`: shapes match the tally and every proof verifies under the trustee's key. */
export function checkPartialDecryption(
  fingerprint: string,
  tally: readonly (readonly Ciphertext[])[],
  publicKey: bigint,
  d: PartialDecryption,
): boolean {
  const prefix = decryptionPrefix(fingerprint, publicKey);
  if (d.factors.length !== tally.length || d.proofs.length !== tally.length) return false;
  return tally.every((cs, i) => {
    const fs = d.factors[i] as bigint[];
    const ps = d.proofs[i] as Proof[];
    if (fs.length !== cs.length || ps.length !== cs.length) return false;
    return cs.every(
      (c, j) =>
        isElement(fs[j] as bigint) &&
        verifies(
          ps[j] as Proof,
          [
            [g, publicKey],
            [c.alpha, fs[j] as bigint],
          ],
          prefix,
        ),
    );
  });
}

/** λ_δ = ∏_{k ∈ I \ {δ}} k / (k − δ) mod q (§4.18). */
function lagrange(indexes: readonly number[], j: number): bigint {
  return indexes.reduce((acc, k) => (k === j ? acc : mod(acc * BigInt(k) * inverseModulo(BigInt(k - j), q), q)), 1n);
}

/**
 * Util.compute_synthetic_factors: one checked partial decryption per Single trustee, the first
 * `threshold` checked ones of each Pedersen group, combined into F_ij. Throws PROOF_INVALID for a
 * wrong share and DECRYPTION_INCOMPLETE when a required one is missing.
 */
export function combineFactors(
  fingerprint: string,
  tally: readonly (readonly Ciphertext[])[],
  trustees: readonly TrusteeKind[],
  decryptions: readonly OwnedPartialDecryption[],
): bigint[][] {
  const byOwner = new Map<number, PartialDecryption>();
  for (const d of decryptions) byOwner.set(d.owner, d.decryption);
  const one = tally.map((cs) => cs.map(() => 1n));
  const multiplyInto = (acc: bigint[][], factors: bigint[][], exponent: bigint) =>
    acc.map((row, i) => row.map((x, j) => mul(x, pow((factors[i] as bigint[])[j] as bigint, exponent))));
  let owner = 0;
  let combined = one;
  trustees.forEach((t, ti) => {
    const members = t.kind === "Single" ? [t.key.publicKey] : t.parameters.verificationKeys.map((k) => k.publicKey);
    const supplied: [number, PartialDecryption][] = [];
    members.forEach((key, m) => {
      owner += 1;
      const d = byOwner.get(owner);
      if (d === undefined) return;
      if (!checkPartialDecryption(fingerprint, tally, key, d)) {
        throw new ElectoralOfficeError("PROOF_INVALID", `the partial decryption of trustee ${owner} does not verify`);
      }
      supplied.push([m + 1, d]);
    });
    const needed = t.kind === "Single" ? 1 : t.parameters.threshold;
    if (supplied.length < needed) {
      throw new ElectoralOfficeError(
        "DECRYPTION_INCOMPLETE",
        `trustees[${ti}] needs ${needed} partial decryption(s), has ${supplied.length}`,
      );
    }
    const used = supplied.slice(0, needed);
    const indexes = used.map(([index]) => index);
    for (const [index, d] of used) {
      combined = multiplyInto(combined, d.factors, t.kind === "Single" ? 1n : lagrange(indexes, index));
    }
  });
  return combined;
}

/** The result of §4.18 for non-homomorphic questions: each ballot's decoded answer vector. */
export function decodeResult(
  tally: readonly (readonly Ciphertext[])[],
  factors: readonly (readonly bigint[])[],
  answerCounts: readonly number[],
): number[][][] {
  return tally.map((cs, i) =>
    cs.map((c, j) => decodeInts(answerCounts[i] as number, unblind(c, (factors[i] as bigint[])[j] as bigint))),
  );
}

export function partialDecryptionText(d: PartialDecryption): string {
  return JSON.stringify({
    decryption_factors: d.factors.map((row) => row.map((x) => x.toString())),
    decryption_proofs: d.proofs.map((row) => row.map(proofJson)),
  });
}

export function parsePartialDecryption(text: string): PartialDecryption {
  const o = expectObject(JSON.parse(text), "partial_decryption", ["decryption_factors", "decryption_proofs"]);
  const d: PartialDecryption = {
    factors: expectArray(o.decryption_factors, "decryption_factors").map((row, i) =>
      expectArray(row, `decryption_factors[${i}]`).map((x, j) => parseElement(x, `decryption_factors[${i}][${j}]`)),
    ),
    proofs: expectArray(o.decryption_proofs, "decryption_proofs").map((row, i) =>
      expectArray(row, `decryption_proofs[${i}]`).map((x, j) => parseProof(x, `decryption_proofs[${i}][${j}]`)),
    ),
  };
  if (partialDecryptionText(d) !== text) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the partial decryption is not in canonical form");
  }
  return d;
}
