import { randomBytes } from "node:crypto";
import { PortalError } from "../errors.ts";
import type { ApplicationState, Asker, BusinessRegisterClient } from "../registry/business.ts";
import type { SessionPerson } from "../session/session-store.ts";
import type { PrepareResponse, SigningService } from "../signing/signing-service.ts";

/** The one data file of a founder's container (the business register's APPLICATION_FILE). */
export const APPLICATION_FILE = "application.json";

/** What a founder's signature gave: who has signed the application and who has not. */
export interface FounderSignature {
  applicationId: string;
  signedBy: string[];
  missing: string[];
}

/** The state fee's simulated payment: what registration is given. */
export interface FeeReceipt {
  id: string;
  amountCents: number;
  currency: "EUR";
  paidAt: string;
}

/**
 * Founding an OÜ in the portal (issue #14): each founder signs the application's
 * `application.json` (the register's canonical JSON, checked against the sha256 it states)
 * in an ASiC-E container with their own card, through the portal's signing flow (prepare on
 * the server, the browser's card signs, finish with time-stamp and OCSP); the finished
 * container goes to the register, which validates it again. Once every founder has signed,
 * the state fee is paid (simulated, with a receipt) and the company registered.
 */
export class FoundingSigning {
  readonly #signing: SigningService;
  readonly #register: BusinessRegisterClient;
  /** Which application each prepared signature is for; only the server's record counts. */
  readonly #pending = new Map<string, { applicationId: string; expiresAt: number }>();

  constructor(signing: SigningService, register: BusinessRegisterClient) {
    this.#signing = signing;
    this.#register = register;
  }

  /** Prepares the founder's signature over the application as the register holds it now. */
  async prepare(
    sessionId: string,
    person: SessionPerson,
    applicationId: string,
    certificate: unknown,
  ): Promise<PrepareResponse & { application: ApplicationState }> {
    const asker: Asker = { personalCode: person.personalCode };
    const { document, ...application } = await this.#register.application(applicationId, asker);
    if (application.status !== "open")
      throw new PortalError("PORTAL_APPLICATION_MISMATCH", "the application is not open for signatures", {
        details: { status: application.status },
      });
    if (!application.application.founders.some((f) => f.personalCode === person.personalCode))
      throw new PortalError("PORTAL_APPLICATION_MISMATCH", "only the application's founders sign it");
    const prepared = await this.#signing.prepare(sessionId, person, {
      certificate,
      files: [
        {
          name: APPLICATION_FILE,
          mediaType: "application/json",
          data: Buffer.from(document, "utf8").toString("base64"),
        },
      ],
    });
    this.#sweep();
    this.#pending.set(prepared.id, { applicationId, expiresAt: Date.now() + prepared.expiresInSeconds * 1000 });
    return { ...prepared, application };
  }

  /** Completes the signature (time-stamp, OCSP) and hands the container to the register. */
  async finish(
    sessionId: string,
    person: SessionPerson,
    body: { id: string; signatureValue: string },
  ): Promise<FounderSignature> {
    const pending = this.#pending.get(body.id);
    this.#pending.delete(body.id);
    if (!pending || pending.expiresAt <= Date.now())
      throw new PortalError(
        "PORTAL_SIGNATURE_UNKNOWN",
        "no signature of an application is waiting in this session (expired, finished, or never prepared)",
      );
    const finished = await this.#signing.finish(sessionId, person, body);
    const { bytes } = this.#signing.download(sessionId, finished.download.id);
    const state = await this.#register.sign(pending.applicationId, bytes, { personalCode: person.personalCode });
    return { applicationId: pending.applicationId, ...state };
  }

  /**
   * Pays the state fee (the sandbox simulates the bank: a receipt) and registers the company;
   * the register refuses with SIGNATURES_MISSING until every founder has signed.
   */
  async register(
    person: SessionPerson,
    applicationId: string,
  ): Promise<{ registryCode: string; name: string; receipt: FeeReceipt }> {
    const receipt: FeeReceipt = {
      id: `RL-${new Date().toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(6).toString("hex").toUpperCase()}`,
      amountCents: this.#register.stateFeeCents,
      currency: "EUR",
      paidAt: new Date().toISOString(),
    };
    const company = await this.#register.register(applicationId, receipt.id, { personalCode: person.personalCode });
    return { ...company, receipt };
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#pending) if (entry.expiresAt <= now) this.#pending.delete(id);
  }
}
