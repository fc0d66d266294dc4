import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { PkiError } from "./errors.ts";

// One WebCrypto for @peculiar/x509 and pkijs: keys from any provider (files today,
// a PKCS#11 token through a WebCrypto-compatible provider tomorrow) work with both.
export const nodeCrypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(nodeCrypto);
pkijs.setEngine(
  "node-webcrypto",
  new pkijs.CryptoEngine({
    name: "node-webcrypto",
    crypto: nodeCrypto,
  }) as unknown as pkijs.ICryptoEngine,
);

export const subtle = nodeCrypto.subtle;

/** Key types riik issues: ECDSA P-384 by default (DESIGN.md), RSA 2048 for old relying parties. */
export type KeyAlgorithm = "p384" | "rsa2048";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["p384", "rsa2048"];

export function parseKeyAlgorithm(value: string): KeyAlgorithm {
  if ((KEY_ALGORITHMS as readonly string[]).includes(value)) return value as KeyAlgorithm;
  throw new PkiError(
    "PKI_ARGUMENT",
    `key algorithm must be one of ${KEY_ALGORITHMS.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

export function generationParams(algorithm: KeyAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams {
  return algorithm === "p384"
    ? { name: "ECDSA", namedCurve: "P-384" }
    : { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
}

/** The signature algorithm a key of this type signs certificates, OCSP responses and tokens with. */
export function signingParams(algorithm: KeyAlgorithm): EcdsaParams | Algorithm {
  return algorithm === "p384"
    ? { name: "ECDSA", hash: "SHA-384" }
    : ({ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as Algorithm);
}

export const signingHash = (algorithm: KeyAlgorithm): "SHA-384" | "SHA-256" =>
  algorithm === "p384" ? "SHA-384" : "SHA-256";

export function keyAlgorithmOf(key: CryptoKey): KeyAlgorithm {
  const algorithm = key.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (algorithm.name === "ECDSA" && algorithm.namedCurve === "P-384") return "p384";
  if (algorithm.name === "RSASSA-PKCS1-v1_5") return "rsa2048";
  throw new PkiError("PKI_ARGUMENT", `unsupported key ${algorithm.name} ${algorithm.namedCurve ?? ""}`);
}

export async function importPkcs8(der: Uint8Array, algorithm: KeyAlgorithm, extractable = false): Promise<CryptoKey> {
  return subtle.importKey("pkcs8", der as BufferSource, generationParams(algorithm), extractable, ["sign"]);
}
