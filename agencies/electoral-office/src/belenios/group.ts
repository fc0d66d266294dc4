// The RFC-3526-2048 group as Belenios 2.0 uses it (specification §6.2 "RFC-3526-2048"): the
// 2048-bit MODP prime of RFC 3526 §3, generator 2, the subgroup of quadratic residues of order
// q = (p-1)/2, and the embedding {padding 8, bits_per_int 8} that lets a non-homomorphic answer
// (a vector of small integers) be one group element (§4.12.2).
//
// Modular exponentiation is the whole cost of an election record. Measured on this machine
// (README "Group arithmetic"): OpenSSL through node:crypto's Diffie-Hellman object is ~8× faster
// than BigInt square-and-multiply, so every exponentiation goes through it.
import { createDiffieHellman, createHash, randomBytes } from "node:crypto";
import { ElectoralOfficeError } from "../errors.ts";

/** The group's name as it appears in the `election` structure and in the pok hash (§4.5). */
export const GROUP_NAME = "RFC-3526-2048";

export const p = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
);
export const q = (p - 1n) / 2n;
export const g = 2n;
/** §4.12.2: κ (bits per integer) and the padding that leaves room to land in the subgroup. */
export const EMBEDDING = { padding: 8, bitsPerInt: 8 } as const;

const BYTES = 256;
const pBytes = toBytes(p);
// One OpenSSL DH context reused for every power: setPrivateKey(e) then computeSecret(b) is b^e mod p.
const dh = createDiffieHellman(pBytes, Buffer.from([2]));

function toBytes(x: bigint): Buffer {
  return Buffer.from(x.toString(16).padStart(BYTES * 2, "0"), "hex");
}

function fromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString("hex")}`);
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** base^exponent mod p for any integer exponent (negative ones through the inverse). */
export function pow(base: bigint, exponent: bigint): bigint {
  if (exponent < 0n) return pow(invert(base), -exponent);
  const b = mod(base, p);
  if (exponent === 0n || b === 1n) return 1n;
  if (exponent === 1n || b === 0n) return b;
  // OpenSSL refuses the "public keys" p-1 and 1 (small-subgroup checks), so -1 is done by parity.
  if (b === p - 1n) return exponent & 1n ? b : 1n;
  try {
    return opensslPow(b, exponent);
  } catch {
    // OpenSSL also refuses a shared secret of 1 (a weak DH secret), which is a legitimate answer
    // here (x^q for a group element); b ≠ ±1, so b^(e-1) = b^-1 ≠ 1 and this one retry succeeds.
    return mul(opensslPow(b, exponent - 1n), b);
  }
}

function opensslPow(b: bigint, exponent: bigint): bigint {
  dh.setPrivateKey(toBytes(exponent));
  return fromBytes(dh.computeSecret(toBytes(b)));
}

/** g^exponent mod p. */
export function powG(exponent: bigint): bigint {
  return pow(g, mod(exponent, q));
}

export function mul(a: bigint, b: bigint): bigint {
  return (a * b) % p;
}

/** Inverse of a modulo a prime m (extended Euclid): m = p for elements, m = q for exponents. */
export function inverseModulo(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new ElectoralOfficeError("NOT_IN_GROUP", "0 has no inverse");
  return mod(oldS, m);
}

export function invert(a: bigint): bigint {
  return inverseModulo(a, p);
}

export function div(a: bigint, b: bigint): bigint {
  return mul(a, invert(b));
}

export function product(xs: readonly bigint[]): bigint {
  return xs.reduce((acc, x) => mul(acc, x), 1n);
}

/**
 * Group membership as Belenios checks it (group_field.ml `check`: 0 ≤ x < p and x^q = 1). p is a
 * safe prime, so x^q = 1 exactly when x is a nonzero quadratic residue: the Legendre symbol,
 * computed as a Jacobi symbol, answers ~20× faster than the exponentiation (README).
 */
export function isElement(x: bigint): boolean {
  return x > 0n && x < p && jacobi(x, p) === 1;
}

/** The Jacobi symbol (a/n) for odd n > 0, by quadratic reciprocity (binary algorithm). */
function jacobi(a0: bigint, n0: bigint): number {
  let a = a0 % n0;
  let n = n0;
  let t = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) t = -t;
    }
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}

/** `check_modulo q`: an exponent (challenge, response) is 0 ≤ x < q. */
export function isExponent(x: bigint): boolean {
  return x >= 0n && x < q;
}

/** A uniformly random exponent in Z_q (rejection sampling over 2048 random bits). */
export function randomExponent(): bigint {
  for (;;) {
    const x = fromBytes(randomBytes(BYTES)) >> 1n;
    if (x < q) return x;
  }
}

/** A uniformly random integer in [0, n), for permutations. */
export function randomBelow(n: number): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = randomBytes(4).readUInt32BE(0);
    if (x < limit) return x % n;
  }
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Base64 of SHA-256 without padding: Belenios' H_JSON (§4.13), the fingerprint of a JSON text. */
export function sha256B64(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64").replace(/=+$/, "");
}

/**
 * Belenios' Fiat–Shamir hash (group_field.ml `hash`): SHA-256 of the prefix followed by the numbers
 * in base 10 separated by commas, read as a big-endian number, reduced modulo q.
 */
export function hashToExponent(prefix: string, elements: readonly bigint[]): bigint {
  return BigInt(`0x${sha256Hex(prefix + elements.map((x) => x.toString(10)).join(","))}`) % q;
}

/** §4.12.2 group_encode: the vector packed κ bits per value, shifted by the padding, then the next subgroup element. */
export function encodeInts(values: readonly number[]): bigint {
  let x = 0n;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** EMBEDDING.bitsPerInt) {
      throw new ElectoralOfficeError("VOTE_INVALID", `each value of a non-homomorphic answer is 0..255, got ${v}`);
    }
    x = (x << BigInt(EMBEDDING.bitsPerInt)) + BigInt(v);
  }
  x <<= BigInt(EMBEDDING.padding);
  // Belenios walks up from the padded number until it lands in the subgroup (Legendre symbol 1).
  while (!isElement(x)) x += 1n;
  return x;
}

/** §4.12.2 group_decode: the inverse of {@link encodeInts} for a vector of n values. */
export function decodeInts(n: number, x: bigint): number[] {
  const mask = (1n << BigInt(EMBEDDING.bitsPerInt)) - 1n;
  let rest = x >> BigInt(EMBEDDING.padding);
  const values = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    values[i] = Number(rest & mask);
    rest >>= BigInt(EMBEDDING.bitsPerInt);
  }
  return values;
}

/**
 * The independent generators of the shuffle proofs (spec table "GetGenerator"): SHA-256 of
 * `ggen|i` squared into the subgroup. Index -1 is the secondary generator h.
 */
export function independentGenerator(index: number): bigint {
  const h = pow(BigInt(`0x${sha256Hex(`ggen|${index}`)}`), (p - 1n) / q);
  if (h === 0n || h === 1n || h === g) {
    throw new ElectoralOfficeError("NOT_IN_GROUP", `independent generator ${index} is degenerate`);
  }
  return h;
}

/** Parses a base-10 group element or exponent as Belenios writes it (a JSON string, no sign, no leading zeros). */
export function parseNumber(text: unknown, path: string): bigint {
  if (typeof text !== "string" || !/^(0|[1-9][0-9]*)$/.test(text) || text.length > 700) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be a base-10 number in a string`, {
      details: { path },
    });
  }
  return BigInt(text);
}
