import * as x509 from "@peculiar/x509";
import type { TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import type { CardFile } from "../identity/card-file.ts";
import { issueCard } from "../identity/issue-card.ts";
import { randomPins } from "../identity/pin.ts";
import { normaliseSerial, REVOCATION_REASONS, type RevocationReasonName } from "../registry/certificate-registry.ts";
import { type RegistrationAuthority, registrationAuthorityActor } from "./registration-authorities.ts";

/** What a registration authority asks for: the person it checked, and whether they are an e-resident. */
export interface RaCardRequest {
  personalCode: string;
  givenName: string;
  surname: string;
  eResident: boolean;
  /** 1-5; 5 by default, as ID cards and digital IDs are issued. */
  validityYears?: number;
}

export interface CertificateIssued {
  /** Lower-case hex without leading zero octets (normaliseSerial). */
  serial: string;
  notAfter: string;
}

/** POST /ra/cards's answer: the card file, its PIN envelope, and what was issued. */
export interface RaCard {
  documentNumber: string;
  /** Exactly what writeCardFile writes (keys encrypted under the PINs). */
  card: CardFile;
  pinEnvelope: { pin1: string; pin2: string };
  authentication: CertificateIssued;
  signing: CertificateIssued;
}

/** The reasons an authority may give for revoking a document it asked for (RFC 5280 5.3.1 CRLReason). */
export const RA_REVOCATION_REASONS = [
  "keyCompromise",
  "superseded",
  "cessationOfOperation",
  "affiliationChanged",
] as const satisfies readonly RevocationReasonName[];
export type RaRevocationReason = (typeof RA_REVOCATION_REASONS)[number];

const issued = (pem: string): CertificateIssued => {
  const certificate = new x509.X509Certificate(pem);
  return { serial: normaliseSerial(certificate.serialNumber), notAfter: certificate.notAfter.toISOString() };
};

/**
 * Issues a card for an authority: the CA makes both key pairs and encrypts each under a
 * random PIN, as a card manufacturer personalises a chip and prints the PIN envelope. The
 * certificates record the authority as their actor, which is what lets it revoke them later.
 */
export async function issueRaCard(
  services: TrustServices,
  authority: RegistrationAuthority,
  request: RaCardRequest,
): Promise<RaCard> {
  const validityYears = request.validityYears ?? 5;
  if (!Number.isInteger(validityYears) || validityYears < 1 || validityYears > 5)
    throw new PkiError("PKI_ARGUMENT", "validityYears must be a whole number from 1 to 5");
  const pinEnvelope = randomPins();
  const card = await issueCard(services, {
    personalCode: request.personalCode,
    givenName: request.givenName,
    surname: request.surname,
    eResident: request.eResident,
    validityYears,
    ...pinEnvelope,
    actor: registrationAuthorityActor(authority.name),
  });
  return {
    documentNumber: card.documentNumber,
    card,
    pinEnvelope,
    authentication: issued(card.authentication.certificate),
    signing: issued(card.signing.certificate),
  };
}

/**
 * Revokes every certificate of a document the authority asked for. A document it did not
 * ask for, or that does not exist, is the same refusal (403): an authority learns nothing of
 * other authorities' documents. Answers the document's serials, all revoked now, so asking
 * again after a lost answer gets the same answer.
 */
export async function revokeRaDocument(
  services: TrustServices,
  authority: RegistrationAuthority,
  documentNumber: string,
  reason: RaRevocationReason,
): Promise<string[]> {
  const actor = registrationAuthorityActor(authority.name);
  const certificates = await services.registry.db
    .selectFrom("certificate as c")
    .innerJoin("certificate_event as e", (join) =>
      join.onRef("e.issuer", "=", "c.issuer").onRef("e.serial", "=", "c.serial").on("e.event", "=", "issued"),
    )
    .select(["c.issuer", "c.serial", "e.actor"])
    .where("c.document_number", "=", documentNumber)
    .orderBy("c.serial")
    .execute();
  if (certificates.length === 0 || certificates.some((c) => c.actor !== actor))
    throw new PkiError(
      "PKI_RA_FORBIDDEN",
      `document ${documentNumber} is not one registration authority ${authority.name} asked for`,
    );
  for (const { issuer, serial } of certificates) {
    try {
      await services.registry.changeStatus(issuer, serial, { event: "revoked", reason, actor });
    } catch (error) {
      // Revoked already (an earlier request whose answer was lost, or a concurrent one): done.
      if (!(error instanceof PkiError && error.code === "PKI_STATUS_TRANSITION")) throw error;
      const now = await services.registry.status(issuer, serial);
      if (now?.status !== "revoked" || now.revocation_reason === REVOCATION_REASONS.certificateHold) throw error;
    }
  }
  return certificates.map((c) => c.serial);
}
