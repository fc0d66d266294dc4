// Remote renewal during a key incident (issue 18; in 2017 the cards' keys were renewed through
// the DigiDoc client): the holder proves possession of the suspended authentication key with a
// Web eID token over a challenge of the trust services, sends the new public keys its card made,
// and gets new certificates for the same document; the old ones are revoked as superseded.
import { subtle } from "../algorithms.ts";
import { personName } from "../ca/names.ts";
import type { TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import { normaliseSerial, REVOCATION_REASONS } from "../registry/certificate-registry.ts";
import {
  type ChallengeNonce,
  generateChallengeNonce,
  MAX_NONCE_LENGTH,
  NONCE_LIFETIME_MS,
  type NonceStore,
  nonceKey,
} from "../webeid/challenge-nonce.ts";
import { WebEidError } from "../webeid/errors.ts";
import { AuthTokenValidator } from "../webeid/validator.ts";
import { recordRenewal } from "./incident.ts";

/** At most this many challenges are outstanding at once: a flood of requests costs bounded rows. */
const MAX_OUTSTANDING = 100_000;

/**
 * Renewal challenges kept in the registry (table renewal_challenge), so that one is used once
 * even across a restart or several instances: consumption is one conditional UPDATE.
 */
export class RenewalChallenges implements NonceStore {
  readonly #services: TrustServices;
  readonly #now: () => Date;

  constructor(services: TrustServices, now: () => Date = () => new Date()) {
    this.#services = services;
    this.#now = now;
  }

  async issue(): Promise<ChallengeNonce> {
    const db = this.#services.registry.db;
    const issuedAt = this.#now();
    const expiresAt = new Date(issuedAt.getTime() + NONCE_LIFETIME_MS);
    // Forget what can no longer be used (expired two lifetimes ago), then bound what is left.
    await db
      .deleteFrom("renewal_challenge")
      .where("expires_at", "<", new Date(issuedAt.getTime() - NONCE_LIFETIME_MS).toISOString())
      .execute();
    const { n } = await db
      .selectFrom("renewal_challenge")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_OUTSTANDING)
      throw new PkiError("PKI_RA_QUOTA", "too many renewal challenges are outstanding; try again in a few minutes");
    const value = generateChallengeNonce();
    await db
      .insertInto("renewal_challenge")
      .values({
        key: nonceKey(value),
        issued_at: issuedAt.toISOString(),
        expires_at: expiresAt.toISOString(),
        consumed_at: null,
      })
      .execute();
    return { value, issuedAt, expiresAt };
  }

  async consume(value: string): Promise<ChallengeNonce> {
    if (typeof value !== "string" || value.length > MAX_NONCE_LENGTH)
      throw new WebEidError("WEBEID_NONCE_UNKNOWN", "the challenge was not issued here");
    const db = this.#services.registry.db;
    const key = nonceKey(value);
    const now = this.#now();
    const used = await db
      .updateTable("renewal_challenge")
      .set({ consumed_at: now.toISOString() })
      .where("key", "=", key)
      .where("consumed_at", "is", null)
      .executeTakeFirst();
    const row = await db.selectFrom("renewal_challenge").selectAll().where("key", "=", key).executeTakeFirst();
    if (!row) throw new WebEidError("WEBEID_NONCE_UNKNOWN", "the challenge was not issued here, or is forgotten");
    if (used.numUpdatedRows !== 1n) throw new WebEidError("WEBEID_NONCE_REUSED", "the challenge was already used");
    if (now.toISOString() > row.expires_at)
      throw new WebEidError("WEBEID_NONCE_EXPIRED", `the challenge expired at ${row.expires_at}; ask for a new one`);
    return { value, issuedAt: new Date(row.issued_at), expiresAt: new Date(row.expires_at) };
  }
}

export interface RenewalRequest {
  /** The Web eID token (`web-eid:1.0`) made with the suspended authentication key. */
  authToken: unknown;
  /** The challenge the token signs (issued by RenewalChallenges, used once). */
  nonce: string;
  /** The new public keys (SPKI, DER) the card generated: ECDSA P-384. */
  authenticationKey: Uint8Array;
  signingKey: Uint8Array;
}

export interface RenewedCertificates {
  documentNumber: string;
  authentication: string;
  signing: string;
}

const importP384 = async (spki: Uint8Array, what: string): Promise<CryptoKey> => {
  try {
    return await subtle.importKey("spki", spki as BufferSource, { name: "ECDSA", namedCurve: "P-384" }, true, [
      "verify",
    ]);
  } catch (cause) {
    throw new PkiError("PKI_ARGUMENT", `the new ${what} key must be an ECDSA P-384 public key (SPKI)`, { cause });
  }
};

/**
 * Renews a card of the incident: the token proves the holder still has the suspended
 * authentication key (every Web eID check but revocation, where only "on hold in this
 * incident" passes), the new keys get certificates for the same document until its old expiry,
 * and every certificate of that document the incident holds is revoked as superseded. If that
 * fails (renewed meanwhile), the new certificates are revoked again: nothing is left half-done.
 */
export async function renewCard(
  services: TrustServices,
  incidentId: string,
  request: RenewalRequest,
  options: { origin: string; challenges: NonceStore; now?: () => Date },
): Promise<RenewedCertificates> {
  const registry = services.registry;
  const ca = services.cas.esteid;
  const waiting = async (serial: string) =>
    registry.db
      .selectFrom("incident_certificate")
      .select("outcome")
      .where("incident_id", "=", incidentId)
      .where("issuer", "=", ca.name)
      .where("serial", "=", serial)
      .executeTakeFirst();
  const validator = new AuthTokenValidator({
    trustedCas: [ca.certificate],
    allowedOrigin: options.origin,
    nonces: options.challenges,
    ...(options.now ? { now: options.now } : {}),
    // As OCSP would answer, except that on hold and waiting in this incident passes: the one
    // suspended certificate a renewal may use.
    ocsp: async (certificate) => {
      const serial = normaliseSerial(certificate.serialNumber);
      const row = await registry.status(ca.name, serial);
      if (!row) return { status: "unknown" };
      const onHold = row.status === "revoked" && row.revocation_reason === REVOCATION_REASONS.certificateHold;
      if (row.status === "good" || (onHold && (await waiting(serial))?.outcome === "suspended"))
        return { status: "good" };
      return {
        status: "revoked",
        revokedAt: new Date(row.revoked_at ?? 0),
        ...(row.revocation_reason === null ? {} : { reason: row.revocation_reason }),
      };
    },
  });
  let holder: Awaited<ReturnType<AuthTokenValidator["validate"]>>;
  try {
    holder = await validator.validate(request.authToken, { nonce: request.nonce });
  } catch (error) {
    if (!(error instanceof WebEidError)) throw error;
    throw new PkiError("PKI_RENEWAL_REFUSED", `the proof of the old key was refused: ${error.message}`, {
      cause: error,
      details: { reason: error.code },
    });
  }
  const oldSerial = normaliseSerial(holder.certificate.serialNumber);
  if ((await waiting(oldSerial))?.outcome !== "suspended")
    throw new PkiError(
      "PKI_STATUS_TRANSITION",
      `certificate ${oldSerial} is not waiting for renewal in incident ${incidentId}; nothing to renew`,
    );
  const [authenticationKey, signingKey] = await Promise.all([
    importP384(request.authenticationKey, "authentication"),
    importP384(request.signingKey, "signing"),
  ]);
  const old = await registry.find(ca.name, oldSerial);
  if (!old?.document_number)
    throw new PkiError("PKI_CERTIFICATE_UNKNOWN", "the authentication certificate names no document to renew");
  const documentCertificates = await registry.db
    .selectFrom("incident_certificate as i")
    .innerJoin("certificate as c", (join) => join.onRef("c.issuer", "=", "i.issuer").onRef("c.serial", "=", "i.serial"))
    .select(["c.issuer", "c.serial"])
    .where("i.incident_id", "=", incidentId)
    .where("i.outcome", "=", "suspended")
    .where("c.document_number", "=", old.document_number)
    .execute();
  const eResident = holder.kind === "e-resident";
  const common = {
    subject: personName(holder, eResident ? "E-RESIDENT" : undefined),
    personalCode: holder.personalCode,
    documentNumber: old.document_number,
    // The renewed certificates end when the card would have: the document is the same.
    validityDays: Math.max(1, Math.ceil((Date.parse(old.not_after) - Date.now()) / 86_400_000)),
    eResident,
    actor: `incident:${incidentId}:renewal`,
  };
  const authentication = await ca.issue({ ...common, purpose: "id-authentication", publicKey: authenticationKey });
  const signing = await ca.issue({ ...common, purpose: "id-signing", publicKey: signingKey });
  try {
    for (const certificate of documentCertificates)
      await recordRenewal(registry, incidentId, certificate, holder.personalCode);
  } catch (error) {
    for (const issued of [authentication, signing])
      await registry.changeStatus(ca.name, normaliseSerial(issued.serialNumber), {
        event: "revoked",
        reason: "cessationOfOperation",
        actor: `incident:${incidentId}:renewal not completed`,
      });
    throw error;
  }
  return {
    documentNumber: old.document_number,
    authentication: authentication.toString("pem"),
    signing: signing.toString("pem"),
  };
}
