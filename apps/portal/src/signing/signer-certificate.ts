import * as x509 from "@peculiar/x509";
import { PathValidationError, validatePath } from "@riik/pki";
import { signerInfo } from "@riik/signature";
import { PortalError } from "../errors.ts";
import type { SessionPerson } from "../session/session-store.ts";

const MAX_PEM_CHARS = 16 * 1024;

/**
 * Checks the signing certificate a browser sent from the person's card file before anything
 * is prepared: a PEM (or base64 DER) certificate on a path to one of the trusted
 * identity-document CAs, valid now (@riik/pki's validatePath, RFC 5280 6.1), naming the
 * logged-in person (serialNumber PNOEE-<personal code>, ETSI EN 319 412-1 5.1.3). Key usage
 * and revocation are checked when the signature is prepared and completed. Returns the DER.
 */
export async function checkSignerCertificate(
  text: unknown,
  person: SessionPerson,
  trustedCas: readonly x509.X509Certificate[],
): Promise<{ der: Uint8Array }> {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_PEM_CHARS)
    throw new PortalError("PORTAL_INPUT", "certificate must be the signing certificate as PEM", {
      details: { fields: ["certificate"] },
    });
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(
      text.includes("-----BEGIN") ? text : new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "base64")),
    );
  } catch (cause) {
    throw new PortalError("PORTAL_INPUT", "certificate is not an X.509 certificate", {
      cause,
      details: { fields: ["certificate"] },
    });
  }
  try {
    await validatePath(certificate, { anchors: trustedCas, at: new Date() });
  } catch (cause) {
    if (!(cause instanceof PathValidationError)) throw cause;
    throw new PortalError(
      "PORTAL_SIGNER_UNTRUSTED",
      `the signing certificate is not on a valid path to a trusted identity-document CA (issuer ${certificate.issuer}): ${cause.message}`,
      { cause },
    );
  }
  const der = new Uint8Array(certificate.rawData);
  const code = signerInfo(der).personalCode;
  if (code !== person.personalCode)
    throw new PortalError(
      "PORTAL_SIGNER_NOT_YOU",
      "the signing certificate belongs to someone else than the person logged in; sign with your own card",
    );
  return { der };
}
