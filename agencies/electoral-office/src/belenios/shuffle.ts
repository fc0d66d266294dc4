// Verifiable re-encryption shuffles (Belenios spec §4.16 and §7, taken from CHVote 1.3.2):
// GenShuffle, GenShuffleProof and CheckShuffleProof exactly as mixnet.ml writes them, including
// the hash inputs ("shuffle-challenges|φ|…" for the u_i, "shuffle-challenge|φ|…" for c).
import { ElectoralOfficeError } from "../errors.ts";
import { type Ciphertext, ciphertextJson, parseCiphertext, reEncrypt } from "./elgamal.ts";
import {
  independentGenerator,
  invert,
  isElement,
  isExponent,
  mod,
  mul,
  parseNumber,
  pow,
  powG,
  product,
  q,
  randomBelow,
  randomExponent,
  sha256Hex,
} from "./group.ts";
import { expectArray, expectObject, parseElement } from "./proofs.ts";

export interface ShuffleProof {
  /** t = (t1, t2, t3, (t41, t42), t̂). */
  readonly t: { t1: bigint; t2: bigint; t3: bigint; t41: bigint; t42: bigint; tHat: bigint[] };
  /** s = (s1, s2, s3, s4, ŝ, s'). */
  readonly s: { s1: bigint; s2: bigint; s3: bigint; s4: bigint; sHat: bigint[]; sPrime: bigint[] };
  /** The permutation commitment c and the commitment chain ĉ. */
  readonly c: bigint[];
  readonly cHat: bigint[];
}

/** One mix server's output: per non-homomorphic question, the shuffled ciphertexts and the proof. */
export interface Shuffle {
  readonly ciphertexts: Ciphertext[][];
  readonly proofs: ShuffleProof[];
}

const strCiphertexts = (e: readonly Ciphertext[]) => e.map((x) => `${x.alpha},${x.beta},`).join("");
const strElements = (c: readonly bigint[]) => c.map((x) => `${x},`).join("");

/** GetNIZKPChallenges(N, S): u_i = SHA256(SHA256(S)_hex ‖ SHA256(i)_hex) mod q. */
function challenges(n: number, text: string): bigint[] {
  const h = sha256Hex(text);
  return Array.from({ length: n }, (_, i) => BigInt(`0x${sha256Hex(h + sha256Hex(String(i)))}`) % q);
}

const challenge = (text: string) => BigInt(`0x${sha256Hex(text)}`) % q;

/** Generators h_0..h_{N-1} and the secondary h = GetGenerator(-1), refusing collisions as mixnet.ml does. */
function generators(n: number): { h: bigint; hh: bigint[] } {
  const h = independentGenerator(-1);
  const hh = Array.from({ length: n }, (_, i) => independentGenerator(i));
  if (new Set([h, ...hh]).size !== n + 1)
    throw new ElectoralOfficeError("NOT_IN_GROUP", "two independent generators collide");
  return { h, hh };
}

/** Shuffles one question's ciphertexts and proves it (GenShuffle then GenShuffleProof). */
export function shuffleQuestion(
  publicKey: bigint,
  fingerprint: string,
  e: readonly Ciphertext[],
): { ciphertexts: Ciphertext[]; proof: ShuffleProof } {
  const n = e.length;
  // GenPermutation: Fisher–Yates as in the spec's table, psi[i] is the input index that lands at i.
  const tmp = Array.from({ length: n }, (_, i) => i);
  const psi = tmp.map((_, i) => {
    const k = i + randomBelow(n - i);
    const j = tmp[k] as number;
    tmp[k] = tmp[i] as number;
    return j;
  });
  const rPrime = e.map(() => randomExponent());
  const reEncrypted = e.map((x, i) => reEncrypt(publicKey, x, rPrime[i] as bigint));
  const ePrime = psi.map((j) => reEncrypted[j] as Ciphertext);

  const { h, hh } = generators(n);
  // GenPermutationCommitment: c_{psi(i)} = g^{r_{psi(i)}} · h_i.
  const c = new Array<bigint>(n);
  const r = new Array<bigint>(n);
  psi.forEach((j, i) => {
    r[j] = randomExponent();
    c[j] = mul(powG(r[j] as bigint), hh[i] as bigint);
  });
  const str1 = strCiphertexts(e) + strCiphertexts(ePrime) + strElements(c);
  const u = challenges(n, `shuffle-challenges|${fingerprint}|${str1}`);
  const uPrime = psi.map((j) => u[j] as bigint);
  // GenCommitmentChain(h, u').
  const rHatList = uPrime.map(() => randomExponent());
  const cHat: bigint[] = [];
  uPrime.forEach((ui, i) => {
    cHat.push(mul(powG(rHatList[i] as bigint), pow(i === 0 ? h : (cHat[i - 1] as bigint), ui)));
  });
  const [w1, w2, w3, w4] = [randomExponent(), randomExponent(), randomExponent(), randomExponent()];
  const wHat = e.map(() => randomExponent());
  const wPrime = e.map(() => randomExponent());
  const t1 = powG(w1);
  const t2 = powG(w2);
  const t3 = mul(powG(w3), product(hh.map((hi, i) => pow(hi, wPrime[i] as bigint))));
  const t41 = mul(invert(pow(publicKey, w4)), product(ePrime.map((x, i) => pow(x.beta, wPrime[i] as bigint))));
  const t42 = mul(invert(powG(w4)), product(ePrime.map((x, i) => pow(x.alpha, wPrime[i] as bigint))));
  const tHat = wHat.map((wh, i) => mul(powG(wh), pow(i === 0 ? h : (cHat[i - 1] as bigint), wPrime[i] as bigint)));
  const str2 = strElements([t1, t2, t3, t41, t42]) + strElements(tHat);
  const str3 = str1 + strElements(cHat) + publicKey.toString();
  const ch = challenge(`shuffle-challenge|${fingerprint}|${str2}${str3}`);

  const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);
  const s1 = mod(w1 + ch * mod(sum(r), q), q);
  const v = new Array<bigint>(n).fill(1n);
  for (let i = n - 2; i >= 0; i--) v[i] = mod((uPrime[i + 1] as bigint) * (v[i + 1] as bigint), q);
  const s2 = mod(w2 + ch * mod(sum(rHatList.map((x, i) => x * (v[i] as bigint))), q), q);
  const s3 = mod(w3 + ch * mod(sum(r.map((x, i) => x * (u[i] as bigint))), q), q);
  const s4 = mod(w4 + ch * mod(sum(rPrime.map((x, i) => x * (u[i] as bigint))), q), q);
  const sHat = wHat.map((x, i) => mod(x + ch * (rHatList[i] as bigint), q));
  const sPrime = wPrime.map((x, i) => mod(x + ch * (uPrime[i] as bigint), q));
  return {
    ciphertexts: ePrime,
    proof: { t: { t1, t2, t3, t41, t42, tHat }, s: { s1, s2, s3, s4, sHat, sPrime }, c, cHat },
  };
}

/** CheckShuffleProof(π, e, e', pk, φ) of the spec, with mixnet.ml's range checks. */
export function checkShuffleProof(
  publicKey: bigint,
  fingerprint: string,
  e: readonly Ciphertext[],
  ePrime: readonly Ciphertext[],
  proof: ShuffleProof,
): boolean {
  const n = e.length;
  const { t, s, c, cHat } = proof;
  if ([ePrime, c, cHat, t.tHat, s.sHat, s.sPrime].some((xs) => xs.length !== n)) return false;
  if (![t.t1, t.t2, t.t3, t.t41, t.t42, ...c, ...cHat, ...t.tHat].every(isElement)) return false;
  if (![s.s1, s.s2, s.s3, s.s4, ...s.sHat, ...s.sPrime].every(isExponent)) return false;
  const { h, hh } = generators(n);
  const str1 = strCiphertexts(e) + strCiphertexts(ePrime) + strElements(c);
  const u = challenges(n, `shuffle-challenges|${fingerprint}|${str1}`);
  const str2 = strElements([t.t1, t.t2, t.t3, t.t41, t.t42]) + strElements(t.tHat);
  const str3 = str1 + strElements(cHat) + publicKey.toString();
  const ch = challenge(`shuffle-challenge|${fingerprint}|${str2}${str3}`);

  const cBar = mul(product(c), invert(product(hh)));
  const uProduct = u.reduce((a, b) => mod(a * b, q), 1n);
  const cHatN = mul(n === 0 ? h : (cHat[n - 1] as bigint), invert(pow(h, uProduct)));
  const cTilde = product(c.map((x, i) => pow(x, u[i] as bigint)));
  const aPrime = product(e.map((x, i) => pow(x.beta, u[i] as bigint)));
  const bPrime = product(e.map((x, i) => pow(x.alpha, u[i] as bigint)));
  const t1 = mul(invert(pow(cBar, ch)), powG(s.s1));
  const t2 = mul(invert(pow(cHatN, ch)), powG(s.s2));
  const t3 = mul(invert(pow(cTilde, ch)), mul(powG(s.s3), product(hh.map((hi, i) => pow(hi, s.sPrime[i] as bigint)))));
  const t41 = mul(
    invert(mul(pow(aPrime, ch), pow(publicKey, s.s4))),
    product(ePrime.map((x, i) => pow(x.beta, s.sPrime[i] as bigint))),
  );
  const t42 = mul(
    invert(mul(pow(bPrime, ch), powG(s.s4))),
    product(ePrime.map((x, i) => pow(x.alpha, s.sPrime[i] as bigint))),
  );
  const tHatOk = cHat.every((ci, i) => {
    const previous = i === 0 ? h : (cHat[i - 1] as bigint);
    return mul(mul(invert(pow(ci, ch)), powG(s.sHat[i] as bigint)), pow(previous, s.sPrime[i] as bigint)) === t.tHat[i];
  });
  return t1 === t.t1 && t2 === t.t2 && t3 === t.t3 && t41 === t.t41 && t42 === t.t42 && tHatOk;
}

const str = (xs: readonly bigint[]) => xs.map((x) => x.toString());

export function shuffleText(shuffle: Shuffle): string {
  return JSON.stringify({
    ciphertexts: shuffle.ciphertexts.map((cs) => cs.map(ciphertextJson)),
    proofs: shuffle.proofs.map((p) => [
      [
        p.t.t1.toString(),
        p.t.t2.toString(),
        p.t.t3.toString(),
        [p.t.t41.toString(), p.t.t42.toString()],
        str(p.t.tHat),
      ],
      [p.s.s1.toString(), p.s.s2.toString(), p.s.s3.toString(), p.s.s4.toString(), str(p.s.sHat), str(p.s.sPrime)],
      str(p.c),
      str(p.cHat),
    ]),
  });
}

function tuple(value: unknown, path: string, length: number): unknown[] {
  const xs = expectArray(value, path);
  if (xs.length !== length) throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must have ${length} items`);
  return xs;
}

function parseProofTuple(value: unknown, path: string): ShuffleProof {
  const [tRaw, sRaw, cRaw, cHatRaw] = tuple(value, path, 4);
  const [t1, t2, t3, t4, tHat] = tuple(tRaw, `${path}[0]`, 5);
  const [t41, t42] = tuple(t4, `${path}[0][3]`, 2);
  const [s1, s2, s3, s4, sHat, sPrime] = tuple(sRaw, `${path}[1]`, 6);
  const elements = (v: unknown, p: string) => expectArray(v, p).map((x, i) => parseElement(x, `${p}[${i}]`));
  const exponents = (v: unknown, p: string) => expectArray(v, p).map((x, i) => parseNumber(x, `${p}[${i}]`));
  return {
    t: {
      t1: parseElement(t1, `${path}.t1`),
      t2: parseElement(t2, `${path}.t2`),
      t3: parseElement(t3, `${path}.t3`),
      t41: parseElement(t41, `${path}.t41`),
      t42: parseElement(t42, `${path}.t42`),
      tHat: elements(tHat, `${path}.tHat`),
    },
    s: {
      s1: parseNumber(s1, `${path}.s1`),
      s2: parseNumber(s2, `${path}.s2`),
      s3: parseNumber(s3, `${path}.s3`),
      s4: parseNumber(s4, `${path}.s4`),
      sHat: exponents(sHat, `${path}.sHat`),
      sPrime: exponents(sPrime, `${path}.sPrime`),
    },
    c: elements(cRaw, `${path}.c`),
    cHat: elements(cHatRaw, `${path}.cHat`),
  };
}

export function parseShuffle(text: string): Shuffle {
  const o = expectObject(JSON.parse(text), "shuffle", ["ciphertexts", "proofs"]);
  const shuffle: Shuffle = {
    ciphertexts: expectArray(o.ciphertexts, "shuffle.ciphertexts").map((cs, i) =>
      expectArray(cs, `shuffle.ciphertexts[${i}]`).map((x, j) => parseCiphertext(x, `shuffle.ciphertexts[${i}][${j}]`)),
    ),
    proofs: expectArray(o.proofs, "shuffle.proofs").map((p, i) => parseProofTuple(p, `shuffle.proofs[${i}]`)),
  };
  if (shuffleText(shuffle) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the shuffle is not in canonical form");
  return shuffle;
}
