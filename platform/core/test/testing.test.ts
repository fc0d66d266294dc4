import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort, freePortRange } from "../src/testing/index.ts";

const REQUIREMENTS = fileURLToPath(new URL("./fixtures/ci-requirements.ts", import.meta.url));
const RESERVE = fileURLToPath(new URL("./fixtures/reserve-ports.ts", import.meta.url));
// A pool of its own, away from the default one other test files draw from meanwhile.
const POOL = { low: 19_200, high: 19_209 };

/** Another test process holding `count` ports of POOL; resolves with what it printed. */
async function holder(count: number): Promise<{ child: ChildProcess; ports: number[]; error?: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", RESERVE, String(count)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, RIIK_TEST_PORTS: `${POOL.low}-${POOL.high}` },
  });
  const [line] = (await once(child.stdout!.setEncoding("utf8"), "data")) as [string];
  return { child, ...JSON.parse(line) };
}

async function end(child: ChildProcess, signal?: NodeJS.Signals): Promise<void> {
  const exited = once(child, "exit");
  if (signal) child.kill(signal);
  else child.stdin!.end();
  await exited;
}

describe("test ports (@riik/core/testing)", () => {
  it("#22 freePort: outside the kernel's ephemeral range, so no listen(0) or outgoing connection takes it", async () => {
    const [first, last] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    assert.equal(new Set(ports).size, ports.length, "never the same port twice");
    for (const port of ports) assert.ok(port < first! || port > last!, `${port} is outside ${first}-${last}`);
    const base = await freePortRange(5);
    for (let port = base; port < base + 5; port++) assert.ok(!ports.includes(port), `${port} was handed out before`);
  });

  it("#22 freePort: a port another test process holds is not handed out until that process is gone", async () => {
    const a = await holder(6);
    const b = await holder(4);
    assert.equal(a.error, undefined);
    assert.equal(b.error, undefined);
    assert.deepEqual(
      [...a.ports, ...b.ports].sort(),
      Array.from({ length: 10 }, (_, i) => POOL.low + i),
      "two processes share the pool without overlap",
    );
    const c = await holder(1);
    assert.match(c.error ?? "", /no 1 consecutive free ports left in the test port pool 19200-19209/);
    await end(c.child);
    // Killed outright, a holder leaves its locks behind; the next process takes them over.
    await end(a.child, "SIGKILL");
    const d = await holder(6);
    assert.deepEqual([...d.ports].sort(), [...a.ports].sort());
    await Promise.all([end(b.child), end(d.child)]);
  });

  it("#22 no silent skips: a missing browser or PostgreSQL fails the run under CI=true, and is a visible skip elsewhere", async () => {
    const run = async (env: Record<string, string>) => {
      const { CI: _ci, ...inherited } = process.env;
      const child = spawn(process.execPath, ["--import", "tsx", REQUIREMENTS], {
        stdio: ["ignore", "pipe", "pipe"],
        // Port 1 on loopback: nothing answers there.
        env: { ...inherited, RIIK_TEST_DATABASE_URL: "postgres://postgres@127.0.0.1:1/test", ...env },
      });
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      await once(child, "exit");
      // The first line; node:test may report its after() hooks below it.
      return JSON.parse(out.split("\n")[0]!);
    };
    assert.deepEqual(await run({ CI: "true" }), { error: "required in CI: no browser at /nonexistent" });
    assert.deepEqual(await run({}), { skip: "no browser at /nonexistent", dialects: ["sqlite"] });
  });
});
