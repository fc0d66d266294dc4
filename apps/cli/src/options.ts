import { SERVED_OPTIONS } from "@riik/core";
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
