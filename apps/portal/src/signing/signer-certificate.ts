import { X509Certificate } from "node:crypto";
import { signerInfo } from "@riik/signature";
import { PortalError } from "../errors.ts";
import type { SessionPerson } from "../session/session-store.ts";

const MAX_PEM_CHARS = 16 * 1024;

/** A trusted identity-document CA as the signing check needs it: Node's view and the original. */
export interface TrustedCa<T> {
  node: X509Certificate;
  certificate: T;
}

/**
 * Checks the signing certificate a browser sent from the person's card file before anything
 * is prepared: a PEM (or base64 DER) certificate, issued and signed by one of the trusted
 * identity-document CAs, naming the logged-in person (serialNumber PNOEE-<personal code>,
 * ETSI EN 319 412-1 5.1.3). Key usage, validity and revocation are checked when the
 * signature is prepared and completed. Returns the DER and the CA that issued it.
 */
export function checkSignerCertificate<T>(
  text: unknown,
  person: SessionPerson,
  trusted: readonly TrustedCa<T>[],
): { der: Uint8Array; issuer: T } {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_PEM_CHARS)
    throw new PortalError("PORTAL_INPUT", "certificate must be the signing certificate as PEM", {
      details: { fields: ["certificate"] },
    });
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(
      text.includes("-----BEGIN") ? text : Buffer.from(text.replace(/\s+/g, ""), "base64"),
    );
  } catch (cause) {
    throw new PortalError("PORTAL_INPUT", "certificate is not an X.509 certificate", {
      cause,
      details: { fields: ["certificate"] },
    });
  }
  const issuer = trusted.find((ca) => certificate.checkIssued(ca.node) && certificate.verify(ca.node.publicKey));
  if (!issuer)
    throw new PortalError(
      "PORTAL_SIGNER_UNTRUSTED",
      `the signing certificate was not issued by a trusted identity-document CA (issuer ${certificate.issuer.replace(/\n/g, ", ")})`,
    );
  const der = new Uint8Array(certificate.raw);
  const code = signerInfo(der).personalCode;
  if (code !== person.personalCode)
    throw new PortalError(
      "PORTAL_SIGNER_NOT_YOU",
      "the signing certificate belongs to someone else than the person logged in; sign with your own card",
    );
  return { der, issuer: issuer.certificate };
}
