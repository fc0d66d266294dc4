// A key incident (issue 18, after the 2017 ROCA response): every valid certificate whose key
// has a property is found in the registry and suspended at once (certificateHold, RFC 5280
// 5.3.1: reversible, unlike a revocation), holders renew their keys until a deadline, and the
// certificates not renewed by then are revoked for good. Every step is a status change of the
// registry (certificate_event), so OCSP answers, the login sessions that follow the status feed
// and the certificate directory see it as they see any suspension.
import { X509Certificate } from "node:crypto";
import { sql } from "kysely";
import { PkiError } from "../errors.ts";
import { type CertificateRegistry, REVOCATION_REASONS } from "../registry/certificate-registry.ts";
import { hasRocaFingerprint, rsaModulus } from "./roca-fingerprint.ts";

/** What makes a certificate affected; every condition given must hold, and a key or an issuance period must be given. */
export interface IncidentCriterion {
  /** The key property: RSALib's fingerprint, or RSA moduli shorter than `rsaBelowBits`. */
  key?: "roca-fingerprint" | { rsaBelowBits: number };
  /** Issued in [from, to) (ISO 8601): a chip batch, by when its cards were personalised. */
  issued?: { from: string; to: string };
  /** Only certificates of these purposes (id-authentication, id-signing, …); every purpose when absent. */
  purposes?: string[];
}

export interface IncidentDeclaration {
  /** A short id people and URLs use, e.g. 2026-roca. */
  id: string;
  title: string;
  criterion: IncidentCriterion;
  /** Until when holders may renew; after it the certificates not renewed are revoked. */
  renewBy: string;
  actor: string;
}

/**
 * What happened to an affected certificate: on hold, renewed by its holder, revoked at the
 * deadline (or by anyone before it), or released by an operator who lifted the hold (a
 * certificate found not affected after all).
 */
export type IncidentOutcome = "suspended" | "renewed" | "revoked" | "released";

export interface IncidentReport {
  id: string;
  title: string;
  criterion: IncidentCriterion;
  declaredAt: string;
  renewBy: string;
  /** When the deadline was enforced (the rest revoked); absent before. */
  closedAt?: string;
  /** Affected certificates by what became of them. */
  counts: Record<IncidentOutcome, number>;
  /** Holders (persons) with a certificate still suspended: whom to remind. */
  holdersWaiting: number;
  /** Changes per day (UTC), the dashboard's rows. */
  days: Array<{ day: string } & Record<IncidentOutcome, number>>;
}

export interface IncidentProgress {
  /** Valid certificates the sweep reads (those of the period and purposes, when given). */
  total: number;
  scanned: number;
  affected: number;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Certificates read, tested and (when affected) suspended per transaction. */
const PAGE = 2000;

/** The actor of an incident's status changes, as certificate_event records it. */
export const incidentActor = (id: string, actor: string) => `incident:${id}:${actor}`;

function checkDeclaration(declaration: IncidentDeclaration): void {
  const { id, criterion, renewBy } = declaration;
  if (!ID_PATTERN.test(id))
    throw new PkiError(
      "PKI_ARGUMENT",
      `incident id ${JSON.stringify(id)}: lower-case letters, digits and -, at most 63`,
    );
  if (!criterion.key && !criterion.issued)
    throw new PkiError("PKI_ARGUMENT", "an incident names a key property or an issuance period (or both)");
  if (
    typeof criterion.key === "object" &&
    !(Number.isInteger(criterion.key.rsaBelowBits) && criterion.key.rsaBelowBits > 0)
  )
    throw new PkiError("PKI_ARGUMENT", "rsaBelowBits must be a positive integer");
  const time = (value: string, what: string) => {
    if (Number.isNaN(Date.parse(value)))
      throw new PkiError("PKI_ARGUMENT", `${what} ${JSON.stringify(value)} is not an ISO 8601 time`);
  };
  time(renewBy, "renewBy");
  if (criterion.issued) {
    time(criterion.issued.from, "issued.from");
    time(criterion.issued.to, "issued.to");
  }
}

/** Whether a certificate (its DER) has the key property of the criterion. */
function keyMatches(criterion: IncidentCriterion, der: Uint8Array): boolean {
  if (!criterion.key) return true;
  const modulus = rsaModulus(new X509Certificate(der));
  if (modulus === undefined) return false;
  return criterion.key === "roca-fingerprint"
    ? hasRocaFingerprint(modulus)
    : modulus.toString(2).length < criterion.key.rsaBelowBits;
}

/**
 * Declares the incident (or continues declaring it: running it again after a crash resumes the
 * sweep, since what was suspended is no longer valid) and suspends every valid, unexpired
 * certificate it covers, a page per transaction with its status events.
 */
export async function declareIncident(
  registry: CertificateRegistry,
  declaration: IncidentDeclaration,
  onProgress?: (progress: IncidentProgress) => void,
  at = new Date(),
): Promise<IncidentProgress> {
  checkDeclaration(declaration);
  const { id } = declaration;
  // Times as the registry writes them (toISOString), so that text comparison is time order.
  const criterion: IncidentCriterion = declaration.criterion.issued
    ? {
        ...declaration.criterion,
        issued: {
          from: new Date(declaration.criterion.issued.from).toISOString(),
          to: new Date(declaration.criterion.issued.to).toISOString(),
        },
      }
    : declaration.criterion;
  const existing = await registry.db.selectFrom("incident").selectAll().where("id", "=", id).executeTakeFirst();
  if (existing && existing.criterion !== JSON.stringify(criterion))
    throw new PkiError("PKI_ARGUMENT", `incident ${id} exists with another criterion; choose another id`);
  if (existing?.closed_at)
    throw new PkiError("PKI_STATUS_TRANSITION", `incident ${id} was closed at ${existing.closed_at}`);
  if (!existing)
    await registry.db
      .insertInto("incident")
      .values({
        id,
        title: declaration.title,
        criterion: JSON.stringify(criterion),
        declared_at: at.toISOString(),
        renew_by: new Date(declaration.renewBy).toISOString(),
        closed_at: null,
        actor: declaration.actor,
      })
      .execute();
  const actor = incidentActor(id, declaration.actor);
  const now = at.toISOString();
  // Only what a relying party would accept today, of the period and purposes given.
  const candidates = () => {
    let query = registry.db.selectFrom("certificate").where("status", "=", "good").where("not_after", ">", now);
    if (criterion.issued)
      query = query.where("issued_at", ">=", criterion.issued.from).where("issued_at", "<", criterion.issued.to);
    if (criterion.purposes?.length) query = query.where("purpose", "in", criterion.purposes);
    return query;
  };
  const { n } = await candidates()
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const progress: IncidentProgress = { total: Number(n), scanned: 0, affected: 0 };
  let after: { issuer: string; serial: string } | undefined;
  for (;;) {
    // Keyset pages over the primary key.
    let page = candidates()
      .select(["issuer", "serial", "personal_code", "der", "version"])
      .orderBy("issuer")
      .orderBy("serial")
      .limit(PAGE);
    if (after) {
      const { issuer, serial } = after;
      page = page.where((eb) =>
        eb.or([eb("issuer", ">", issuer), eb.and([eb("issuer", "=", issuer), eb("serial", ">", serial)])]),
      );
    }
    const rows = await page.execute();
    if (rows.length === 0) break;
    after = rows.at(-1);
    const affected = rows.filter((row) => keyMatches(criterion, row.der));
    if (affected.length > 0) await suspendPage(registry, id, affected, actor, now);
    progress.scanned += rows.length;
    progress.affected += affected.length;
    onProgress?.({ ...progress });
  }
  return progress;
}

/** One transaction: the page's certificates on hold (only over the version read), their events, the incident's rows. */
async function suspendPage(
  registry: CertificateRegistry,
  id: string,
  rows: ReadonlyArray<{ issuer: string; serial: string; personal_code: string | null; version: number }>,
  actor: string,
  at: string,
): Promise<void> {
  await registry.db.transaction().execute(async (trx) => {
    const held: Array<(typeof rows)[number]> = [];
    for (const row of rows) {
      // Per row over its version: one changed meanwhile (suspended by an operator, renewed)
      // is left as it is now, as changeStatus would refuse it.
      const updated = await trx
        .updateTable("certificate")
        .set({
          status: "revoked",
          revocation_reason: REVOCATION_REASONS.certificateHold,
          revoked_at: at,
          version: row.version + 1,
        })
        .where("issuer", "=", row.issuer)
        .where("serial", "=", row.serial)
        .where("version", "=", row.version)
        .where("status", "=", "good")
        .executeTakeFirst();
      if (updated.numUpdatedRows === 1n) held.push(row);
    }
    if (held.length === 0) return;
    await trx
      .insertInto("certificate_event")
      .values(
        held.map((row) => ({
          issuer: row.issuer,
          serial: row.serial,
          event: "suspended" as const,
          revocation_reason: REVOCATION_REASONS.certificateHold,
          at,
          actor,
        })),
      )
      .execute();
    await trx
      .insertInto("incident_certificate")
      .values(
        held.map((row) => ({
          incident_id: id,
          issuer: row.issuer,
          serial: row.serial,
          personal_code: row.personal_code,
          outcome: "suspended" as const,
          changed_at: at,
        })),
      )
      .execute();
  });
}

async function incidentRow(registry: CertificateRegistry, id: string) {
  const row = await registry.db.selectFrom("incident").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row)
    throw new PkiError("PKI_INCIDENT_UNKNOWN", `no incident ${id}: riik pki incident list shows the declared ones`);
  return row;
}

/**
 * Marks an affected certificate renewed: its holder proved possession of the old key and has
 * new certificates, so the old one is revoked as superseded (not keyCompromise: nothing
 * shows it was broken). Called in the renewal's own flow; PKI_STATUS_TRANSITION when it is
 * not waiting for renewal in this incident.
 */
export async function recordRenewal(
  registry: CertificateRegistry,
  id: string,
  certificate: { issuer: string; serial: string },
  actor: string,
  at = new Date(),
): Promise<void> {
  const incident = await incidentRow(registry, id);
  if (incident.closed_at || at.toISOString() > incident.renew_by)
    throw new PkiError(
      "PKI_STATUS_TRANSITION",
      `incident ${id}: renewal ended at ${incident.closed_at ?? incident.renew_by}`,
    );
  const waiting = await registry.db
    .selectFrom("incident_certificate")
    .select("outcome")
    .where("incident_id", "=", id)
    .where("issuer", "=", certificate.issuer)
    .where("serial", "=", certificate.serial)
    .executeTakeFirst();
  if (waiting?.outcome !== "suspended")
    throw new PkiError(
      "PKI_STATUS_TRANSITION",
      `certificate ${certificate.serial} is ${waiting ? `already ${waiting.outcome}` : "not affected"} in incident ${id}`,
    );
  await registry.changeStatus(certificate.issuer, certificate.serial, {
    event: "revoked",
    reason: "superseded",
    actor: incidentActor(id, actor),
    at,
  });
  await registry.db
    .updateTable("incident_certificate")
    .set({ outcome: "renewed", changed_at: at.toISOString() })
    .where("incident_id", "=", id)
    .where("issuer", "=", certificate.issuer)
    .where("serial", "=", certificate.serial)
    .execute();
}

/**
 * After the deadline: every certificate of the incident still on hold is revoked (reason
 * keyCompromise: the key is known weak), a page per transaction, and the incident is closed.
 * Before the deadline PKI_STATUS_TRANSITION; running it again continues where it stopped.
 */
export async function enforceIncidentDeadline(
  registry: CertificateRegistry,
  id: string,
  actor: string,
  onProgress?: (revoked: number) => void,
  at = new Date(),
): Promise<number> {
  const incident = await incidentRow(registry, id);
  const now = at.toISOString();
  if (now < incident.renew_by)
    throw new PkiError("PKI_STATUS_TRANSITION", `incident ${id}: holders may renew until ${incident.renew_by}`);
  const by = incidentActor(id, actor);
  let revoked = 0;
  for (;;) {
    const page = await registry.db
      .selectFrom("incident_certificate as i")
      .innerJoin("certificate as c", (join) =>
        join.onRef("c.issuer", "=", "i.issuer").onRef("c.serial", "=", "i.serial"),
      )
      .select(["i.issuer", "i.serial", "c.version", "c.status", "c.revocation_reason"])
      .where("i.incident_id", "=", id)
      .where("i.outcome", "=", "suspended")
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    await registry.db.transaction().execute(async (trx) => {
      for (const row of page) {
        // Still on hold: revoke it. Revoked by someone else, or the hold lifted: record that.
        if (row.status === "revoked" && row.revocation_reason === REVOCATION_REASONS.certificateHold) {
          const updated = await trx
            .updateTable("certificate")
            .set({ revocation_reason: REVOCATION_REASONS.keyCompromise, revoked_at: now, version: row.version + 1 })
            .where("issuer", "=", row.issuer)
            .where("serial", "=", row.serial)
            .where("version", "=", row.version)
            .executeTakeFirst();
          if (updated.numUpdatedRows !== 1n) continue; // changed meanwhile: the next page reads it again
          await trx
            .insertInto("certificate_event")
            .values({
              issuer: row.issuer,
              serial: row.serial,
              event: "revoked",
              revocation_reason: REVOCATION_REASONS.keyCompromise,
              at: now,
              actor: by,
            })
            .execute();
        }
        await trx
          .updateTable("incident_certificate")
          .set({ outcome: row.status === "good" ? "released" : "revoked", changed_at: now })
          .where("incident_id", "=", id)
          .where("issuer", "=", row.issuer)
          .where("serial", "=", row.serial)
          .execute();
      }
    });
    revoked += page.length;
    onProgress?.(revoked);
  }
  await registry.db
    .updateTable("incident")
    .set({ closed_at: now })
    .where("id", "=", id)
    .where("closed_at", "is", null)
    .execute();
  return revoked;
}

/** The public picture of an incident: counts by outcome and by day, holders still waiting. */
export async function incidentReport(registry: CertificateRegistry, id: string): Promise<IncidentReport> {
  const incident = await incidentRow(registry, id);
  const counts: Record<IncidentOutcome, number> = { suspended: 0, renewed: 0, revoked: 0, released: 0 };
  const byOutcome = await registry.db
    .selectFrom("incident_certificate")
    .select(["outcome", (eb) => eb.fn.countAll<number>().as("n")])
    .where("incident_id", "=", id)
    .groupBy("outcome")
    .execute();
  for (const { outcome, n } of byOutcome) counts[outcome] = Number(n);
  const waiting = await registry.db
    .selectFrom("incident_certificate")
    .select((eb) => eb.fn.count<number>(sql`distinct personal_code`).as("n"))
    .where("incident_id", "=", id)
    .where("outcome", "=", "suspended")
    .executeTakeFirstOrThrow();
  const perDay = await registry.db
    .selectFrom("incident_certificate")
    .select([sql<string>`substr(changed_at, 1, 10)`.as("day"), "outcome", (eb) => eb.fn.countAll<number>().as("n")])
    .where("incident_id", "=", id)
    .groupBy([sql`substr(changed_at, 1, 10)`, "outcome"])
    .orderBy(sql`substr(changed_at, 1, 10)`)
    .execute();
  const days = new Map<string, { day: string } & Record<IncidentOutcome, number>>();
  for (const { day, outcome, n } of perDay) {
    const row = days.get(day) ?? { day, suspended: 0, renewed: 0, revoked: 0, released: 0 };
    row[outcome] += Number(n);
    days.set(day, row);
  }
  return {
    id: incident.id,
    title: incident.title,
    criterion: JSON.parse(incident.criterion) as IncidentCriterion,
    declaredAt: incident.declared_at,
    renewBy: incident.renew_by,
    ...(incident.closed_at ? { closedAt: incident.closed_at } : {}),
    counts,
    holdersWaiting: Number(waiting.n),
    days: [...days.values()],
  };
}

/** Every incident, newest first (id, title, when). */
export function listIncidents(registry: CertificateRegistry) {
  return registry.db
    .selectFrom("incident")
    .select(["id", "title", "declared_at", "renew_by", "closed_at"])
    .orderBy("declared_at", "desc")
    .execute();
}

/** The personal codes of the holders still to renew, for the notices (state inbox), in pages. */
export function holdersToNotify(registry: CertificateRegistry, id: string, after = "", limit = 1000) {
  return registry.db
    .selectFrom("incident_certificate")
    .select("personal_code")
    .distinct()
    .where("incident_id", "=", id)
    .where("outcome", "=", "suspended")
    .where("personal_code", "is not", null)
    .where("personal_code", ">", after)
    .orderBy("personal_code")
    .limit(limit)
    .execute()
    .then((rows) => rows.map((row) => row.personal_code as string));
}
