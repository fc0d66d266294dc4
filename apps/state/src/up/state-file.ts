import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { StateError } from "../errors.ts";
import type { DemoCard, OfficialCard } from "./journal.ts";

export interface ServiceEntry {
  url: string;
  [key: string]: string;
}

/** DIR/state.json: every service's URL, for people and tools (the portal reads it too). */
export interface StateFile {
  startedAt: string;
  dataDir: string;
  instance: "EE";
  /** The supervisor's control API: POST {control}/v1/services/{name}/stop|start. */
  control: string;
  services: Record<string, ServiceEntry>;
  members: Array<{
    id: string;
    name: string;
    securityServer: string;
    subsystems: Array<{ id: string; description: string }>;
  }>;
  demoCards: DemoCard[];
  /** The cards of officials and professionals, each with its role (e-Residency decisions, the clinic's doctor, the pharmacist). */
  officials: OfficialCard[];
  /** Probes a continuity drill (`riik embassy drill`) compares before and after a restore. */
  drill?: { checks: Array<{ name: string; url: string; method?: string; headers?: Record<string, string> }> };
}

/** Reads DIR/state.json of a state started by `riik up` (STATE_DATA_DIR when there is none). */
export function readStateFile(dataDir: string): StateFile & { path: string } {
  const path = join(resolve(dataDir), "state.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new StateError("STATE_DATA_DIR", `${path} cannot be read: is ${dataDir} the data directory of riik up?`, {
      cause,
    });
  }
  try {
    return { ...(JSON.parse(text) as StateFile), path };
  } catch (cause) {
    throw new StateError("STATE_DATA_DIR", `${path} is not JSON: was it written by riik up?`, { cause });
  }
}

/** The client URL of a member's security server in a running state (STATE_ARGUMENT if it has none). */
export function securityServerOf(state: StateFile, member: string): string {
  // members[].securityServer is the server's X-Road id, MEMBER/CODE; services are keyed by CODE.
  const server = state.members
    .find((m) => m.id === member)
    ?.securityServer?.split("/")
    .at(-1);
  const url = server ? state.services[server]?.url : undefined;
  if (!url) throw new StateError("STATE_ARGUMENT", `${state.dataDir}/state.json names no security server of ${member}`);
  return url;
}
