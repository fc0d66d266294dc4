import type { Command } from "commander";

/** `riik id auth-token`: registered by the Web eID module. */
export function registerAuthTokenCommand(id: Command): void {
  void id;
}
