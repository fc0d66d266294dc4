import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { createHttpService, LoadGate, loadLimits, RiikError } from "../src/index.ts";

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { code?: string; message?: string };
}

/** One request on its own connection (no pool: a flood is many clients). */
function call(base: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers["retry-after"] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Answer["body"],
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Waits (by turns of the event loop, not by a clock) until CONDITION holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A service whose /slow route holds its slot until the test opens the gate. */
async function floodable() {
  const { app, gate, metrics } = createHttpService({
    name: "flood-demo",
    load: { maxInFlight: 8, reservedForCritical: 2, maxQueued: 4, maxEventLoopDelayMs: 0 },
  });
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  app.get("/slow", async () => {
    await opened;
    return { ok: true };
  });
  app.get("/lookup", { config: { priority: "critical" } }, async () => ({ ok: true }));
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, gate, metrics, open, base: address };
}

describe("load shedding: a real flood on loopback", () => {
  it("answers exactly the excess 503 OVERLOADED with Retry-After, keeps critical routes and probes, and recovers", async () => {
    const { app, gate, metrics, open, base } = await floodable();
    try {
      // 6 normal slots (8 less 2 reserved) + 4 waiting = 10 held; of 40, 30 are excess.
      const answers: Answer[] = [];
      const flood = Array.from({ length: 40 }, () => call(base, "/slow").then((a) => answers.push(a)));
      await until(() => answers.length === 30 && gate.inFlight === 6 && gate.queued === 4);
      assert.ok(answers.every((a) => a.status === 503 && a.retryAfter === "2" && a.body.code === "OVERLOADED"));
      assert.match(answers[0]?.body.message ?? "", /overloaded.*retry after 2 s/);

      // During the flood: the critical route has its reserved share, the probes answer.
      for (let i = 0; i < 3; i++) assert.equal((await call(base, "/lookup")).status, 200);
      assert.equal((await call(base, "/healthz")).status, 200);
      const exposition = await (await fetch(`${base}/metrics`)).text();
      assert.match(
        exposition,
        /riik_http_shed_total\{route="\/slow",class="normal",reason="capacity",service="flood-demo"\} 30/,
      );
      assert.match(exposition, /riik_http_in_flight\{service="flood-demo"\} 6/);

      open();
      await Promise.all(flood);
      assert.equal(answers.filter((a) => a.status === 200).length, 10);
      assert.equal(answers.filter((a) => a.status === 503).length, 30);
      await until(() => gate.inFlight === 0 && gate.queued === 0);
      const after = await Promise.all(Array.from({ length: 12 }, () => call(base, "/slow")));
      assert.deepEqual(
        after.map((a) => a.status),
        Array(12).fill(200),
      );
      assert.ok((await metrics.getSingleMetricAsString("riik_http_shed_total")).includes("} 30"));
    } finally {
      open();
      await app.close();
    }
  });

  it("sheds unmatched routes too: a flood of 404s cannot take the slots", async () => {
    const { app, gate, open, base } = await floodable();
    try {
      const held = Array.from({ length: 10 }, () => call(base, "/slow"));
      await until(() => gate.inFlight === 6 && gate.queued === 4);
      const missing = await call(base, "/no-such-route");
      assert.equal(missing.status, 503);
      assert.equal(missing.body.code, "OVERLOADED");
      open();
      assert.ok((await Promise.all(held)).every((a) => a.status === 200));
      assert.equal((await call(base, "/no-such-route")).body.code, "ROUTE_NOT_FOUND");
    } finally {
      open();
      await app.close();
    }
  });
});

describe("LoadGate", () => {
  const limits = (own: Parameters<typeof loadLimits>[0]) => loadLimits(own, {});

  it("lets critical waiters in before normal ones, and normal ones never into the reserved slots", async () => {
    const gate = new LoadGate(limits({ maxInFlight: 3, reservedForCritical: 1, maxQueued: 5 }));
    assert.equal(await gate.admit("normal"), true);
    assert.equal(await gate.admit("normal"), true);
    const order: string[] = [];
    const normal = gate.admit("normal").then((ok) => order.push(`normal:${ok}`));
    assert.equal(await gate.admit("critical"), true, "the reserved slot");
    const critical = gate.admit("critical").then((ok) => order.push(`critical:${ok}`));
    assert.equal(gate.queued, 2);
    gate.release();
    await critical;
    assert.deepEqual(order, ["critical:true"]);
    gate.release();
    gate.release();
    await normal;
    assert.deepEqual(order, ["critical:true", "normal:true"]);
    assert.equal(gate.inFlight, 2);
  });

  it("sheds a full queue at once, a waiter whose client left, and a wait beyond the queue timeout", async () => {
    const gate = new LoadGate(limits({ maxInFlight: 1, reservedForCritical: 0, maxQueued: 2, queueTimeoutMs: 20 }));
    assert.equal(await gate.admit("normal"), true);
    let left = false;
    const leaving = gate.admit("normal", () => left);
    const staying = gate.admit("normal");
    assert.equal(await gate.admit("normal"), false, "the queue is full");
    left = true;
    gate.release();
    assert.equal(await leaving, false);
    assert.equal(await staying, true);
    // The holder never releases: the waiter gives up after the queue timeout.
    const fresh = new LoadGate(limits({ maxInFlight: 1, reservedForCritical: 0, queueTimeoutMs: 20 }));
    await fresh.admit("normal");
    assert.equal(await fresh.admit("normal"), false);
    assert.equal(fresh.queued, 0);
  });

  it("reads limits from the environment under a service's own and refuses nonsense", () => {
    const fromEnv = loadLimits({ maxQueued: 7 }, { RIIK_MAX_IN_FLIGHT: "50", RIIK_MAX_QUEUED: "9" });
    assert.equal(fromEnv.maxInFlight, 50);
    assert.equal(fromEnv.reservedForCritical, 10);
    assert.equal(fromEnv.maxQueued, 7);
    assert.equal(loadLimits({}, {}).maxInFlight, 512);
    for (const bad of ["-1", "1.5", "many"])
      assert.throws(
        () => loadLimits({}, { RIIK_MAX_IN_FLIGHT: bad }),
        (error: unknown) => error instanceof RiikError && error.code === "LOAD_LIMIT_INVALID",
      );
  });
});
