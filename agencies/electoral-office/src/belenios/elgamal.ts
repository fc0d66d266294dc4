// ElGamal over the election group (Belenios spec §4.12): (α, β) = (g^r, y^r · m), and the
// re-encryption mixes use (spec table "GenReEncryption"): (α·g^r', β·y^r').
import { ElectoralOfficeError } from "../errors.ts";
import { div, mul, pow, powG, randomExponent } from "./group.ts";
import { expectObject, parseElement } from "./proofs.ts";

export interface Ciphertext {
  readonly alpha: bigint;
  readonly beta: bigint;
}

export function encrypt(
  publicKey: bigint,
  message: bigint,
  r: bigint = randomExponent(),
): { ciphertext: Ciphertext; r: bigint } {
  return { ciphertext: { alpha: powG(r), beta: mul(pow(publicKey, r), message) }, r };
}

export function reEncrypt(publicKey: bigint, c: Ciphertext, r: bigint): Ciphertext {
  return { alpha: mul(c.alpha, powG(r)), beta: mul(c.beta, pow(publicKey, r)) };
}

/** β / F where F = α^x is the (combined) decryption factor. */
export function unblind(c: Ciphertext, factor: bigint): bigint {
  return div(c.beta, factor);
}

/** Belenios orders ciphertexts by α then β (question_nh.ml `compare_ciphertexts`). */
export function compareCiphertexts(a: Ciphertext, b: Ciphertext): number {
  if (a.alpha !== b.alpha) return a.alpha < b.alpha ? -1 : 1;
  if (a.beta !== b.beta) return a.beta < b.beta ? -1 : 1;
  return 0;
}

export function ciphertextJson(c: Ciphertext): { alpha: string; beta: string } {
  return { alpha: c.alpha.toString(), beta: c.beta.toString() };
}

export function parseCiphertext(value: unknown, path: string): Ciphertext {
  const o = expectObject(value, path, ["alpha", "beta"]);
  return { alpha: parseElement(o.alpha, `${path}.alpha`), beta: parseElement(o.beta, `${path}.beta`) };
}

export function sameLength(a: readonly unknown[], b: readonly unknown[], what: string): void {
  if (a.length !== b.length) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `${what}: ${a.length} and ${b.length} items do not match`);
  }
}
