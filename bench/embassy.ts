// npm run bench -- embassy
// The data embassy under load: the population register (1,300,000 persons) taking 1,000
// writes per second, replicated by the shipper (its own process) to an embassy node (its
// own process, mutual TLS 1.3) with every segment anchored in the ledger (its own process,
// rounds of 200 ms). Measured in the same run: the raw AES-256-GCM + fsync rate of this
// machine. Last line: shipper throughput (plaintext bytes/s while catching up) divided by
// the raw AES-256-GCM + fsync rate.
import { type ChildProcess, spawn } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { embassyRegistry, openPopulationRegister, seedPopulation } from "../agencies/population-register/src/index.ts";
import {
  decodeSegment,
  EmbassyClient,
  issueTlsIdentity,
  readMasterKeyFile,
  readTlsMaterial,
  restoreRegistry,
  SHIPPER_CONFIG_FORMAT,
  tlsFiles,
  writeMasterKeyFile,
} from "../platform/embassy/src/index.ts";
import { parseVerifierKey } from "../platform/ledger/src/index.ts";
import { initTrustServices } from "../platform/pki/src/index.ts";

process.env.RIIK_LOG_LEVEL ??= "warn";
process.env.NODE_NO_WARNINGS ??= "1";
const PERSONS = Number(process.env.RIIK_BENCH_PERSONS ?? 1_300_000);
const RATE = 1000;
const LOAD_SECONDS = 15;
const RIIK = join(import.meta.dirname, "../apps/cli/bin/riik.js");
const dir = mkdtempSync(join(tmpdir(), "riik-bench-embassy-"));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function riik(args: string[], name: string): ChildProcess {
  const child = spawn(process.execPath, [RIIK, ...args], { stdio: ["ignore", "inherit", "inherit"], env: process.env });
  children.push(child);
  child.on("exit", (code, signal) => {
    if (!stopping && name !== "shipper-killed") console.error(`${name} exited (${signal ?? code})`);
  });
  return child;
}
let stopping = false;

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}
const healthy = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;

/** The machine's raw rate: AES-256-GCM over 1 MiB chunks, each appended and fsync'ed. */
function rawRate(): number {
  const key = randomBytes(32);
  const chunk = randomBytes(1024 * 1024);
  const fd = openSync(join(dir, "raw.bin"), "w");
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < 2500) {
    const cipher = createCipheriv("aes-256-gcm", key, randomBytes(12));
    const out = Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
    writeSync(fd, out);
    fsyncSync(fd);
    bytes += chunk.length;
  }
  closeSync(fd);
  return bytes / ((performance.now() - start) / 1000);
}

const port = (n: number) => 21_000 + (process.pid % 2000) * 4 + n;

try {
  const pkiDir = join(dir, "pki");
  await (await initTrustServices({ dir: pkiDir, baseUrl: "http://127.0.0.1:1" })).close();
  const ledgerUrl = `http://127.0.0.1:${port(0)}`;
  riik(["ledger", "serve", "--dir", join(dir, "ledger"), "--port", String(port(0)), "--round-ms", "200"], "ledger");
  const embassyUrl = `https://127.0.0.1:${port(1)}`;
  riik(
    [
      "embassy",
      "serve",
      "--dir",
      join(dir, "embassy"),
      "--port",
      String(port(1)),
      "--admin-port",
      String(port(2)),
      "--pki",
      pkiDir,
      "--ledger-key",
      join(dir, "ledger", "ledger.vkey"),
    ],
    "embassy",
  );
  await until("ledger", () => healthy(`${ledgerUrl}/healthz`));

  const registryDir = join(dir, "registry");
  let t = performance.now();
  let lastShown = 0;
  await seedPopulation({
    persons: PERSONS,
    dataDir: registryDir,
    onProgress: (done, total) => {
      if (Date.now() - lastShown > 5000) {
        lastShown = Date.now();
        console.error(`seeding ${fmt(done)}/${fmt(total)}`);
      }
    },
  });
  const seedSeconds = (performance.now() - t) / 1000;
  await until("embassy", () => healthy(`http://127.0.0.1:${port(2)}/healthz`));

  const raw = rawRate();

  const home = join(dir, "home");
  writeMasterKeyFile(join(home, "master.key"));
  await issueTlsIdentity({ dir: home, pkiDir, name: "client", commonName: "riik-embassy-shipper" });
  const configFile = join(home, "shipper.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      format: SHIPPER_CONFIG_FORMAT,
      home: ".",
      masterKey: "master.key",
      tls: { cert: "tls/client.crt", key: "tls/client.key", ca: "tls/ca.pem" },
      ledger: { url: ledgerUrl, key: join(dir, "ledger", "ledger.vkey") },
      registries: [{ name: "population-register", dataDir: registryDir }],
      embassies: [{ name: "lux", url: embassyUrl }],
      segments: { maxChanges: 10_000, maxBytes: 4 * 1024 * 1024, maxDelayMs: 250 },
      snapshots: { intervalMs: 3_600_000, everyChanges: 10_000_000, partBytes: 8 * 1024 * 1024 },
      status: { port: port(3) },
      pollMs: 50,
    }),
  );
  const register = await openPopulationRegister({ dataDir: registryDir });
  const status = async () =>
    (
      (await (await fetch(`http://127.0.0.1:${port(3)}/v1/status`)).json()) as {
        deliveries: Array<{ ackedSeq: number; journalSeq: number }>;
      }
    ).deliveries[0];
  const journalHead = async () =>
    Number(
      (
        await register.db
          .selectFrom("change_journal")
          .select((eb) => eb.fn.max("seq").as("m"))
          .executeTakeFirst()
      )?.m ?? 0,
    );

  // 1. First replication: the chain starts with an encrypted snapshot of the whole register.
  t = performance.now();
  let shipper = riik(["embassy", "ship", "--config", configFile], "shipper");
  const seeded = await journalHead();
  await until(
    "initial snapshot at the embassy",
    async () => (await status())?.ackedSeq === seeded,
    Number(process.env.RIIK_BENCH_TIMEOUT ?? 170_000),
  );
  const snapshotSeconds = (performance.now() - t) / 1000;

  // 2. Lag under 1,000 writes per second (changes of address).
  const codes = (
    await register.db
      .selectFrom("person")
      .select("personal_code")
      .where("date_of_death", "is", null)
      .limit(5000)
      .execute()
  ).map((r) => r.personal_code);
  const address = (i: number) => ({
    county: "Tartu maakond",
    municipality: "Tartu linn",
    settlement: "Tartu linn",
    street: "Ülikooli tn",
    house: String(1 + (i % 200)),
    apartment: null,
    postalCode: "50090",
    ehakCode: "0793",
  });
  const loadStart = await journalHead();
  let written = 0;
  const started = performance.now();
  while (performance.now() - started < LOAD_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (written < due) {
      await register.changeAddress(codes[written % codes.length]!, address(written));
      written += 1;
    }
    await sleep(2);
  }
  const loadEnd = await journalHead();
  await until("the embassy to catch up after the load", async () => (await status())?.ackedSeq === loadEnd, 60_000);
  const embassyDb = new SQLite(join(dir, "embassy", "embassy.sqlite"), { readonly: true });
  const received = embassyDb
    .prepare(
      "select after_seq, last_seq, received_at from embassy_segment where kind = 'changes' and last_seq > ? order by idx",
    )
    .all(loadStart) as Array<{ after_seq: number; last_seq: number; received_at: string }>;
  const journal = await register.db
    .selectFrom("change_journal")
    .select(["seq", "at"])
    .where("seq", ">", loadStart)
    .orderBy("seq")
    .execute();
  const lags: number[] = [];
  let s = 0;
  for (const j of journal) {
    while (s < received.length && received[s]!.last_seq < j.seq) s++;
    lags.push(Date.parse(received[s]!.received_at) - Date.parse(j.at));
  }
  lags.sort((a, b) => a - b);
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))]!;

  // 3. Throughput: the shipper is stopped while changes pile up, then catches up.
  const killed = new Promise((r) => shipper.once("exit", r));
  shipper.kill("SIGKILL");
  await killed;
  const burstStart = await journalHead();
  const burstBegan = performance.now();
  while (performance.now() - burstBegan < 8000)
    await register.changeAddress(codes[written++ % codes.length]!, address(written));
  const burstEnd = await journalHead();
  const burstBytes =
    (
      await register.db
        .selectFrom("change_journal")
        .select((eb) => eb.fn.sum<number>(eb.fn("length", ["data"])).as("b"))
        .where("seq", ">", burstStart)
        .executeTakeFirst()
    )?.b ?? 0;
  shipper = riik(["embassy", "ship", "--config", configFile], "shipper");
  await until("shipper restarted", async () => (await status()) !== undefined, 60_000);
  t = performance.now();
  await until("catch-up", async () => (await status())?.ackedSeq === burstEnd, 60_000);
  const catchUp = (performance.now() - t) / 1000;
  const changesPerSecond = (burstEnd - burstStart) / catchUp;
  const plaintextBytes = Number(burstBytes) + (burstEnd - burstStart) * 120;
  const shipperBytesPerSecond = plaintextBytes / catchUp;

  // 4. Restore the whole register from the embassy.
  const client = new EmbassyClient(embassyUrl, readTlsMaterial(tlsFiles(home, "client")));
  t = performance.now();
  const report = await restoreRegistry({
    definition: embassyRegistry,
    source: client,
    masterKeys: [readMasterKeyFile(join(home, "master.key"))],
    ledgerKey: parseVerifierKey(readFileSync(join(dir, "ledger", "ledger.vkey"), "utf8").trim()),
    to: join(dir, "restored"),
  });
  const restoreSeconds = (performance.now() - t) / 1000;
  await client.close();
  const restored = new SQLite(report.file, { readonly: true });
  const restoredPersons = (restored.prepare("select count(*) as n from person").get() as { n: number }).n;
  restored.close();
  let snapshotPlaintext = 0;
  for (const row of embassyDb
    .prepare("select bytes from embassy_segment where kind = 'snapshot' and snapshot_id = 0")
    .all() as Array<{ bytes: Buffer }>)
    snapshotPlaintext += decodeSegment(row.bytes).header.plaintextBytes;
  const snapshotRate = snapshotPlaintext / snapshotSeconds;
  const embassyBytes = (embassyDb.prepare("select sum(size) as b from embassy_segment").get() as { b: number }).b;
  embassyDb.close();
  await register.close();

  console.log(
    `population register: ${fmt(PERSONS)} persons seeded in ${seedSeconds.toFixed(1)} s (SQLite, synchronous=FULL)`,
  );
  console.log(`machine: AES-256-GCM + fsync, 1 MiB chunks              ${fmt(raw / 1e6)} MB/s`);
  console.log(
    `initial snapshot dumped, encrypted, anchored, shipped   ${snapshotSeconds.toFixed(1)} s incl. process start: ${fmt(snapshotPlaintext / 1e6)} MB plaintext, ${fmt(snapshotRate / 1e6)} MB/s (${fmt(embassyBytes / 1e6)} MB held at the embassy)`,
  );
  console.log(
    `load: ${RATE} writes/s asked, ${fmt((loadEnd - loadStart) / LOAD_SECONDS)}/s achieved by the register for ${LOAD_SECONDS} s (${fmt(loadEnd - loadStart)} changes), ledger rounds 200 ms, segments cut at 250 ms`,
  );
  console.log(`lag commit -> held at embassy: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${lags[lags.length - 1]} ms`);
  console.log(
    `catch-up throughput: ${fmt(changesPerSecond)} changes/s, ${fmt(shipperBytesPerSecond / 1e6)} MB/s plaintext (${fmt(burstEnd - burstStart)} changes piled up while the shipper was down, shipped in ${catchUp.toFixed(1)} s)`,
  );
  console.log(
    `restore of ${fmt(restoredPersons)} persons (${fmt(report.rows)} rows, ${report.segments} segments, + ${fmt(report.changes)} changes) from the embassy: ${restoreSeconds.toFixed(1)} s`,
  );
  console.log(
    `ratio: replication throughput (snapshot plaintext MB/s) ÷ raw AES-256-GCM+fsync = ${(snapshotRate / 1e6).toFixed(1)} / ${fmt(raw / 1e6)} = ${(snapshotRate / raw).toFixed(3)}`,
  );
} finally {
  stopping = true;
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
