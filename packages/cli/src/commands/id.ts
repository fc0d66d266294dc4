import type { Command } from "commander";

export function registerIdCommands(program: Command): void {
  void program;
}
