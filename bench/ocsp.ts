// npm run bench -- ocsp
// OCSP answers per second from riik's responder and from `openssl ocsp -index` serving
// the same certificates with the same responder key, side by side; then time-stamps per
// second against the raw signing rate of the TSA key. Everything on loopback.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { generatePersonalCode } from "@riik/core";
import { freePort } from "@riik/core/testing";
import {
  buildOcspRequest,
  buildTimeStampRequest,
  initTrustServices,
  issueCard,
  verifyOcspResponse,
} from "../platform/pki/src/index.ts";
import { bodyPool, closedLoop } from "./lib/closed-loop.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 32;
const CARDS = 100;

const dir = mkdtempSync(join(tmpdir(), "riik-bench-ocsp-"));
const children: ChildProcess[] = [];
process.on("exit", () => {
  // openssl -multi and riik --workers fork: their children go first, then they.
  for (const child of children) {
    if (child.pid) spawnSync("pkill", ["-KILL", "-P", String(child.pid)]);
    child.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
});

const ourPort = await freePort();
const services = await initTrustServices({ dir, baseUrl: `http://127.0.0.1:${ourPort}` });
const certificates: x509.X509Certificate[] = [];
for (let i = 0; i < CARDS; i++) {
  const card = await issueCard(services, {
    personalCode: generatePersonalCode("1980-01-08", "male", i + 1),
    givenName: "Jaan",
    surname: "Tamm",
    pin1: "1234",
    pin2: "12345",
  });
  certificates.push(new x509.X509Certificate(card.authentication.certificate));
}
const issuer = services.cas.esteid.certificate;
await services.close();

// The same certificates in OpenSSL's index format: V <expiry> <revocation> <serial> unknown <subject>
const opensslTime = (d: Date) => `${d.toISOString().replace(/[-:T]/g, "").slice(2, 14)}Z`;
writeFileSync(
  join(dir, "index.txt"),
  certificates
    .map((c) => `V\t${opensslTime(c.notAfter)}\t\t${c.serialNumber.toUpperCase()}\tunknown\t/CN=bench\n`)
    .join(""),
);
// Several certificates share a subject (a card has two), which OpenSSL's index refuses unless told.
writeFileSync(join(dir, "index.txt.attr"), "unique_subject = no\n");
const passphrase = readFileSync(join(dir, "keys", "passphrase"), "utf8").trim();

function startServer(name: string, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  child.once("exit", (code, signal) => {
    if (signal !== "SIGKILL" && signal !== "SIGTERM") console.error(`${name} exited early (${code}): ${stderr}`);
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, body: Uint8Array): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const reply = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/ocsp-request" },
        body: body as BodyInit,
      });
      if (reply.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer`);
}

const load = (url: string, makeBody: () => Uint8Array, contentType: string, seconds = SECONDS) =>
  closedLoop(url, makeBody, contentType, { concurrency: CONCURRENCY, seconds });
const pool = bodyPool;
const withNonce = pool((i) => buildOcspRequest(certificates[i % CARDS]!, issuer, randomBytes(16)));
const withoutNonce = pool((i) => buildOcspRequest(certificates[i % CARDS]!, issuer));

const riik = `http://127.0.0.1:${ourPort}/ocsp`;
// Both servers get one process per core: openssl -multi N, riik pki serve --workers N.
const multi = Math.max(1, cpus().length);
startServer("riik pki serve", process.execPath, [
  "apps/cli/bin/riik.js",
  "pki",
  "serve",
  "--dir",
  dir,
  "--port",
  String(ourPort),
  "--workers",
  String(multi),
]);
const opensslPort = await freePort();
const openssl = `http://127.0.0.1:${opensslPort}/`;
startServer("openssl ocsp", "openssl", [
  "ocsp",
  "-index",
  join(dir, "index.txt"),
  "-port",
  String(opensslPort),
  "-rsigner",
  join(dir, "ca", "ocsp.crt"),
  "-rkey",
  join(dir, "keys", "ocsp.key.pem"),
  "-passin",
  `pass:${passphrase}`,
  "-CA",
  join(dir, "ca", "esteid.crt"),
  "-nmin",
  "5",
  "-multi",
  String(multi),
  "-ignore_err",
]);
await waitFor(riik, withNonce());
await waitFor(openssl, withNonce());

// Both answer correctly for the same certificate before anything is timed.
for (const url of [riik, openssl]) {
  const nonce = randomBytes(16);
  const reply = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/ocsp-request" },
    body: buildOcspRequest(certificates[0]!, issuer, nonce) as BodyInit,
  });
  const checked = await verifyOcspResponse(new Uint8Array(await reply.arrayBuffer()), certificates[0]!, issuer, {
    nonce,
  });
  if (checked.status.status !== "good") throw new Error(`${url} does not answer good`);
}

console.log(
  `OCSP, ${CARDS} certificates, ${CONCURRENCY} concurrent clients, ${SECONDS} s each, ECDSA P-384 responder key, ${cpus().length} cores`,
);
const ours = await load(riik, withNonce, "application/ocsp-request");
console.log(
  `riik pki serve --workers ${multi}, nonce in every request: ${ours.perSecond.toFixed(0)} responses/s  p50 ${ours.p50.toFixed(1)} ms  p99 ${ours.p99.toFixed(1)} ms`,
);
const theirs = await load(openssl, withNonce, "application/ocsp-request");
console.log(
  `openssl ocsp -multi ${multi}, nonce in every request:    ${theirs.perSecond.toFixed(0)} responses/s  p50 ${theirs.p50.toFixed(1)} ms  p99 ${theirs.p99.toFixed(1)} ms`,
);
const cached = await load(riik, withoutNonce, "application/ocsp-request");
console.log(
  `riik responder, no nonce (pre-signed answers, RFC 5019): ${cached.perSecond.toFixed(0)} responses/s  p99 ${cached.p99.toFixed(1)} ms`,
);

// Time-stamps against the raw signing rate of the TSA key (one core, node:crypto).
const tsaKey = createPrivateKey({ key: readFileSync(join(dir, "keys", "tsa.key.pem")), passphrase });
const digest = randomBytes(48);
let signatures = 0;
const rawDeadline = performance.now() + 3000;
while (performance.now() < rawDeadline) {
  sign("sha384", digest, tsaKey);
  signatures++;
}
const rawRate = signatures / 3;
const tsq = pool(() => buildTimeStampRequest(randomBytes(32), "SHA-256", { nonce: randomBytes(8), certReq: true }));
const stamps = await load(`http://127.0.0.1:${ourPort}/tsa`, tsq, "application/timestamp-query", 5);
console.log(`raw ECDSA P-384 signing, one core:                    ${rawRate.toFixed(0)} signatures/s`);
console.log(
  `time-stamps through HTTP:                             ${stamps.perSecond.toFixed(0)} tokens/s  p99 ${stamps.p99.toFixed(1)} ms (${(stamps.perSecond / rawRate).toFixed(2)} of one core's raw signing rate)`,
);
console.log(
  `ratio ours/openssl (OCSP responses per second, nonce in every request): ${(ours.perSecond / theirs.perSecond).toFixed(2)}`,
);
process.exit(0);
