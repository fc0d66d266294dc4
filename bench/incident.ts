// npm run bench -- incident
// The 2017 drill in small: BENCH_CERTS valid certificates (default 20,000; the issue's scale is
// 760,000), half with RSALib's fingerprint, issued by the trust services; `riik pki serve`
// answers OCSP under a closed-loop load before and while `declareIncident` suspends the weak
// half. Prints certificates suspended per second and OCSP responses per second during the
// mass suspension against before it (the last line).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as x509 from "@peculiar/x509";
import { generatePersonalCode } from "@riik/core";
import { freePort } from "@riik/core/testing";
import { personName } from "../platform/pki/src/ca/names.ts";
import { buildOcspRequest, initTrustServices, verifyOcspResponse } from "../platform/pki/src/index.ts";
import { bodyPool, closedLoop } from "./lib/closed-loop.ts";

const CERTS = Number(process.env.BENCH_CERTS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 16;
const ISSUING_AT_ONCE = 32;

const dir = mkdtempSync(join(tmpdir(), "riik-bench-incident-"));
let server: ReturnType<typeof spawn> | undefined;
process.on("exit", () => {
  if (server?.pid) spawnSync("pkill", ["-KILL", "-P", String(server.pid)]);
  server?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

// RSA public keys of the published ROCA vectors (crocs-muni/roca): three weak moduli, four sound ones.
const vectors = JSON.parse(readFileSync("platform/pki/test/vectors/roca.json", "utf8")) as {
  moduli: Array<{ modulus: string; fingerprinted: boolean }>;
};
const importModulus = (hex: string) =>
  crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n: Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url"), e: "AQAB" },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["verify"],
  );
const usable = vectors.moduli.filter((m) => m.modulus.length > 2 + 256); // RSA ≥ 1024 bits
const weak = await Promise.all(usable.filter((m) => m.fingerprinted).map((m) => importModulus(m.modulus.slice(2))));
const sound = await Promise.all(usable.filter((m) => !m.fingerprinted).map((m) => importModulus(m.modulus.slice(2))));

const port = await freePort();
const services = await initTrustServices({ dir, baseUrl: `http://127.0.0.1:${port}` });
const esteid = services.cas.esteid;
console.log(`seeding ${CERTS.toLocaleString("en-US")} certificates (half weak) …`);
const seedStarted = performance.now();
const weakCertificates: x509.X509Certificate[] = [];
for (let i = 0; i < CERTS; i += ISSUING_AT_ONCE) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(ISSUING_AT_ONCE, CERTS - i) }, (_, j) => {
      const n = i + j;
      const personalCode = generatePersonalCode("1975-01-01", n % 2 ? "male" : "female", (n % 999) + 1);
      const keys = n % 2 === 0 ? weak : sound;
      return esteid.issue({
        purpose: "id-authentication",
        subject: personName({ personalCode, givenName: "BENCH", surname: `H${n}` }),
        publicKey: keys[n % keys.length]!,
        validityDays: 365,
        personalCode,
        actor: "bench",
      });
    }),
  );
  for (const [j, certificate] of batch.entries()) if ((i + j) % 2 === 0) weakCertificates.push(certificate);
}
const seedSeconds = (performance.now() - seedStarted) / 1000;
const issuer = esteid.certificate;
await services.close();

server = spawn(process.execPath, ["apps/cli/bin/riik.js", "pki", "serve", "--dir", dir, "--port", String(port)], {
  stdio: ["ignore", "ignore", "inherit"],
});
const ocspUrl = `http://127.0.0.1:${port}/ocsp`;
const sample = weakCertificates.slice(0, 200);
const requests = bodyPool((i) => buildOcspRequest(sample[i % sample.length]!, issuer, randomBytes(16)));
for (let tries = 0; ; tries++) {
  const ok = await fetch(ocspUrl, {
    method: "POST",
    headers: { "content-type": "application/ocsp-request" },
    body: requests() as BodyInit,
  })
    .then((r) => r.ok)
    .catch(() => false);
  if (ok) break;
  if (tries > 300) throw new Error("riik pki serve did not answer");
  await new Promise((r) => setTimeout(r, 50));
}

const statusOf = async (certificate: x509.X509Certificate) => {
  const nonce = randomBytes(16);
  const reply = await fetch(ocspUrl, {
    method: "POST",
    headers: { "content-type": "application/ocsp-request" },
    body: buildOcspRequest(certificate, issuer, nonce) as BodyInit,
  });
  return (await verifyOcspResponse(new Uint8Array(await reply.arrayBuffer()), certificate, issuer, { nonce })).status;
};
if ((await statusOf(sample[0]!)).status !== "good")
  throw new Error("a weak certificate is not good before the incident");

const before = await closedLoop(ocspUrl, requests, "application/ocsp-request", {
  concurrency: CONCURRENCY,
  seconds: SECONDS,
});

// The operator declares the incident from another process (`riik pki incident declare`), as in
// a real drill: run in this one, the synchronous SQLite sweep would also stall the load generator.
const declaring = new Promise<{ seconds: number; output: string }>((resolve, reject) => {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "apps/cli/bin/riik.js",
      ...["pki", "incident", "declare", "--dir", dir, "--id", "bench-roca", "--title", "Weak RSALib keys", "--roca"],
      ...["--renew-by", new Date(Date.now() + 30 * 86_400_000).toISOString()],
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.once("exit", (code) =>
    code === 0
      ? resolve({ seconds: (performance.now() - started) / 1000, output })
      : reject(new Error(`riik pki incident declare exited ${code}`)),
  );
});
const during = await closedLoop(ocspUrl, requests, "application/ocsp-request", {
  concurrency: CONCURRENCY,
  until: declaring,
});
const suspension = await declaring;
const after = await statusOf(sample.at(-1)!);
if (after.status !== "revoked" || after.reason !== 6 /* certificateHold, RFC 5280 5.3.1 */)
  throw new Error(`a weak certificate answers ${JSON.stringify(after)} after the incident`);
const affected = Number(/: (\d+) of (\d+) valid certificates suspended/.exec(suspension.output)?.[1]);
if (affected !== weakCertificates.length)
  throw new Error(`suspended ${affected}, expected ${weakCertificates.length}: ${suspension.output}`);

const n = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
console.log(`seeded ${n(CERTS)} certificates in ${seedSeconds.toFixed(1)} s (${n(CERTS / seedSeconds)} issued/s)`);
console.log(
  `incident: ${n(affected)} suspended in ${suspension.seconds.toFixed(1)} s by riik pki incident declare, its start included (${n(affected / suspension.seconds)} suspended/s, SQLite)`,
);
console.log(
  `OCSP before:  ${n(before.perSecond)} responses/s  p50 ${before.p50.toFixed(1)} ms  p99 ${before.p99.toFixed(1)} ms (${CONCURRENCY} clients, nonce in every request)`,
);
console.log(
  `OCSP during:  ${n(during.perSecond)} responses/s  p50 ${during.p50.toFixed(1)} ms  p99 ${during.p99.toFixed(1)} ms (${n(during.requests)} answers while suspending)`,
);
console.log(
  `ratio OCSP responses/s during the mass suspension / before: ${(during.perSecond / before.perSecond).toFixed(2)}`,
);
process.exit(0);
