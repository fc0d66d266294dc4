/**
 * The app's key, as the `/app` page keeps it (and as the tests play the phone): an ECDSA
 * P-256 key pair made by WebCrypto, the private key wrapped with AES-256-GCM under a key
 * derived from PIN1 by PBKDF2-HMAC-SHA-256 (RFC 8018 5.2; 600 000 iterations, OWASP's
 * figure for it) and a random salt. Only the wrapped form is stored; a wrong PIN1 fails
 * GCM's tag check (NIST SP 800-38D 7.2), so the page knows before anything is signed.
 * Runs in browsers and in Node 20 alike: WebCrypto, atob/btoa, nothing else.
 */

export const PBKDF2_ITERATIONS = 600_000;
const PIN1 = /^\d{4,12}$/;
const SIGNING: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const CURVE: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };

/** What the page stores: the wrapped key and what unwrapping it needs. */
export interface WrappedAppKey {
  /** SubjectPublicKeyInfo, base64url. */
  publicKey: string;
  /** PKCS #8 private key encrypted with AES-GCM, base64url. */
  wrapped: string;
  salt: string;
  iv: string;
  iterations: number;
}

export class AppKeyError extends Error {
  constructor(
    readonly code: "PIN1_FORMAT" | "PIN1_WRONG",
    message: string,
  ) {
    super(message);
    this.name = "AppKeyError";
  }
}

type Bytes = Uint8Array<ArrayBuffer>;

export function base64url(bytes: Uint8Array | ArrayBuffer): string {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Bytes {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function assertPin1(pin1: string): void {
  if (!PIN1.test(pin1)) throw new AppKeyError("PIN1_FORMAT", "PIN1 must be 4-12 digits");
}

async function pinKey(pin1: string, salt: Bytes, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin1), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

/** A new key pair, its private half wrapped under PIN1; the unwrapped key is never kept. */
export async function generateAppKey(
  pin1: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<{ stored: WrappedAppKey; privateKey: CryptoKey }> {
  assertPin1(pin1);
  const pair = (await crypto.subtle.generateKey(CURVE, true, ["sign", "verify"])) as CryptoKeyPair;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = await crypto.subtle.wrapKey("pkcs8", pair.privateKey, await pinKey(pin1, salt, iterations), {
    name: "AES-GCM",
    iv,
  });
  const publicKey = await crypto.subtle.exportKey("spki", pair.publicKey);
  return {
    stored: {
      publicKey: base64url(publicKey),
      wrapped: base64url(wrapped),
      salt: base64url(salt),
      iv: base64url(iv),
      iterations,
    },
    privateKey: pair.privateKey,
  };
}

/** The signing key, unwrapped with PIN1 as non-extractable; a wrong PIN1 is AppKeyError PIN1_WRONG. */
export async function unlockAppKey(stored: WrappedAppKey, pin1: string): Promise<CryptoKey> {
  assertPin1(pin1);
  const wrapping = await pinKey(pin1, fromBase64url(stored.salt), stored.iterations);
  try {
    return await crypto.subtle.unwrapKey(
      "pkcs8",
      fromBase64url(stored.wrapped),
      wrapping,
      { name: "AES-GCM", iv: fromBase64url(stored.iv) },
      CURVE,
      false,
      ["sign"],
    );
  } catch {
    throw new AppKeyError("PIN1_WRONG", "wrong PIN1");
  }
}

/**
 * ECDSA P-256 with SHA-256 over `data`, the signature as r ‖ s (IEEE P1363, as WebCrypto
 * gives it). WebCrypto cannot sign a digest as is, so the hash to be signed is the message.
 */
export async function signWithAppKey(privateKey: CryptoKey, data: Uint8Array): Promise<string> {
  return base64url(await crypto.subtle.sign(SIGNING, privateKey, data as Bytes));
}

/** Verifies what signWithAppKey made, with the key in `spki` (DER SubjectPublicKeyInfo). */
export async function verifyAppSignature(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey("spki", spki as Bytes, CURVE, false, ["verify"]);
  return crypto.subtle.verify(SIGNING, key, signature as Bytes, data as Bytes);
}

/** An enrolment code as people type it (any case, dashes, spaces) in its one spelling. */
export const normaliseEnrolmentCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, "");

/** What the app signs at enrolment to prove it holds the key (proof of possession): the code. */
export const enrolmentProofData = (code: string): Uint8Array =>
  new TextEncoder().encode(`riik-app-enrolment:${normaliseEnrolmentCode(code)}`);
