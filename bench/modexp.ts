// Modular exponentiation in RFC-3526-2048, the cost of every Belenios proof: BigInt
// square-and-multiply (the baseline) against OpenSSL through node:crypto's Diffie-Hellman object
// (what group.ts uses). No WebAssembly big-integer package is installed in the tree, so none is
// measured. Run: npm run bench -- modexp
import { isElement, p, pow, powG, q, randomExponent } from "../agencies/electoral-office/src/belenios/group.ts";

function bigintPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % p;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % p;
    b = (b * b) % p;
  }
  return result;
}

function perOp(label: string, n: number, f: (i: number) => bigint): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
  console.log(`${label.padEnd(44)} ${ms.toFixed(3)} ms/op  (${Math.round(1000 / ms)} op/s, n=${n})`);
  return ms;
}

const exponents = Array.from({ length: 200 }, () => randomExponent());
const bases = exponents.map((x) => powG(x));
for (let i = 0; i < 20; i++) {
  if (bigintPow(bases[i] as bigint, exponents[i] as bigint) !== pow(bases[i] as bigint, exponents[i] as bigint)) {
    throw new Error("OpenSSL and BigInt disagree");
  }
}
console.log(
  `RFC-3526-2048, exponents uniform below q (${q.toString(2).length} bits), node ${process.version}, OpenSSL ${process.versions.openssl}`,
);
const baseline = perOp("BigInt square-and-multiply b^x mod p", 20, (i) =>
  bigintPow(bases[i] as bigint, exponents[i] as bigint),
);
const openssl = perOp("OpenSSL DH computeSecret b^x mod p", 200, (i) =>
  pow(bases[i] as bigint, exponents[i] as bigint),
);
perOp("OpenSSL DH computeSecret g^x mod p", 200, (i) => powG(exponents[i] as bigint));
// Membership (x^q = 1) is the one power whose answer is 1, which OpenSSL refuses as a DH secret.
perOp("membership x^q = 1 through OpenSSL (b^(q-1)·b)", 50, (i) => pow(bases[i] as bigint, q));
perOp("membership by Jacobi symbol (group.ts isElement)", 200, (i) => (isElement(bases[i] as bigint) ? 1n : 0n));
console.log(`OpenSSL / BigInt speed-up: ${(baseline / openssl).toFixed(1)}x`);
