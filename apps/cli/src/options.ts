import { SERVED_OPTIONS } from "@riik/core";
import { readStateFile, StateError, securityServerOf } from "@riik/state";
import { InvalidArgumentError } from "commander";

/** Commander parser for TCP ports with a message a person can act on. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("must be a TCP port, 0-65535");
  return port;
}

export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** The --db option of the init and admin verbs, worded as the serve verbs' (the descriptors'). */
export const DB_OPTION_HELP = SERVED_OPTIONS[2].description;

/**
 * The client URL of the caller's security server: `--security-server URL`, or the one serving the
 * client's member in the state at `--data DIR` (riik up). Exactly one of the two.
 */
export function securityServerUrl(options: { data?: string; securityServer?: string; client: string }): string {
  if (options.securityServer && options.data)
    throw new StateError("STATE_ARGUMENT", "give either --security-server or --data, not both");
  if (options.securityServer) return options.securityServer;
  if (options.data)
    return securityServerOf(readStateFile(options.data), options.client.split("/").slice(0, 3).join("/"));
  throw new StateError("STATE_ARGUMENT", "give --data DIR of a state started by riik up, or --security-server URL");
}
