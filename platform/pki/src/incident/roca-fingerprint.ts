// The ROCA fingerprint (CVE-2017-15361; Nemec et al., "The Return of Coppersmith's Attack",
// ACM CCS 2017, § 2.3): Infineon's RSALib made primes p = k·M + (65537^a mod M), M a primorial,
// so a modulus N = pq is a power of 65537 modulo every small prime r dividing M. A random
// modulus passes that for all 39 primes up to 167 with negligible probability. This is the
// moduli test, which can also mark a modulus made to pass it without the structure the
// factorisation needs; for suspending keys, erring that way is the safe side.
import { createPublicKey, type KeyObject, X509Certificate } from "node:crypto";

const GENERATOR = 65537n;

/** The first 39 primes (2 … 167): they divide M for every key length RSALib produced (≥ 512 bits). */
const PRIMES: readonly bigint[] = (() => {
  const primes: bigint[] = [];
  for (let n = 2; primes.length < 39; n++) if (primes.every((p) => n % Number(p) !== 0)) primes.push(BigInt(n));
  return primes;
})();

/** For each prime r, the residues of the subgroup 65537 generates modulo r. */
const SUBGROUPS: ReadonlyMap<bigint, ReadonlySet<bigint>> = new Map(
  PRIMES.map((r) => {
    const members = new Set<bigint>();
    for (let x = 1n; !members.has(x); x = (x * GENERATOR) % r) members.add(x);
    return [r, members];
  }),
);

/** Whether an RSA modulus carries RSALib's fingerprint. */
export function hasRocaFingerprint(modulus: bigint): boolean {
  if (modulus <= 1n) return false;
  for (const [r, members] of SUBGROUPS) if (!members.has(modulus % r)) return false;
  return true;
}

/** The modulus of an RSA public key (certificate or key, PEM or DER); undefined for any other key type. */
export function rsaModulus(key: X509Certificate | KeyObject | string | Buffer): bigint | undefined {
  const publicKey =
    key instanceof X509Certificate
      ? key.publicKey
      : typeof key === "string" || Buffer.isBuffer(key)
        ? new X509Certificate(key).publicKey
        : key.type === "private"
          ? createPublicKey(key)
          : key;
  if (publicKey.asymmetricKeyType !== "rsa") return undefined;
  const { n } = publicKey.export({ format: "jwk" });
  return n ? BigInt(`0x${Buffer.from(n, "base64url").toString("hex")}`) : undefined;
}
