import { createHmac } from "node:crypto";

/**
 * ECDSA over a digest computed elsewhere (FIPS 186-5 6.4.1) with the deterministic nonce of
 * RFC 6979 3.2. Node's crypto always hashes what it signs, but a hash signer receives only
 * the digest (as a smart card does), so the card-file signer signs with this instead.
 * Verification stays with OpenSSL (node:crypto), which sees the whole signed data.
 */
export interface Curve {
  name: "P-256" | "P-384";
  p: bigint;
  n: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  bytes: number;
}

export const CURVES: Readonly<Record<Curve["name"], Curve>> = Object.freeze({
  "P-256": {
    name: "P-256",
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bytes: 32,
  },
  "P-384": {
    name: "P-384",
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bytes: 48,
  },
});

type Jacobian = [bigint, bigint, bigint];

const mod = (a: bigint, m: bigint) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function power(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

const invert = (a: bigint, prime: bigint) => power(a, prime - 2n, prime);

// dbl-2001-b for a = -3 (both NIST curves).
function double(point: Jacobian, p: bigint): Jacobian {
  const [x, y, z] = point;
  if (y === 0n || z === 0n) return [0n, 1n, 0n];
  const delta = (z * z) % p;
  const gamma = (y * y) % p;
  const beta = (x * gamma) % p;
  const alpha = mod(3n * (x - delta) * (x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return [x3, y3, z3];
}

// add-2007-bl.
function add(a: Jacobian, b: Jacobian, p: bigint): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const z1z1 = (a[2] * a[2]) % p;
  const z2z2 = (b[2] * b[2]) % p;
  const u1 = (a[0] * z2z2) % p;
  const u2 = (b[0] * z1z1) % p;
  const s1 = (a[1] * b[2] * z2z2) % p;
  const s2 = (b[1] * a[2] * z1z1) % p;
  const h = mod(u2 - u1, p);
  const r = mod(2n * (s2 - s1), p);
  if (h === 0n) return r === 0n ? double(a, p) : [0n, 1n, 0n];
  const i = (4n * h * h) % p;
  const j = (h * i) % p;
  const v = (u1 * i) % p;
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((a[2] + b[2]) * (a[2] + b[2]) - z1z1 - z2z2) * h, p);
  return [x3, y3, z3];
}

const tables = new Map<string, Jacobian[]>();

/** k·G with a 4-bit fixed window over a cached table of G multiples. */
export function multiplyBase(curve: Curve, k: bigint): { x: bigint; y: bigint } {
  let table = tables.get(curve.name);
  if (!table) {
    table = [[0n, 1n, 0n]];
    for (let i = 1; i < 16; i++) table.push(add(table[i - 1]!, [curve.gx, curve.gy, 1n], curve.p));
    tables.set(curve.name, table);
  }
  let acc: Jacobian = [0n, 1n, 0n];
  for (let shift = BigInt(curve.bytes * 8 - 4); shift >= 0n; shift -= 4n) {
    for (let i = 0; i < 4; i++) acc = double(acc, curve.p);
    acc = add(acc, table[Number((k >> shift) & 15n)]!, curve.p);
  }
  const zInverse = invert(acc[2], curve.p);
  const z2 = (zInverse * zInverse) % curve.p;
  return { x: (acc[0] * z2) % curve.p, y: (acc[1] * z2 * zInverse) % curve.p };
}

const toBigInt = (bytes: Uint8Array) => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`));
const toBytes = (value: bigint, length: number) => Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex");

/** RFC 6979 2.3.2 bits2int: the leftmost qlen bits of the digest. */
function bits2int(curve: Curve, digest: Uint8Array): bigint {
  const value = toBigInt(digest);
  const excess = digest.length * 8 - curve.bytes * 8;
  return excess > 0 ? value >> BigInt(excess) : value;
}

const HMAC_FOR_LENGTH: Record<number, string> = { 32: "sha256", 48: "sha384", 64: "sha512" };

/** Signs `digest` with private scalar `d`; the result is r‖s, each `curve.bytes` long (IEEE P1363, XMLDSig 1.1). */
export function signDigest(curve: Curve, d: bigint, digest: Uint8Array): Uint8Array {
  const hmac = HMAC_FOR_LENGTH[digest.length];
  if (!hmac) throw new Error(`digest of ${digest.length} bytes is not SHA-256, SHA-384 or SHA-512`);
  const { n } = curve;
  const e = mod(bits2int(curve, digest), n);
  const mac = (key: Uint8Array, ...parts: Uint8Array[]) => {
    const h = createHmac(hmac, key);
    for (const part of parts) h.update(part);
    return h.digest();
  };
  // RFC 6979 3.2 steps b-h.
  const x = toBytes(d, curve.bytes);
  const h1 = toBytes(e, curve.bytes);
  const hlen = digest.length;
  let v: Uint8Array = Buffer.alloc(hlen, 1);
  let k: Uint8Array = Buffer.alloc(hlen, 0);
  k = mac(k, v, Uint8Array.of(0), x, h1);
  v = mac(k, v);
  k = mac(k, v, Uint8Array.of(1), x, h1);
  v = mac(k, v);
  for (;;) {
    let t: Uint8Array = Buffer.alloc(0);
    while (t.length < curve.bytes) {
      v = mac(k, v);
      t = Buffer.concat([t, v]);
    }
    const nonce = bits2int(curve, t.subarray(0, curve.bytes));
    if (nonce >= 1n && nonce < n) {
      const r = mod(multiplyBase(curve, nonce).x, n);
      const s = mod(invert(nonce, n) * (e + r * d), n);
      if (r !== 0n && s !== 0n) return Buffer.concat([toBytes(r, curve.bytes), toBytes(s, curve.bytes)]);
    }
    k = mac(k, v, Uint8Array.of(0));
    v = mac(k, v);
  }
}
