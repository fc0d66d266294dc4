// npm run bench -- state [persons] [seconds]
// 1. Seeds a fresh population register with PERSONS (default 1,300,000, Estonia) in a
//    process of its own, as `riik up` does: seeding time and that process's peak RSS.
// 2. Boots a whole state with `riik up` (2,000 persons; the lookups are indexed, so the
//    HTTP figures do not depend on the size), logs 50 people in to the portal through the
//    auth service (Web eID tokens made from their ID cards), and measures "My data" (GET /api/me: portal → ss-ria
//    → ss-sim → register, signed, logged and Data-Tracked) with 50 concurrent users, against
//    the population register called directly with the same persons and concurrency.
// Last line: portal "My data" req/s divided by the register's direct req/s.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortRange } from "@riik/core/testing";
import { type CardFile, issueCard, openTrustServices } from "@riik/pki";
import { loadPopulationRegister, PORT_COUNT, ProgressBar, type StateFile, seedInChildProcess } from "@riik/state";
import { Pool } from "undici";
import { Client } from "../apps/portal/test/client.ts";

process.env.RIIK_LOG_LEVEL ??= "warn";
const PERSONS = Number(process.argv[2] ?? 1_300_000);
const SECONDS = Number(process.argv[3] ?? 10);
const USERS = 50;
const STATE_PERSONS = 2_000;
const RIIK = fileURLToPath(new URL("../apps/cli/bin/riik.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "riik-bench-state-"));
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString("en-US")} MiB`;

async function startState(dataDir: string): Promise<{ child: ChildProcess; state: StateFile; ms: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      RIIK,
      "up",
      "--data",
      dataDir,
      "--persons",
      String(STATE_PERSONS),
      "--port-base",
      String(await freePortRange(PORT_COUNT)),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/^ready /m.test(output)) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`riik up exited with ${code}:\n${output}`));
    });
  });
  const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as StateFile;
  return { child, state, ms: performance.now() - started };
}

interface Load {
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `USERS` concurrent loops for `SECONDS`, each user asking for its own path with its own headers. */
async function load(
  origin: string,
  users: Array<{ path: string; headers: Record<string, string> }>,
  seconds = SECONDS,
): Promise<Load> {
  const pool = new Pool(origin, { connections: users.length, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    users.map(async (user) => {
      while (performance.now() < end) {
        const t = performance.now();
        const reply = await pool.request({ method: "GET", path: user.path, headers: user.headers });
        await reply.body.arrayBuffer();
        if (reply.statusCode === 200) latencies.push(performance.now() - t);
        else errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { requests: latencies.length, errors, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** Logs one card holder in to the portal through the auth service (the portal tests' one login helper). */
async function login(portal: string, cardFile: CardFile, pin1: string): Promise<string> {
  const client = new Client(portal, cardFile);
  const reply = await client.login(cardFile, pin1);
  if (reply.status !== 200) throw new Error(`login refused: ${reply.status} ${reply.refusal ?? reply.text}`);
  return `riik-portal=${client.jar.get("riik-portal")}`;
}

let up: ChildProcess | undefined;
try {
  // 1. Seeding, in its own process as `riik up` runs it.
  const bar = new ProgressBar(`seeding ${PERSONS.toLocaleString("en-US")} persons`);
  const seed = await seedInChildProcess({
    dataDir: join(root, "seed", "population-register"),
    persons: PERSONS,
    onProgress: (done, total) => bar.update(done, total),
  });
  rmSync(join(root, "seed"), { recursive: true, force: true });

  // 2. A whole state; 50 card holders logged in to the portal.
  const dataDir = join(root, "state");
  const boot = await startState(dataDir);
  up = boot.child;
  const { state } = boot;
  const portal = state.services.portal?.url;
  const registerUrl = state.services["population-register"]?.url;
  if (!portal || !registerUrl) throw new Error("the state has no portal or population register (not installed?)");
  const register = (await loadPopulationRegister())!;
  const persons = await register.demoPersons({ dataDir: join(dataDir, "population-register") }, USERS);
  const services = await openTrustServices(join(dataDir, "pki"));
  const cookies: string[] = [];
  try {
    for (const person of persons) {
      const card = await issueCard(services, { ...person, pin1: "1234", pin2: "12345", actor: "bench" });
      cookies.push(await login(portal, card, "1234"));
    }
  } finally {
    await services.close();
  }

  // 3. "My data" through the portal and X-Road, then the register directly, same persons;
  // a short warm-up first (connections, TLS sessions, OCSP answers, JIT).
  const myData = cookies.map((cookie) => ({ path: "/api/me", headers: { cookie } }));
  await load(portal, myData, 2);
  const viaPortal = await load(portal, myData);
  const direct = await load(
    registerUrl,
    persons.map((p) => ({ path: `/persons/${p.personalCode}`, headers: { accept: "application/json" } })),
  );

  const row = (name: string, l: Load) =>
    `| ${name.padEnd(52)} | ${Math.round(l.perSecond).toLocaleString("en-US").padStart(7)} | ${l.p50.toFixed(1).padStart(6)} ms | ${l.p99.toFixed(1).padStart(6)} ms | ${String(l.errors).padStart(6)} |`;
  console.log(`\nseeding ${PERSONS.toLocaleString("en-US")} persons (own process, SQLite)`);
  console.log(
    `  time       ${(seed.ms / 1000).toFixed(1)} s (${Math.round(PERSONS / (seed.ms / 1000)).toLocaleString("en-US")} persons/s)`,
  );
  console.log(`  peak RSS   ${mib(seed.maxRssBytes)}`);
  console.log(
    `\nriik up, first start with ${STATE_PERSONS.toLocaleString("en-US")} persons: ready in ${(boot.ms / 1000).toFixed(1)} s`,
  );
  console.log(`\n${USERS} concurrent logged-in users, ${SECONDS} s each:`);
  console.log(
    `| ${"path".padEnd(52)} | ${"req/s".padStart(7)} | ${"p50".padStart(9)} | ${"p99".padStart(9)} | errors |`,
  );
  console.log(row("portal GET /api/me → ss-ria → ss-sim → register", viaPortal));
  console.log(row("register GET /persons/{code} directly", direct));
  console.log(
    `ratio (portal "My data" req/s / register direct req/s): ${(viaPortal.perSecond / direct.perSecond).toFixed(3)}`,
  );
} finally {
  if (up && up.exitCode === null) {
    const exited = new Promise((resolve) => up!.once("exit", resolve));
    up.kill("SIGTERM");
    await exited;
  }
  rmSync(root, { recursive: true, force: true });
}
