import { fileURLToPath } from "node:url";
import { bootState, DEFAULT_PERSONS, DEFAULT_PORT_BASE, type RunningState, type StateFile } from "@riik/state";
import type { Command } from "commander";
import { COMMAND_NAMES } from "../command-table.ts";
import { DB_OPTION_HELP, parsePort, parsePositiveInteger, untilSignalled } from "../options.ts";

const RIIK_BIN = fileURLToPath(new URL("../../bin/riik.js", import.meta.url));

interface UpOptions {
  data: string;
  persons?: number;
  db?: string;
  portBase?: number;
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("boot a whole sandbox state on this machine (what `npm start` runs); Ctrl-C stops it")
    .option("--data <dir>", "data directory; first start initialises it, later starts resume", "./data")
    .option(
      "--persons <n>",
      `persons in the population register, seeded on the first start (default ${DEFAULT_PERSONS})`,
      parsePositiveInteger,
    )
    .option("--db <url>", DB_OPTION_HELP)
    .option(
      "--port-base <port>",
      `first of the consecutive loopback ports the services use (default ${DEFAULT_PORT_BASE}, or the data directory's)`,
      parsePort,
    )
    .action(async (options: UpOptions) => {
      // The state holds personal data, PINs and keys: every file riik up and the components
      // it starts create is owner-only, also where a component does not set a mode itself.
      process.umask(0o077);
      const interrupt = new AbortController();
      const signalled = untilSignalled().then((signal) => {
        interrupt.abort();
        return signal;
      });
      let running: RunningState;
      try {
        running = await bootState({
          dataDir: options.data,
          ...(options.persons !== undefined ? { persons: options.persons } : {}),
          ...(options.db ? { databaseUrl: options.db } : {}),
          ...(options.portBase !== undefined ? { portBase: options.portBase } : {}),
          bin: RIIK_BIN,
          commands: [...COMMAND_NAMES],
          signal: interrupt.signal,
        });
      } catch (error) {
        if (!interrupt.signal.aborted) throw error;
        console.log("riik up: interrupted while starting; every process is stopped, the next start carries on");
        return;
      }
      printState(running.state);
      for (const component of running.missing) console.error(`riik up: not started, not installed: ${component}`);
      const entry = running.state.services.portal ?? running.state.services.pki!;
      console.log(
        `ready ${entry.url} (state in ${running.state.dataDir}/state.json, logs in ${running.state.dataDir}/logs; Ctrl-C stops)`,
      );
      const signal = await signalled;
      console.log(`riik up: ${signal}, stopping`);
      await running.stop();
      console.log("riik up: stopped");
    });
}

/** The table of services and the demo ID cards, as a person starting the state needs them. */
function printState(state: StateFile): void {
  const rows = Object.entries(state.services).map(([name, service]) => {
    const extra = Object.entries(service)
      .filter(([key]) => !["url", "dir", "config", "vkey", "anchor", "home"].includes(key))
      .map(([key, value]) => `${key} ${value}`)
      .join("  ");
    return [name, service.url, extra];
  });
  const width = Math.max(...rows.map((row) => row[0]!.length));
  const urlWidth = Math.max(...rows.map((row) => row[1]!.length));
  console.log(`\n${"service".padEnd(width)}  ${"url".padEnd(urlWidth)}  details`);
  for (const [name, url, extra] of rows) console.log(`${name!.padEnd(width)}  ${url!.padEnd(urlWidth)}  ${extra}`);
  if (state.demoCards.length > 0) {
    console.log("\ndemo ID cards (log in to the portal with `riik id auth-token` or the card file):");
    for (const card of state.demoCards)
      console.log(
        `  ${card.personalCode}  ${card.name.padEnd(28)}  PIN1 ${card.pin1}  PIN2 ${card.pin2}  ${card.file}`,
      );
  }
  // A state.json from before the officials were issued has none.
  if (state.officials?.length > 0) {
    console.log("\nofficials and professionals:");
    for (const card of state.officials)
      console.log(
        `  ${card.personalCode}  ${card.name.padEnd(28)}  PIN1 ${card.pin1}  PIN2 ${card.pin2}  ${card.file}\n    ${card.role ?? ""}`,
      );
  }
  console.log("");
}
