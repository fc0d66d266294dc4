import { openStorage, type Storage } from "@riik/core";
import type { Generated, Kysely } from "kysely";
import { PkiError } from "../errors.ts";
import { pkiMigrations } from "./migrations.ts";

/** RFC 5280 5.3.1 CRLReason values that an operator can give. */
export const REVOCATION_REASONS = Object.freeze({
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
});
export type RevocationReasonName = keyof typeof REVOCATION_REASONS;

export type CertificateStatus = "good" | "revoked";
export type StatusEvent = "issued" | "suspended" | "resumed" | "revoked";

export interface CertificateRow {
  issuer: string;
  serial: string;
  purpose: string;
  subject: string;
  personal_code: string | null;
  document_number: string | null;
  not_before: string;
  not_after: string;
  status: CertificateStatus;
  revocation_reason: number | null;
  revoked_at: string | null;
  /** Bumped on every status change, so responders can cache signed answers safely. */
  version: number;
  issued_at: string;
  der: Uint8Array;
}

export interface PkiDb {
  certificate: CertificateRow;
  registration_authority: {
    name: string;
    token_hash: string;
    hourly_quota: number;
    /** Its permissions, comma-separated (registration-authorities.ts RA_PERMISSIONS). */
    allow: string;
    created_at: string;
  };
  certificate_event: {
    id: Generated<number>;
    issuer: string;
    serial: string;
    event: StatusEvent;
    revocation_reason: number | null;
    at: string;
    actor: string;
  };
  /** Key incidents (incident/incident.ts): what was declared, and until when holders may renew. */
  incident: {
    id: string;
    title: string;
    /** IncidentCriterion as JSON. */
    criterion: string;
    declared_at: string;
    renew_by: string;
    closed_at: string | null;
    actor: string;
  };
  /** Challenges of remote renewals (incident/renewal.ts), by SHA-256 of the nonce; each used once. */
  renewal_challenge: {
    key: string;
    issued_at: string;
    expires_at: string;
    consumed_at: string | null;
  };
  /** Every certificate an incident suspended, and what became of it. */
  incident_certificate: {
    incident_id: string;
    issuer: string;
    serial: string;
    personal_code: string | null;
    outcome: "suspended" | "renewed" | "revoked" | "released";
    changed_at: string;
  };
}

/** Serial numbers as lowercase hex without leading zero octets: one spelling for one number. */
export function normaliseSerial(serial: string | Uint8Array): string {
  const hex =
    typeof serial === "string"
      ? serial.toLowerCase().replace(/^0x/, "").replace(/:/g, "")
      : Buffer.from(serial).toString("hex");
  if (!/^[0-9a-f]+$/.test(hex))
    throw new PkiError("PKI_ARGUMENT", `serial ${JSON.stringify(serial)} is not hexadecimal`);
  const trimmed = hex.replace(/^(00)+/, "");
  return trimmed === "" ? "00" : trimmed;
}

/** Every certificate the CAs issued and every change of its status (issue 2: all recorded). */
export class CertificateRegistry {
  readonly #storage: Storage<PkiDb>;

  private constructor(storage: Storage<PkiDb>) {
    this.#storage = storage;
  }

  /** `schema` isolates a PostgreSQL store (tests); by default it is riik_pki. */
  static async open(options: {
    dataDir: string;
    url?: string | undefined;
    schema?: string;
  }): Promise<CertificateRegistry> {
    return new CertificateRegistry(
      await openStorage<PkiDb>({ component: "pki", migrations: pkiMigrations, ...options }),
    );
  }

  get db(): Kysely<PkiDb> {
    return this.#storage.db;
  }

  close(): Promise<void> {
    return this.#storage.close();
  }

  async record(
    row: Omit<CertificateRow, "status" | "revocation_reason" | "revoked_at" | "version">,
    actor: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom("certificate")
        .select("serial")
        .where("issuer", "=", row.issuer)
        .where("serial", "=", row.serial)
        .executeTakeFirst();
      if (existing) return;
      await trx
        .insertInto("certificate")
        .values({ ...row, status: "good", revocation_reason: null, revoked_at: null, version: 1 })
        .execute();
      await trx
        .insertInto("certificate_event")
        .values({
          issuer: row.issuer,
          serial: row.serial,
          event: "issued",
          revocation_reason: null,
          at: row.issued_at,
          actor,
        })
        .execute();
    });
  }

  find(issuer: string, serial: string): Promise<CertificateRow | undefined> {
    return this.db
      .selectFrom("certificate")
      .selectAll()
      .where("issuer", "=", issuer)
      .where("serial", "=", normaliseSerial(serial))
      .executeTakeFirst();
  }

  /** Only the status columns: what an OCSP responder reads on every request. */
  status(issuer: string, serial: string) {
    return this.db
      .selectFrom("certificate")
      .select(["status", "revocation_reason", "revoked_at", "version", "not_after"])
      .where("issuer", "=", issuer)
      .where("serial", "=", serial)
      .executeTakeFirst();
  }

  byPersonalCode(personalCode: string): Promise<CertificateRow[]> {
    return this.db
      .selectFrom("certificate")
      .selectAll()
      .where("personal_code", "=", personalCode)
      .orderBy("issued_at")
      .execute();
  }

  /**
   * Every status event after event AFTER, in order, with what it is about: the feed that
   * services following the registry read (a suspended card ends its login sessions).
   */
  statusChanges(after: number, limit: number) {
    return this.db
      .selectFrom("certificate_event as e")
      .innerJoin("certificate as c", (join) =>
        join.onRef("c.issuer", "=", "e.issuer").onRef("c.serial", "=", "e.serial"),
      )
      .select(["e.id", "e.issuer", "e.serial", "e.event", "e.at", "c.purpose", "c.personal_code"])
      .where("e.id", ">", after)
      .orderBy("e.id")
      .limit(limit)
      .execute();
  }

  events(issuer: string, serial: string) {
    return this.db
      .selectFrom("certificate_event")
      .selectAll()
      .where("issuer", "=", issuer)
      .where("serial", "=", serial)
      .orderBy("id")
      .execute();
  }

  /**
   * Suspends (certificateHold), resumes, or revokes a certificate, at once and recorded.
   * A revoked certificate stays revoked; only a suspension can be lifted (RFC 5280 5.3.1).
   */
  async changeStatus(
    issuer: string,
    serial: string,
    change: { event: Exclude<StatusEvent, "issued">; reason?: RevocationReasonName; actor: string; at?: Date },
  ): Promise<CertificateRow> {
    const at = (change.at ?? new Date()).toISOString();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom("certificate")
        .selectAll()
        .where("issuer", "=", issuer)
        .where("serial", "=", serial)
        .executeTakeFirst();
      if (!row) throw new PkiError("PKI_CERTIFICATE_UNKNOWN", `no certificate ${serial} issued by ${issuer}`);
      const onHold = row.status === "revoked" && row.revocation_reason === REVOCATION_REASONS.certificateHold;
      let update: Pick<CertificateRow, "status" | "revocation_reason" | "revoked_at">;
      if (change.event === "suspended") {
        if (row.status !== "good")
          throw new PkiError(
            "PKI_STATUS_TRANSITION",
            `certificate ${serial} is ${onHold ? "already suspended" : "revoked"}; only a valid certificate can be suspended`,
          );
        update = { status: "revoked", revocation_reason: REVOCATION_REASONS.certificateHold, revoked_at: at };
      } else if (change.event === "resumed") {
        if (!onHold)
          throw new PkiError(
            "PKI_STATUS_TRANSITION",
            `certificate ${serial} is not suspended, so it cannot be resumed`,
          );
        update = { status: "good", revocation_reason: null, revoked_at: null };
      } else {
        if (row.status === "revoked" && !onHold)
          throw new PkiError("PKI_STATUS_TRANSITION", `certificate ${serial} is already revoked`);
        const reason = change.reason ?? "unspecified";
        if (reason === "certificateHold") throw new PkiError("PKI_ARGUMENT", "use suspend for certificateHold");
        update = { status: "revoked", revocation_reason: REVOCATION_REASONS[reason], revoked_at: at };
      }
      // Only over the version read above: under PostgreSQL's READ COMMITTED a concurrent change
      // would otherwise pass the same checks and be applied twice (two suspensions, one version).
      const updated = await trx
        .updateTable("certificate")
        .set({ ...update, version: row.version + 1 })
        .where("issuer", "=", issuer)
        .where("serial", "=", serial)
        .where("version", "=", row.version)
        .executeTakeFirst();
      if (updated.numUpdatedRows !== 1n)
        throw new PkiError(
          "PKI_STATUS_TRANSITION",
          `certificate ${serial} changed status meanwhile; read its status and try again`,
        );
      await trx
        .insertInto("certificate_event")
        .values({
          issuer,
          serial,
          event: change.event,
          revocation_reason: update.revocation_reason,
          at,
          actor: change.actor,
        })
        .execute();
      return { ...row, ...update, version: row.version + 1 };
    });
  }
}
