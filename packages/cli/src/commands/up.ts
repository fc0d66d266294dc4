import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { initTrustServices } from "@riik/pki";
import type { Command } from "commander";
import { DB_OPTION_HELP, parsePort, untilSignalled } from "../options.ts";
import { type ServiceSpec, Supervisor } from "../up/supervisor.ts";

interface UpOptions {
  data: string;
  db?: string;
  portBase: number;
}

/** What `riik up` writes to DIR/state.json: every service's URL, for people and tools. */
export interface StateFile {
  startedAt: string;
  dataDir: string;
  services: Record<string, { url: string; [key: string]: string }>;
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("boot a whole sandbox state on this machine (what `npm start` runs); Ctrl-C stops it")
    .option("--data <dir>", "data directory; first start initialises it, later starts resume", "./data")
    .option("--db <url>", DB_OPTION_HELP)
    .option("--port-base <port>", "first of the consecutive loopback ports the services use", parsePort, 8800)
    .action(async (options: UpOptions) => {
      const dataDir = resolve(options.data);
      const db = options.db ? ["--db", options.db] : [];
      const url = (offset: number) => `http://127.0.0.1:${options.portBase + offset}`;
      const pkiDir = join(dataDir, "pki");

      if (!existsSync(join(pkiDir, "pki.json"))) {
        console.log(`riik up: first start, initialising trust services in ${pkiDir}`);
        const services = await initTrustServices({ dir: pkiDir, baseUrl: url(0), databaseUrl: options.db });
        await services.close();
      }

      const specs: ServiceSpec[] = [
        {
          name: "pki",
          args: ["pki", "serve", "--dir", pkiDir, "--port", String(options.portBase), ...db],
          url: url(0),
        },
      ];
      const supervisor = new Supervisor(join(dataDir, "logs"));
      const stopping = untilSignalled();
      try {
        for (const spec of specs) await supervisor.start(spec);
      } catch (error) {
        await supervisor.stop();
        throw error;
      }
      const state: StateFile = {
        startedAt: new Date().toISOString(),
        dataDir,
        services: {
          pki: { url: url(0), ocsp: `${url(0)}/ocsp`, tsa: `${url(0)}/tsa`, rootCertificate: `${url(0)}/ca/root.crt` },
        },
      };
      writeFileSync(join(dataDir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
      for (const [name, service] of Object.entries(state.services)) {
        for (const [key, value] of Object.entries(service)) console.log(`${name.padEnd(8)} ${key.padEnd(16)} ${value}`);
      }
      console.log(
        `ready ${url(0)} (state in ${join(dataDir, "state.json")}, logs in ${join(dataDir, "logs")}; Ctrl-C stops)`,
      );
      const signal = await stopping;
      console.log(`riik up: ${signal}, stopping`);
      await supervisor.stop();
    });
}
