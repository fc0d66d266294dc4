import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { PkiError } from "../errors.ts";
import type { CertificateRegistry, PkiDb } from "../registry/certificate-registry.ts";

/**
 * Registration authorities: the services that may ask the CA for certificates over HTTP
 * after checking the person themselves (as SK's registration authorities do for Smart-ID
 * accounts): the authentication service enrolling apps, the e-Residency agency issuing
 * digital IDs. Each holds a bearer token, never the CA's keys, and may do only what it is
 * allowed. Each is bounded by an hourly quota counted from the certificate event log, so the
 * bound survives a restart and a stolen token mints little.
 */
export interface RegistrationAuthority {
  name: string;
  hourlyQuota: number;
  /** What it may ask for, sorted. */
  allow: RegistrationAuthorityPermission[];
  createdAt: string;
}

/**
 * `app-certificates`: POST /ra/app-certificates. `cards`: POST /ra/cards (an ID card or an
 * e-resident's digital ID: two key pairs made by the CA, handed over with their PINs) and
 * POST /ra/revocations of the documents it asked for.
 */
export const RA_PERMISSIONS = ["app-certificates", "cards"] as const;
export type RegistrationAuthorityPermission = (typeof RA_PERMISSIONS)[number];
/** What an authority added without --allow may do: what the authentication service always could. */
export const DEFAULT_RA_PERMISSIONS: readonly RegistrationAuthorityPermission[] = ["app-certificates"];

export const DEFAULT_HOURLY_QUOTA = 600;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const HOUR_MS = 60 * 60 * 1000;

/** The actor recorded on every certificate an authority asked for. */
export const registrationAuthorityActor = (name: string) => `ra:${name}`;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Permissions as stored (comma-separated, sorted, each once); refuses an unknown one. */
export function parsePermissions(given: readonly string[]): RegistrationAuthorityPermission[] {
  const unknown = given.filter((p) => !(RA_PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0 || given.length === 0)
    throw new PkiError(
      "PKI_ARGUMENT",
      `permissions ${JSON.stringify(given)}: give one or more of ${RA_PERMISSIONS.join(", ")}`,
    );
  return [...new Set(given as RegistrationAuthorityPermission[])].sort();
}

type AuthorityRow = PkiDb["registration_authority"];
const authorityOf = (row: AuthorityRow): RegistrationAuthority => ({
  name: row.name,
  hourlyQuota: row.hourly_quota,
  allow: parsePermissions(row.allow.split(",")),
  createdAt: row.created_at,
});

export class RegistrationAuthorities {
  readonly #registry: CertificateRegistry;

  constructor(registry: CertificateRegistry) {
    this.#registry = registry;
  }

  /** Adds an authority and returns its token (256 random bits, base64url): shown once, stored as its SHA-256. */
  async add(
    name: string,
    options: { hourlyQuota?: number; allow?: readonly string[]; now?: Date } = {},
  ): Promise<{ name: string; token: string }> {
    if (!NAME.test(name))
      throw new PkiError("PKI_ARGUMENT", `name ${JSON.stringify(name)}: lower-case letters, digits and -, at most 63`);
    const hourlyQuota = options.hourlyQuota ?? DEFAULT_HOURLY_QUOTA;
    if (!Number.isInteger(hourlyQuota) || hourlyQuota < 1)
      throw new PkiError("PKI_ARGUMENT", "the hourly quota must be a whole number, at least 1");
    const allow = parsePermissions(options.allow ?? DEFAULT_RA_PERMISSIONS);
    const token = randomBytes(32).toString("base64url");
    const inserted = await this.#registry.db
      .insertInto("registration_authority")
      .values({
        name,
        token_hash: sha256(token).toString("hex"),
        hourly_quota: hourlyQuota,
        allow: allow.join(","),
        created_at: (options.now ?? new Date()).toISOString(),
      })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0)
      throw new PkiError(
        "PKI_RA_EXISTS",
        `registration authority ${name} exists; remove it first to replace its token`,
      );
    return { name, token };
  }

  async list(): Promise<RegistrationAuthority[]> {
    const rows = await this.#registry.db.selectFrom("registration_authority").selectAll().orderBy("name").execute();
    return rows.map(authorityOf);
  }

  async remove(name: string): Promise<void> {
    const deleted = await this.#registry.db
      .deleteFrom("registration_authority")
      .where("name", "=", name)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0)
      throw new PkiError("PKI_RA_UNKNOWN", `no registration authority ${JSON.stringify(name)}`);
  }

  /**
   * The authority an `Authorization: Bearer` header names. Every stored hash is compared in
   * constant time (there are few authorities), so the answer's timing says nothing of a token.
   */
  async authenticate(authorization: string | undefined): Promise<RegistrationAuthority> {
    const token = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(authorization ?? "")?.[1];
    const given = sha256(token ?? "");
    let found: RegistrationAuthority | undefined;
    for (const row of await this.#registry.db.selectFrom("registration_authority").selectAll().execute())
      if (timingSafeEqual(Buffer.from(row.token_hash, "hex"), given) && token) found = authorityOf(row);
    if (!found)
      throw new PkiError(
        "PKI_RA_UNAUTHORIZED",
        "a registration authority's bearer token is required (riik pki ra add --name NAME prints one)",
      );
    return found;
  }

  /** Refuses (403 PKI_RA_FORBIDDEN) what the authority was not allowed when it was added. */
  assertAllowed(authority: RegistrationAuthority, permission: RegistrationAuthorityPermission): void {
    if (!authority.allow.includes(permission))
      throw new PkiError(
        "PKI_RA_FORBIDDEN",
        `registration authority ${authority.name} may not ask for ${permission} (riik pki ra add --allow ${permission})`,
      );
  }

  /**
   * Refuses when the authority has had its quota of issuances in the last hour. An issuance is
   * an app certificate or a card: a card's two certificates share a document number and count once.
   */
  async assertWithinQuota(authority: RegistrationAuthority, now = new Date()): Promise<void> {
    const since = new Date(now.getTime() - HOUR_MS).toISOString();
    const { issued } = await this.#registry.db
      .selectFrom("certificate_event as e")
      .innerJoin("certificate as c", (join) =>
        join.onRef("c.issuer", "=", "e.issuer").onRef("c.serial", "=", "e.serial"),
      )
      .select((eb) => eb.fn.count<number>(eb.fn.coalesce("c.document_number", "e.serial")).distinct().as("issued"))
      .where("e.actor", "=", registrationAuthorityActor(authority.name))
      .where("e.event", "=", "issued")
      .where("e.at", ">", since)
      .executeTakeFirstOrThrow();
    if (Number(issued) >= authority.hourlyQuota)
      throw new PkiError(
        "PKI_RA_QUOTA",
        `registration authority ${authority.name} had its ${authority.hourlyQuota} issuances this hour; try later`,
      );
  }
}
