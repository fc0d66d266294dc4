import "reflect-metadata";
import { RiikError } from "@riik/core";
import { Command, CommanderError } from "commander";
import { registerCentralCommands } from "./commands/central.ts";
import { registerEmbassyCommands } from "./commands/embassy.ts";
import { registerIdCommands } from "./commands/id.ts";
import { registerLedgerCommands } from "./commands/ledger.ts";
import { registerPkiCommands } from "./commands/pki.ts";
import { registerPoliceCommands } from "./commands/police.ts";
import { registerPortalCommands } from "./commands/portal.ts";
import { registerRegistryCommands } from "./commands/registry.ts";
import { registerSignCommands } from "./commands/sign.ts";
import { registerSsCommands } from "./commands/ss.ts";
import { registerUpCommand } from "./commands/up.ts";
import { registerXroadCommands } from "./commands/xroad.ts";

export function buildProgram(): Command {
  const program = new Command("riik")
    .description("riik: the digital-state backbone (trust services, identity, exchange, integrity ledger)")
    .showHelpAfterError()
    .exitOverride();
  registerUpCommand(program);
  registerPkiCommands(program);
  registerRegistryCommands(program);
  registerIdCommands(program);
  registerSignCommands(program);
  registerLedgerCommands(program);
  registerEmbassyCommands(program);
  registerCentralCommands(program);
  registerSsCommands(program);
  registerXroadCommands(program);
  registerPoliceCommands(program);
  registerPortalCommands(program);
  return program;
}

/**
 * Exit codes: 0 success (for a verifier: VALID against a named trust anchor), 1 refused
 * (typed error, or INVALID), 2 usage, 3 a verifier given no trust anchor, 70 a bug.
 */
export const EXIT_NO_TRUST_ANCHOR = 3;

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof RiikError) {
      process.stderr.write(`riik: ${error.code}: ${error.message}\n`);
      return error.code === "VERIFY_NO_TRUST_ANCHOR" ? EXIT_NO_TRUST_ANCHOR : 1;
    }
    process.stderr.write(`riik: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
