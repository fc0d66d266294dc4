import { randomUUID } from "node:crypto";
import { type PersonalCodeError, parsePersonalCode, recordChanges } from "@riik/core";
import type { Kysely, Selectable } from "kysely";
import type { ExternalSigningKey } from "oidc-provider";
import type { AuthTables } from "../storage/migrations.ts";
import { MandateError } from "./errors.ts";
import { type SealedMandate, sealMandate } from "./seal.ts";
import type { RepresentationSource, RightToRepresent } from "./source.ts";

/** A role as Pääsuke writes them: letters, digits and `_ . : -`, e.g. `AGENCY-Q:Edit`. */
export const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** A mandate as the API, the CLI and the journal show it. */
export interface Mandate extends SealedMandate {
  status: "valid" | "pending" | "expired" | "revoked";
  /** Compact JWS over the mandate's canonical JSON (see seal.ts). */
  seal: string;
  /** Compact JWS over the revoked mandate (with revokedAt, revokedBy). */
  revocationSeal?: string;
}

export interface MandateGrant {
  /** Who grants: `EE` + personal code (or the bare code). */
  grantor: string;
  /** Who may then act for the grantor. */
  representative: string;
  role: string;
  /** Default: now. */
  validFrom?: Date;
  /** Exclusive; none: until revoked. */
  validUntil?: Date;
  /** The subject or administrator that made the grant (`admin:cli` for the CLI). */
  by?: string;
}

export interface ExplicitMandatesOptions {
  issuer: string;
  /** The provider's current signing key (the first of SigningKeys.published()). */
  signingKey: () => Promise<ExternalSigningKey>;
}

/** `EE` + the checked personal code, or MANDATE_ARGUMENT naming FIELD. */
function subjectOf(field: string, value: string): string {
  try {
    return `EE${parsePersonalCode(value).code}`;
  } catch (error) {
    throw new MandateError("MANDATE_ARGUMENT", `${field} is not a valid personal code: ${(error as Error).message}`, {
      cause: error,
      details: { field, reason: (error as PersonalCodeError).code },
    });
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Mandates one person grants another (issue 12: role, validity, revocation, all signed and
 * recorded): in auth's core storage, each grant and revocation in the same transaction as
 * its change-journal entry, and each sealed with the provider's signing key so the holder
 * can show it to anyone who has the JWKS.
 */
export class ExplicitMandates implements RepresentationSource {
  readonly name = "mandates";
  readonly #db: Kysely<AuthTables>;
  readonly #options: ExplicitMandatesOptions;

  constructor(db: Kysely<AuthTables>, options: ExplicitMandatesOptions) {
    this.#db = db;
    this.#options = options;
  }

  async grant(request: MandateGrant, at = new Date()): Promise<Mandate> {
    const grantor = subjectOf("grantor", request.grantor);
    const representative = subjectOf("representative", request.representative);
    if (grantor === representative)
      throw new MandateError("MANDATE_SELF", "a person cannot grant a mandate to themselves");
    if (!ROLE_PATTERN.test(request.role))
      throw new MandateError("MANDATE_ARGUMENT", "role must be 1-100 of letters, digits and _ . : -", {
        details: { field: "role" },
      });
    const validFrom = request.validFrom ?? at;
    for (const [field, date] of [
      ["validFrom", validFrom],
      ["validUntil", request.validUntil],
    ] as const)
      if (date && Number.isNaN(date.getTime()))
        throw new MandateError("MANDATE_ARGUMENT", `${field} is not a date`, { details: { field } });
    if (request.validUntil && request.validUntil.getTime() <= validFrom.getTime())
      throw new MandateError("MANDATE_VALIDITY", "validUntil must be after validFrom");
    if (request.validUntil && request.validUntil.getTime() <= at.getTime())
      throw new MandateError("MANDATE_VALIDITY", "validUntil is in the past");
    const row = {
      id: randomUUID(),
      grantor,
      representative,
      role: request.role,
      valid_from: validFrom.getTime(),
      valid_until: request.validUntil?.getTime() ?? null,
      granted_at: at.getTime(),
      granted_by: request.by ?? grantor,
      revoked_at: null,
      revoked_by: null,
      revocation_seal: null,
    };
    const seal = await sealMandate(await this.#options.signingKey(), this.#sealed(row));
    const stored = { ...row, seal };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto("mandates").values(stored).execute();
      await recordChanges(trx, [{ entity: "mandate", key: stored.id, op: "upsert", data: stored }], at);
    });
    return this.#view(stored, at);
  }

  /** Revokes mandate ID; with GRANTOR, only one that person granted (else MANDATE_UNKNOWN). */
  async revoke(id: string, options: { grantor?: string; by: string }, at = new Date()): Promise<Mandate> {
    // Asked before the transaction: a key source that reads storage must not wait on it.
    const key = await this.#options.signingKey();
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom("mandates").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row || (options.grantor !== undefined && row.grantor !== options.grantor))
        throw new MandateError("MANDATE_UNKNOWN", `no mandate ${id}${options.grantor ? " granted by you" : ""}`);
      if (row.revoked_at !== null) throw new MandateError("MANDATE_REVOKED", `mandate ${id} was revoked already`);
      const revoked = { ...row, revoked_at: at.getTime(), revoked_by: options.by };
      const revocationSeal = await sealMandate(key, this.#sealed(revoked));
      // Conditional on still being unrevoked: two concurrent revocations cannot both win.
      const updated = await trx
        .updateTable("mandates")
        .set({ revoked_at: revoked.revoked_at, revoked_by: revoked.revoked_by, revocation_seal: revocationSeal })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new MandateError("MANDATE_REVOKED", `mandate ${id} was revoked already`);
      const stored = { ...revoked, revocation_seal: revocationSeal };
      await recordChanges(trx, [{ entity: "mandate", key: id, op: "upsert", data: stored }], at);
      return this.#view(stored, at);
    });
  }

  /** The mandates SUBJECT holds (may act on) and has granted, newest first. */
  async of(subject: string, at = new Date()): Promise<{ held: Mandate[]; granted: Mandate[] }> {
    const who = subjectOf("subject", subject);
    const rows = await this.#db
      .selectFrom("mandates")
      .selectAll()
      .where((eb) => eb.or([eb("representative", "=", who), eb("grantor", "=", who)]))
      .orderBy("granted_at", "desc")
      .orderBy("id")
      .execute();
    return {
      held: rows.filter((row) => row.representative === who).map((row) => this.#view(row, at)),
      granted: rows.filter((row) => row.grantor === who).map((row) => this.#view(row, at)),
    };
  }

  /** Rights from mandates SUBJECT holds that are valid at AT. */
  async rightsOf(subject: string, at: Date): Promise<RightToRepresent[]> {
    const now = at.getTime();
    const rows = await this.#db
      .selectFrom("mandates")
      .leftJoin("accounts", "accounts.subject", "mandates.grantor")
      .select(["mandates.grantor", "mandates.role", "accounts.given_name", "accounts.family_name"])
      .where("mandates.representative", "=", subject)
      .where("mandates.revoked_at", "is", null)
      .where("mandates.valid_from", "<=", now)
      .where((eb) => eb.or([eb("mandates.valid_until", "is", null), eb("mandates.valid_until", ">", now)]))
      .orderBy("mandates.granted_at")
      .execute();
    return rows.map((row) => ({
      representee: {
        type: "NATURAL_PERSON" as const,
        sub: row.grantor,
        ...(row.given_name ? { given_name: row.given_name } : {}),
        ...(row.family_name ? { family_name: row.family_name } : {}),
      },
      role: row.role,
      source: this.name,
    }));
  }

  #sealed(row: Omit<Selectable<AuthTables["mandates"]>, "seal">): SealedMandate {
    return {
      id: row.id,
      iss: this.#options.issuer,
      grantor: row.grantor,
      representative: row.representative,
      role: row.role,
      validFrom: iso(row.valid_from)!,
      validUntil: iso(row.valid_until),
      grantedAt: iso(row.granted_at)!,
      grantedBy: row.granted_by,
      ...(row.revoked_at !== null ? { revokedAt: iso(row.revoked_at)!, revokedBy: row.revoked_by ?? "" } : {}),
    };
  }

  #view(row: Selectable<AuthTables["mandates"]>, at: Date): Mandate {
    const now = at.getTime();
    const status =
      row.revoked_at !== null
        ? "revoked"
        : now < Number(row.valid_from)
          ? "pending"
          : row.valid_until !== null && now >= Number(row.valid_until)
            ? "expired"
            : "valid";
    return {
      ...this.#sealed({
        ...row,
        valid_from: Number(row.valid_from),
        valid_until: row.valid_until === null ? null : Number(row.valid_until),
        granted_at: Number(row.granted_at),
        revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
      }),
      status,
      seal: row.seal,
      ...(row.revocation_seal ? { revocationSeal: row.revocation_seal } : {}),
    };
  }
}
