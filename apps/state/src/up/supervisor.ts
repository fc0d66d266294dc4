import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StateError } from "../errors.ts";

export interface ServiceSpec {
  /** Short name, used for the log file and messages. */
  name: string;
  /** Arguments to the riik command, e.g. ["pki", "serve", "--dir", …]. */
  args: string[];
  /** Base URL; ready when `${url}${healthPath}` answers 200. */
  url: string;
  /** Default /healthz. */
  healthPath?: string;
  /** For an https URL: the PEM file of the root its certificate chains to. */
  healthCa?: string;
}

interface Running {
  spec: ServiceSpec;
  child?: ChildProcess;
  /** Cancels a pending restart (whose timer also keeps the supervisor alive while no child runs). */
  cancelRestart?: () => void;
  /** Restarts since start, for status(). */
  restarts: number;
  /** Crashes since the service last stayed healthy for `healthyResetMs`; sets the backoff. */
  crashes: number;
  /** When the running child last answered its health check (clock time). */
  healthySince?: number;
  /** Settles once everything the running child wrote is in its log file. */
  logWritten?: Promise<void>;
  stopping: boolean;
}

/** Time as the supervisor sees it; tests inject one to test the backoff without waiting. */
export interface SupervisorClock {
  now(): number;
  /** Runs `task` after `ms` milliseconds; returns a function that cancels it. */
  schedule(task: () => void, ms: number): () => void;
}

const SYSTEM_CLOCK: SupervisorClock = {
  now: () => Date.now(),
  schedule: (task, ms) => {
    const timer = setTimeout(task, ms);
    return () => clearTimeout(timer);
  },
};

/** The wait before restarting after the n-th crash in a row: 1 s, 2 s, 4 s … capped at 30 s. */
export function restartDelay(crashes: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(crashes, 6));
}

export interface SupervisorOptions {
  /** The `riik` command's entry script (bin/riik.js); children run `node BIN …args`. */
  bin: string;
  logDir: string;
  /** Where crash and restart reports go (default: standard error). */
  report?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Where the running children's process ids are kept ({name: pid}), so that a later start can stop
   * services left behind when this process was killed without a chance to stop them.
   */
  pidFile?: string;
  clock?: SupervisorClock;
  /**
   * A service that stayed healthy this long before it died starts the backoff afresh, so a
   * crash a day is not restarted as late as a crash loop (default 60 s).
   */
  healthyResetMs?: number;
  /**
   * Services loading at once (launched, not yet healthy), default 4: on a small machine thirty
   * processes loading their modules together all miss their health deadline, a few at a time
   * each gets the CPU it needs and the whole start is no slower.
   */
  concurrentStarts?: number;
}

/**
 * Runs each component as its own process, as in a real deployment: logs go to
 * DIR/logs/<name>.log, a process that dies is reported and restarted with backoff,
 * and stop() ends them all with SIGTERM (SIGKILL after a grace period).
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #services: Running[] = [];
  readonly #report: (line: string) => void;
  readonly #clock: SupervisorClock;
  #loading = 0;
  /** Set by stop(): no service starts after it. */
  #closed = false;
  readonly #waitingToLoad: Array<() => void> = [];

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#report = options.report ?? ((line) => process.stderr.write(`${line}\n`));
    mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    // Children run in their own process groups; never leave one behind when this process exits.
    process.once("exit", () => {
      for (const running of this.#services) {
        running.stopping = true;
        if (running.child?.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL");
      }
    });
  }

  /**
   * Stops the services a killed predecessor left running (their ids in `pidFile`), but
   * only processes whose command line still names `marker` (the data directory).
   */
  static async stopLeftovers(pidFile: string, marker: string, report: (line: string) => void): Promise<void> {
    if (!existsSync(pidFile)) return;
    let recorded: Array<[string, number]> = [];
    try {
      recorded = Object.entries(JSON.parse(readFileSync(pidFile, "utf8")) as Record<string, number>);
    } catch {}
    const leftovers = recorded.filter(([, pid]) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8")
          .split("\0")
          .some((arg) => arg.startsWith(marker));
      } catch {
        return false;
      }
    });
    for (const [name, pid] of leftovers) {
      report(`riik up: stopping ${name} (pid ${pid}), left running by a riik up that was killed`);
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    }
    const ours = leftovers.map(([, pid]) => pid);
    const settle = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (ours.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    await settle(10_000);
    for (const pid of ours.filter(alive)) process.kill(pid, "SIGKILL");
    await settle(5_000);
    writeFileSync(pidFile, "{}\n", { mode: 0o600 });
  }

  /** Starts the service and resolves once it answers its health check. */
  async start(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
    // A second start of one name would leave the first process untracked: running, holding
    // its port, and never stopped.
    if (this.#services.some((s) => s.spec.name === spec.name))
      throw new StateError("STATE_INIT", `${spec.name} is started already; it is supervised once`);
    if (this.#closed) throw new StateError("STATE_INIT", `${spec.name} is not started: the state is stopping`);
    const running: Running = { spec, restarts: 0, crashes: 0, stopping: false };
    this.#services.push(running);
    await this.#loadingSlot();
    // Stopped while it waited for its turn: never launched, so nothing is left behind.
    if (running.stopping) {
      this.#releaseLoadingSlot();
      throw new StateError("STATE_INIT", `${spec.name} is not started: the state is stopping`);
    }
    this.#launch(running);
    const child = running.child!;
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    try {
      await waitHealthy(spec, timeoutMs, () => exited() || running.stopping);
      running.healthySince = this.#clock.now();
    } catch (error) {
      // A service that cannot start (port taken, bad data) fails `riik up` at once, with its log.
      running.stopping = true;
      running.cancelRestart?.();
      child.kill("SIGKILL");
      const why = exited()
        ? `${spec.name} exited (${child.signalCode ?? `code ${child.exitCode}`}) before it became healthy at ${spec.url}`
        : (error as Error).message;
      // Its last words (EADDRINUSE, a bad configuration) may still be in the pipe when it exits;
      // bounded, because a grandchild holding the pipe open would keep it from closing.
      // The wait is aborted as soon as the log closes, so no timer keeps the process alive after.
      const waited = new AbortController();
      await Promise.race([
        running.logWritten,
        delay(2000, undefined, { signal: waited.signal, ref: false }).catch(() => {}),
      ]);
      waited.abort();
      throw new Error(`${why}\n${tail(this.#logFile(spec.name))}`);
    } finally {
      this.#releaseLoadingSlot();
    }
  }

  /** The slot passes straight to the next waiting service, or is freed. */
  #releaseLoadingSlot(): void {
    const next = this.#waitingToLoad.shift();
    if (next) next();
    else this.#loading--;
  }

  async #loadingSlot(): Promise<void> {
    if (this.#loading < (this.#options.concurrentStarts ?? 4)) this.#loading++;
    else await new Promise<void>((resolve) => this.#waitingToLoad.push(resolve));
  }

  #logFile(name: string): string {
    return join(this.#options.logDir, `${name}.log`);
  }

  #launch(running: Running): void {
    const log: WriteStream = createWriteStream(this.#logFile(running.spec.name), { flags: "a", mode: 0o600 });
    const child = spawn(process.execPath, [this.#options.bin, ...running.spec.args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: this.#options.env ?? process.env,
      // Its own process group: Ctrl-C at the terminal reaches `riik up` alone, which
      // then stops the services in order instead of all of them racing to exit.
      detached: true,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    running.child = child;
    running.logWritten = new Promise((resolve) => log.once("close", resolve));
    // "close", not "exit": only then have its stdout and stderr ended, so every line is in the log
    // (ending the log on "exit" lost its last lines, and a write after the end was an error).
    child.once("close", () => log.end());
    this.#writePids();
    child.once("exit", (code, signal) => {
      this.#writePids();
      if (running.stopping) return;
      const healthyFor = running.healthySince === undefined ? 0 : this.#clock.now() - running.healthySince;
      running.healthySince = undefined;
      if (healthyFor >= (this.#options.healthyResetMs ?? 60_000)) running.crashes = 0;
      running.crashes += 1;
      running.restarts += 1;
      const delay = restartDelay(running.crashes);
      this.#report(
        `riik up: ${running.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (see ${this.#logFile(running.spec.name)})`,
      );
      running.cancelRestart = this.#clock.schedule(() => {
        running.cancelRestart = undefined;
        if (running.stopping) return;
        this.#launch(running);
        const relaunched = running.child;
        waitHealthy(running.spec, 60_000, () => running.stopping || running.child !== relaunched).then(
          () => {
            running.healthySince = this.#clock.now();
            this.#report(`riik up: ${running.spec.name} is back (pid ${relaunched?.pid})`);
          },
          () => {},
        );
      }, delay);
    });
  }

  #writePids(): void {
    if (!this.#options.pidFile) return;
    const pids: Record<string, number> = {};
    for (const { spec, child } of this.#services)
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) pids[spec.name] = child.pid;
    writeFileSync(this.#options.pidFile, `${JSON.stringify(pids, null, 2)}\n`, { mode: 0o600 });
  }

  /** Stops one service and keeps it stopped (no restart) until startService(); for drills. */
  async stopService(name: string, graceMs = 10_000): Promise<boolean> {
    const running = this.#services.find((s) => s.spec.name === name);
    if (!running) return false;
    await this.#stopOne(running, graceMs);
    this.#writePids();
    return true;
  }

  /** Starts a service stopped with stopService() again and waits until it is healthy. */
  async startService(name: string, timeoutMs = 60_000): Promise<boolean> {
    const running = this.#services.find((s) => s.spec.name === name);
    if (!running) return false;
    if (running.child && running.child.exitCode === null && running.child.signalCode === null) return true;
    running.stopping = false;
    running.restarts = 0;
    running.crashes = 0;
    this.#launch(running);
    await waitHealthy(running.spec, timeoutMs, () => running.stopping);
    running.healthySince = this.#clock.now();
    return true;
  }

  /** Each service: its process id while running, and how often it was restarted. */
  status(): Array<{ name: string; url: string; pid: number | null; running: boolean; restarts: number }> {
    return this.#services.map(({ spec, child, restarts }) => {
      const running = child !== undefined && child.exitCode === null && child.signalCode === null;
      return { name: spec.name, url: spec.url, pid: running ? (child.pid ?? null) : null, running, restarts };
    });
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.#services.map((s) => [s.spec.name, s.child?.pid]));
  }

  /** Stops every service: SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#services].reverse().map((running) => this.#stopOne(running, graceMs)));
  }

  async #stopOne(running: Running, graceMs: number): Promise<void> {
    running.stopping = true;
    running.cancelRestart?.();
    const child = running.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Polls `${url}/healthz` until it answers 200; gives up at the deadline or when `abandon()` says so. */
export async function waitHealthy(spec: ServiceSpec, timeoutMs: number, abandon: () => boolean = () => false) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const status = await healthStatus(`${spec.url}${spec.healthPath ?? "/healthz"}`, spec.healthCa);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (abandon()) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${spec.name} did not become healthy at ${spec.url} within ${timeoutMs} ms (${last})`);
}

/** The status a health URL answers; over https, trusting only `caFile`'s root. */
async function healthStatus(url: string, caFile: string | undefined): Promise<number> {
  if (!caFile) {
    const reply = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await reply.arrayBuffer();
    return reply.status;
  }
  const ca = readFileSync(caFile, "utf8");
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca, timeout: 2000 }, (reply) => {
      reply.resume();
      reply.once("end", () => resolve(reply.statusCode ?? 0));
    });
    request.once("timeout", () => request.destroy(new Error("no answer within 2000 ms")));
    request.once("error", reject);
  });
}

/** The last lines of a log file, to show why a service did not start. */
function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Whether a process runs: it exists and is not a zombie waiting to be reaped by init. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}
