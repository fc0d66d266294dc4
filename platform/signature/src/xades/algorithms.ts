import { createHash } from "node:crypto";
import type { DigestAlgorithm } from "../signer/hash-signer.ts";

/** XML-DSig digest URIs (XMLDSig 1.1 6.2, RFC 6931 2.1). */
export const DIGEST_URI: Readonly<Record<DigestAlgorithm, string>> = Object.freeze({
  "SHA-256": "http://www.w3.org/2001/04/xmlenc#sha256",
  "SHA-384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
  "SHA-512": "http://www.w3.org/2001/04/xmlenc#sha512",
});

export interface SignatureMethod {
  key: "ec" | "rsa";
  digest: DigestAlgorithm;
}

/** XML-DSig signature URIs (RFC 6931 2.3.2, 2.3.6); ECDSA values are r‖s (XMLDSig 1.1 6.4.3, RFC 4050 3.3). */
export const SIGNATURE_URI: Readonly<Record<string, SignatureMethod>> = Object.freeze({
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": { key: "ec", digest: "SHA-256" },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": { key: "ec", digest: "SHA-384" },
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": { key: "ec", digest: "SHA-512" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": { key: "rsa", digest: "SHA-256" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": { key: "rsa", digest: "SHA-384" },
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": { key: "rsa", digest: "SHA-512" },
});

export function signatureUri(key: "ec" | "rsa", digest: DigestAlgorithm): string {
  return `http://www.w3.org/2001/04/xmldsig-more#${key === "ec" ? "ecdsa" : "rsa"}-${digest.replace("-", "").toLowerCase()}`;
}

export function digestAlgorithmOf(uri: string): DigestAlgorithm | undefined {
  return (Object.keys(DIGEST_URI) as DigestAlgorithm[]).find((name) => DIGEST_URI[name] === uri);
}

export const nodeHash = (algorithm: DigestAlgorithm): string => algorithm.replace("-", "").toLowerCase();

export const digest = (algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash(nodeHash(algorithm)).update(data).digest());

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
