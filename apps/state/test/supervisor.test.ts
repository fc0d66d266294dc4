import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { ProgressBar, Supervisor, type SupervisorClock } from "../src/index.ts";

const FAKE = fileURLToPath(new URL("./fixtures/fake-service.mjs", import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The supervisor's reports, and a wait for the next one matching a pattern (an event, not a sleep). */
function reportLog() {
  const lines: string[] = [];
  const waiting = new Set<() => void>();
  return {
    lines,
    report: (line: string) => {
      lines.push(line);
      for (const wake of waiting) wake();
    },
    /** Index of the first report at or after `from` that matches; fails after its own deadline. */
    next(pattern: RegExp, from: number, timeoutMs = 60_000): Promise<number> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const at = lines.findIndex((line, index) => index >= from && pattern.test(line));
          if (at < 0) return;
          done();
          resolve(at);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no report matching ${pattern} within ${timeoutMs} ms; got:\n${lines.join("\n")}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiting.delete(check);
        };
        waiting.add(check);
        check();
      });
    },
  };
}

/** A clock the test moves by hand; restarts it schedules run at once, whatever their delay. */
function manualClock() {
  let now = 0;
  const clock: SupervisorClock = {
    now: () => now,
    schedule: (task) => {
      const immediate = setImmediate(task);
      return () => clearImmediate(immediate);
    },
  };
  return { clock, advance: (ms: number) => (now += ms) };
}

/** Resolves once a fake service prints that it listens; fails if it exits first. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("listening")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`fake service exited (${code}) before listening`)));
  });
}

describe("Supervisor", () => {
  it("starts a service, restarts it after a crash with a report, and stops it", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const log = reportLog();
    const supervisor = new Supervisor({
      bin: FAKE,
      logDir: join(dir, "logs"),
      pidFile: join(dir, "pids.json"),
      report: log.report,
    });
    t.after(() => supervisor.stop()); // however the test ends: its services would keep the file alive
    await supervisor.start({ name: "fake", args: [dir, String(port)], url });
    const pid = supervisor.pids().fake!;
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")), { fake: pid });
    // A second start of the same name is refused: it would leave the first process untracked.
    await assert.rejects(supervisor.start({ name: "fake", args: [dir, String(port)], url }), { code: "STATE_INIT" });
    assert.equal(supervisor.pids().fake, pid);

    process.kill(pid, "SIGKILL");
    await log.next(/fake is back/, 0);
    assert.match(log.lines[0]!, /^riik up: fake exited \(SIGKILL\); restarting in 1000 ms/);
    const second = Number(await (await fetch(`${url}/`)).text());
    assert.notEqual(second, pid);

    await supervisor.stop();
    assert.equal(alive(second), false);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")), {});
  });

  it("#10 restart backoff: doubles while a service crashes in a row, starts afresh after a healthy period", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    const port = await freePort();
    const log = reportLog();
    const { clock, advance } = manualClock();
    const supervisor = new Supervisor({
      bin: FAKE,
      logDir: join(dir, "logs"),
      report: log.report,
      clock,
      healthyResetMs: 60_000,
    });
    t.after(() => supervisor.stop()); // however the test ends: its services would keep the file alive
    await supervisor.start({ name: "fake", args: [dir, String(port)], url: `http://127.0.0.1:${port}` });
    const crash = async (healthyForMs: number) => {
      advance(healthyForMs);
      const from = log.lines.length;
      process.kill(supervisor.pids().fake!, "SIGKILL");
      const exited = await log.next(/fake exited/, from);
      await log.next(/fake is back/, from);
      return Number(/restarting in (\d+) ms/.exec(log.lines[exited]!)![1]);
    };
    assert.equal(await crash(0), 1000);
    assert.equal(await crash(59_999), 2000, "up for less than the healthy period: still a crash loop");
    assert.equal(await crash(1000), 4000);
    assert.equal(await crash(60_000), 1000, "healthy for 60 s: the backoff starts afresh");
    assert.equal(await crash(0), 2000);
    assert.equal(supervisor.status()[0]!.restarts, 5);
    await supervisor.stop();
  });

  it("#22 fails fast with the log when a service cannot start, on its exit rather than the timeout", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    const supervisor = new Supervisor({ bin: FAKE, logDir: join(dir, "logs"), report: () => {} });
    // The port is taken: the service dies on listen.
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    // Released however the test ends: a server left listening kept the file's process alive.
    t.after(async () => {
      taken.close();
      await supervisor.stop();
    });
    // A timeout far beyond the test's: only the child's exit can end this start.
    await assert.rejects(
      supervisor.start({ name: "doomed", args: [dir, String(port)], url: "http://127.0.0.1:1" }, 3_600_000),
      /^Error: doomed exited \(code 1\) before it became healthy at http:\/\/127\.0\.0\.1:1\n[\s\S]*EADDRINUSE/,
    );
  });

  it("a service that exits right after writing: its last line is in the log and in the refusal", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    const supervisor = new Supervisor({ bin: FAKE, logDir: join(dir, "logs"), report: () => {} });
    t.after(() => supervisor.stop());
    await assert.rejects(
      supervisor.start({ name: "hasty", args: [dir, "1", "last-words"], url: "http://127.0.0.1:1" }, 3_600_000),
      /^Error: hasty exited \(code 1\) before it became healthy[\s\S]*\nthe last line$/,
    );
    const log = readFileSync(join(dir, "logs", "hasty.log"), "utf8");
    assert.equal(log.length, 512 * 1024 + "the last line\n".length);
  });

  it("launches at most concurrentStarts services at a time; the next once one is healthy", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    // One health endpoint for all three, per service a path: 503 until the test lets it be healthy.
    const healthy = new Set<string>();
    const probed = new Set<string>();
    const onProbe = new Set<() => void>();
    const health = createHttpServer((request, response) => {
      const name = request.url!.slice(1);
      probed.add(name);
      for (const wake of onProbe) wake();
      response.writeHead(healthy.has(name) ? 200 : 503).end();
    });
    const healthPort = await new Promise<number>((resolve) =>
      health.listen(0, "127.0.0.1", () => resolve((health.address() as { port: number }).port)),
    );
    t.after(() => health.close());
    const probedNow = (name: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!probed.has(name)) return;
          onProbe.delete(check);
          resolve();
        };
        onProbe.add(check);
        check();
      });
    const supervisor = new Supervisor({ bin: FAKE, logDir: join(dir, "logs"), report: () => {}, concurrentStarts: 2 });
    t.after(() => supervisor.stop()); // however the test ends: its services would keep the file alive
    const ports = [await freePort(), await freePort(), await freePort()];
    const starts = ["a", "b", "c"].map((name, i) =>
      supervisor.start({
        name,
        args: [dir, String(ports[i])],
        url: `http://127.0.0.1:${healthPort}`,
        healthPath: `/${name}`,
      }),
    );
    await Promise.all([probedNow("a"), probedNow("b")]);
    assert.equal(probed.has("c"), false, "c waits while a and b load");
    assert.equal(supervisor.pids().c, undefined, "c is not launched");
    healthy.add("a");
    await probedNow("c");
    healthy.add("b");
    healthy.add("c");
    await Promise.all(starts);
    assert.deepEqual(Object.keys(supervisor.pids()).sort(), ["a", "b", "c"]);
    await supervisor.stop();
  });

  it("a stop while services start stops those launched, launches none that waited its turn, and refuses later starts", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    // Never healthy: the starts are under way when the stop comes (an interrupted `riik up`).
    const health = createHttpServer((_request, response) => response.writeHead(503).end());
    const healthPort = await new Promise<number>((resolve) =>
      health.listen(0, "127.0.0.1", () => resolve((health.address() as { port: number }).port)),
    );
    t.after(() => health.close());
    const supervisor = new Supervisor({ bin: FAKE, logDir: join(dir, "logs"), report: () => {}, concurrentStarts: 1 });
    t.after(() => supervisor.stop()); // however the test ends: its services would keep the file alive
    const ports = [await freePort(), await freePort()];
    const starts = ["a", "b"].map((name, i) =>
      supervisor.start({
        name,
        args: [dir, String(ports[i])],
        url: `http://127.0.0.1:${healthPort}`,
        healthPath: `/${name}`,
      }),
    );
    const outcomes = Promise.allSettled(starts);
    while (supervisor.pids().a === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    const a = supervisor.pids().a!;
    await supervisor.stop();
    const [first, second] = await outcomes;
    assert.equal(first?.status, "rejected");
    assert.equal(second?.status, "rejected");
    assert.match(String((second as PromiseRejectedResult).reason), /not started: the state is stopping/);
    assert.equal(alive(a), false, "the launched service is stopped");
    assert.equal(supervisor.pids().b, undefined, "the waiting one was never launched");
    await assert.rejects(
      supervisor.start({ name: "c", args: [dir, String(await freePort())], url: `http://127.0.0.1:${healthPort}` }),
      { code: "STATE_INIT" },
    );
  });

  it("stops services a killed predecessor left running, and only those naming the data directory", async (t) => {
    const dir = temporaryDirectory("riik-supervisor-");
    const [ours, theirs] = [await freePort(), await freePort()];
    const spawnFake = (marker: string, port: number) =>
      spawn(process.execPath, [FAKE, marker, String(port)], { stdio: ["ignore", "pipe", "ignore"], detached: true });
    const left = spawnFake(`${dir}/pki`, ours);
    const other = spawnFake("/elsewhere/pki", theirs);
    // However the test ends, neither outlives it (one left running kept the file's process alive).
    t.after(() => {
      for (const child of [left, other])
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const leftExited = once(left, "exit");
    await Promise.all([listening(left), listening(other)]);
    const pidFile = join(dir, "pids.json");
    writeFileSync(pidFile, JSON.stringify({ pki: left.pid, other: other.pid }));
    const reports: string[] = [];
    await Supervisor.stopLeftovers(pidFile, `${dir}/`, (line) => reports.push(line));
    assert.deepEqual(reports, [`riik up: stopping pki (pid ${left.pid}), left running by a riik up that was killed`]);
    // Its exit as this process sees it (a signal to a dead child that is not yet reaped still succeeds).
    const stopped = await Promise.race([leftExited.then(() => true), delay(10_000).then(() => false)]);
    assert.equal(stopped, true, "the leftover is stopped");
    assert.equal(alive(other.pid!), true, "a process that is not the state's is left alone");
    const otherExited = once(other, "exit");
    other.kill("SIGTERM");
    await otherExited;
  });
});

describe("ProgressBar", () => {
  it("writes one line per tenth when the output is not a terminal", () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar("seeding", stream);
    for (let done = 0; done <= 1000; done += 10) bar.update(done, 1000);
    bar.update(1000, 1000);
    assert.equal(lines.length, 11);
    assert.match(lines[0]!, /^seeding \[-{30}\] {3}0% 0\/1,000 /);
    assert.match(lines[10]!, /^seeding \[#{30}\] 100% 1,000\/1,000 /);
  });
});
