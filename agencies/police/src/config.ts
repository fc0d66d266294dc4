import { readFileSync } from "node:fs";
import { parseClientId, parseServiceId } from "@riik/kit";
import { PoliceError } from "./errors.ts";

/** `riik police serve --config FILE`: the police information system's settings. */
export interface PoliceConfig {
  port: number;
  host: string;
  /** Its own subsystem, the X-Road-Client of every query (EE/GOV/70008747/police-app). */
  client: string;
  /** The consumer security server's client port (ss-ppa), http://host:port. */
  securityServer: { url: string };
  /** The population register's service id (EE/GOV/70000562/rr/persons). */
  personsService: string;
  /** How long to wait for the exchange; default 10 s. */
  timeoutMs?: number;
}

const KEYS = new Set(["port", "host", "client", "securityServer", "personsService", "timeoutMs", "$comment"]);

export function parsePoliceConfig(value: unknown): PoliceConfig {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PoliceError("POLICE_CONFIG", "the police configuration must be a JSON object");
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!KEYS.has(key)) problems.push(`/${key}: unknown field`);
  if (!Number.isInteger(c.port) || (c.port as number) < 0 || (c.port as number) > 65535)
    problems.push("/port: a TCP port");
  if (typeof c.host !== "string" || c.host === "") problems.push("/host: an address to listen on");
  try {
    if (!parseClientId(String(c.client)).subsystemCode) problems.push("/client: a subsystem id");
  } catch {
    problems.push("/client: an X-Road client id INSTANCE/CLASS/MEMBER/SUBSYSTEM");
  }
  try {
    parseServiceId(String(c.personsService));
  } catch {
    problems.push("/personsService: an X-Road service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE");
  }
  const ss = c.securityServer as { url?: unknown } | undefined;
  try {
    const url = new URL(String(ss?.url));
    if (url.protocol !== "http:") problems.push("/securityServer/url: an http:// URL");
  } catch {
    problems.push("/securityServer/url: the security server's client URL");
  }
  if (c.timeoutMs !== undefined && (!Number.isInteger(c.timeoutMs) || (c.timeoutMs as number) <= 0))
    problems.push("/timeoutMs: a positive integer");
  if (problems.length > 0)
    throw new PoliceError("POLICE_CONFIG", `bad police configuration: ${problems.join("; ")}`, {
      details: { problems },
    });
  return value as PoliceConfig;
}

export function readPoliceConfig(path: string): PoliceConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new PoliceError("POLICE_CONFIG", `cannot read the police configuration ${path}`, { cause });
  }
  try {
    return parsePoliceConfig(JSON.parse(text));
  } catch (cause) {
    if (cause instanceof PoliceError) throw cause;
    throw new PoliceError("POLICE_CONFIG", `${path} is not JSON`, { cause });
  }
}
