import { children, DerError, expect, oidOf, readWhole, smallInteger, TAG } from "./der.ts";

/** Why the browser could not make a token; each is a message key of the dictionary. */
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

export const APP_VERSION = "urn:riik:portal:web-eid:0.1.0";
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

// RFC 8018 A.2, A.4, B.1.2 and B.2.5; NIST CSOR for the AES OIDs.
const OID_PBES2 = "1.2.840.113549.1.5.13";
const OID_PBKDF2 = "1.2.840.113549.1.5.12";
const PRF: Record<string, string> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
const AES_CBC: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 128,
  "2.16.840.1.101.3.4.1.22": 192,
  "2.16.840.1.101.3.4.1.42": 256,
};
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA = "1.2.840.113549.1.1.1";
const CURVES: Record<string, { curve: "P-256" | "P-384" | "P-521"; algorithm: "ES256" | "ES384" | "ES512" }> = {
  "1.2.840.10045.3.1.7": { curve: "P-256", algorithm: "ES256" },
  "1.3.132.0.34": { curve: "P-384", algorithm: "ES384" },
  "1.3.132.0.35": { curve: "P-521", algorithm: "ES512" },
};
const MAX_ITERATIONS = 10_000_000;

interface Pbes2 {
  salt: Uint8Array<ArrayBuffer>;
  iterations: number;
  hash: string;
  keyBits: number;
  iv: Uint8Array<ArrayBuffer>;
  encrypted: Uint8Array<ArrayBuffer>;
}

/** EncryptedPrivateKeyInfo (RFC 5958 3) with PBES2 (RFC 8018 6.2): PBKDF2 + AES-CBC, as OpenSSL 3 writes it. */
export function parseEncryptedPrivateKeyInfo(der: Uint8Array): Pbes2 {
  try {
    const [algorithm, data] = children(readWhole(der, TAG.SEQUENCE));
    const [scheme, params] = children(expect(algorithm, TAG.SEQUENCE, "encryptionAlgorithm"));
    if (oidOf(expect(scheme, TAG.OID, "the scheme")) !== OID_PBES2)
      throw new CardError("CARD_UNSUPPORTED", "the key is not encrypted with PBES2");
    const [kdf, cipher] = children(expect(params, TAG.SEQUENCE, "PBES2-params"));
    const [kdfOid, kdfParams] = children(expect(kdf, TAG.SEQUENCE, "keyDerivationFunc"));
    if (oidOf(expect(kdfOid, TAG.OID, "the KDF")) !== OID_PBKDF2)
      throw new CardError("CARD_UNSUPPORTED", "the key derivation is not PBKDF2");
    const fields = children(expect(kdfParams, TAG.SEQUENCE, "PBKDF2-params"));
    const salt = expect(fields[0], TAG.OCTET_STRING, "salt").value;
    const iterations = smallInteger(expect(fields[1], TAG.INTEGER, "iterationCount"));
    let next = 2;
    let keyLength: number | undefined;
    if (fields[next]?.tag === TAG.INTEGER)
      keyLength = smallInteger(fields[next++] as NonNullable<(typeof fields)[number]>);
    let hash = "SHA-1"; // RFC 8018 A.2: the default PRF is hmacWithSHA1.
    const prf = fields[next];
    if (prf) {
      const [prfOid] = children(expect(prf, TAG.SEQUENCE, "prf"));
      const name = PRF[oidOf(expect(prfOid, TAG.OID, "the PRF"))];
      if (!name) throw new CardError("CARD_UNSUPPORTED", "unsupported PBKDF2 PRF");
      hash = name;
    }
    const [cipherOid, iv] = children(expect(cipher, TAG.SEQUENCE, "encryptionScheme"));
    const keyBits = AES_CBC[oidOf(expect(cipherOid, TAG.OID, "the cipher"))];
    if (!keyBits) throw new CardError("CARD_UNSUPPORTED", "the key is not encrypted with AES-CBC");
    if (keyLength !== undefined && keyLength * 8 !== keyBits)
      throw new CardError("CARD_FORMAT", "the PBKDF2 key length does not fit the cipher");
    if (iterations < 1 || iterations > MAX_ITERATIONS)
      throw new CardError("CARD_UNSUPPORTED", "unreasonable PBKDF2 iteration count");
    const ivBytes = expect(iv, TAG.OCTET_STRING, "the IV").value;
    if (ivBytes.length !== 16) throw new CardError("CARD_FORMAT", "the AES-CBC IV is not 16 bytes");
    return {
      salt: new Uint8Array(salt),
      iterations,
      hash,
      keyBits,
      iv: new Uint8Array(ivBytes),
      encrypted: new Uint8Array(expect(data, TAG.OCTET_STRING, "encryptedData").value),
    };
  } catch (error) {
    if (error instanceof CardError) throw error;
    throw new CardError(
      "CARD_FORMAT",
      `the private key is not an EncryptedPrivateKeyInfo: ${(error as Error).message}`,
    );
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
  return unlockKey(card.authentication.privateKey, pin1, "CARD_WRONG_PIN", "PIN1");
}

/**
 * Opens the signing key with PIN2, by the same PBES2 path as PIN1's key; a wrong PIN2 is
 * CARD_WRONG_PIN2. The key stays a non-extractable CryptoKey in this page.
 */
export async function unlockSigningKey(card: BrowserCard, pin2: string): Promise<UnlockedKey> {
  signingCertificate(card);
  checkPin2(pin2);
  return unlockKey((card.signing as { privateKey: string }).privateKey, pin2, "CARD_WRONG_PIN2", "PIN2");
}

async function unlockKey(
  privateKeyPem: string,
  pin: string,
  wrong: "CARD_WRONG_PIN" | "CARD_WRONG_PIN2",
  pinName: string,
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
  let params: EcKeyImportParams | RsaHashedImportParams;
  let algorithm: UnlockedKey["algorithm"];
  let hash: UnlockedKey["hash"];
  try {
    // PrivateKeyInfo (RFC 5958 2): version, privateKeyAlgorithm, privateKey.
    const [, keyAlgorithm] = children(readWhole(pkcs8, TAG.SEQUENCE));
    const [keyOid, keyParams] = children(expect(keyAlgorithm, TAG.SEQUENCE, "privateKeyAlgorithm"));
    const oid = oidOf(expect(keyOid, TAG.OID, "the key algorithm"));
    if (oid === OID_EC_PUBLIC_KEY) {
      const curve = CURVES[oidOf(expect(keyParams, TAG.OID, "the named curve"))];
      if (!curve) throw new CardError("CARD_UNSUPPORTED", "unsupported elliptic curve");
      params = { name: "ECDSA", namedCurve: curve.curve };
      algorithm = curve.algorithm;
      hash = `SHA-${curve.algorithm.slice(2)}` as UnlockedKey["hash"];
    } else if (oid === OID_RSA) {
      // riik's RSA cards sign with SHA-256 (RS256 tokens, rsa-sha256 XAdES signatures).
      params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
      algorithm = "RS256";
      hash = "SHA-256";
    } else throw new CardError("CARD_UNSUPPORTED", "unsupported key algorithm");
  } catch (error) {
    if (error instanceof CardError && error.code === "CARD_UNSUPPORTED") throw error;
    if (error instanceof DerError || error instanceof CardError)
      throw new CardError(wrong, `wrong ${pinName}`, { cause: error });
    throw error;
  }
  try {
    const key = await subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
    return { key, algorithm, hash };
  } catch (cause) {
    throw new CardError(wrong, `wrong ${pinName}`, { cause });
  } finally {
    pkcs8.fill(0);
  }
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
