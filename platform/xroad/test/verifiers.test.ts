// #10 The offline verifiers take their trust from an explicit anchor (--trust, or --data DIR:
// the global configuration of a running state), never from the file verified. Everything runs
// against real processes (fixtures/sandbox.ts), with a real forgery from an attacker's own
// trust services.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { temporaryDirectory } from "@riik/core/testing";
import { checkOcsp, ocspUrlOf, requestTimeStamp } from "@riik/pki";
import { Agent, request } from "undici";
import { signBytes } from "../src/crypto/keys.ts";
import { verifyEvidence } from "../src/evidence/evidence.ts";
import { trustAnchorFromFiles } from "../src/evidence/trust.ts";
import { verifyUsageProof } from "../src/evidence/usage-proof.ts";
import { batchRoot, hashOfStatement } from "../src/messagelog/batch.ts";
import { BATCH_FORMAT, recordHash } from "../src/messagelog/log.ts";
import { bodyHash, signingInput } from "../src/protocol/message.ts";
import {
  CONSUMER,
  DATATRACKER,
  freePort,
  PERSONS,
  PROVIDER_SUBSYSTEM,
  type Proc,
  READER,
  riik,
  type Sandbox,
  SS1,
  start,
  startSandbox,
  waitFor,
} from "./fixtures/sandbox.ts";

const RIIK = join(import.meta.dirname, "../../../apps/cli/bin/riik.js");
const JAAN = "EE38001085718";
const dir = temporaryDirectory("riik-xroad-verifiers-");
let sb: Sandbox;
let is: Agent;
let attacker: { pki: string; url: string; proc: Proc };

before(async () => {
  sb = await startSandbox({ dir, ledger: true, dataTracker: true });
  is = new Agent({ connect: { cert: sb.isCert.cert, key: sb.isCert.key, rejectUnauthorized: false } });
  // The attacker's own trust services: a root, a server CA, OCSP and a TSA of its own.
  const port = await freePort();
  const pki = join(dir, "attacker-pki");
  const url = `http://127.0.0.1:${port}`;
  riik(["pki", "init", "--dir", pki, "--url", url]);
  const proc = start([RIIK, "pki", "serve", "--dir", pki, "--port", String(port), "--ocsp-validity", "600"]);
  sb.processes.push(proc);
  await waitFor(`${url}/healthz`, proc);
  attacker = { pki, url, proc };
});
after(async () => {
  await is?.close();
  await sb?.stop();
});

/** The real CLI: exit status, stdout, stderr. */
function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [RIIK, ...args], {
    encoding: "utf8",
    env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const realTrust = () => ["--trust", join(sb.pkiDir, "ca/root.crt"), "--trust", join(sb.dir, "ledger/ledger.vkey")];
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64");
const der = (pemFile: string) => b64(new X509Certificate(readFileSync(pemFile)).raw);

/** An exchange through both security servers; its evidence as `riik ss evidence` writes it. */
async function evidenceOfAnExchange(): Promise<{ file: string; evidence: any }> {
  const id = randomUUID();
  const reply = await request(`${sb.ss1.clientTls}/r1/${PROVIDER_SUBSYSTEM}/echo`, {
    method: "POST",
    headers: { "x-road-client": CONSUMER, "x-road-id": id },
    body: "signed and logged",
    dispatcher: is,
  });
  assert.equal(reply.statusCode, 200, await reply.body.text());
  const file = join(sb.dir, `evidence-${id}.json`);
  assert.equal(cli("ss", "evidence", "--config", sb.ss1.config, "--query-id", id, "--out", file).status, 0);
  return { file, evidence: JSON.parse(readFileSync(file, "utf8")) };
}

/**
 * The attacker's forgery of `real`: the answer changed, both signatures made with a signing
 * certificate of the attacker's server CA, an OCSP answer and a batch time-stamp from the
 * attacker's services, and the attacker's root, CA and TSA embedded where the real ones were.
 */
async function forge(real: any): Promise<any> {
  const ssDir = join(dir, `attacker-ss-${randomUUID()}`);
  mkdirSync(ssDir);
  riik([
    ...["ss", "init", "--dir", ssDir, "--pki", attacker.pki, "--anchor", join(sb.centralDir, "anchor.json")],
    ...["--id", SS1, "--name", "Ministry of Examples"],
  ]);
  const key = createPrivateKey(readFileSync(join(ssDir, "keys/sign.key.pem")));
  const signer = new x509.X509Certificate(readFileSync(join(ssDir, "sign.crt"), "utf8"));
  const serverCa = new x509.X509Certificate(readFileSync(join(attacker.pki, "ca/server.crt"), "utf8"));
  const ocsp = await checkOcsp(signer, serverCa, ocspUrlOf(signer)!);
  const record = structuredClone(real.messages[0].record);
  const answer = Buffer.from("a forged answer");
  record.responseBody = b64(answer);
  record.responseBodyHash = bodyHash(answer);
  record.requestSigner = record.responseSigner = b64(new Uint8Array(signer.rawData));
  record.requestSignature = b64(signBytes(key, signingInput(record.requestHead, record.requestBodyHash)));
  record.responseSignature = b64(signBytes(key, signingInput(record.responseHead, record.responseBodyHash)));
  record.peerOcsp = b64(ocsp.response);
  record.recordHash = recordHash({
    ...record,
    requestBody: record.requestBody ? Buffer.from(record.requestBody, "base64") : null,
    responseBody: answer,
    peerOcsp: ocsp.response,
  });
  const statement = {
    format: BATCH_FORMAT,
    server: real.server,
    batch: 1,
    firstId: 1,
    lastId: 1,
    count: 1,
    root: batchRoot([record.recordHash]),
    previous: "0".repeat(64),
    createdAt: new Date().toISOString(),
  };
  const { token: tsaToken } = await requestTimeStamp(`${attacker.url}/tsa`, hashOfStatement(statement), "SHA-256");
  return {
    ...real,
    messages: [{ record, batch: { statement, index: 0, proof: [], tsaToken: b64(tsaToken), ledger: null } }],
    certificates: {
      serverCas: [der(join(attacker.pki, "ca/server.crt"))],
      roots: [der(join(attacker.pki, "ca/root.crt"))],
      tsa: [der(join(attacker.pki, "ca/tsa.crt"))],
      ledger: null,
    },
  };
}

describe("#10 riik xroad verify-evidence: trust from an explicit anchor, never from the evidence", () => {
  it("VALID against --trust (root, ledger key) and against --data DIR, each anchor named", async () => {
    const { file } = await evidenceOfAnExchange();
    const trusted = cli("xroad", "verify-evidence", file, ...realTrust());
    assert.equal(trusted.status, 0, trusted.stdout + trusted.stderr);
    assert.match(trusted.stderr, /^trust anchor: .*ca\/root\.crt, .*ledger\.vkey$/m);
    assert.match(trusted.stdout, /response signature verifies/);
    assert.match(trusted.stdout, /batch statement in integrity ledger round \d+ \(key policy\)/);
    assert.match(trusted.stdout, /^VALID: evidence verified$/m);
    const state = cli("xroad", "verify-evidence", file, "--data", sb.dir);
    assert.equal(state.status, 0, state.stdout + state.stderr);
    assert.match(
      state.stderr,
      /^trust anchor: global configuration version \d+ of instance EE from http:\/\/127\.0\.0\.1:\d+\/globalconf, verified with .*central\/anchor\.json$/m,
    );
  });

  it("without an anchor: refused with VERIFY_NO_TRUST_ANCHOR, exit 3, nothing checked", async () => {
    const { file } = await evidenceOfAnExchange();
    const refused = cli("xroad", "verify-evidence", file);
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: no trust anchor to verify the evidence against/m);
    assert.equal(refused.stdout, "");
  });

  it("an evidence file whose embedded roots are an attacker's self-made CA is INVALID against the real anchor", async () => {
    const { evidence } = await evidenceOfAnExchange();
    const forged = await forge(evidence);
    // Consistent under the attacker's own root: what the verifier accepted when it trusted the embedded roots.
    const underOwnRoot = await verifyEvidence(forged, trustAnchorFromFiles([join(attacker.pki, "ca/root.crt")]));
    assert.deepEqual(underOwnRoot.problems, []);
    const file = join(sb.dir, "forged-evidence.json");
    writeFileSync(file, JSON.stringify(forged));
    const judged = cli("xroad", "verify-evidence", file, ...realTrust());
    assert.equal(judged.status, 1, judged.stdout + judged.stderr);
    assert.match(judged.stdout, /FAIL server CA .* does not chain to the trust anchor/);
    assert.match(judged.stdout, /FAIL .*the response signer is not certified by a server CA/);
    assert.match(judged.stdout, /FAIL .*time-stamp token is not signed by a trusted TSA/);
    assert.match(judged.stderr, /^riik: XROAD_EVIDENCE_INVALID: INVALID/m);
    assert.doesNotMatch(judged.stdout, /VALID: evidence verified/);
    const state = cli("xroad", "verify-evidence", file, "--data", sb.dir);
    assert.equal(state.status, 1, state.stdout + state.stderr);
    assert.equal(cli("xroad", "verify-evidence", file).status, 3);
  });
});

describe("#10 riik xroad verify-usage-proof: the Data Tracker proof a person downloads", () => {
  let proof: any;
  const proofFile = join(dir, "usage-proof.json");

  before(async () => {
    const reply = await request(`${sb.ss1.clientTls}/r1/${PERSONS}/persons/${JAAN}`, {
      headers: { "x-road-client": CONSUMER, "x-road-userid": "EE60001019906", "x-road-issue": "verify-usage-proof" },
      dispatcher: is,
    });
    assert.equal(reply.statusCode, 200, await reply.body.text());
    const anchored = cli("ss", "anchor", "--config", sb.ss2.config);
    assert.equal(anchored.status, 0, anchored.stderr);
    // The portal's data tracker subsystem asks, as the portal does (usage.ts).
    const read = async (path: string) => {
      const answer = await request(`${sb.ss1.client}/r1/${DATATRACKER}${path}`, {
        headers: { "x-road-client": READER, "x-road-userid": JAAN },
      });
      const text = await answer.body.text();
      assert.equal(answer.statusCode, 200, text);
      return JSON.parse(text);
    };
    const { usages } = await read(`/v2/findUsage?userCode=${JAAN}&limit=1`);
    assert.equal(usages[0].action, "verify-usage-proof");
    proof = await read(usages[0].riik.proof);
    writeFileSync(proofFile, JSON.stringify(proof));
  });

  it("a real proof is VALID against --trust and --data; the function gives the portal its anchoring", async () => {
    const trusted = cli("xroad", "verify-usage-proof", proofFile, ...realTrust());
    assert.equal(trusted.status, 0, trusted.stdout + trusted.stderr);
    assert.match(trusted.stdout, /matches its record hash/);
    assert.match(trusted.stdout, /included in batch \d+ of \d+ records/);
    assert.match(trusted.stdout, /time-stamped at/);
    assert.match(trusted.stdout, /integrity ledger round \d+ \(key policy\)/);
    assert.match(trusted.stdout, /^VALID: the use is anchored$/m);
    assert.match(trusted.stderr, /^trust anchor: .*ca\/root\.crt/m);
    const state = cli("xroad", "verify-usage-proof", proofFile, "--data", sb.dir);
    assert.equal(state.status, 0, state.stdout + state.stderr);
    const check = await verifyUsageProof(proof, trustAnchorFromFiles(realTrust().filter((a) => a !== "--trust")));
    assert.equal(check.ok, true, check.problems.join("\n"));
    assert.ok(check.timestampedAt instanceof Date);
    assert.ok(Number.isInteger(check.ledgerRound));
  });

  it("without an anchor: VERIFY_NO_TRUST_ANCHOR, exit 3", () => {
    const refused = cli("xroad", "verify-usage-proof", proofFile);
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: no trust anchor to verify the proof against/m);
  });

  it("a tampered use, a wrong audit path, a foreign TSA: INVALID (exit 1); a malformed file is XROAD_EVIDENCE_INVALID", async () => {
    const judge = (changed: any, expected: RegExp) => {
      const file = join(dir, `tampered-${randomUUID()}.json`);
      writeFileSync(file, JSON.stringify(changed));
      const result = cli("xroad", "verify-usage-proof", file, ...realTrust());
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stdout + result.stderr, expected);
      assert.match(result.stderr, /^riik: XROAD_EVIDENCE_INVALID: /m);
    };
    judge({ ...proof, use: { ...proof.use, purpose: "nothing to see" } }, /FAIL the use record was changed/);
    judge(
      { ...proof, batch: { ...proof.batch, index: proof.batch.index + 1 } },
      /FAIL the use is not included in the batch/,
    );
    // The attacker time-stamps the statement itself and ships its own TSA certificate.
    const { token } = await requestTimeStamp(`${attacker.url}/tsa`, hashOfStatement(proof.batch.statement), "SHA-256");
    judge(
      {
        ...proof,
        batch: { ...proof.batch, tsaToken: b64(token) },
        certificates: { ...proof.certificates, tsa: [der(join(attacker.pki, "ca/tsa.crt"))] },
      },
      /FAIL the time-stamp token is not signed by a trusted TSA/,
    );
    judge({ ...proof, batch: { ...proof.batch, proof: "not a list" } }, /not a riik-datatracker-proof\/1 document/);
  });
});
