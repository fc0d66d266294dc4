// npm run bench -- flood
// A 2007-style flood on one riik service (issue #18). A child process runs createHttpService
// with a normal route and a critical one (each ~1 ms of CPU and 2 ms of waiting, like a
// lookup); its capacity is measured first, then FLOOD_FACTOR × its capacity in concurrent
// clients floods the normal route from loopback, bounded in time and count, while a few
// clients call the critical route. Prints the critical calls' success rate and p99 with and
// without the flood, the shed count (and that every shed answer had Retry-After), and last
// the headline ratio: critical p99 under flood ÷ without.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";

const MAX_IN_FLIGHT = 32;
const MAX_QUEUED = 32;
const RESERVED = 8;

interface Calls {
  ok: number;
  shed: number;
  shedWithRetryAfter: number;
  failed: number;
  latencies: number[];
}

/** CLIENTS callers, each calling PATH again as soon as answered, until STOP() or MAX calls in all. */
async function callers(
  url: string,
  clients: number,
  stop: () => boolean,
  { max = Number.POSITIVE_INFINITY, agent = new Agent({ connections: clients, pipelining: 1 }) } = {},
) {
  const calls: Calls = { ok: 0, shed: 0, shedWithRetryAfter: 0, failed: 0, latencies: [] };
  let sent = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stop() && sent++ < max) {
        const started = performance.now();
        try {
          const reply = await request(url, { dispatcher: agent });
          const body = (await reply.body.json()) as { code?: string };
          if (reply.statusCode === 200) {
            calls.ok++;
            calls.latencies.push(performance.now() - started);
          } else if (reply.statusCode === 503 && body.code === "OVERLOADED") {
            calls.shed++;
            if (Number(reply.headers["retry-after"]) > 0) calls.shedWithRetryAfter++;
          } else calls.failed++;
        } catch {
          calls.failed++;
        }
      }
    }),
  );
  calls.latencies.sort((a, b) => a - b);
  return calls;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
const rate = (c: Calls) => (c.ok + c.shed + c.failed === 0 ? 0 : c.ok / (c.ok + c.shed + c.failed));
const ms = (v: number) => `${v.toFixed(1)} ms`;

async function main() {
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
  const FLOOD_FACTOR = 10;
  const CRITICAL_CLIENTS = 4;
  const child = spawn(
    process.execPath,
    ["--import", "reflect-metadata", "--import", "tsx", "bench/flood.ts", "--serve"],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
    },
  );
  process.on("exit", () => child.kill("SIGKILL"));
  const [first] = (await once(child.stdout, "data")) as [Buffer];
  const base = first.toString("utf8").trim();
  let crashed = false;
  child.on("exit", () => {
    crashed = true;
  });
  const forSeconds = (s: number) => {
    const end = performance.now() + s * 1000;
    return () => performance.now() >= end;
  };

  // Capacity: the normal route at its own bound of requests in flight (warm-up first).
  await callers(`${base}/work`, MAX_IN_FLIGHT - RESERVED, forSeconds(1));
  const capacity = await callers(`${base}/work`, MAX_IN_FLIGHT - RESERVED, forSeconds(SECONDS));
  const capacityPerSecond = capacity.ok / SECONDS;
  console.log(
    `capacity of /work (${MAX_IN_FLIGHT - RESERVED} clients = its share of ${MAX_IN_FLIGHT} in flight): ${capacityPerSecond.toFixed(0)} /s, p99 ${ms(quantile(capacity.latencies, 0.99))}`,
  );

  // The emergency service's callers keep their connections open, as a pool does.
  const criticalAgent = new Agent({ connections: CRITICAL_CLIENTS, pipelining: 1 });
  const quiet = await callers(`${base}/lookup`, CRITICAL_CLIENTS, forSeconds(SECONDS), { agent: criticalAgent });
  console.log(
    `critical /lookup, no flood (${CRITICAL_CLIENTS} clients):  success ${(rate(quiet) * 100).toFixed(2)} %, p50 ${ms(quantile(quiet.latencies, 0.5))}, p99 ${ms(quantile(quiet.latencies, 0.99))}`,
  );

  // The flood: 10 × the capacity (slots in flight and waiting) in concurrent clients that
  // ignore Retry-After, bounded in time and in count (100 × what the service serves meanwhile).
  const floodClients = FLOOD_FACTOR * (MAX_IN_FLIGHT + MAX_QUEUED);
  const floodMax = Math.ceil(100 * capacityPerSecond * SECONDS);
  let flooding = true;
  const flood = callers(`${base}/work`, floodClients, () => !flooding, { max: floodMax });
  await sleep(500);
  const underFlood = await callers(`${base}/lookup`, CRITICAL_CLIENTS, forSeconds(SECONDS), {
    agent: criticalAgent,
  });
  flooding = false;
  const flooded = await flood;
  const offered = flooded.ok + flooded.shed + flooded.failed;
  console.log(
    `flood of /work (${floodClients} clients ignoring Retry-After): ${offered} requests, ${flooded.ok} served, ${flooded.shed} shed (503 OVERLOADED), ${flooded.failed} failed otherwise`,
  );
  console.log(
    `shed answers with Retry-After: ${flooded.shedWithRetryAfter} of ${flooded.shed}${flooded.shedWithRetryAfter === flooded.shed ? " (all)" : " (NOT all)"}`,
  );
  console.log(
    `critical /lookup, under flood (${CRITICAL_CLIENTS} clients): success ${(rate(underFlood) * 100).toFixed(2)} %, p50 ${ms(quantile(underFlood.latencies, 0.5))}, p99 ${ms(quantile(underFlood.latencies, 0.99))}, ${underFlood.shed} shed, ${underFlood.failed} failed`,
  );

  const exposition = await (await fetch(`${base}/metrics`)).text();
  const counted = [...exposition.matchAll(/^riik_http_shed_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  // Every slot is back once the flood is over (none leaked by shed or aborted requests).
  const inFlight = /^riik_http_in_flight\{[^}]*\} (\d+)/m.exec(exposition)?.[1];
  const after = await request(`${base}/work`);
  await after.body.dump();
  console.log(
    `after the flood: /work answers ${after.statusCode}; the service counted ${counted} shed and has ${inFlight} in flight; process ${crashed ? "CRASHED" : "alive"}`,
  );
  child.kill("SIGTERM");
  const p99Quiet = quantile(quiet.latencies, 0.99);
  const p99Flood = quantile(underFlood.latencies, 0.99);
  console.log(
    `ratio critical p99 under a ${FLOOD_FACTOR}× flood / without: ${ms(p99Flood)} / ${ms(p99Quiet)} = ${(p99Flood / p99Quiet).toFixed(2)} (critical success ${(rate(underFlood) * 100).toFixed(2)} %)`,
  );
}

async function serve() {
  const { createHttpService } = await import("@riik/core");
  const { app } = createHttpService({
    name: "flood-bench",
    load: { maxInFlight: MAX_IN_FLIGHT, reservedForCritical: RESERVED, maxQueued: MAX_QUEUED },
  });
  // About a millisecond of CPU and two of waiting (a database round trip): a typical lookup.
  const work = async () => {
    await sleep(2);
    let digest = Buffer.alloc(32);
    for (let i = 0; i < 1500; i++) digest = createHash("sha256").update(digest).digest();
    return { digest: digest.toString("hex") };
  };
  app.get("/work", work);
  app.get("/lookup", { config: { priority: "critical" } }, work);
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  process.stdout.write(`${address}\n`);
}

if (process.argv[2] === "--serve") await serve();
else await main();
