import type { X509Certificate } from "node:crypto";
import { type ClientId, DATA_SUBJECTS_HEADER, formatClientId, memberOf, parseClientId, type Storage } from "@riik/core";
import type { Kysely } from "kysely";
import { parse as parseYaml } from "yaml";
import { XRoadError } from "../errors.ts";
import type { GlobalConfIndex } from "../globalconf/document.ts";
import { certificateHash } from "../globalconf/document.ts";
import { connectionOf, type ServiceConnection } from "./information-system-tls.ts";
import type { SsDb } from "./storage/schema.ts";

export type LoggingMode = "full" | "metadata";
/** How an information system of this client reaches the security server (X-Road "connection type"). */
export type ConnectionType = "http" | "https";

export interface Endpoint {
  method: string;
  path: string;
}

export interface LocalClient {
  id: string;
  connection: ConnectionType;
  allowedAddresses: Set<string>;
  loggingMode: LoggingMode;
  isCertHashes: Set<string>;
}

export interface LocalService {
  client: string;
  serviceCode: string;
  url: string;
  timeoutMs: number;
  serviceType: "REST" | "OPENAPI";
  endpoints: Endpoint[];
  /** The OpenAPI description as imported (JSON or YAML text; metadata.ts serves it in the same form). */
  openapi: string | null;
  /** How the provider side reaches the information system (information-system-tls.ts). */
  connection: ServiceConnection;
  /** Set when the service returns personal data (Data Tracker). */
  personalData: PersonalData | null;
}

/**
 * How the provider's server learns whose data a response carries: a response header the
 * provider sets (stripped before the response leaves) and/or a path parameter.
 */
export interface PersonalData {
  /** Lowercase header name; comma-separated X-Road user ids. */
  subjectsHeader: string;
  subjectPathParam: string | null;
  subjectPathPattern: string | null;
  /** Compiled from the pattern: group 1 is the parameter's segment. */
  subjectPath: RegExp | null;
}

/** The built-in service of the usage protocol (README, Data Tracker). */
export const DATA_TRACKER_SERVICE = "datatracker";
export type DataTrackerGrantKind = "reader" | "hide";

/**
 * `/persons/{code}` → a prefix match where `{code}` captures one path segment and any other
 * `{name}` matches one segment; the path may go on after the pattern (`/persons/{code}/address`).
 */
export function compileSubjectPath(pattern: string, param: string): RegExp {
  if (typeof pattern !== "string" || !pattern.startsWith("/"))
    throw new XRoadError("XROAD_ARGUMENT", `subject path pattern ${JSON.stringify(pattern)} must start with /`);
  const parts = pattern.split(/(\{[^}/]+\})/);
  let captured = false;
  const source = parts
    .map((part) => {
      const name = /^\{([^}/]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (name === param && !captured) {
        captured = true;
        return "([^/]+)";
      }
      return "[^/]+";
    })
    .join("");
  if (!captured) throw new XRoadError("XROAD_ARGUMENT", `subject path pattern ${pattern} has no {${param}} parameter`);
  return new RegExp(`^${source}(?:/.*)?$`);
}

function parsePersonalData(text: string | null): PersonalData | null {
  if (!text) return null;
  const value = JSON.parse(text) as Omit<PersonalData, "subjectPath">;
  return {
    ...value,
    subjectPath:
      value.subjectPathPattern && value.subjectPathParam
        ? compileSubjectPath(value.subjectPathPattern, value.subjectPathParam)
        : null,
  };
}

interface CompiledRight {
  subject: string;
  method: string;
  path: string;
  pattern: RegExp;
}

const METHOD = /^(\*|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE)$/;
const SERVICE_CODE = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

/**
 * X-Road endpoint path patterns: `**` matches any remainder (slashes too), `*` any run of
 * characters within one path segment; everything else literally. The query is not matched.
 */
export function compilePathPattern(pattern: string): RegExp {
  if (typeof pattern !== "string" || (!pattern.startsWith("/") && pattern !== "**"))
    throw new XRoadError("XROAD_ARGUMENT", `endpoint path ${JSON.stringify(pattern)} must start with / (or be **)`);
  const source = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`);
}

/** The local configuration: clients, their services and access rights, read into memory. */
export class LocalConf {
  clients = new Map<string, LocalClient>();
  services = new Map<string, LocalService>();
  rights = new Map<string, CompiledRight[]>();
  localGroups = new Map<string, Set<string>>();
  /** `${provider}|${kind}` → subjects (client ids, globalgroup:, localgroup:). */
  dataTrackerGrants = new Map<string, string[]>();

  constructor(readonly storage: Storage<SsDb>) {}

  get db(): Kysely<SsDb> {
    return this.storage.db;
  }

  async reload(): Promise<void> {
    const [clients, certs, services, rights, groups, trackerGrants] = await Promise.all([
      this.db.selectFrom("client").selectAll().execute(),
      this.db.selectFrom("is_certificate").select(["client_id", "cert_hash"]).execute(),
      this.db.selectFrom("service").selectAll().execute(),
      this.db.selectFrom("access_right").selectAll().execute(),
      this.db.selectFrom("local_group_member").selectAll().execute(),
      this.db.selectFrom("data_tracker_grant").selectAll().execute(),
    ]);
    const clientMap = new Map<string, LocalClient>();
    for (const c of clients)
      clientMap.set(c.client_id, {
        id: c.client_id,
        connection: c.connection as ConnectionType,
        allowedAddresses: new Set(JSON.parse(c.allowed_addresses) as string[]),
        loggingMode: c.logging_mode as LoggingMode,
        isCertHashes: new Set(certs.filter((x) => x.client_id === c.client_id).map((x) => x.cert_hash)),
      });
    const serviceMap = new Map<string, LocalService>();
    for (const s of services)
      serviceMap.set(`${s.client_id}|${s.service_code}`, {
        client: s.client_id,
        serviceCode: s.service_code,
        url: s.url,
        timeoutMs: s.timeout_ms,
        serviceType: s.service_type as "REST" | "OPENAPI",
        endpoints: JSON.parse(s.endpoints) as Endpoint[],
        openapi: s.openapi,
        connection: connectionOf(s.url, s.connection),
        personalData: parsePersonalData(s.personal_data),
      });
    const rightMap = new Map<string, CompiledRight[]>();
    for (const r of rights) {
      const key = `${r.client_id}|${r.service_code}`;
      rightMap.set(key, [
        ...(rightMap.get(key) ?? []),
        { subject: r.subject, method: r.method, path: r.path, pattern: compilePathPattern(r.path) },
      ]);
    }
    const groupMap = new Map<string, Set<string>>();
    for (const g of groups) {
      const key = `${g.client_id}|${g.group_code}`;
      if (!groupMap.has(key)) groupMap.set(key, new Set());
      groupMap.get(key)!.add(g.member_id);
    }
    this.clients = clientMap;
    this.services = serviceMap;
    this.rights = rightMap;
    this.localGroups = groupMap;
    const trackerMap = new Map<string, string[]>();
    for (const g of trackerGrants) {
      const key = `${g.client_id}|${g.kind}`;
      trackerMap.set(key, [...(trackerMap.get(key) ?? []), g.subject]);
    }
    this.dataTrackerGrants = trackerMap;
  }

  /** Does the provider subsystem have a personal-data service (and so the datatracker service)? */
  hasPersonalData(provider: string): boolean {
    for (const service of this.services.values()) if (service.client === provider && service.personalData) return true;
    return false;
  }

  /** Is the client granted this Data Tracker right (reader of the usage protocol, or hide) at the provider? */
  dataTrackerAllowed(provider: string, kind: DataTrackerGrantKind, client: ClientId, global: GlobalConfIndex): boolean {
    const subjects = this.dataTrackerGrants.get(`${provider}|${kind}`);
    if (!subjects) return false;
    const clientText = formatClientId(client);
    return subjects.some((subject) => this.#subjectCovers(provider, subject, clientText, client, global));
  }

  async grantDataTracker(text: string, kind: DataTrackerGrantKind, subjectText: string): Promise<void> {
    const id = this.#client(text);
    await this.#requireClient(id);
    if (!parseClientId(id).subsystemCode) throw new XRoadError("XROAD_ARGUMENT", "services belong to subsystems");
    if (kind !== "reader" && kind !== "hide") throw new XRoadError("XROAD_ARGUMENT", "kind is reader or hide");
    const subject = LocalConf.subjectOf(String(subjectText ?? ""));
    await this.db
      .deleteFrom("data_tracker_grant")
      .where("client_id", "=", id)
      .where("kind", "=", kind)
      .where("subject", "=", subject)
      .execute();
    await this.db
      .insertInto("data_tracker_grant")
      .values({ client_id: id, kind, subject, granted_at: new Date().toISOString() })
      .execute();
  }

  async revokeDataTracker(text: string, kind: DataTrackerGrantKind, subjectText: string): Promise<void> {
    const id = this.#client(text);
    const result = await this.db
      .deleteFrom("data_tracker_grant")
      .where("client_id", "=", id)
      .where("kind", "=", kind)
      .where("subject", "=", LocalConf.subjectOf(String(subjectText ?? "")))
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new XRoadError("XROAD_NOT_FOUND", "no such Data Tracker right");
  }

  service(provider: string, serviceCode: string): LocalService | undefined {
    return this.services.get(`${provider}|${serviceCode}`);
  }

  /** Does an access right of the provider's service cover this client, method and path? */
  allowed(
    provider: string,
    serviceCode: string,
    client: ClientId,
    method: string,
    path: string,
    global: GlobalConfIndex,
  ): boolean {
    const rights = this.rights.get(`${provider}|${serviceCode}`);
    if (!rights) return false;
    const clientText = formatClientId(client);
    const pathOnly = path.split("?")[0]!;
    for (const right of rights) {
      if (right.method !== "*" && right.method !== method) continue;
      if (!right.pattern.test(pathOnly)) continue;
      if (this.#subjectCovers(provider, right.subject, clientText, client, global)) return true;
    }
    return false;
  }

  /**
   * Endpoints of the service that the client may call (allowedMethods), or null when it holds
   * no right to the service. A right to the whole service (`*` `**`) opens every declared
   * endpoint, none when the service declares none (PR-MREST 4: the service is still listed).
   */
  allowedEndpoints(
    provider: string,
    service: LocalService,
    client: ClientId,
    global: GlobalConfIndex,
  ): Endpoint[] | null {
    const rights = (this.rights.get(`${provider}|${service.serviceCode}`) ?? []).filter((right) =>
      this.#subjectCovers(provider, right.subject, formatClientId(client), client, global),
    );
    if (rights.length === 0) return null;
    if (rights.some((r) => r.method === "*" && r.path === "**")) return service.endpoints;
    const out: Endpoint[] = [];
    for (const r of rights) {
      const matching = service.endpoints.filter(
        (e) => (r.method === "*" || r.method === e.method) && (r.path === e.path || r.pattern.test(e.path)),
      );
      out.push(...(matching.length > 0 ? matching : [{ method: r.method, path: r.path }]));
    }
    return out.filter((e, i) => out.findIndex((o) => o.method === e.method && o.path === e.path) === i);
  }

  #subjectCovers(
    provider: string,
    subject: string,
    clientText: string,
    client: ClientId,
    global: GlobalConfIndex,
  ): boolean {
    if (subject === clientText) return true;
    if (subject.startsWith("globalgroup:")) {
      const code = subject.slice("globalgroup:".length);
      return global.inGlobalGroup(code, clientText) || global.inGlobalGroup(code, formatClientId(memberOf(client)));
    }
    if (subject.startsWith("localgroup:"))
      return this.localGroups.get(`${provider}|${subject.slice("localgroup:".length)}`)?.has(clientText) ?? false;
    return false;
  }

  // Administration (each change is followed by reload() in the admin API).

  #client(text: string): string {
    return formatClientId(parseClientId(text));
  }

  async #requireClient(id: string): Promise<void> {
    const row = await this.db.selectFrom("client").select("client_id").where("client_id", "=", id).executeTakeFirst();
    if (!row) throw new XRoadError("XROAD_NOT_FOUND", `${id} is not a client of this security server`);
  }

  async addClient(input: {
    id: string;
    connection?: string;
    allowedAddresses?: string[];
    loggingMode?: string;
  }): Promise<string> {
    const id = this.#client(input.id);
    const connection = input.connection ?? "https";
    const loggingMode = input.loggingMode ?? "full";
    if (connection !== "http" && connection !== "https")
      throw new XRoadError(
        "XROAD_ARGUMENT",
        "connection must be http (allow-listed addresses) or https (IS certificates)",
      );
    if (loggingMode !== "full" && loggingMode !== "metadata")
      throw new XRoadError("XROAD_ARGUMENT", "loggingMode must be full or metadata");
    const addresses = input.allowedAddresses ?? [];
    if (!Array.isArray(addresses) || addresses.some((a) => typeof a !== "string" || !/^[0-9a-fA-F.:]+$/.test(a)))
      throw new XRoadError("XROAD_ARGUMENT", "allowedAddresses must be IP addresses");
    const existing = await this.db
      .selectFrom("client")
      .select("client_id")
      .where("client_id", "=", id)
      .executeTakeFirst();
    if (existing) throw new XRoadError("XROAD_CONFLICT", `${id} is already a client`);
    await this.db
      .insertInto("client")
      .values({
        client_id: id,
        connection,
        allowed_addresses: JSON.stringify(addresses),
        logging_mode: loggingMode,
        created_at: new Date().toISOString(),
      })
      .execute();
    return id;
  }

  async updateClient(text: string, input: { connection?: string; allowedAddresses?: string[]; loggingMode?: string }) {
    const id = this.#client(text);
    await this.#requireClient(id);
    const set: Partial<SsDb["client"]> = {};
    if (input.connection !== undefined) {
      if (input.connection !== "http" && input.connection !== "https")
        throw new XRoadError("XROAD_ARGUMENT", "connection must be http or https");
      set.connection = input.connection;
    }
    if (input.loggingMode !== undefined) {
      if (input.loggingMode !== "full" && input.loggingMode !== "metadata")
        throw new XRoadError("XROAD_ARGUMENT", "loggingMode must be full or metadata");
      set.logging_mode = input.loggingMode;
    }
    if (input.allowedAddresses !== undefined) set.allowed_addresses = JSON.stringify(input.allowedAddresses);
    if (Object.keys(set).length > 0) await this.db.updateTable("client").set(set).where("client_id", "=", id).execute();
  }

  async removeClient(text: string): Promise<void> {
    const id = this.#client(text);
    await this.#requireClient(id);
    await this.db.transaction().execute(async (trx) => {
      for (const table of ["is_certificate", "service", "access_right", "local_group_member", "client"] as const)
        await trx.deleteFrom(table).where("client_id", "=", id).execute();
    });
  }

  async addIsCertificate(text: string, certificate: X509Certificate): Promise<string> {
    const id = this.#client(text);
    await this.#requireClient(id);
    const hash = certificateHash(certificate);
    await this.db.deleteFrom("is_certificate").where("client_id", "=", id).where("cert_hash", "=", hash).execute();
    await this.db
      .insertInto("is_certificate")
      .values({ client_id: id, cert_hash: hash, pem: certificate.toString() })
      .execute();
    return hash;
  }

  async addService(
    text: string,
    input: {
      serviceCode: string;
      url: string;
      timeoutSeconds?: number;
      endpoints?: Endpoint[];
      openapi?: unknown;
      connection?: string;
      personalData?: boolean | { subjectsHeader?: string; subjectPathParam?: string; subjectPathPattern?: string };
    },
  ): Promise<void> {
    const id = this.#client(text);
    await this.#requireClient(id);
    if (!parseClientId(id).subsystemCode) throw new XRoadError("XROAD_ARGUMENT", "services belong to subsystems");
    if (typeof input.serviceCode !== "string" || !SERVICE_CODE.test(input.serviceCode))
      throw new XRoadError("XROAD_ARGUMENT", "serviceCode may contain only letters, digits and '()+,-.=?");
    if (["listMethods", "allowedMethods", "getOpenAPI"].includes(input.serviceCode))
      throw new XRoadError("XROAD_ARGUMENT", `${input.serviceCode} is a metadata service name`);
    if (input.serviceCode === DATA_TRACKER_SERVICE)
      throw new XRoadError("XROAD_ARGUMENT", `${DATA_TRACKER_SERVICE} is the built-in Data Tracker service`);
    const personalData = personalDataOf(input.personalData);
    let url: URL;
    try {
      url = new URL(input.url);
    } catch (cause) {
      throw new XRoadError("XROAD_ARGUMENT", `url ${JSON.stringify(input.url)} is not a URL`, { cause });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new XRoadError("XROAD_ARGUMENT", "the service URL must be http: or https:");
    const connection = connectionOf(url.href, input.connection ?? null);
    let endpoints: Endpoint[] = input.endpoints ?? [];
    let openapi: string | null = null;
    if (input.openapi !== undefined && input.openapi !== null) {
      // Text is kept as imported (YAML stays YAML for getOpenAPI); a parsed document as JSON.
      const text = typeof input.openapi === "string" ? input.openapi : JSON.stringify(input.openapi);
      endpoints = [...endpointsOf(parseOpenApi(text)), ...endpoints];
      openapi = text;
    }
    for (const endpoint of endpoints) {
      if (!METHOD.test(endpoint.method))
        throw new XRoadError("XROAD_ARGUMENT", `bad endpoint method ${endpoint.method}`);
      compilePathPattern(endpoint.path);
    }
    const timeoutMs = Math.round((input.timeoutSeconds ?? 60) * 1000);
    await this.db
      .deleteFrom("service")
      .where("client_id", "=", id)
      .where("service_code", "=", input.serviceCode)
      .execute();
    await this.db
      .insertInto("service")
      .values({
        client_id: id,
        service_code: input.serviceCode,
        url: url.href.replace(/\/$/, ""),
        timeout_ms: timeoutMs,
        service_type: openapi ? "OPENAPI" : "REST",
        endpoints: JSON.stringify(endpoints),
        openapi,
        personal_data: personalData,
        connection,
      })
      .execute();
  }

  async removeService(text: string, serviceCode: string): Promise<void> {
    const id = this.#client(text);
    const result = await this.db
      .deleteFrom("service")
      .where("client_id", "=", id)
      .where("service_code", "=", serviceCode)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw new XRoadError("XROAD_NOT_FOUND", `no service ${serviceCode} of ${id}`);
    await this.db
      .deleteFrom("access_right")
      .where("client_id", "=", id)
      .where("service_code", "=", serviceCode)
      .execute();
  }

  static subjectOf(text: string): string {
    if (text.startsWith("globalgroup:") || text.startsWith("localgroup:")) {
      const code = text.slice(text.indexOf(":") + 1);
      if (!SERVICE_CODE.test(code)) throw new XRoadError("XROAD_ARGUMENT", `bad group code in ${text}`);
      return text;
    }
    return formatClientId(parseClientId(text));
  }

  async grant(
    text: string,
    serviceCode: string,
    input: { subject: string; method?: string; path?: string },
  ): Promise<void> {
    const id = this.#client(text);
    if (!this.services.has(`${id}|${serviceCode}`)) {
      const row = await this.db
        .selectFrom("service")
        .select("service_code")
        .where("client_id", "=", id)
        .where("service_code", "=", serviceCode)
        .executeTakeFirst();
      if (!row) throw new XRoadError("XROAD_NOT_FOUND", `no service ${serviceCode} of ${id}`);
    }
    const subject = LocalConf.subjectOf(String(input.subject ?? ""));
    const method = (input.method ?? "*").toUpperCase();
    const path = input.path ?? "**";
    if (!METHOD.test(method)) throw new XRoadError("XROAD_ARGUMENT", `bad method ${method}`);
    compilePathPattern(path);
    await this.db
      .deleteFrom("access_right")
      .where("client_id", "=", id)
      .where("service_code", "=", serviceCode)
      .where("subject", "=", subject)
      .where("method", "=", method)
      .where("path", "=", path)
      .execute();
    await this.db
      .insertInto("access_right")
      .values({ client_id: id, service_code: serviceCode, subject, method, path, granted_at: new Date().toISOString() })
      .execute();
  }

  async revoke(
    text: string,
    serviceCode: string,
    input: { subject: string; method?: string; path?: string },
  ): Promise<void> {
    const id = this.#client(text);
    const result = await this.db
      .deleteFrom("access_right")
      .where("client_id", "=", id)
      .where("service_code", "=", serviceCode)
      .where("subject", "=", LocalConf.subjectOf(String(input.subject ?? "")))
      .where("method", "=", (input.method ?? "*").toUpperCase())
      .where("path", "=", input.path ?? "**")
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new XRoadError("XROAD_NOT_FOUND", "no such access right");
  }

  async setLocalGroup(text: string, groupCode: string, members: string[]): Promise<void> {
    const id = this.#client(text);
    await this.#requireClient(id);
    if (!SERVICE_CODE.test(groupCode)) throw new XRoadError("XROAD_ARGUMENT", "bad group code");
    const formatted = (Array.isArray(members) ? members : []).map((m) => formatClientId(parseClientId(String(m))));
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom("local_group_member")
        .where("client_id", "=", id)
        .where("group_code", "=", groupCode)
        .execute();
      for (const member of formatted)
        await trx
          .insertInto("local_group_member")
          .values({ client_id: id, group_code: groupCode, member_id: member })
          .execute();
    });
  }
}

/** The stored declaration (JSON) from the admin API's `personalData` (true or an object). */
function personalDataOf(input: unknown): string | null {
  if (input === undefined || input === null || input === false) return null;
  const value = (input === true ? {} : input) as Record<string, unknown>;
  if (typeof value !== "object") throw new XRoadError("XROAD_ARGUMENT", "personalData is true or an object");
  const header = String(value.subjectsHeader ?? DATA_SUBJECTS_HEADER).toLowerCase();
  if (
    !/^[a-z0-9-]{1,100}$/.test(header) ||
    header.startsWith("x-road-") ||
    ["x-riik-signature", "x-riik-signer", "x-riik-time", "x-riik-body-hash", "content-type"].includes(header)
  )
    throw new XRoadError("XROAD_ARGUMENT", `subjectsHeader ${JSON.stringify(header)} is not a usable header name`);
  const param = value.subjectPathParam === undefined ? null : String(value.subjectPathParam);
  const pattern = value.subjectPathPattern === undefined ? null : String(value.subjectPathPattern);
  if ((param === null) !== (pattern === null))
    throw new XRoadError("XROAD_ARGUMENT", "give both subjectPathParam and subjectPathPattern, or neither");
  if (param !== null && pattern !== null) compileSubjectPath(pattern, param);
  return JSON.stringify({ subjectsHeader: header, subjectPathParam: param, subjectPathPattern: pattern });
}

/** Was the description imported as JSON (else YAML)? JSON is also YAML, so JSON is tried first. */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * An OpenAPI 3 description as JSON or YAML (YAML 1.2, of which JSON is a subset; the yaml
 * package's alias limit stops expansion bombs). X-Road accepts only version 3 descriptions.
 */
export function parseOpenApi(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = isJsonText(text) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    const reason = (cause as Error).message;
    throw new XRoadError("XROAD_ARGUMENT", `the OpenAPI description is neither JSON nor YAML: ${reason}`, { cause });
  }
  const version = (value as { openapi?: unknown } | null)?.openapi;
  if (typeof value !== "object" || value === null || typeof version !== "string" || !version.startsWith("3."))
    throw new XRoadError("XROAD_ARGUMENT", "not an OpenAPI 3 description (its openapi field must be 3.x)");
  return value as Record<string, unknown>;
}

/** Endpoints of an OpenAPI description: each path and method, `{param}` segments as `*` (as X-Road lists them). */
export function endpointsOf(document: unknown): Endpoint[] {
  const paths = (document as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  const out: Endpoint[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item ?? {})) {
      const upper = method.toUpperCase();
      if (!METHOD.test(upper) || upper === "*") continue;
      out.push({ method: upper, path: path.replace(/\{[^}/]+\}/g, "*") });
    }
  }
  return out;
}
