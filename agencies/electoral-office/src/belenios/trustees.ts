// The `trustees` structure (Belenios spec §4.9) and how its keys are made (§3.1.1, §4.6–4.8):
// a "Single" trustee (the server's mandatory key, required by §4.9) and a "Pedersen" group of N
// trustees of whom any M = t+1 decrypt, with no trusted dealer (Pedersen DKG, §4.7.3).
//
// What riik does not do yet: the trustees' private messages (encrypted polynomial shares, §4.6.3
// channels with AES-CCM) travel in memory inside one process. Only their public parts — certs,
// signed coefficient commitments, verification keys — are published, and those are all a verifier reads.
import { ElectoralOfficeError } from "../errors.ts";
import { BASE58 } from "./credentials.ts";
import { g, isElement, mod, pow, powG, product, q, randomBelow, randomExponent, sha256Hex } from "./group.ts";
import {
  expectArray,
  expectObject,
  type Proof,
  parseElement,
  parseProof,
  pokPrefix,
  proofJson,
  prove,
  signedMessagePrefix,
  verifies,
} from "./proofs.ts";

/** §4.5 trustee_public_key: X = g^x with a proof of knowledge of x. */
export interface TrusteePublicKey {
  readonly publicKey: bigint;
  readonly pok: Proof;
}

/** §4.6.1 signed_msg: a message (a JSON text) and a Schnorr signature over it. */
export interface SignedMessage {
  readonly message: string;
  readonly signature: Proof;
}

/** §4.8 threshold_parameters. */
export interface ThresholdParameters {
  readonly threshold: number;
  readonly certs: readonly SignedMessage[];
  readonly coefexps: readonly SignedMessage[];
  readonly verificationKeys: readonly TrusteePublicKey[];
}

export type TrusteeKind =
  | { readonly kind: "Single"; readonly key: TrusteePublicKey }
  | { readonly kind: "Pedersen"; readonly parameters: ThresholdParameters };

export function trusteePublicKey(secret: bigint): TrusteePublicKey {
  const publicKey = powG(secret);
  return { publicKey, pok: prove(secret, [g], pokPrefix(publicKey)) };
}

export function checkTrusteePublicKey(k: TrusteePublicKey): boolean {
  return isElement(k.publicKey) && verifies(k.pok, [[g, k.publicKey]], pokPrefix(k.publicKey));
}

export function signMessage(signingKey: bigint, message: string): SignedMessage {
  return { message, signature: prove(signingKey, [g], signedMessagePrefix(message)) };
}

export function checkSignedMessage(verificationKey: bigint, m: SignedMessage): boolean {
  return verifies(m.signature, [[g, verificationKey]], signedMessagePrefix(m.message));
}

/** A "Single" trustee's key: a random secret (the server's mandatory key in riik). */
export function generateSingleTrustee(): { secret: bigint; key: TrusteePublicKey } {
  const secret = randomExponent();
  return { secret, key: trusteePublicKey(secret) };
}

/** One Pedersen trustee's secret material: the seed of §4.6.1 and the keys derived from it. */
export interface PedersenTrustee {
  readonly seed: string;
  readonly signingKey: bigint;
  readonly decryptionKey: bigint;
  readonly cert: SignedMessage;
}

/** Step 1 (§4.6.1, §4.7): a 22-character base-58 seed, sk = SHA256("sk|"s), dk = SHA256("dk|"s), and the cert. */
export function pedersenStep1(): PedersenTrustee {
  let seed = "";
  for (let i = 0; i < 22; i++) seed += BASE58[randomBelow(58)];
  const signingKey = BigInt(`0x${sha256Hex(`sk|${seed}`)}`);
  const decryptionKey = BigInt(`0x${sha256Hex(`dk|${seed}`)}`);
  const keys = JSON.stringify({
    verification: powG(signingKey).toString(),
    encryption: powG(decryptionKey).toString(),
  });
  return { seed, signingKey, decryptionKey, cert: signMessage(signingKey, keys) };
}

function certVerificationKey(cert: SignedMessage, path: string): bigint {
  const keys = expectObject(JSON.parse(cert.message), path, ["verification", "encryption"]);
  parseElement(keys.encryption, `${path}.encryption`);
  return parseElement(keys.verification, `${path}.verification`);
}

/** Step 3 (§4.7.3): a random polynomial of degree t, its signed coefficient commitments, and f(j) for each trustee j. */
export function pedersenStep3(
  trustee: PedersenTrustee,
  trusteeCount: number,
  threshold: number,
): { coefexps: SignedMessage; shares: bigint[] } {
  const polynomial = Array.from({ length: threshold }, () => randomExponent());
  const coefexps = signMessage(
    trustee.signingKey,
    JSON.stringify({ coefexps: polynomial.map((a) => powG(a).toString()) }),
  );
  const shares = Array.from({ length: trusteeCount }, (_, j) =>
    polynomial.reduceRight((acc, a) => mod(acc * BigInt(j + 1) + a, q), 0n),
  );
  return { coefexps, shares };
}

function coefficientCommitments(coefexps: SignedMessage, path: string): bigint[] {
  const o = expectObject(JSON.parse(coefexps.message), path, ["coefexps"]);
  return expectArray(o.coefexps, `${path}.coefexps`).map((x, k) => parseElement(x, `${path}.coefexps[${k}]`));
}

/** ∏_k A_ik^(j^k) = g^f_i(j): what trustee i's share for trustee j (1-based) must be (§4.7.3 vinputs). */
function shareImage(commitments: readonly bigint[], j: number): bigint {
  let jk = 1n;
  return product(
    commitments.map((a) => {
      const term = pow(a, jk);
      jk *= BigInt(j);
      return term;
    }),
  );
}

/** ∏_i g^f_i(j): the public key g^S_j of trustee j's decryption key (trustees.ml compute_verification_keys). */
export function expectedVerificationKeys(commitments: readonly (readonly bigint[])[]): bigint[] {
  return commitments.map((_, j) => product(commitments.map((c) => shareImage(c, j + 1))));
}

/**
 * Steps 5–6 (§4.7.4–4.8): each trustee j checks the shares it received against the commitments,
 * sums them into its decryption key S_j and proves knowledge of it; the parameters are assembled.
 */
export function pedersenFinish(
  trustees: readonly PedersenTrustee[],
  polynomials: readonly { coefexps: SignedMessage; shares: readonly bigint[] }[],
  threshold: number,
): { parameters: ThresholdParameters; decryptionKeys: bigint[] } {
  const commitments = polynomials.map((poly, i) => coefficientCommitments(poly.coefexps, `coefexps[${i}]`));
  const expected = expectedVerificationKeys(commitments);
  const decryptionKeys = trustees.map((_, j) => {
    polynomials.forEach((poly, i) => {
      const share = poly.shares[j] as bigint;
      const want = shareImage(commitments[i] as bigint[], j + 1);
      if (powG(share) !== want) {
        throw new ElectoralOfficeError(
          "TRUSTEES_INVALID",
          `trustee ${i + 1}'s share for trustee ${j + 1} does not match its commitments`,
        );
      }
    });
    return polynomials.reduce((acc, poly) => mod(acc + (poly.shares[j] as bigint), q), 0n);
  });
  const verificationKeys = decryptionKeys.map((s, j) => {
    const key = trusteePublicKey(s);
    if (key.publicKey !== expected[j])
      throw new ElectoralOfficeError("TRUSTEES_INVALID", `verification key ${j + 1} is incorrect`);
    return key;
  });
  return {
    parameters: {
      threshold,
      certs: trustees.map((t) => t.cert),
      coefexps: polynomials.map((p) => p.coefexps),
      verificationKeys,
    },
    decryptionKeys,
  };
}

/** trustees.ml `check`: every pok, cert and coefexps signature, and the verification keys against the commitments. */
export function checkTrustees(trustees: readonly TrusteeKind[]): void {
  trustees.forEach((t, i) => {
    const fail = (what: string) => {
      throw new ElectoralOfficeError("TRUSTEES_INVALID", `trustees[${i}]: ${what}`);
    };
    if (t.kind === "Single") {
      if (!checkTrusteePublicKey(t.key)) fail("the proof of knowledge of the key does not verify");
      return;
    }
    const { certs, coefexps, verificationKeys, threshold } = t.parameters;
    if (certs.length !== coefexps.length || certs.length !== verificationKeys.length || certs.length === 0) {
      fail("certs, coefexps and verification keys differ in number");
    }
    const commitments = certs.map((cert, z) => {
      const vk = certVerificationKey(cert, `trustees[${i}].certs[${z}]`);
      if (!checkSignedMessage(vk, cert)) fail(`cert ${z + 1} signature does not verify`);
      if (!checkSignedMessage(vk, coefexps[z] as SignedMessage)) fail(`coefexps ${z + 1} signature does not verify`);
      return coefficientCommitments(coefexps[z] as SignedMessage, `trustees[${i}].coefexps[${z}]`);
    });
    if (commitments.some((c) => c.length !== threshold)) fail("the threshold is not the number of coefficients");
    const expected = expectedVerificationKeys(commitments);
    verificationKeys.forEach((k, z) => {
      if (!checkTrusteePublicKey(k)) fail(`verification key ${z + 1} proof does not verify`);
      if (k.publicKey !== expected[z]) fail(`verification key ${z + 1} does not match the commitments`);
    });
  });
}

/** §3.1.1: y = ∏ sub-keys; a Pedersen sub-key is ∏_z A_z0. */
export function combinedPublicKey(trustees: readonly TrusteeKind[]): bigint {
  return product(
    trustees.map((t) =>
      t.kind === "Single"
        ? t.key.publicKey
        : product(t.parameters.coefexps.map((c, z) => coefficientCommitments(c, `coefexps[${z}]`)[0] as bigint)),
    ),
  );
}

/** The decryption keys of the trustees in the order of partial decryption owners (1-based, Single then Pedersen members). */
export function trusteeKeys(trustees: readonly TrusteeKind[]): bigint[] {
  return trustees.flatMap((t) =>
    t.kind === "Single" ? [t.key.publicKey] : t.parameters.verificationKeys.map((k) => k.publicKey),
  );
}

const keyJson = (k: TrusteePublicKey) => ({ pok: proofJson(k.pok), public_key: k.publicKey.toString() });
const signedJson = (m: SignedMessage) => ({ message: m.message, signature: proofJson(m.signature) });

export function trusteesText(trustees: readonly TrusteeKind[]): string {
  return JSON.stringify(
    trustees.map((t) =>
      t.kind === "Single"
        ? ["Single", keyJson(t.key)]
        : [
            "Pedersen",
            {
              threshold: t.parameters.threshold,
              certs: t.parameters.certs.map(signedJson),
              coefexps: t.parameters.coefexps.map(signedJson),
              verification_keys: t.parameters.verificationKeys.map(keyJson),
            },
          ],
    ),
  );
}

function parseKey(value: unknown, path: string): TrusteePublicKey {
  const o = expectObject(value, path, ["pok", "public_key"]);
  return { pok: parseProof(o.pok, `${path}.pok`), publicKey: parseElement(o.public_key, `${path}.public_key`) };
}

function parseSigned(value: unknown, path: string): SignedMessage {
  const o = expectObject(value, path, ["message", "signature"]);
  if (typeof o.message !== "string") throw new ElectoralOfficeError("RECORD_MALFORMED", `${path}.message must be text`);
  return { message: o.message, signature: parseProof(o.signature, `${path}.signature`) };
}

export function parseTrustees(text: string): TrusteeKind[] {
  const trustees = expectArray(JSON.parse(text), "trustees").map((raw, i): TrusteeKind => {
    const path = `trustees[${i}]`;
    const pair = expectArray(raw, path);
    if (pair.length !== 2) throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be [kind, value]`);
    if (pair[0] === "Single") return { kind: "Single", key: parseKey(pair[1], `${path}[1]`) };
    if (pair[0] !== "Pedersen")
      throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be Single or Pedersen`);
    const o = expectObject(pair[1], `${path}[1]`, ["threshold", "certs", "coefexps", "verification_keys"]);
    if (typeof o.threshold !== "number" || !Number.isInteger(o.threshold) || o.threshold < 1) {
      throw new ElectoralOfficeError("RECORD_MALFORMED", `${path}.threshold must be a positive integer`);
    }
    return {
      kind: "Pedersen",
      parameters: {
        threshold: o.threshold,
        certs: expectArray(o.certs, `${path}.certs`).map((c, z) => parseSigned(c, `${path}.certs[${z}]`)),
        coefexps: expectArray(o.coefexps, `${path}.coefexps`).map((c, z) => parseSigned(c, `${path}.coefexps[${z}]`)),
        verificationKeys: expectArray(o.verification_keys, `${path}.verification_keys`).map((k, z) =>
          parseKey(k, `${path}.verification_keys[${z}]`),
        ),
      },
    };
  });
  if (trusteesText(trustees) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the trustees are not in canonical form");
  return trustees;
}
