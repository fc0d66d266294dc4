// Data Tracker end to end: a personal-data service behind the provider's security server,
// the usage protocol (v2, v3 draft) served by that server, hidden uses, anchoring.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runRiik, temporaryDirectory } from "@riik/core/testing";
import SQLite from "better-sqlite3";
import { Agent, request } from "undici";
import { batchRootFromProof } from "../src/messagelog/batch.ts";
import { recordHash } from "../src/messagelog/log.ts";
import {
  assertFault,
  CONSUMER,
  DATATRACKER,
  json,
  OTHER,
  PERSONS,
  PROVIDER_SUBSYSTEM,
  READER,
  rawGet,
  readReply,
  type Sandbox,
  startSandbox,
} from "./fixtures/sandbox.ts";

const JAAN = "EE38001085718";
const MARI = "EE49403136515";
let sb: Sandbox;
let is: Agent;
const dir = temporaryDirectory("riik-datatracker-");

before(async () => {
  sb = await startSandbox({ dir, ledger: true, dataTracker: true });
  is = new Agent({ connect: { cert: sb.isCert.cert, key: sb.isCert.key, rejectUnauthorized: false } });
});
after(async () => {
  await is?.close();
  await sb?.stop();
});

/** Calls SS1 as CONSUMER (HTTPS, its certificate), or as another client over plain HTTP. */
async function call(path: string, headers: Record<string, string> = {}, as = CONSUMER) {
  const plain = as !== CONSUMER;
  const reply = await request(`${plain ? sb.ss1.client : sb.ss1.clientTls}${path}`, {
    headers: { "x-road-client": as, ...headers },
    ...(plain ? {} : { dispatcher: is }),
  });
  return readReply(reply);
}

const personal = (purpose: string, extra: Record<string, string> = {}) => ({
  "x-road-userid": "EE60001019906",
  "x-road-issue": purpose,
  ...extra,
});

/** The portal's data tracker subsystem reads the provider's usage protocol through X-Road. */
const usage = (path: string, userId = JAAN, as = READER) =>
  call(`/r1/${DATATRACKER}${path}`, { "x-road-userid": userId }, as);

const admin = (ss: Sandbox["ss1"], path: string, method = "GET") =>
  json(`${ss.admin}${path}`, { method, token: ss.token });

describe("Data Tracker on the provider's security server", () => {
  it("declares the personal-data service", async () => {
    const services = await admin(sb.ss2, `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`);
    assert.deepEqual(services.find((s: { serviceCode: string }) => s.serviceCode === "persons").personalData, {
      subjectsHeader: "x-riik-data-subjects",
      subjectPathParam: "code",
      subjectPathPattern: "/persons/{code}",
    });
  });

  it("refuses a request without purpose or user: Client.InvalidRequest", async () => {
    assertFault(await call(`/r1/${PERSONS}/persons/38001085718`), "Client.InvalidRequest");
    assertFault(
      await call(`/r1/${PERSONS}/persons/38001085718`, { "x-road-issue": "case 1" }),
      "Client.InvalidRequest",
    );
    assertFault(
      await call(`/r1/${PERSONS}/persons/38001085718`, { "x-road-userid": "EE60001019906" }),
      "Client.InvalidRequest",
    );
  });

  it("fails closed when the provider does not say whose data it returns; nothing leaks, nothing recorded", async () => {
    const id = randomUUID();
    const reply = await call(`/r1/${PERSONS}/persons?leak=1`, personal("leak test", { "x-road-id": id }));
    assertFault(reply, "Server.ServerProxy.ServiceFailed");
    assert.doesNotMatch(reply.text, /Jaan|Maasikas/);
    assert.deepEqual(await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${id}`), []);
  });

  it("#10 error answers of a personal-data service pass through unchanged; the attempted use is recorded", async () => {
    // 404 for a person not in the register (an e-resident on "My data", an unknown code at the police).
    const unknown = randomUUID();
    const notFound = await call(`/r1/${PERSONS}/persons/39901010005`, personal("lookup", { "x-road-id": unknown }));
    assert.equal(notFound.status, 404, notFound.text);
    assert.equal(notFound.headers["x-road-error"], undefined);
    assert.match(notFound.headers["content-type"]!, /^application\/json/);
    assert.deepEqual(notFound.json(), { code: "PERSON_NOT_FOUND", message: "no person 39901010005" });
    const [attempt, ...more] = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${unknown}`);
    assert.equal(attempt.subject, "EE39901010005");
    assert.equal(attempt.purpose, "lookup");
    assert.deepEqual(more, []);
    // A path that names no valid person: the error passes, nobody is recorded.
    const typo = randomUUID();
    const badCode = await call(`/r1/${PERSONS}/persons/not-a-code`, personal("lookup", { "x-road-id": typo }));
    assert.equal(badCode.status, 404, badCode.text);
    assert.equal(badCode.json().code, "PERSON_NOT_FOUND");
    assert.deepEqual(await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${typo}`), []);
    // A search that fails: status, body and content type as the provider sent them.
    const failed = randomUUID();
    const offline = await call(`/r1/${PERSONS}/persons?broken=1`, personal("search", { "x-road-id": failed }));
    assert.equal(offline.status, 503);
    assert.equal(offline.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(offline.text, "register offline");
    assert.equal(offline.headers["x-road-error"], undefined);
    assert.deepEqual(await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${failed}`), []);
    // A successful answer that names nobody still fails closed (the test above); the service serves on.
    assert.equal((await call(`/r1/${PERSONS}/persons/38001085718`, personal("still serving"))).status, 200);
  });

  it("records one use per person per exchange and strips the subjects header", async () => {
    const one = randomUUID();
    const byPath = await call(`/r1/${PERSONS}/persons/38001085718`, personal("Kohtuasi 1-23", { "x-road-id": one }));
    assert.equal(byPath.status, 200, byPath.text);
    const [use] = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${one}`);
    assert.equal(use.subject, JAAN);
    assert.equal(use.clientId, CONSUMER);
    assert.equal(use.userId, "EE60001019906");
    assert.equal(use.purpose, "Kohtuasi 1-23");
    assert.equal(use.serviceId, PERSONS);
    assert.equal(use.queryId, one);

    const two = randomUUID();
    const search = await call(`/r1/${PERSONS}/persons?name=a`, personal("search", { "x-road-id": two }));
    assert.equal(search.status, 200, search.text);
    assert.equal(search.headers["x-riik-data-subjects"], undefined);
    const uses = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${two}`);
    assert.deepEqual(uses.map((u: { subject: string }) => u.subject).sort(), [JAAN, MARI]);

    const nobody = randomUUID();
    assert.equal(
      (await call(`/r1/${PERSONS}/persons?nobody=1`, personal("search", { "x-road-id": nobody }))).status,
      200,
    );
    assert.deepEqual(await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${nobody}`), []);
  });

  it("v2 findUsage: exact fields, newest first, offset/limit and period", async () => {
    for (const purpose of ["first", "second", "third"])
      assert.equal((await call(`/r1/${PERSONS}/persons/49403136515`, personal(purpose))).status, 200);
    const all = await usage(`/v2/findUsage?userCode=${MARI}&offset=0&limit=50`, MARI);
    assert.equal(all.status, 200, all.text);
    const body = all.json();
    assert.deepEqual(Object.keys(body), ["totalUsages", "usages"]);
    assert.equal(body.totalUsages, 4); // the search above, then three by path
    const [newest] = body.usages;
    assert.deepEqual(Object.keys(newest), [
      "logtime",
      "action",
      "receiverCode",
      "receiverName",
      "receiverSystem",
      "riik",
    ]);
    assert.match(newest.logtime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(newest.action, "third");
    assert.equal(newest.receiverCode, "70000001");
    assert.equal(newest.receiverName, "Ministry of Examples");
    assert.equal(newest.receiverSystem, "consumer");
    assert.equal(newest.riik.service, PERSONS);
    assert.equal(newest.riik.userId, "EE60001019906");

    const page1 = (await usage(`/v2/findUsage?userCode=${MARI}&offset=0&limit=2`, MARI)).json();
    const page2 = (await usage(`/v2/findUsage?userCode=${MARI}&offset=2&limit=2`, MARI)).json();
    assert.equal(page1.totalUsages, 4);
    assert.deepEqual(
      [...page1.usages, ...page2.usages].map((u: { action: string }) => u.action),
      ["third", "second", "first", "search"],
    );
    const future = (await usage(`/findUsage?userCode=${MARI}&periodStart=2999-01-01T00:00:00`, MARI)).json();
    assert.deepEqual(future, { totalUsages: 0, usages: [] });
    const past = (await usage(`/v2/findUsage?userCode=${MARI}&periodEnd=2000-01-01T00:00:00Z`, MARI)).json();
    assert.equal(past.totalUsages, 0);
    const bad = await usage(`/v2/findUsage?userCode=${MARI}&periodStart=yesterday`, MARI);
    assert.equal(bad.status, 400);
    assert.equal(bad.json().code, "INVALID_PARAMETER");
  });

  it("v2 usagePeriod and heartbeat", async () => {
    const period = (await usage("/v2/usagePeriod")).json();
    assert.deepEqual(Object.keys(period), ["periodStart"]);
    assert.match(period.periodStart, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual((await usage("/v2/heartbeat")).json(), { status: "OK", message: "API is ready" });
    assert.equal((await usage("/v3/heartbeat")).json().status, "OK");
  });

  it("v3 findUsage: DATA_RESPONSE records whose queryId links to the consumer side's message log", async () => {
    const id = randomUUID();
    assert.equal(
      (
        await call(
          `/r1/${PERSONS}/persons/49403136515`,
          personal("v3", {
            "x-road-id": id,
            "x-road-pdu-legal-basis": "Rahvastikuregistri%20seadus%20%C2%A746",
            "x-road-pdu-initiator-person-name": "Ametnik%20Kask",
          }),
        )
      ).status,
      200,
    );
    const reply = await usage(`/v3/findUsage?userCode=${MARI}&limit=1`, MARI);
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json();
    assert.equal(body.totalUsages, 5);
    assert.equal(body.returnedUsages, 1);
    assert.deepEqual(body.dataRequests, []);
    const [use] = body.dataResponses;
    assert.equal(use.queryId, id);
    assert.equal(use.purpose, "v3");
    assert.equal(use.legalBasis, "Rahvastikuregistri seadus §46");
    assert.deepEqual(use.initiatorPerson, { name: "Ametnik Kask" });
    assert.deepEqual(use.initiatorOrg, {
      type: "GOV",
      code: "70000001",
      name: "Ministry of Examples",
      systemName: "consumer",
    });
    assert.equal(use.target.name, "Registry Company");
    assert.equal(use.bulkProcessing, false);
    assert.equal(use.hiddenUntil, undefined);
    const consumerSide = await admin(sb.ss1, `/api/v1/messages?queryId=${use.queryId}`);
    assert.equal(consumerSide.length, 1);
    assert.equal(consumerSide[0].side, "client");
    assert.equal(consumerSide[0].serviceId, PERSONS);
    const only = (await usage(`/v3/findUsage?userCode=${MARI}&processingType=DATA_REQUEST`, MARI)).json();
    assert.equal(only.dataResponses, null);
    assert.equal((await usage(`/v3/findUsage?userCode=${MARI}&limit=0`, MARI)).status, 400);
  });

  it("only granted readers: Server.ServerProxy.AccessDenied for others", async () => {
    assertFault(await usage(`/v2/findUsage?userCode=${JAAN}`, JAAN, CONSUMER), "Server.ServerProxy.AccessDenied");
    assertFault(await usage(`/v2/heartbeat`, JAAN, OTHER), "Server.ServerProxy.AccessDenied");
  });

  it("#22 timing: hidden uses refused without the right, absent before their date, shown after it; never lost (no sleep)", async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    assertFault(
      await call(
        `/r1/${PERSONS}/persons/38001085718`,
        personal("surveillance", { "x-riik-hidden-until": tomorrow, "x-riik-hidden-reason": "JäTS §15" }),
        OTHER,
      ),
      "Client.AccessDenied",
    );
    const hidden = await call(
      `/r1/${PERSONS}/persons/38001085718`,
      personal("surveillance", {
        "x-riik-hidden-until": tomorrow,
        "x-riik-hidden-reason": "J%C3%A4litustegevuse%20seadus%20%C2%A715",
      }),
    );
    assert.equal(hidden.status, 200, hidden.text);
    // Hidden until a date already past: shown at once. The moment a date passes is the
    // store's clock, tested with an injected clock in storage.test.ts, not waited out here.
    const passed = new Date(Date.now() - 60_000).toISOString();
    const shortly = randomUUID();
    assert.equal(
      (
        await call(
          `/r1/${PERSONS}/persons/38001085718`,
          personal("short investigation", {
            "x-road-id": shortly,
            "x-riik-hidden-until": passed,
            "x-riik-hidden-reason": "KrMS §126",
          }),
        )
      ).status,
      200,
    );
    const purposes = async () =>
      (await usage(`/v3/findUsage?userCode=${JAAN}`)).json().dataResponses.map((u: { purpose: string }) => u.purpose);
    assert.ok(!(await purposes()).includes("surveillance"));
    const operator = await admin(
      sb.ss2,
      `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/datatracker/hidden`,
    );
    assert.ok(
      operator.some((u: { purpose: string; hiddenReason: string }) => u.hiddenReason === "Jälitustegevuse seadus §15"),
    );
    const after = (await usage(`/v3/findUsage?userCode=${JAAN}`)).json().dataResponses;
    const shown = after.find((u: { queryId: string }) => u.queryId === shortly);
    assert.equal(shown.hiddenReason, "KrMS §126");
    assert.equal(shown.hiddenUntil, `${passed.slice(0, 19)}Z`);
    assert.ok(!after.some((u: { purpose: string }) => u.purpose === "surveillance"));
  });

  it("uses are anchored (TSA and ledger), each with a proof; a changed stored use fails log-verify", async () => {
    await admin(sb.ss2, "/api/v1/messagelog/anchor", "POST");
    const [use] = (await usage(`/v2/findUsage?userCode=${JAAN}&limit=1`)).json().usages;
    assert.equal(use.riik.anchor.timestamped, true);
    assert.equal(use.riik.anchor.ledger, true);
    const proof = (await usage(use.riik.proof)).json();
    assert.equal(proof.format, "riik-datatracker-proof/1");
    assert.equal(proof.use.recordHash, use.riik.recordHash);
    const root = batchRootFromProof(
      proof.use.recordHash,
      proof.batch.index,
      proof.batch.statement.count,
      proof.batch.proof,
    );
    assert.equal(root, proof.batch.statement.root);
    assert.ok(proof.batch.ledger);

    const clean = await admin(sb.ss2, "/api/v1/messagelog/verify");
    assert.deepEqual(clean.problems, []);
    assert.ok(clean.dataUses.records >= 8);
    const database = new SQLite(join(sb.ss2.dir, "data/xroad_ss.sqlite"));
    database.prepare("update data_use set purpose = 'nothing to see' where id = ?").run(use.riik.id);
    const tampered = await admin(sb.ss2, "/api/v1/messagelog/verify");
    assert.match(tampered.problems.join("\n"), new RegExp(`data_use record ${use.riik.id} was changed`));
    database.prepare("update data_use set purpose = ? where id = ?").run(use.action, use.riik.id);
    database.close();
    assert.deepEqual((await admin(sb.ss2, "/api/v1/messagelog/verify")).problems, []);
  });

  // #12 X-Road-Represented-Party (PR-THIRDPARTY) in the Data Tracker.
  /** A parent (the user) acting for their child JAAN, as the portal calls when a parent switches to "acting for". */
  const parent = "EE60001019906";
  const actingFor = (purpose: string, id: string, party = JAAN) =>
    personal(purpose, { "x-road-id": id, "x-road-represented-party": party });

  it("#12 the represented person's data: their protocol shows the use as data subject, made for them", async () => {
    const id = randomUUID();
    const reply = await call(`/r1/${PERSONS}/persons/38001085718`, actingFor("Lapse andmed", id));
    assert.equal(reply.status, 200, reply.text);
    const uses = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${id}`);
    assert.deepEqual(
      uses.map((u: { subject: string; representedParty: string; subjectRole: string | null }) => [
        u.subject,
        u.representedParty,
        u.subjectRole,
      ]),
      [[JAAN, JAAN, null]],
    );
    const v2 = (await usage(`/v2/findUsage?userCode=${JAAN}&limit=50`)).json().usages;
    const shown = v2.find((u: { riik: { queryId: string } }) => u.riik.queryId === id);
    assert.equal(shown.action, "Lapse andmed");
    assert.equal(shown.riik.userId, parent);
    assert.deepEqual(shown.riik.representedParty, { partyCode: JAAN });
    assert.equal(shown.riik.subjectRole, "DATA_SUBJECT");
  });

  it("#12 another person's data read for the represented person: in both protocols, REPRESENTED in the represented one's", async () => {
    const id = randomUUID();
    const reply = await call(`/r1/${PERSONS}/persons/49403136515`, actingFor("Pereliikme andmed", id));
    assert.equal(reply.status, 200, reply.text);
    const uses = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${id}`);
    assert.deepEqual(
      uses.map((u: { subject: string; subjectRole: string | null }) => [u.subject, u.subjectRole]),
      [
        [MARI, null],
        [JAAN, "REPRESENTED"],
      ],
    );
    const v3 = (await usage(`/v3/findUsage?userCode=${JAAN}&limit=100`)).json().dataResponses;
    const forJaan = v3.find((u: { queryId: string }) => u.queryId === id);
    assert.equal(forJaan.riik.subjectRole, "REPRESENTED");
    assert.deepEqual(forJaan.riik.representedParty, { partyCode: JAAN });
    assert.deepEqual(forJaan.initiatorPerson, { code: parent });
    const forMari = (await usage(`/v2/findUsage?userCode=${MARI}&limit=100`, MARI)).json().usages;
    assert.equal(
      forMari.find((u: { riik: { queryId: string } }) => u.riik.queryId === id).riik.subjectRole,
      "DATA_SUBJECT",
    );
    // An organisation represented: recorded on the use, nobody else's protocol gains a row.
    const company = randomUUID();
    const forCompany = await call(
      `/r1/${PERSONS}/persons/49403136515`,
      actingFor("Juhatuse liige", company, "COM/10000002"),
    );
    assert.equal(forCompany.status, 200, forCompany.text);
    const companyUses = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${company}`);
    assert.deepEqual(
      companyUses.map((u: { subject: string; representedParty: string }) => [u.subject, u.representedParty]),
      [[MARI, "COM/10000002"]],
    );
  });

  it("#12 a malformed represented party is Client.BadRequest on the consumer side: nothing reaches the provider or the tracker", async () => {
    for (const party of ["EE38001085719", "EE/COM/10000002", "COM/", "10000002"]) {
      const id = randomUUID();
      assertFault(await call(`/r1/${PERSONS}/persons/38001085718`, actingFor("x", id, party)), "Client.BadRequest");
      assert.deepEqual(await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${id}`), [], party);
      assert.deepEqual(await admin(sb.ss2, `/api/v1/messages?queryId=${id}`), [], party);
    }
  });

  it("#12 both message logs record it; riik xroad verify-evidence verifies it, and refuses a record whose party was altered", async () => {
    const id = randomUUID();
    assert.equal((await call(`/r1/${PERSONS}/persons/38001085718`, actingFor("evidence", id))).status, 200);
    for (const ss of [sb.ss1, sb.ss2]) {
      const [record] = await admin(ss, `/api/v1/messages?queryId=${id}`);
      assert.equal(record.representedParty, JAAN);
    }
    await admin(sb.ss2, "/api/v1/messagelog/anchor", "POST");
    const evidence = await admin(sb.ss2, `/asic?queryId=${id}`);
    assert.equal(evidence.messages[0].record.representedParty, JAAN);
    const file = join(dir, `evidence-${id}.json`);
    const trust = ["--trust", join(sb.pkiDir, "ca/root.crt"), "--trust", join(sb.dir, "ledger/ledger.vkey")];
    const verify = async (document: unknown) => {
      writeFileSync(file, JSON.stringify(document));
      return runRiik(["xroad", "verify-evidence", file, ...trust]);
    };
    const valid = await verify(evidence);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    assert.match(valid.stdout, new RegExp(`represented party ${JAAN} is the one the request signature covers`));

    // Altered: the record hash no longer matches; with the hash recomputed, the signed head disagrees.
    const altered = structuredClone(evidence);
    altered.messages[0].record.representedParty = MARI;
    const changed = await verify(altered);
    assert.equal(changed.code, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /the record was changed/);
    const record = altered.messages[0].record;
    record.recordHash = recordHash({
      ...record,
      peerOcsp: record.peerOcsp ? new Uint8Array(Buffer.from(record.peerOcsp, "base64")) : null,
    });
    const rehashed = await verify(altered);
    assert.equal(rehashed.code, 1, rehashed.stdout + rehashed.stderr);
    assert.doesNotMatch(rehashed.stdout, /the record was changed/);
    assert.match(rehashed.stdout, new RegExp(`the record names represented party ${MARI}, the signed request ${JAAN}`));
    assert.match(rehashed.stdout, /not included in the batch/);
  });
});

describe("#10 path traversal on a personal-data service", () => {
  /** OTHER over plain HTTP, the request target sent byte for byte (no URL parser resolves `..` first). */
  const raw = (path: string, headers: Record<string, string>) =>
    rawGet(sb.ss1, path, { "x-road-client": OTHER, ...headers });

  it("/persons/A/../B returns B's data and records the use for B, never for A or for no one", async () => {
    for (const a of ["38001085718", "not-a-code"]) {
      const id = randomUUID();
      const reply = await raw(
        `/r1/${PERSONS}/persons/${a}/%2E%2e/49403136515`,
        personal("traversal", { "x-road-id": id }),
      );
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json().code, "49403136515");
      const uses = await admin(sb.ss2, `/api/v1/datatracker/uses?queryId=${id}`);
      assert.deepEqual(
        uses.map((u: { subject: string }) => u.subject),
        [MARI],
        a,
      );
    }
    const above = await raw(`/r1/${PERSONS}/persons/../../admin/secret`, personal("traversal"));
    assertFault(above, "Client.BadRequest");
    assert.equal((await raw(`/r1/${PERSONS}/persons/38001085718`, personal("still serving"))).status, 200);
  });
});
