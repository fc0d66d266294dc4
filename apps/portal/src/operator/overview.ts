import { readFileSync } from "node:fs";
import { countCosignatures, parseNote, parseVerifierKey, type SignedNote, type VerifierKey } from "@riik/ledger";
import { Agent, request } from "undici";
import { PortalError } from "../errors.ts";
import { type CheckpointSummary, parseCheckpointNote } from "./checkpoint.ts";
import { messageCounts } from "./prometheus.ts";

export type ServiceState = "up" | "down" | "unknown";

export type CosignatureState = "verified" | "invalid" | "unverified" | "none";

export interface OperatorOverview {
  generatedAt: string;
  services: Array<{ name: string; url: string; state: ServiceState; detail?: string }>;
  globalConf: {
    instance?: string;
    version?: number;
    generatedAt?: string;
    expiresAt?: string;
    source?: string;
    error?: string;
  } | null;
  members: Array<{ id: string; name: string; subsystems: string[] }>;
  securityServers: Array<{
    id: string;
    address?: string;
    clients: string[];
    service?: string;
    state: ServiceState;
    messages?: { total: number; bySide: Record<string, number>; byOutcome: Record<string, number> };
  }>;
  ledger: { url: string; checkpoint?: CheckpointSummary; error?: string } | null;
  /**
   * `cosigned` only for a cosignature/v1 that verifies with the witness key of the global
   * configuration; `cosignature` says why not: a line that fails (`invalid`), a line by a
   * witness the configuration has no key for (`unverified`), or no line (`none`).
   */
  witnesses: Array<{
    name: string;
    cosigned: boolean;
    cosignature: CosignatureState;
    configured: boolean;
    url?: string;
    state?: ServiceState;
  }>;
  /** The data embassy shipper's `GET /v1/status`, with the snapshots the embassy node holds. */
  replication: { url: string; deliveries: ReplicationStatus[]; error?: string } | null;
}

/** Replication of one registry to one embassy, as the shipper reports it. */
export interface ReplicationStatus {
  registry: string;
  embassy: string;
  /** Journal head at home and the last change the embassy acknowledged. */
  journalSeq: number;
  ackedSeq: number;
  /** Last segment cut (shipped from) at home and the last one the embassy acknowledged; -1 for none. */
  chainIndex: number;
  ackedIndex: number;
  ackedAt: string | null;
  lagSeconds: number;
  lagSegments: number;
  lagChanges: number;
  lastError: string | null;
  /** The newest snapshot: from the shipper's status when it gives one, else as the embassy node holds it. */
  lastSnapshot?: { index: number; seq: number; at: string | null; complete: boolean };
  /** The data key of the newest segments, when the shipper's status names it. */
  keyId?: string;
}

interface StateService {
  url?: string;
  [key: string]: unknown;
}

/**
 * The operator's view of the state: every service of `riik up`'s state file and its
 * /healthz, the members and security servers of the central server's global configuration
 * (`GET {central}/globalconf`, riik-globalconf/1), each security server's message counts
 * from its /metrics, the ledger's latest checkpoint (`GET {ledger}/checkpoint`) and the
 * witnesses that cosigned it. Every probe is bounded by a short timeout; one service down
 * is shown as down, never as a failed page.
 */
export class OperatorView {
  readonly #stateFile: string | undefined;
  readonly #dispatcher: Agent;

  constructor(options: { stateFile?: string; ca?: Buffer; timeoutMs?: number }) {
    this.#stateFile = options.stateFile;
    const timeout = options.timeoutMs ?? 3000;
    this.#dispatcher = new Agent({
      connect: { timeout, ...(options.ca ? { ca: options.ca } : {}) },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async overview(): Promise<OperatorOverview> {
    if (!this.#stateFile)
      throw new PortalError("PORTAL_OPERATOR_UNCONFIGURED", "the portal has no stateFile, so it knows no services");
    const services = this.#readState();
    const entries = Object.entries(services).filter(([, s]) => typeof s.url === "string");
    const [health, globalConf, checkpoint, replication] = await Promise.all([
      Promise.all(
        entries.map(async ([name, s]) => ({ name, url: String(s.url), ...(await this.#health(adminUrl(s))) })),
      ),
      this.#globalConf(services),
      this.#checkpoint(services),
      this.#replication(services.embassy),
    ]);
    const content = (globalConf.document?.content ?? {}) as Record<string, unknown>;
    const instance = typeof content.instance === "string" ? content.instance : undefined;
    const members = array(content.members).map((m) => {
      const id = [instance, m.memberClass, m.memberCode].filter(Boolean).join("/");
      return {
        id,
        name: String(m.name ?? ""),
        subsystems: array(m.subsystems).map((s) => String(s.subsystemCode ?? "")),
      };
    });
    const ssServices = entries.filter(([name, s]) => isSecurityServer(name, s));
    const used = new Set<string>();
    const securityServers = await Promise.all(
      array(content.securityServers).map(async (server) => {
        const owner = (server.owner ?? {}) as Record<string, unknown>;
        const id = [instance, owner.memberClass, owner.memberCode, server.serverCode].filter(Boolean).join("/");
        const address = typeof server.address === "string" ? server.address : undefined;
        const match = ssServices.find(([name, s]) =>
          matchesServer(name, s, id, String(server.serverCode ?? ""), address),
        );
        if (match) used.add(match[0]);
        return {
          id,
          ...(address ? { address } : {}),
          clients: Array.isArray(server.clients) ? server.clients.map(String) : [],
          ...(match ? await this.#serverState(match[0], match[1]) : { state: "unknown" as const }),
        };
      }),
    );
    for (const [name, s] of ssServices)
      if (!used.has(name)) securityServers.push({ id: name, clients: [], ...(await this.#serverState(name, s)) });

    const trust = (content.trust ?? {}) as Record<string, unknown>;
    const ledgerTrust = (trust.ledger ?? null) as { witnesses?: unknown } | null;
    const keys = Array.isArray(ledgerTrust?.witnesses) ? ledgerTrust.witnesses.flatMap(witnessKey) : [];
    const configured = keys.map((key) => key.name);
    const cosigners = checkpoint?.checkpoint?.signers.slice(1) ?? [];
    const witnessServices = health.filter((h) => /witness/i.test(h.name));
    const verdict = cosignatureStates(checkpoint?.checkpoint?.text, keys);
    const state = (name: string): CosignatureState =>
      verdict.get(name) ?? (cosigners.includes(name) ? "unverified" : "none");
    const names = [...new Set([...configured, ...cosigners])].filter(Boolean);
    const witnesses: OperatorOverview["witnesses"] = names.map((name) => ({
      name,
      cosigned: state(name) === "verified",
      cosignature: state(name),
      configured: configured.includes(name),
    }));
    // A witness service is matched to its key name through its verifier key file, when the state file names one.
    for (const w of witnessServices) {
      const name = vkeyName(services[w.name]?.vkey) ?? w.name;
      const known = witnesses.find((x) => x.name === name);
      if (known) Object.assign(known, { url: w.url, state: w.state });
      else
        witnesses.push({
          name,
          cosigned: false,
          cosignature: state(name),
          configured: false,
          url: w.url,
          state: w.state,
        });
    }

    return {
      generatedAt: new Date().toISOString(),
      services: health,
      globalConf: globalConf.source
        ? {
            ...(instance ? { instance } : {}),
            ...(typeof content.version === "number" ? { version: content.version } : {}),
            ...(typeof content.generatedAt === "string" ? { generatedAt: content.generatedAt } : {}),
            ...(typeof content.expiresAt === "string" ? { expiresAt: content.expiresAt } : {}),
            source: globalConf.source,
            ...(globalConf.error ? { error: globalConf.error } : {}),
          }
        : null,
      members,
      securityServers,
      ledger: checkpoint,
      witnesses,
      replication,
    };
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  #readState(): Record<string, StateService> {
    let state: unknown;
    try {
      state = JSON.parse(readFileSync(this.#stateFile as string, "utf8"));
    } catch (cause) {
      throw new PortalError("PORTAL_OPERATOR_UNCONFIGURED", `cannot read the state file ${this.#stateFile}`, { cause });
    }
    const services = (state as { services?: unknown })?.services;
    return typeof services === "object" && services !== null ? (services as Record<string, StateService>) : {};
  }

  async #fetch(url: string): Promise<{ status: number; text: string }> {
    const response = await request(url, {
      dispatcher: this.#dispatcher,
      headers: { accept: "application/json, text/plain" },
    });
    const text = await response.body.text();
    return { status: response.statusCode, text: text.slice(0, 4 * 1024 * 1024) };
  }

  async #health(base: string): Promise<{ state: ServiceState; detail?: string }> {
    try {
      const { status } = await this.#fetch(`${base}/healthz`);
      return status === 200 ? { state: "up" } : { state: "down", detail: `HTTP ${status}` };
    } catch (error) {
      return { state: "down", detail: (error as Error).message.slice(0, 200) };
    }
  }

  async #serverState(name: string, s: StateService) {
    const base = adminUrl(s);
    const health = await this.#health(base);
    let messages: ReturnType<typeof messageCounts> | undefined;
    if (health.state === "up") {
      try {
        const { status, text } = await this.#fetch(`${base}/metrics`);
        if (status === 200) messages = messageCounts(text);
      } catch {
        messages = undefined;
      }
    }
    return { service: name, state: health.state, ...(messages ? { messages } : {}) };
  }

  async #globalConf(
    services: Record<string, StateService>,
  ): Promise<{ document?: Record<string, unknown>; source?: string; error?: string }> {
    const central = services.central?.url;
    if (typeof central !== "string") return {};
    const source = `${central.replace(/\/+$/, "")}/globalconf`;
    try {
      const { status, text } = await this.#fetch(source);
      if (status !== 200) return { source, error: `HTTP ${status}` };
      return { source, document: JSON.parse(text) as Record<string, unknown> };
    } catch (error) {
      return { source, error: (error as Error).message.slice(0, 200) };
    }
  }

  /**
   * The shipper's `GET {status}/v1/status` (lag per registry and embassy) and the embassy
   * node's `GET {admin}/v1/registries` (what it holds, snapshots included). The node's
   * holdings are matched to the deliveries of the embassy it is, when that is unambiguous.
   */
  async #replication(embassy: StateService | undefined): Promise<OperatorOverview["replication"]> {
    const status = typeof embassy?.status === "string" ? embassy.status.replace(/\/+$/, "") : undefined;
    if (!status) return null;
    const url = `${status}/v1/status`;
    let deliveries: ReplicationStatus[];
    try {
      const { status: code, text } = await this.#fetch(url);
      if (code !== 200) return { url, deliveries: [], error: `HTTP ${code}` };
      const body = JSON.parse(text) as { deliveries?: unknown };
      deliveries = array(body.deliveries).flatMap((d) => delivery(d) ?? []);
    } catch (error) {
      return { url, deliveries: [], error: (error as Error).message.slice(0, 200) };
    }
    const admin = typeof embassy?.admin === "string" ? embassy.admin.replace(/\/+$/, "") : undefined;
    const names = new Set(deliveries.map((d) => d.embassy));
    const nodeName = typeof embassy?.name === "string" ? embassy.name : names.size === 1 ? [...names][0] : undefined;
    if (admin && nodeName && deliveries.some((d) => !d.lastSnapshot)) {
      try {
        const { status: code, text } = await this.#fetch(`${admin}/v1/registries`);
        if (code === 200)
          for (const holding of array((JSON.parse(text) as { registries?: unknown }).registries)) {
            const snapshots = array(holding.snapshots);
            const last = snapshots.at(-1);
            if (!last) continue;
            for (const d of deliveries)
              if (d.embassy === nodeName && d.registry === holding.registry && !d.lastSnapshot)
                d.lastSnapshot = {
                  index: Number(last.id ?? -1),
                  seq: Number(last.seq ?? 0),
                  at: typeof last.at === "string" ? last.at : null,
                  complete: last.complete === true,
                };
          }
      } catch {
        // The holdings only add the snapshot column; the lag figures stand without them.
      }
    }
    deliveries.sort((a, b) => a.registry.localeCompare(b.registry) || a.embassy.localeCompare(b.embassy));
    return { url, deliveries };
  }

  async #checkpoint(services: Record<string, StateService>): Promise<OperatorOverview["ledger"]> {
    const ledger = services.ledger?.url;
    if (typeof ledger !== "string") return null;
    const url = ledger.replace(/\/+$/, "");
    try {
      const { status, text } = await this.#fetch(`${url}/checkpoint`);
      if (status !== 200) return { url, error: `HTTP ${status}` };
      const checkpoint = parseCheckpointNote(text);
      return checkpoint ? { url, checkpoint } : { url, error: "the answer is not a checkpoint note" };
    } catch (error) {
      return { url, error: (error as Error).message.slice(0, 200) };
    }
  }
}

/** A witness key of the global configuration (`trust.ledger.witnesses`, verifier-key text); others are skipped. */
function witnessKey(value: unknown): VerifierKey[] {
  try {
    return typeof value === "string" ? [parseVerifierKey(value)] : [];
  } catch {
    return [];
  }
}

/**
 * Each configured witness's cosignature on the checkpoint, checked (C2SP tlog-cosignature,
 * cosignature/v1 over the whole note) rather than read off the signature line's name (#22).
 */
function cosignatureStates(text: string | undefined, keys: readonly VerifierKey[]): Map<string, CosignatureState> {
  const states = new Map<string, CosignatureState>();
  let note: SignedNote;
  try {
    if (text === undefined) return states;
    note = parseNote(text);
  } catch {
    return states;
  }
  for (const key of keys) {
    try {
      if (countCosignatures(note, [key]).valid.length > 0) states.set(key.name, "verified");
    } catch {
      states.set(key.name, "invalid");
    }
  }
  return states;
}

/** Reads one delivery of the shipper's status, tolerating fields it does not (yet) send. */
function delivery(value: Record<string, unknown>): ReplicationStatus | undefined {
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown, fallback = 0) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
  const registry = text(value.registry);
  const embassy = text(value.embassy);
  if (!registry || !embassy) return undefined;
  const snapshot = (value.lastSnapshot ?? null) as Record<string, unknown> | null;
  const keyId =
    text(value.keyId) ?? text((value.key as Record<string, unknown> | undefined)?.id) ?? text(value.dataKey);
  return {
    registry,
    embassy,
    journalSeq: num(value.journalSeq),
    ackedSeq: num(value.ackedSeq),
    chainIndex: num(value.chainIndex, -1),
    ackedIndex: num(value.ackedIndex, -1),
    ackedAt: text(value.ackedAt) ?? null,
    lagSeconds: num(value.lagSeconds),
    lagSegments: num(value.lagSegments),
    lagChanges: num(value.lagChanges),
    lastError: text(value.lastError) ?? null,
    ...(snapshot && typeof snapshot === "object"
      ? {
          lastSnapshot: {
            index: num(snapshot.index ?? snapshot.id, -1),
            seq: num(snapshot.seq),
            at: text(snapshot.at) ?? null,
            complete: snapshot.complete !== false,
          },
        }
      : {}),
    ...(keyId ? { keyId } : {}),
  };
}

/** The key name of a C2SP signed-note verifier key file (`name+hash+key`). */
function vkeyName(path: unknown): string | undefined {
  if (typeof path !== "string") return undefined;
  try {
    const name = readFileSync(path, "utf8").trim().split("+")[0];
    return name || undefined;
  } catch {
    return undefined;
  }
}

function array(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null)
    : [];
}

/** Where a service answers /healthz and /metrics: its admin URL when the state file names one. */
function adminUrl(s: StateService): string {
  const admin = [s.admin, s.adminUrl].find((v): v is string => typeof v === "string");
  return (admin ?? String(s.url)).replace(/\/+$/, "");
}

function isSecurityServer(name: string, s: StateService): boolean {
  return (
    /^ss\b|^ss[-_\d]|security.?server/i.test(name) || s.kind === "security-server" || typeof s.serverId === "string"
  );
}

function matchesServer(
  name: string,
  s: StateService,
  id: string,
  serverCode: string,
  address: string | undefined,
): boolean {
  if (s.serverId === id || s.id === id) return true;
  if (address && Object.values(s).includes(address)) return true;
  return (
    serverCode !== "" && (name === serverCode || name.endsWith(`-${serverCode}`) || name.endsWith(`/${serverCode}`))
  );
}
