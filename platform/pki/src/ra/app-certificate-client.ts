import * as x509 from "@peculiar/x509";
import { readSecretFile } from "@riik/core";
import { PkiError, type PkiErrorCode } from "../errors.ts";
import type { AppCertificateRequest } from "../identity/app-certificate.ts";

/** Where a registration authority asks for certificates, and its token (`riik pki ra add`). */
export interface RegistrationAuthorityAccess {
  /** The trust services' base URL (`riik pki serve`). */
  url: string;
  token: string;
}

/**
 * A registration authority's token from a file only its owner may read (0600): refused
 * otherwise, as ssh refuses a readable key.
 */
export function readRegistrationAuthorityToken(file: string): string {
  return readSecretFile(file, "the registration authority's token");
}

const CURVES = ["P-256", "P-384"] as const;

/** An app's ECDSA P-256 or P-384 public key from base64 SubjectPublicKeyInfo DER. */
export async function importAppPublicKey(spkiBase64: string): Promise<CryptoKey> {
  const der = Buffer.from(spkiBase64, "base64");
  if (der.toString("base64") !== spkiBase64)
    throw new PkiError("PKI_ARGUMENT", "publicKey must be SubjectPublicKeyInfo DER in canonical base64");
  for (const namedCurve of CURVES) {
    try {
      return await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve }, true, ["verify"]);
    } catch {
      // the key is on another curve, or not an EC key: try the next, then refuse
    }
  }
  throw new PkiError("PKI_ARGUMENT", "publicKey must be an ECDSA P-256 or P-384 public key");
}

const PASSED_ON: readonly PkiErrorCode[] = ["PKI_ARGUMENT", "PKI_RA_UNAUTHORIZED", "PKI_RA_FORBIDDEN", "PKI_RA_QUOTA"];

/**
 * Asks the trust services for an enrolling app's certificate (POST /ra/app-certificates) as
 * a registration authority. The answer is checked to be a certificate for the key sent.
 */
export async function requestAppCertificate(
  access: RegistrationAuthorityAccess,
  request: Pick<AppCertificateRequest, "personalCode" | "givenName" | "surname" | "publicKey">,
): Promise<x509.X509Certificate> {
  const spki = Buffer.from(await crypto.subtle.exportKey("spki", request.publicKey));
  const url = new URL("/ra/app-certificates", access.url);
  let reply: Response;
  try {
    reply = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${access.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        personalCode: request.personalCode,
        givenName: request.givenName,
        surname: request.surname,
        publicKey: spki.toString("base64"),
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", `the trust services at ${url.origin} did not answer`, { cause });
  }
  const body = (await reply.json().catch(() => ({}))) as { certificate?: string; code?: string; message?: string };
  if (!reply.ok) {
    const code = PASSED_ON.find((known) => known === body.code) ?? "PKI_RA_UNAVAILABLE";
    throw new PkiError(code, `the trust services refused the app certificate: ${body.message ?? reply.status}`);
  }
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(body.certificate ?? "");
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", "the trust services answered without a certificate", { cause });
  }
  if (!Buffer.from(certificate.publicKey.rawData).equals(spki))
    throw new PkiError("PKI_RA_UNAVAILABLE", "the trust services answered with a certificate for another key");
  return certificate;
}
