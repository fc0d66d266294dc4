// npm run bench -- xroad [seconds] [concurrency]
// Client -> security server -> security server -> provider, against client -> provider
// directly: same provider, same payload, same concurrency, in one run. Full message
// logging (bodies stored, group-committed to SQLite), signatures and mTLS 1.3 on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { json, OTHER, PROVIDER_SUBSYSTEM, startSandbox } from "../platform/xroad/test/fixtures/sandbox.ts";

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
const payload = JSON.stringify({
  id: 1124,
  name: "Siddu",
  photoUrls: ["https://example.org/1.jpg"],
  tags: [{ id: 1, name: "cat" }],
  status: "available",
  note: "x".repeat(800),
});

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  /** What `probe` measured over the timed phase (after minus before). */
  probed: number[];
}

async function load(
  name: string,
  origin: string,
  path: string,
  headers: Record<string, string>,
  durationMs: number,
  probe: () => Promise<number[]> = async () => [],
): Promise<Result> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const body = Buffer.from(payload);
  const one = async () => {
    const started = performance.now();
    const reply = await pool.request({
      path,
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const text = await reply.body.text();
    if (reply.statusCode !== 200 || text.length !== body.length) {
      errors++;
      if (errors <= 3) console.error(`${name}: ${reply.statusCode} ${text.slice(0, 200)}`);
    }
    return performance.now() - started;
  };
  // Warm-up: connections, TLS sessions, OCSP caches, JIT.
  const warmUntil = performance.now() + Math.min(2000, durationMs / 4);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmUntil) await one();
    }),
  );
  const before = await probe();
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) latencies.push(await one());
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = await probe();
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    name,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: pick(0.5),
    p99: pick(0.99),
    probed: after.map((value, i) => value - before[i]!),
  };
}

const dir = mkdtempSync(join(tmpdir(), "riik-bench-xroad-"));
const sb = await startSandbox({
  dir,
  globalConfRefreshSeconds: 10,
  maxBodyBytes: 10 * 1024 * 1024,
  ...(process.env.RIIK_BENCH_PROFILE
    ? { ssNodeArgs: ["--cpu-prof", `--cpu-prof-dir=${process.env.RIIK_BENCH_PROFILE}`] }
    : {}),
});
try {
  const admin = (path: string, method: string, body: unknown) =>
    json(`${sb.ss1.admin}${path}`, { method, token: sb.ss1.token, body: JSON.stringify(body) });
  // The benchmark's information system: plain HTTP from loopback, full logging.
  await admin(`/api/v1/clients/${encodeURIComponent(OTHER)}`, "PATCH", { loggingMode: "full" });
  await json(`${sb.ss2.admin}/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services/echo/access`, {
    method: "POST",
    token: sb.ss2.token,
    body: JSON.stringify({ subject: OTHER }),
  });
  const durationMs = seconds * 1000;
  // CPU seconds each security server spent (prom-client's process counter): throughput on a
  // shared machine depends on what else runs; CPU per exchange does not.
  const cpuOf = async (admin: string) => {
    const text = await (await fetch(`${admin}/metrics`)).text();
    return Number(/^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
  };
  const cpu = () => Promise.all([cpuOf(sb.ss1.admin), cpuOf(sb.ss2.admin)]);
  console.log(
    `payload ${payload.length} bytes, concurrency ${concurrency}, ${seconds} s each, full logging + signatures + mTLS 1.3`,
  );
  const direct = await load("client -> provider (direct)", sb.providerUrl, "/echo", {}, durationMs);
  const xroad = await load(
    "client -> ss1 -> ss2 -> provider",
    sb.ss1.client,
    `/r1/${PROVIDER_SUBSYSTEM}/echo`,
    { "x-road-client": OTHER },
    durationMs,
    cpu,
  );
  for (const r of [xroad, direct])
    console.log(
      `${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.requests} requests, ${r.errors} errors)`,
    );
  const [ss1Cpu, ss2Cpu] = xroad.probed.map((seconds) => (seconds * 1e6) / xroad.requests);
  console.log(`CPU per exchange: ss1 ${ss1Cpu!.toFixed(0)} µs, ss2 ${ss2Cpu!.toFixed(0)} µs`);
  const logged = await json(`${sb.ss1.admin}/api/v1/messagelog/verify`, { token: sb.ss1.token });
  console.log(
    `ss1 message log: ${logged.records} records in ${logged.batches} anchored batches, ${logged.problems.length} problems`,
  );
  console.log(`ratio x-road/direct throughput: ${(xroad.rps / direct.rps).toFixed(2)}`);
} finally {
  await sb.stop();
  rmSync(dir, { recursive: true, force: true });
}
