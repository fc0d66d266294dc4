// The sandbox's ID card in a browser: a riik card file (`riik-card/1`) opened with PIN1 or
// PIN2 inside the page (WebCrypto only, the key never leaves it), the Web eID authentication
// token for a challenge, and signatures for the portal's signing. One module for every page
// that needs the card: the auth service's login page and the portal's signing view.
import { readSubjectPublicKeyInfo } from "./certificate.ts";
import { type Pbes2Parameters, Pkcs8Error, readEncryptedPrivateKeyInfo, readPrivateKeyAlgorithm } from "./pkcs8.ts";

/** Why the browser could not make a token or a signature; pages show their own message for each. */
export type CardErrorCode =
  | "CARD_NO_FILE"
  | "CARD_FORMAT"
  | "CARD_UNSUPPORTED"
  | "CARD_PIN_FORMAT"
  | "CARD_WRONG_PIN"
  | "CARD_NO_SIGNING_KEY"
  | "CARD_PIN2_FORMAT"
  | "CARD_WRONG_PIN2"
  | "CARD_NO_WEBCRYPTO";

export class CardError extends Error {
  readonly code: CardErrorCode;
  constructor(code: CardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The parts of a riik card file (`riik-card/1`) that login needs. */
export interface BrowserCard {
  personalCode: string;
  givenName: string;
  surname: string;
  /** PEM certificate and encrypted PKCS#8 PEM private key. */
  authentication: { certificate: string; privateKey: string };
  /** The signing key (PIN2), the same way; absent on cards that cannot sign. */
  signing?: { certificate: string; privateKey: string };
}

export interface WebEidAuthToken {
  unverifiedCertificate: string;
  algorithm: "ES256" | "ES384" | "ES512" | "RS256";
  signature: string;
  format: "web-eid:1.0";
  appVersion: string;
}

export const APP_VERSION = "urn:riik:card-file:web-eid:0.1.0";
const MAX_CARD_BYTES = 64 * 1024;

export function parseCardText(text: string): BrowserCard {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CardError("CARD_FORMAT", "the card file is not JSON", { cause });
  }
  const card = value as Partial<BrowserCard> & { format?: unknown };
  const auth = card?.authentication;
  if (
    card?.format !== "riik-card/1" ||
    typeof card.personalCode !== "string" ||
    typeof auth?.certificate !== "string" ||
    typeof auth.privateKey !== "string"
  )
    throw new CardError("CARD_FORMAT", "not a riik-card/1 file with an authentication key");
  return card as BrowserCard;
}

export async function readCardFile(file: File | undefined): Promise<BrowserCard> {
  if (!file) throw new CardError("CARD_NO_FILE", "no card file chosen");
  if (file.size > MAX_CARD_BYTES) throw new CardError("CARD_FORMAT", "the file is too large to be a card file");
  return parseCardText(await file.text());
}

/** PIN1 of the Estonian ID card: 4-12 digits. */
export function checkPin1(pin: string): void {
  if (!/^\d{4,12}$/.test(pin)) throw new CardError("CARD_PIN_FORMAT", "PIN1 must be 4-12 digits");
}

/** PIN2 of the Estonian ID card: 5-12 digits. */
export function checkPin2(pin: string): void {
  if (!/^\d{5,12}$/.test(pin)) throw new CardError("CARD_PIN2_FORMAT", "PIN2 must be 5-12 digits");
}

/** The signing certificate of a card file, PEM, as the portal's signing API takes it. */
export function signingCertificate(card: BrowserCard): string {
  const signing = card.signing;
  if (typeof signing?.certificate !== "string" || typeof signing.privateKey !== "string")
    throw new CardError("CARD_NO_SIGNING_KEY", "the card file has no signing key");
  pemBody(signing.certificate, "CERTIFICATE");
  return signing.certificate;
}

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match?.[1]) throw new CardError("CARD_FORMAT", `the card file has no ${label}`);
  try {
    return Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch (cause) {
    throw new CardError("CARD_FORMAT", `the ${label} is not base64`, { cause });
  }
}

export function base64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA = "1.2.840.113549.1.1.1";
const CURVES: Record<string, { curve: "P-256" | "P-384" | "P-521"; algorithm: "ES256" | "ES384" | "ES512" }> = {
  "1.2.840.10045.3.1.7": { curve: "P-256", algorithm: "ES256" },
  "1.3.132.0.34": { curve: "P-384", algorithm: "ES384" },
  "1.3.132.0.35": { curve: "P-521", algorithm: "ES512" },
};

/** The card file's EncryptedPrivateKeyInfo (pkcs8.ts), a structure it cannot read told as the card's codes. */
export function parseEncryptedPrivateKeyInfo(der: Uint8Array): Pbes2Parameters {
  try {
    return readEncryptedPrivateKeyInfo(der);
  } catch (error) {
    if (!(error instanceof Pkcs8Error)) throw error;
    if (error.reason === "unsupported") throw new CardError("CARD_UNSUPPORTED", error.message, { cause: error });
    throw new CardError("CARD_FORMAT", `the private key is not an EncryptedPrivateKeyInfo: ${error.message}`, {
      cause: error,
    });
  }
}

function subtleCrypto(): SubtleCrypto {
  // WebCrypto exists only in secure contexts: https, or http on loopback.
  if (!globalThis.crypto?.subtle) throw new CardError("CARD_NO_WEBCRYPTO", "crypto.subtle is unavailable");
  return globalThis.crypto.subtle;
}

export interface UnlockedKey {
  key: CryptoKey;
  algorithm: WebEidAuthToken["algorithm"];
  hash: "SHA-256" | "SHA-384" | "SHA-512";
}

/**
 * Opens the authentication key with PIN1 inside the browser: PBKDF2 (WebCrypto) with the
 * file's salt, count and PRF, AES-CBC decryption, then the PrivateKeyInfo imported as a
 * non-extractable signing key. A wrong PIN shows as a padding failure or, rarely, as
 * garbage that is not DER; both are CARD_WRONG_PIN.
 */
export async function unlockAuthenticationKey(card: BrowserCard, pin1: string): Promise<UnlockedKey> {
  checkPin1(pin1);
  return unlockKey(card.authentication.privateKey, pin1, "CARD_WRONG_PIN", "PIN1", "sign");
}

/**
 * Opens the authentication key with PIN1 for ECDH, the way CDOC2 uses the ID card's
 * authentication key to decrypt: a non-extractable key that only derives shared secrets.
 */
export async function unlockKeyAgreementKey(card: BrowserCard, pin1: string): Promise<CryptoKey> {
  checkPin1(pin1);
  return (await unlockKey(card.authentication.privateKey, pin1, "CARD_WRONG_PIN", "PIN1", "agree")).key;
}

/**
 * The authentication certificate's EC public key as an uncompressed point (0x04 | X | Y, the
 * form CDOC2 names its recipients by), and its curve.
 */
export async function authenticationPublicKey(card: BrowserCard): Promise<{ point: Uint8Array; curve: string }> {
  let key: ReturnType<typeof readSubjectPublicKeyInfo>;
  try {
    key = readSubjectPublicKeyInfo(pemBody(card.authentication.certificate, "CERTIFICATE"));
  } catch (cause) {
    if (cause instanceof CardError) throw cause;
    throw new CardError("CARD_FORMAT", "the authentication certificate is not an X.509 certificate", { cause });
  }
  const curve = CURVES[key.namedCurve ?? ""]?.curve;
  if (!curve) throw new CardError("CARD_UNSUPPORTED", "the authentication key is not an elliptic-curve key");
  const imported = await subtleCrypto().importKey("spki", key.spki, { name: "ECDH", namedCurve: curve }, true, []);
  return { point: new Uint8Array(await subtleCrypto().exportKey("raw", imported)), curve };
}

/**
 * Opens the signing key with PIN2, by the same PBES2 path as PIN1's key; a wrong PIN2 is
 * CARD_WRONG_PIN2. The key stays a non-extractable CryptoKey in this page.
 */
export async function unlockSigningKey(card: BrowserCard, pin2: string): Promise<UnlockedKey> {
  signingCertificate(card);
  checkPin2(pin2);
  return unlockKey((card.signing as { privateKey: string }).privateKey, pin2, "CARD_WRONG_PIN2", "PIN2", "sign");
}

async function unlockKey(
  privateKeyPem: string,
  pin: string,
  wrong: "CARD_WRONG_PIN" | "CARD_WRONG_PIN2",
  pinName: string,
  use: "sign" | "agree",
): Promise<UnlockedKey> {
  const subtle = subtleCrypto();
  const p = parseEncryptedPrivateKeyInfo(pemBody(privateKeyPem, "ENCRYPTED PRIVATE KEY"));
  const password = await subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveKey"]);
  const aes = await subtle.deriveKey(
    { name: "PBKDF2", salt: p.salt, iterations: p.iterations, hash: p.hash },
    password,
    { name: "AES-CBC", length: p.keyBits },
    false,
    ["decrypt"],
  );
  let pkcs8: Uint8Array<ArrayBuffer>;
  try {
    pkcs8 = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: p.iv }, aes, p.encrypted));
  } catch (cause) {
    throw new CardError(wrong, `wrong ${pinName}`, { cause });
  }
  try {
    const { params, algorithm, hash } = importParameters(
      pkcs8,
      (cause) => new CardError(wrong, `wrong ${pinName}`, { cause }),
    );
    if (use === "agree" && params.name !== "ECDSA")
      throw new CardError("CARD_UNSUPPORTED", "this card's key cannot agree keys (ECDH needs an EC key)");
    const imported =
      use === "agree"
        ? { params: { name: "ECDH", namedCurve: (params as EcKeyImportParams).namedCurve }, usages: ["deriveBits"] }
        : { params, usages: ["sign"] };
    let key: CryptoKey;
    try {
      key = await subtle.importKey("pkcs8", pkcs8, imported.params, false, imported.usages as KeyUsage[]);
    } catch (cause) {
      throw new CardError(wrong, `wrong ${pinName}`, { cause });
    }
    return { key, algorithm, hash };
  } finally {
    pkcs8.fill(0);
  }
}

/** How WebCrypto imports the decrypted PrivateKeyInfo, and how the key signs. */
function importParameters(
  pkcs8: Uint8Array,
  wrongPin: (cause: unknown) => CardError,
): Omit<UnlockedKey, "key"> & { params: EcKeyImportParams | RsaHashedImportParams } {
  let key: ReturnType<typeof readPrivateKeyAlgorithm>;
  try {
    key = readPrivateKeyAlgorithm(pkcs8);
  } catch (error) {
    // What a wrong PIN decrypts to, the rare times its padding looks right.
    if (error instanceof Pkcs8Error) throw wrongPin(error);
    throw error;
  }
  if (key.algorithm === OID_EC_PUBLIC_KEY) {
    const curve = CURVES[key.namedCurve ?? ""];
    if (!curve) throw new CardError("CARD_UNSUPPORTED", "unsupported elliptic curve");
    return {
      params: { name: "ECDSA", namedCurve: curve.curve },
      algorithm: curve.algorithm,
      hash: `SHA-${curve.algorithm.slice(2)}` as UnlockedKey["hash"],
    };
  }
  // riik's RSA cards sign with SHA-256 (RS256 tokens, rsa-sha256 XAdES signatures).
  if (key.algorithm === OID_RSA)
    return { params: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, algorithm: "RS256", hash: "SHA-256" };
  throw new CardError("CARD_UNSUPPORTED", "unsupported key algorithm");
}

/**
 * Signs the octets the portal prepared (the canonicalised ds:SignedInfo) with the signing
 * key. WebCrypto hashes what it signs, which is why the page gets the octets and not only
 * the digest; `hash` is the server's digest algorithm. ECDSA comes out as r‖s, which is
 * what XMLDSig 1.1 wants (RFC 4050 3.3); RSA as PKCS#1 v1.5.
 */
export async function signPrepared(
  unlocked: UnlockedKey,
  data: Uint8Array<ArrayBuffer>,
  hash: UnlockedKey["hash"],
): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = subtleCrypto();
  if (unlocked.algorithm === "RS256" && hash !== "SHA-256")
    throw new CardError("CARD_UNSUPPORTED", `this RSA key signs with SHA-256, not ${hash}`);
  const params = unlocked.algorithm.startsWith("ES") ? { name: "ECDSA", hash } : { name: "RSASSA-PKCS1-v1_5" };
  return new Uint8Array(await subtle.sign(params, unlocked.key, data));
}

/**
 * Makes the Web eID authentication token (format web-eid:1.0) for `origin` and `nonce`: the
 * signature is over hash(origin) ‖ hash(nonce), both as UTF-8, with the hash of the
 * signature algorithm; WebCrypto's ECDSA output is already the raw r ‖ s JWS wants
 * (RFC 7518 3.4).
 */
export async function createAuthToken(
  card: BrowserCard,
  pin1: string,
  origin: string,
  nonce: string,
): Promise<WebEidAuthToken> {
  const subtle = subtleCrypto();
  const certificate = pemBody(card.authentication.certificate, "CERTIFICATE");
  const { key, algorithm, hash } = await unlockAuthenticationKey(card, pin1);
  const encoder = new TextEncoder();
  const originHash = new Uint8Array(await subtle.digest(hash, encoder.encode(origin)));
  const nonceHash = new Uint8Array(await subtle.digest(hash, encoder.encode(nonce)));
  const data = new Uint8Array(originHash.length + nonceHash.length);
  data.set(originHash);
  data.set(nonceHash, originHash.length);
  const signParams = algorithm.startsWith("ES") ? { name: "ECDSA", hash } : { name: "RSASSA-PKCS1-v1_5" };
  const signature = await subtle.sign(signParams, key, data);
  return {
    unverifiedCertificate: base64(certificate),
    algorithm,
    signature: base64(signature),
    format: "web-eid:1.0",
    appVersion: APP_VERSION,
  };
}
