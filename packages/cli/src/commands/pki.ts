import type { Command } from "commander";

export function registerPkiCommands(program: Command): void {
  void program;
}
