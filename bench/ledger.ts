// npm run bench -- ledger
// Signatures per second through HTTP with many concurrent clients (rounds of 100 ms, the
// ledger in its own process on SQLite, one witness), against this machine's hashing
// limit measured in the same run. Last line: leaves aggregated per second divided by
// half the SHA-256 rate (an RFC 6962 tree costs about two hashes per leaf).
import { type ChildProcess, spawn } from "node:child_process";
import { hash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import {
  createWitnessService,
  formatSignature,
  generateSigner,
  type LedgerSignature,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  verifySignature,
  Witness,
} from "../platform/ledger/src/index.ts";

process.env.RIIK_LOG_LEVEL ??= "warn";
const ROUND_MS = 100;
const PHASE_MS = 6000;
const SINGLE_CLIENTS = 512;
const BATCH_CLIENTS = 64;
const BATCH_SIZE = 500;
const dir = mkdtempSync(join(tmpdir(), "riik-bench-ledger-"));

function hashRate(): number {
  const input = randomBytes(64);
  let count = 0;
  const end = performance.now() + 1500;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) hash("sha256", input, "buffer");
    count += 1000;
  }
  return count / 1.5;
}

async function startLedger(signerText: string, witnessUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "ledger.key"), `${signerText}\n`, { mode: 0o600 });
  const options = { dataDir: dir, origin: "riik.bench/ledger", roundMs: ROUND_MS, witnesses: [witnessUrl] };
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "platform/ledger/test/fixtures/ledger-process.ts", JSON.stringify(options)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  child.stdout!.setEncoding("utf8");
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve(JSON.parse(text.split("\n")[0]!).url);
    });
    child.once("exit", () => reject(new Error("ledger exited")));
  });
  return { child, url };
}

/** Runs `clients` concurrent loops of requests with `perRequest` hashes for `ms`; returns signatures per second. */
async function load(
  pool: Pool,
  clients: number,
  perRequest: number,
  ms: number,
): Promise<{ rate: number; sample?: LedgerSignature }> {
  let signatures = 0;
  let sample: LedgerSignature | undefined;
  const end = Date.now() + ms;
  const start = Date.now();
  const client = async () => {
    while (Date.now() < end) {
      const hashes = Array.from({ length: perRequest }, () => ({
        algorithm: "SHA-256",
        digest: randomBytes(32).toString("hex"),
      }));
      const response = await pool.request({
        path: "/v1/aggregate",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hashes }),
      });
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}: ${await response.body.text()}`);
      // One answer from the middle of the run, when rounds are full, is kept as the sample.
      if (!sample && Date.now() > start + ms / 2) {
        sample = ((await response.body.json()) as { signatures: LedgerSignature[] }).signatures[0];
      } else await response.body.dump();
      signatures += perRequest;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { rate: signatures / ((Date.now() - start) / 1000), ...(sample ? { sample } : {}) };
}

const logSigner = generateSigner("riik.bench/ledger", SIGNATURE_TYPE_ED25519);
const witness = await Witness.open({
  signer: generateSigner("riik.bench/witness", SIGNATURE_TYPE_COSIGNATURE_V1),
  logs: [logSigner.verifierKey],
  dataDir: join(dir, "witness"),
});
const witnessService = createWitnessService(witness);
const witnessUrl = await witnessService.app.listen({ port: 0, host: "127.0.0.1" });
const ledger = await startLedger(logSigner.privateText, witnessUrl);
const pool = new Pool(ledger.url, { connections: 512, pipelining: 1 });

try {
  const hashesPerSecond = hashRate();
  await load(pool, 16, 10, 1000); // warm-up
  const single = await load(pool, SINGLE_CLIENTS, 1, PHASE_MS);
  const batched = await load(pool, BATCH_CLIENTS, BATCH_SIZE, PHASE_MS);
  const sample = batched.sample!;
  const digest = Buffer.from(sample.hash.digest, "hex");
  const policy = {
    kind: "key",
    logKey: logSigner.verifierKey,
    witnesses: [witness.verifierKey],
    minWitnesses: 1,
  } as const;
  let verified = 0;
  const verifyEnd = performance.now() + 2000;
  while (performance.now() < verifyEnd) {
    verifySignature(sample, digest, policy);
    verified++;
  }
  const size = Buffer.byteLength(formatSignature(sample));
  const compact = Buffer.byteLength(JSON.stringify(sample));
  const leavesPerSecond = batched.rate;
  console.log(`machine: SHA-256 of 64-byte inputs            ${Math.round(hashesPerSecond).toLocaleString("en")} /s`);
  console.log(
    `ledger: signatures/s, ${SINGLE_CLIENTS} clients x 1 hash     ${Math.round(single.rate).toLocaleString("en")} /s (rounds of ${ROUND_MS} ms, SQLite, 1 witness)`,
  );
  console.log(
    `ledger: signatures/s, ${BATCH_CLIENTS} clients x ${BATCH_SIZE} hashes  ${Math.round(leavesPerSecond).toLocaleString("en")} /s`,
  );
  console.log(`verification (key + 1 witness), one core       ${Math.round(verified / 2).toLocaleString("en")} /s`);
  console.log(
    `signature size                                 ${size} bytes pretty JSON, ${compact} compact (aggregation path of ${sample.aggregation.path.length} hashes, 1 cosignature)`,
  );
  console.log("peers (published): Trillian ~1,200 entries/s on a laptop; Tessera ~3,000/s; KSI signatures 1-2.5 KB");
  console.log(
    `ratio: leaves aggregated/s ÷ (SHA-256 rate / 2) = ${Math.round(leavesPerSecond)} / ${Math.round(hashesPerSecond / 2)} = ${(leavesPerSecond / (hashesPerSecond / 2)).toFixed(3)}`,
  );
} finally {
  await pool.close();
  ledger.child.kill("SIGTERM");
  await new Promise((r) => ledger.child.once("exit", r));
  await witnessService.app.close();
  await witness.close();
  rmSync(dir, { recursive: true, force: true });
}
