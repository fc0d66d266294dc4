import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const RIIK_BIN = fileURLToPath(new URL("../../bin/riik.js", import.meta.url));

export interface ServiceSpec {
  /** Short name, used for the log file and messages. */
  name: string;
  /** Arguments to the riik command, e.g. ["pki", "serve", "--dir", …]. */
  args: string[];
  /** Base URL; ready when `${url}/healthz` answers 200. */
  url: string;
}

interface Running {
  spec: ServiceSpec;
  child?: ChildProcess;
  /** A pending restart; it also keeps the supervisor alive while no child runs. */
  restartTimer?: NodeJS.Timeout;
  restarts: number;
  stopping: boolean;
}

/**
 * Runs each component as its own process, as in a real deployment: logs go to
 * DIR/logs/<name>.log, a process that dies is reported and restarted with backoff,
 * and stop() ends them all with SIGTERM (SIGKILL after a grace period).
 */
export class Supervisor {
  readonly #logDir: string;
  readonly #services: Running[] = [];
  readonly #report: (line: string) => void;

  constructor(logDir: string, report: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    this.#logDir = logDir;
    this.#report = report;
    mkdirSync(logDir, { recursive: true });
  }

  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
    const running: Running = { spec, restarts: 0, stopping: false };
    this.#services.push(running);
    this.#launch(running);
    await waitHealthy(spec, timeoutMs);
  }

  #launch(running: Running): void {
    const log: WriteStream = createWriteStream(join(this.#logDir, `${running.spec.name}.log`), { flags: "a" });
    const child = spawn(process.execPath, [RIIK_BIN, ...running.spec.args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    running.child = child;
    child.once("exit", (code, signal) => {
      log.end();
      if (running.stopping) return;
      running.restarts += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(running.restarts, 6));
      this.#report(
        `riik up: ${running.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (see ${join(this.#logDir, `${running.spec.name}.log`)})`,
      );
      running.restartTimer = setTimeout(() => {
        running.restartTimer = undefined;
        if (!running.stopping) this.#launch(running);
      }, delay);
    });
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.#services.map((s) => [s.spec.name, s.child?.pid]));
  }

  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.#services].reverse().map(async (running) => {
        running.stopping = true;
        clearTimeout(running.restartTimer);
        const child = running.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

async function waitHealthy(spec: ServiceSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const reply = await fetch(`${spec.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (reply.ok) return;
      last = `HTTP ${reply.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${spec.name} did not become healthy at ${spec.url} within ${timeoutMs} ms (${last})`);
}
