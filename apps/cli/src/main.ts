import "reflect-metadata";
import { RiikError } from "@riik/core";
import { Command, CommanderError } from "commander";
import { COMMAND_MODULES } from "./command-table.ts";

/**
 * The `riik` program with the command `argv` names registered, or every command when it names
 * none it knows (`riik`, `riik --help`, a typo: the help lists them all).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command("riik")
    .description("riik: the digital-state backbone (trust services, identity, exchange, integrity ledger)")
    .showHelpAfterError()
    .exitOverride();
  const named = argv[2] !== undefined ? COMMAND_MODULES[argv[2]] : undefined;
  const registers = await Promise.all(named ? [named()] : Object.values(COMMAND_MODULES).map((load) => load()));
  for (const register of new Set(registers)) register(program);
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
    await (await buildProgram(argv)).parseAsync(argv);
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
