import "reflect-metadata";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign,
  verify,
  webcrypto,
  X509Certificate,
} from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import { type Pkcs11Config, Pkcs11KeyStore, SigningKey } from "@riik/pki";
import { XRoadError } from "../errors.ts";

/**
 * Keys of the exchange layer. Message signatures are on the hot path (two signatures and
 * two verifications per exchange), so members sign with ECDSA P-256 by default; the CAs
 * above them keep P-384. P-384 and RSA keys work too: the hash follows the key.
 */
export type MessageKeyType = "p256" | "p384";

export function generateKeyPem(type: MessageKeyType): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: type === "p256" ? "prime256v1" : "secp384r1" });
  return privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

/** Writes a private key readable by its owner only. */
export function writePrivateKey(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
}

export function readPrivateKey(path: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(path));
  } catch (cause) {
    throw new XRoadError("XROAD_CONFIG", `cannot read private key ${path}: ${(cause as Error).message}`, { cause });
  }
}

export function readCertificatePem(path: string): X509Certificate {
  try {
    return new X509Certificate(readFileSync(path));
  } catch (cause) {
    throw new XRoadError("XROAD_CONFIG", `cannot read certificate ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** The digest that goes with a key: SHA-384 for P-384, SHA-256 otherwise. */
export function hashFor(key: KeyObject): "sha256" | "sha384" {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "sha384" : "sha256";
}

export function signBytes(key: KeyObject, data: Uint8Array | string): Buffer {
  return sign(hashFor(key), typeof data === "string" ? Buffer.from(data) : data, key);
}

export function verifyBytes(key: KeyObject, data: Uint8Array | string, signature: Uint8Array): boolean {
  try {
    return verify(hashFor(key), typeof data === "string" ? Buffer.from(data) : data, key, signature);
  } catch {
    return false;
  }
}

/**
 * A private key that signs for the exchange layer (the central server's configuration key, a
 * security server's member signing key), wherever it lives: a PEM file or a PKCS#11 token.
 * Either way the signature bytes are the same on the wire as signBytes makes them.
 */
export interface KeySigner {
  readonly publicKey: KeyObject;
  sign(data: Uint8Array | string): Promise<Buffer>;
  /** Lets go of the token session, if any; the signer stops working. */
  close(): void;
}

export function fileSigner(privateKey: KeyObject): KeySigner {
  const publicKey = createPublicKey(privateKey);
  return {
    publicKey,
    sign: async (data) => signBytes(privateKey, data),
    close: () => {},
  };
}

/**
 * A key pair inside a PKCS#11 token: where the token is (module, token label, PIN file) and
 * the key pair's CKA_LABEL. This, never key bytes nor the PIN, is what a config file holds.
 */
export interface TokenKey extends Pkcs11Config {
  keyLabel: string;
}

/** The token key as a config file keeps it: the PIN file's path made absolute. */
export const tokenKey = (pkcs11: Pkcs11Config, keyLabel: string): TokenKey => ({
  module: pkcs11.module,
  tokenLabel: pkcs11.tokenLabel,
  ...(pkcs11.pinFile ? { pinFile: resolve(pkcs11.pinFile) } : {}),
  keyLabel,
});

/**
 * Signs with a key in a PKCS#11 token through @riik/pki's SigningKey (the private key never
 * leaves the token). `create` makes the pair inside the token first (ECDSA P-384, the one
 * curve SigningKey and the trust services share); the token refuses an existing label.
 */
export async function openTokenSigner(
  key: TokenKey,
  options: { create?: boolean } = {},
): Promise<KeySigner & { readonly signingKey: SigningKey }> {
  const store = await Pkcs11KeyStore.open(key);
  try {
    const pair = options.create ? await store.generate(key.keyLabel, "p384") : await store.load(key.keyLabel);
    const signing = await SigningKey.of(pair, store.crypto);
    return {
      publicKey: KeyObject.from(signing.publicKey),
      signingKey: signing,
      sign: async (data) => Buffer.from(await signing.sign(typeof data === "string" ? Buffer.from(data) : data)),
      close: () => store.close(),
    };
  } catch (cause) {
    store.close();
    throw cause;
  }
}

/** A WebCrypto public key for @peculiar/x509 (certificate issuance) from a key pair's either half. */
export async function webPublicKey(key: KeyObject): Promise<CryptoKey> {
  const publicKey = key.type === "public" ? key : createPublicKey(key);
  const spki = publicKey.export({ type: "spki", format: "der" });
  const details = publicKey.asymmetricKeyDetails;
  const params =
    publicKey.asymmetricKeyType === "ec"
      ? { name: "ECDSA", namedCurve: details?.namedCurve === "secp384r1" ? "P-384" : "P-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return webcrypto.subtle.importKey("spki", spki, params, true, ["verify"]) as Promise<CryptoKey>;
}

async function webPrivateKey(privateKey: KeyObject): Promise<CryptoKey> {
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const details = privateKey.asymmetricKeyDetails;
  const params =
    privateKey.asymmetricKeyType === "ec"
      ? { name: "ECDSA", namedCurve: details?.namedCurve === "secp384r1" ? "P-384" : "P-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return webcrypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]) as Promise<CryptoKey>;
}

/**
 * A self-signed certificate: the central server's configuration signing certificate (its
 * trust comes from the anchor handed over out of band) and the internal TLS certificate
 * an information system pins when it talks HTTPS to its security server.
 */
export async function selfSignedCertificate(
  key: KeyObject | SigningKey,
  commonName: string,
  options: { days?: number; altNames?: Array<{ type: "dns" | "ip"; value: string }> } = {},
): Promise<string> {
  const name = `CN=${commonName.replace(/[,+="\\<>;#]/g, " ")}`;
  const now = Date.now();
  const params = {
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^./, "1"),
    subject: name,
    issuer: name,
    notBefore: new Date(now - 5 * 60 * 1000),
    notAfter: new Date(now + (options.days ?? 3650) * 24 * 3600 * 1000),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...(options.altNames?.length ? [new x509.SubjectAlternativeNameExtension(options.altNames)] : []),
    ],
  };
  // A token key signs its own certificate inside the token.
  if (key instanceof SigningKey)
    return (await key.certificate({ ...params, publicKey: key.publicKey })).toString("pem");
  const hash = hashFor(key) === "sha384" ? "SHA-384" : "SHA-256";
  const certificate = await x509.X509CertificateGenerator.create({
    ...params,
    publicKey: await webPublicKey(key),
    signingKey: await webPrivateKey(key),
    signingAlgorithm: key.asymmetricKeyType === "ec" ? { name: "ECDSA", hash } : { name: "RSASSA-PKCS1-v1_5", hash },
  });
  return certificate.toString("pem");
}

export const pemOf = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;

/** base64 DER of a certificate: how certificates travel inside JSON documents. */
export const derBase64 = (certificate: X509Certificate): string => certificate.raw.toString("base64");

export function certificateFromBase64(value: string, what: string): X509Certificate {
  try {
    if (typeof value !== "string" || !/^[A-Za-z0-9+/=\s]+$/.test(value)) throw new Error("not base64");
    return new X509Certificate(Buffer.from(value, "base64"));
  } catch (cause) {
    throw new XRoadError("XROAD_ARGUMENT", `${what} is not a base64 DER X.509 certificate`, { cause });
  }
}

/** Accepts PEM or base64 DER. */
export function parseCertificateText(value: string, what: string): X509Certificate {
  if (typeof value === "string" && value.includes("-----BEGIN CERTIFICATE-----")) {
    try {
      return new X509Certificate(value);
    } catch (cause) {
      throw new XRoadError("XROAD_ARGUMENT", `${what} is not a PEM X.509 certificate`, { cause });
    }
  }
  return certificateFromBase64(value, what);
}
