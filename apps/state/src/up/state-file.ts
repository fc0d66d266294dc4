import type { DemoCard } from "./journal.ts";

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
  /** Probes a continuity drill (`riik embassy drill`) compares before and after a restore. */
  drill?: { checks: Array<{ name: string; url: string; method?: string; headers?: Record<string, string> }> };
}
