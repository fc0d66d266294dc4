// The continuity drill on a real state (finding #22.1): `riik up` boots every process, its
// supervisor's HTTP control API stops and starts the real population register, and
// `riik embassy drill --data DIR` destroys the register's file and restores it from the
// embassy. A person read through X-Road before and after must be the same.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { freePortRange, RIIK_BIN, temporaryDirectory } from "@riik/core/testing";
import { XRoadRestClient } from "@riik/kit";
import { parseVerifierKey } from "@riik/ledger";
import { PERSONS_SERVICE, PORT_COUNT, PORTAL_CLIENT, type StateFile } from "@riik/state";
import { Type } from "typebox";
import { poll } from "./fixtures/harness.ts";

const run = promisify(execFile);

/** Starts `riik up` and resolves when it prints its `ready` line (or rejects when it exits first). */
async function riikUp(dataDir: string): Promise<ChildProcess> {
  const portBase = await freePortRange(PORT_COUNT);
  const child = spawn(
    process.execPath,
    [RIIK_BIN, "up", "--data", dataDir, "--persons", "300", "--port-base", String(portBase)],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RIIK_LOG_LEVEL: "warn" } },
  );
  const exited = once(child, "exit");
  after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await exited;
  });
  let output = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      if (/^ready /m.test(output)) resolve();
    });
    void exited.then(([code]) =>
      reject(new Error(`riik up exited with ${code} before ready:\n${output.slice(-3000)}`)),
    );
  });
  return child;
}

/** A person as the portal reads them: through ss-ria → ss-sim → the register (PR-REST r1). */
async function personThroughXRoad(state: StateFile, code: string): Promise<{ status: number; body: unknown }> {
  const client = new XRoadRestClient({ securityServer: state.services["ss-ria"]!.url!, client: PORTAL_CLIENT });
  try {
    const answer = await client.call({
      service: PERSONS_SERVICE,
      path: `/persons/${code}`,
      answer: Type.Object({ personalCode: Type.Literal(code) }),
      userId: `EE${code}`,
      issue: "embassy drill test",
    });
    return { status: answer.status, body: answer.body };
  } finally {
    await client.close();
  }
}

describe("riik embassy drill on a state started by riik up", { timeout: 200_000 }, () => {
  it("finding #22.1: destroys the real population register, restores it from the embassy, X-Road answers the same", async () => {
    const dataDir = join(temporaryDirectory("riik-embassy-drill-up-"), "data");
    await riikUp(dataDir);
    const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as StateFile;
    const embassy = state.services.embassy;
    assert.ok(embassy?.status, "riik up runs the data embassy (services.embassy in state.json)");
    const demo = state.demoCards[0];
    assert.ok(demo, "riik up issues demo cards");

    // The embassy holds the whole register before the drill, so the recovery point is 0.
    await poll(
      async (signal: AbortSignal) => {
        const reply = await fetch(`${embassy.status}/v1/status`, { signal });
        const { deliveries } = (await reply.json()) as { deliveries: Array<{ ackedSeq: number; lagChanges: number }> };
        return deliveries.length === 1 && deliveries[0]!.ackedSeq > 0 && deliveries[0]!.lagChanges === 0;
      },
      { what: "the embassy to hold the register", timeoutMs: 90_000 },
    );
    const before = await personThroughXRoad(state, demo.personalCode);
    assert.equal(before.status, 200, JSON.stringify(before.body));
    const registerFile = join(dataDir, "population-register", "population_register.sqlite");
    const inodeBefore = statSync(registerFile).ino;

    const { stdout, stderr } = await run(process.execPath, [RIIK_BIN, "embassy", "drill", "--data", dataDir], {
      env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
    });
    const report = JSON.parse(stdout);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.registry, "population-register");
    assert.equal(report.embassy, "lux");
    assert.equal(report.recoveryPointChanges, 0);
    assert.equal(report.embassySeq, report.homeSeq);
    assert.equal(report.restore.lastSeq, report.homeSeq);
    // The anchor is the state's own ledger key, named in the shipper's configuration.
    assert.equal(
      report.trustAnchor.ledgerKey,
      parseVerifierKey(readFileSync(state.services.ledger!.vkey!, "utf8").trim()).name,
    );
    assert.equal(report.trustAnchor.config, embassy.config);
    assert.match(stderr, /^drill: destroying population_register /m);
    assert.match(stderr, new RegExp(`^drill: recovery point ${report.homeSeq - report.embassySeq} changes`, "m"));
    // Every probe riik up lists for the drill (X-Road, register, Data Tracker) answered the same.
    assert.equal(report.checks.length, 1 + (state.drill?.checks.length ?? 0) + 1, "registry and ledger health too");
    assert.ok(
      report.checks.every((c: { ok: boolean; after: string }) => c.ok && c.after.startsWith("200 ")),
      JSON.stringify(report.checks),
    );
    // The register's file is a new one: it really was destroyed and rebuilt.
    assert.notEqual(statSync(registerFile).ino, inodeBefore);
    assert.equal(statSync(registerFile).mode & 0o777, 0o600);

    const afterDrill = await personThroughXRoad(state, demo.personalCode);
    assert.equal(afterDrill.status, 200, JSON.stringify(afterDrill.body));
    assert.deepEqual(afterDrill.body, before.body);

    // The restored register takes a change, and the shipper continues the same chain with it.
    const moved = await fetch(`${state.services["population-register"]!.url}/persons/${demo.personalCode}/address`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        county: "Tartu maakond",
        municipality: "Tartu linn",
        settlement: "Tartu linn",
        street: "Ülikooli tn",
        house: "18",
        apartment: null,
        postalCode: "50090",
        ehakCode: "0793",
      }),
      signal: AbortSignal.timeout(15_000),
    });
    assert.equal(moved.status, 200, await moved.text());
    await poll(
      async (signal) => {
        const reply = await fetch(`${embassy.status}/v1/status`, { signal });
        const [d] = ((await reply.json()) as { deliveries: Array<{ ackedSeq: number; lastError: string | null }> })
          .deliveries;
        return d !== undefined && d.ackedSeq > report.homeSeq && d.lastError === null;
      },
      { what: "the embassy to hold the change made after the restore", timeoutMs: 60_000 },
    );
  });
});
