import type * as x509 from "@peculiar/x509";
import { parsePersonalCode } from "@riik/core";
import { personName } from "../ca/names.ts";
import type { TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import { assertPersonNames } from "./issue-card.ts";

export interface AppCertificateRequest {
  personalCode: string;
  givenName: string;
  surname: string;
  /** The app's public key (generated on the person's device); ECDSA P-256 or P-384. */
  publicKey: CryptoKey;
  validityDays?: number;
  actor?: string;
}

/** Smart-ID's authentication certificates live three years; so do the app's. */
const DEFAULT_VALIDITY_DAYS = 3 * 365;

/**
 * Issues the authentication app's certificate from the identity-document CA, as SK issues
 * Smart-ID's: the person's subject (serialNumber PNOEE-code), digitalSignature and
 * clientAuth, and the app-authentication policy (profiles.ts). It goes into the certificate
 * registry like a card's, so OCSP answers for it and it can be suspended or revoked.
 */
export async function issueAppCertificate(
  services: TrustServices,
  request: AppCertificateRequest,
): Promise<x509.X509Certificate> {
  const code = parsePersonalCode(request.personalCode).code;
  assertPersonNames(request);
  const algorithm = request.publicKey.algorithm as EcKeyAlgorithm;
  if (algorithm.name !== "ECDSA" || !["P-256", "P-384"].includes(algorithm.namedCurve))
    throw new PkiError("PKI_ARGUMENT", "the app's key must be an ECDSA P-256 or P-384 public key");
  if (request.publicKey.type !== "public")
    throw new PkiError("PKI_ARGUMENT", "give the app's public key, not a private one");
  const validityDays = request.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1)
    throw new PkiError("PKI_ARGUMENT", "the validity must be a whole number of days, at least 1");
  return services.cas.esteid.issue({
    purpose: "app-authentication",
    subject: personName({ ...request, personalCode: code }),
    publicKey: request.publicKey,
    personalCode: code,
    validityDays,
    actor: request.actor ?? "riik auth app enrolment",
  });
}
