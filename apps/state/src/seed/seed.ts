import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { StateError } from "../errors.ts";
import type { SeedOptions } from "../up/components.ts";
import type { SeedMessage } from "./seed-child.ts";

const CHILD = fileURLToPath(new URL("./seed-child.ts", import.meta.url));
// The child is TypeScript: load tsx from wherever this package resolves it.
const TSX = import.meta.resolve("tsx");

export interface SeedResult {
  ms: number;
  /** Peak resident memory of the seeding process. */
  maxRssBytes: number;
}

/** Seeds the population register in a child process; rejects with its error when it fails. */
export function seedInChildProcess(options: SeedOptions, signal?: AbortSignal): Promise<SeedResult> {
  const { onProgress, ...rest } = options;
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(rest)], {
      execArgv: ["--import", TSX],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      ...(signal ? { signal, killSignal: "SIGKILL" as const } : {}),
    });
    let result: SeedResult | undefined;
    let failure: string | undefined;
    child.on("message", (message: SeedMessage) => {
      if (message.type === "progress") onProgress?.(message.done, message.total);
      else if (message.type === "done") result = { ms: message.ms, maxRssBytes: message.maxRssBytes };
      else failure = message.message;
    });
    // An abort surfaces as the exit below; other spawn errors reject here.
    child.once("error", (error) => {
      if ((error as { name?: string }).name !== "AbortError") reject(error);
    });
    child.once("exit", (code, signal) => {
      if (result && code === 0) resolve(result);
      else
        reject(
          new StateError(
            "STATE_INIT",
            `seeding the population register failed (${signal ?? `exit code ${code}`})${failure ? `: ${failure}` : ""}`,
          ),
        );
    });
  });
}
