import { xroadUserId } from "@riik/core";
import { PortalError } from "../errors.ts";
import { askedBy, type XRoadCalls } from "../xroad/calls.ts";
import type { AnchorVerifier } from "./anchoring.ts";

/** One use of the person's data, as the portal shows it (newest first). */
export interface UsageEntry {
  /** When the data was used, ISO 8601. */
  time: string;
  /** The subsystem whose Data Tracker reported the use. */
  provider: string;
  /** The institution that received or processed the data. */
  institution: { code?: string; name?: string };
  /** The information system (or X-Road subsystem) that made the request. */
  system?: string;
  /** The person (official) who made the request: X-Road-UserId or the initiator's name. */
  user?: string;
  purpose: string;
  queryId?: string;
  /** riik's record id at the provider, for its inclusion proof (`/api/me/usage/proof`). */
  proofId?: number;
  /** riik's record hash (hex SHA-256) of the use, the digest its proof is about. */
  recordHash?: string;
  /** Where the record is anchored in the integrity ledger. */
  anchor: UsageAnchor;
}

export interface UsageAnchor {
  /** The provider's proof of the anchoring verified against the portal's trust anchor. */
  anchored: boolean;
  /** The provider says the record is anchored (time-stamped and in the ledger); unverified. */
  claimed: boolean;
  /** Why a claimed anchoring did not verify. */
  problems?: string[];
  /** A short reference a person can quote (batch, round, signature id …). */
  reference?: string;
  /** Every scalar field the provider gave about the anchoring, for the details view. */
  details: Record<string, string>;
}

export interface ProviderResult {
  provider: string;
  ok: boolean;
  returned: number;
  total?: number;
  /** Error code and type when the provider could not be asked. */
  error?: { code: string; type?: string; message: string };
}

export interface UsageReport {
  userCode: string;
  periodStart: string;
  periodEnd: string;
  usages: UsageEntry[];
  providers: ProviderResult[];
}

export interface DataTrackerOptions {
  client: string;
  providers: readonly string[];
  periodDays: number;
  /** Records asked per findUsage call; the protocol's default and our page size. */
  pageSize?: number;
  /** At most this many records per provider, across pages. */
  maxPerProvider?: number;
  /** Verifies the anchoring of every use the provider claims anchored. */
  anchors: AnchorVerifier;
}

/**
 * The Data Tracker (Andmejälgija) usage protocol v2, consumer side: `GET findUsage` of
 * service `datatracker` (path `/v2/findUsage`) at every provider, with `userCode`,
 * `periodStart`, `periodEnd`, `offset`, `limit` (dumonitor OpenAPI 2.0.0). Answers are read
 * tolerantly: v2 `usages` with `logtime`/`action`/`receiver*`, v3 arrays with
 * `logTime`/`purpose`/`initiatorOrg`/`initiatorPerson`, and riik's anchoring fields.
 */
export class DataTracker {
  readonly #xroad: XRoadCalls;
  readonly #options: DataTrackerOptions;

  constructor(xroad: XRoadCalls, options: DataTrackerOptions) {
    this.#xroad = xroad;
    this.#options = options;
  }

  /**
   * CODE's usage protocol. ACTOR, when another person acts for CODE (a parent for a child),
   * is who asks: X-Road-UserId names the actor, X-Road-Represented-Party the person.
   */
  async findUsage(
    code: string,
    { actor, now = new Date() }: { actor?: string; now?: Date } = {},
  ): Promise<UsageReport> {
    const userCode = xroadUserId(code);
    const asker = askedBy(code, actor);
    // Providers compare periodEnd with millisecond log times; whole seconds rounded down
    // would leave out a use logged earlier in the current second (#10), so round up.
    const periodEnd = isoSeconds(new Date(Math.ceil(now.getTime() / 1000) * 1000));
    const periodStart = isoSeconds(new Date(now.getTime() - this.#options.periodDays * 86_400_000));
    const results = await Promise.all(
      this.#options.providers.map((provider) => this.#fromProvider(provider, userCode, asker, periodStart, periodEnd)),
    );
    const usages = results
      .flatMap((r) => r.usages)
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.provider.localeCompare(a.provider));
    await Promise.all(usages.map((usage) => this.#verifyAnchor(code, usage, actor)));
    return { userCode, periodStart, periodEnd, usages, providers: results.map((r) => r.result) };
  }

  /**
   * riik's inclusion proof of one record (`GET riik/proof` of the provider's Data Tracker):
   * the record, its batch's audit path, time-stamp and ledger signature, checkable offline.
   * Asked for CODE's records only: the person's own, or those of whom they act for (ACTOR).
   */
  async proof(code: string, provider: string, id: number, actor?: string): Promise<unknown> {
    if (!this.#options.providers.includes(provider))
      throw new PortalError("PORTAL_NOT_FOUND", `${provider} is not a Data Tracker provider of this portal`);
    if (!Number.isSafeInteger(id) || id < 1) throw new PortalError("PORTAL_NOT_FOUND", "no such record");
    const userCode = xroadUserId(code);
    const query = new URLSearchParams({ userCode, id: String(id) });
    const { body } = await this.#xroad.get<unknown>({
      client: this.#options.client,
      service: `${provider}/datatracker`,
      path: `/riik/proof?${query}`,
      ...askedBy(code, actor),
    });
    return body;
  }

  /** A claimed anchoring counts only once the use's own proof verifies (issue 22). */
  async #verifyAnchor(code: string, usage: UsageEntry, actor?: string): Promise<void> {
    const root = usage.anchor.details.root;
    const { recordHash, proofId } = usage;
    if (!usage.anchor.claimed || recordHash === undefined || proofId === undefined || root === undefined) return;
    const { ok, problems } = await this.#options.anchors.verify(recordHash, root, () =>
      this.proof(code, usage.provider, proofId, actor),
    );
    usage.anchor.anchored = ok;
    if (!ok) usage.anchor.problems = problems.map((problem) => problem.slice(0, 300));
  }

  async #fromProvider(
    provider: string,
    userCode: string,
    asker: ReturnType<typeof askedBy>,
    periodStart: string,
    periodEnd: string,
  ): Promise<{ usages: UsageEntry[]; result: ProviderResult }> {
    const limit = this.#options.pageSize ?? 1000;
    const max = this.#options.maxPerProvider ?? 5000;
    const usages: UsageEntry[] = [];
    let total: number | undefined;
    try {
      for (let offset = 0; offset < max; offset += limit) {
        const query = new URLSearchParams({
          userCode,
          periodStart,
          periodEnd,
          offset: String(offset),
          limit: String(limit),
        });
        const { body } = await this.#xroad.get<unknown>({
          client: this.#options.client,
          service: `${provider}/datatracker`,
          path: `/v2/findUsage?${query}`,
          ...asker,
        });
        const page = parseFindUsage(body, provider);
        total = page.total ?? total;
        usages.push(...page.usages);
        if (page.count < limit || (total !== undefined && offset + limit >= total)) break;
      }
      return {
        usages,
        result: { provider, ok: true, returned: usages.length, ...(total === undefined ? {} : { total }) },
      };
    } catch (error) {
      const portal = error instanceof PortalError ? error : undefined;
      return {
        usages,
        result: {
          provider,
          ok: false,
          returned: usages.length,
          error: {
            code: portal?.code ?? "PORTAL_BAD_RESPONSE",
            ...(typeof portal?.details?.type === "string" ? { type: portal.details.type } : {}),
            message: error instanceof Error ? error.message : String(error),
          },
        },
      };
    }
  }
}

const LIST_FIELDS = ["usages", "dataRequests", "dataResponses", "dataProcessings", "internalProcessings"];

/** Reads one findUsage answer (v2 `usages`, or v3's four lists); bad entries are skipped. */
export function parseFindUsage(
  body: unknown,
  provider: string,
): { usages: UsageEntry[]; count: number; total?: number } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new PortalError("PORTAL_BAD_RESPONSE", `${provider}: findUsage did not answer with a JSON object`);
  const record = body as Record<string, unknown>;
  const raw = LIST_FIELDS.flatMap((field) => (Array.isArray(record[field]) ? (record[field] as unknown[]) : []));
  const usages = raw.map((entry) => normaliseUsage(entry, provider)).filter((u): u is UsageEntry => u !== undefined);
  const total = typeof record.totalUsages === "number" ? record.totalUsages : undefined;
  return { usages, count: raw.length, ...(total === undefined ? {} : { total }) };
}

export function normaliseUsage(value: unknown, provider: string): UsageEntry | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  // riik's security servers add their own record under `riik` (client, userId, queryId, anchor, proof).
  const riik = obj(r.riik) ?? {};
  const time = str(r.logtime) ?? str(r.logTime) ?? str(r.time) ?? str(r.timestamp);
  if (time === undefined || Number.isNaN(Date.parse(time))) return undefined;
  const org = obj(r.initiatorOrg) ?? obj(r.receiver);
  const person = obj(r.initiatorPerson);
  const institution: UsageEntry["institution"] = {};
  const code = str(r.receiverCode) ?? str(org?.code);
  const name = str(r.receiverName) ?? str(org?.name);
  if (code !== undefined) institution.code = code;
  if (name !== undefined) institution.name = name;
  const system = str(r.receiverSystem) ?? str(org?.systemName) ?? str(riik.client) ?? str(r.client);
  const user =
    str(riik.userId) ??
    str(r.userId) ??
    str(r.user) ??
    [str(person?.name), str(person?.code) ?? str(person?.alternativeCode)].filter(Boolean).join(", ");
  const entry: UsageEntry = {
    time,
    provider,
    institution,
    purpose: str(r.action) ?? str(r.purpose) ?? "",
    anchor: anchorOf({ ...r, ...riik }),
  };
  if (system !== undefined) entry.system = system;
  if (user) entry.user = user;
  const queryId = str(riik.queryId) ?? str(r.queryId);
  if (queryId !== undefined) entry.queryId = queryId;
  const id = riik.id;
  if (typeof id === "number" && Number.isSafeInteger(id) && typeof riik.proof === "string") entry.proofId = id;
  const recordHash = str(riik.recordHash);
  if (recordHash !== undefined) entry.recordHash = recordHash;
  return entry;
}

const ANCHOR_FIELDS = ["anchor", "anchoring", "integrity", "ledgerAnchor"];
const REFERENCE_FIELDS = ["batch", "reference", "ref", "batchId", "round", "index", "id", "checkpoint", "url"];

/**
 * Where the provider says a record is anchored. riik's Data Tracker gives `anchor: {batch,
 * root, anchoredAt, timestamped, ledger}` once the record's batch is sealed (null before);
 * other names are read tolerantly. A batch is claimed anchored in the ledger unless it says
 * `ledger: false`. Only DataTracker's verification of the proof makes it `anchored`.
 */
function anchorOf(r: Record<string, unknown>): UsageAnchor {
  for (const field of ANCHOR_FIELDS) {
    const value = r[field];
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "string" || typeof value === "number")
      return {
        anchored: false,
        claimed: true,
        reference: String(value).slice(0, 200),
        details: { [field]: String(value).slice(0, 200) },
      };
    if (value === true) return { anchored: false, claimed: true, details: {} };
    const o = obj(value);
    if (!o) continue;
    const details: Record<string, string> = {};
    flatten(o, "", details);
    const explicit = o.anchored ?? o.status;
    const claimed =
      o.ledger !== false &&
      (explicit === undefined || explicit === true || explicit === "anchored" || explicit === "ok");
    const key = REFERENCE_FIELDS.find((k) => details[k] !== undefined);
    return { anchored: false, claimed, ...(key ? { reference: `${key} ${details[key]}` } : {}), details };
  }
  if (r.anchored === true) return { anchored: false, claimed: true, details: {} };
  return { anchored: false, claimed: false, details: {} };
}

function flatten(o: Record<string, unknown>, prefix: string, out: Record<string, string>): void {
  for (const [key, value] of Object.entries(o)) {
    if (Object.keys(out).length >= 12) return;
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      out[name] = String(value).slice(0, 300);
    else if (typeof value === "object" && value !== null && !Array.isArray(value) && !prefix)
      flatten(value as Record<string, unknown>, name, out);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value.slice(0, 500) : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** RFC 3339 date-time in UTC without fractional seconds, as the protocol's examples write it. */
function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
