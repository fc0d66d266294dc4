import { execFile } from "node:child_process";
import { resolve } from "node:path";

/** The `riik` command of this checkout: the file npm links as `node_modules/.bin/riik`. */
export const RIIK_BIN = resolve(import.meta.dirname, "../../../../apps/cli/bin/riik.js");

export interface RiikRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RiikRunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Runs the real `riik` command as a process (logs at warn unless `env` says otherwise);
 * resolves with its exit code and output and never rejects, so a test asserts the code.
 */
export function runRiik(args: readonly string[], options: RiikRunOptions = {}): Promise<RiikRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [RIIK_BIN, ...args],
      {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        env: { ...process.env, RIIK_LOG_LEVEL: "warn", ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
