import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { ProgressBar, Supervisor } from "../src/index.ts";

const FAKE = fileURLToPath(new URL("./fixtures/fake-service.mjs", import.meta.url));

const pidAt = async (url: string) => Number(await (await fetch(`${url}/`)).text());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("Supervisor", () => {
  it("starts a service, restarts it after a crash with a report, and stops it", async () => {
    const dir = temporaryDirectory("riik-supervisor-");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const reports: string[] = [];
    const supervisor = new Supervisor({
      bin: FAKE,
      logDir: join(dir, "logs"),
      pidFile: join(dir, "pids.json"),
      report: (line) => reports.push(line),
    });
    await supervisor.start({ name: "fake", args: [dir, String(port)], url });
    const pid = await pidAt(url);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")), { fake: pid });

    process.kill(pid, "SIGKILL");
    await until(() => reports.some((r) => /fake is back/.test(r)));
    assert.match(reports[0]!, /^riik up: fake exited \(SIGKILL\); restarting in 1000 ms/);
    const second = await pidAt(url);
    assert.notEqual(second, pid);

    await supervisor.stop();
    assert.equal(alive(second), false);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")), {});
  });

  it("fails fast with the log when a service cannot start", async () => {
    const dir = temporaryDirectory("riik-supervisor-");
    const supervisor = new Supervisor({ bin: FAKE, logDir: join(dir, "logs"), report: () => {} });
    // The port is taken: the service dies on listen.
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    const started = Date.now();
    await assert.rejects(
      supervisor.start({ name: "doomed", args: [dir, String(port)], url: "http://127.0.0.1:1" }, 20_000),
      /doomed did not become healthy[\s\S]*EADDRINUSE/,
    );
    assert.ok(Date.now() - started < 10_000, "without waiting out the timeout");
    taken.close();
    await supervisor.stop();
  });

  it("stops services a killed predecessor left running, and only those naming the data directory", async () => {
    const dir = temporaryDirectory("riik-supervisor-");
    const [ours, theirs] = [await freePort(), await freePort()];
    const spawnFake = (marker: string, port: number) =>
      spawn(process.execPath, [FAKE, marker, String(port)], { stdio: "ignore", detached: true });
    const left = spawnFake(`${dir}/pki`, ours);
    const other = spawnFake("/elsewhere/pki", theirs);
    await until(async () => {
      try {
        await pidAt(`http://127.0.0.1:${ours}`);
        await pidAt(`http://127.0.0.1:${theirs}`);
        return true;
      } catch {
        return false;
      }
    });
    const pidFile = join(dir, "pids.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(pidFile, JSON.stringify({ pki: left.pid, other: other.pid }));
    const reports: string[] = [];
    await Supervisor.stopLeftovers(pidFile, `${dir}/`, (line) => reports.push(line));
    assert.deepEqual(reports, [`riik up: stopping pki (pid ${left.pid}), left running by a riik up that was killed`]);
    assert.equal(alive(left.pid!), false);
    assert.equal(alive(other.pid!), true, "a process that is not the state's is left alone");
    other.kill("SIGTERM");
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
