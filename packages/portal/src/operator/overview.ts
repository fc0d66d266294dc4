import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import { PortalError } from "../errors.ts";
import { type CheckpointSummary, parseCheckpointNote } from "./checkpoint.ts";
import { messageCounts } from "./prometheus.ts";

export type ServiceState = "up" | "down" | "unknown";

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
  witnesses: Array<{ name: string; cosigned: boolean; configured: boolean; url?: string; state?: ServiceState }>;
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
    const [health, globalConf, checkpoint] = await Promise.all([
      Promise.all(
        entries.map(async ([name, s]) => ({ name, url: String(s.url), ...(await this.#health(adminUrl(s))) })),
      ),
      this.#globalConf(services),
      this.#checkpoint(services),
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
    const configured = Array.isArray(ledgerTrust?.witnesses)
      ? ledgerTrust.witnesses.map((w) =>
          typeof w === "string" ? (w.split("+")[0] ?? w) : String((w as { name?: unknown }).name ?? ""),
        )
      : [];
    const cosigners = checkpoint?.checkpoint?.signers.slice(1) ?? [];
    const witnessServices = health.filter((h) => /witness/i.test(h.name));
    const names = [...new Set([...configured, ...cosigners])].filter(Boolean);
    const witnesses: OperatorOverview["witnesses"] = names.map((name) => ({
      name,
      cosigned: cosigners.includes(name),
      configured: configured.includes(name),
    }));
    // A witness service is matched to its key name through its verifier key file, when the state file names one.
    for (const w of witnessServices) {
      const name = vkeyName(services[w.name]?.vkey) ?? w.name;
      const known = witnesses.find((x) => x.name === name);
      if (known) Object.assign(known, { url: w.url, state: w.state });
      else witnesses.push({ name, cosigned: cosigners.includes(name), configured: false, url: w.url, state: w.state });
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
