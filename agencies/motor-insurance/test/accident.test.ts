// The accident case end to end over the bureau's API on SQLite and PostgreSQL, with two real
// cards (loopback CA, OCSP, TSA) and a real integrity ledger: A reports, B joins with the
// code, both sign the same statement, both insurers act, and every timeline record verifies
// offline against the ledger's key. Prints the time from first report to closed.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import {
  createLedgerServer,
  generateSigner,
  parseSignature,
  SIGNATURE_TYPE_ED25519,
  verifySignature,
} from "@riik/ledger";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, readContainer, signContainer, writeContainer } from "@riik/signature";
import {
  type AccidentCase,
  createMotorInsuranceService,
  ledgerAnchor,
  type MotorInsuranceBureau,
  openMotorInsuranceBureau,
  STATEMENT_FILE,
  startMotorInsurance,
} from "../src/index.ts";
import { clientOf, common, driverA, driverB, insurerA, insurerB, partOf, policyFor } from "./fixture.ts";

const PIN2 = "12345";
const POLICE = "EE/GOV/70005980/police";
const trust = await startTestTrustServices();
const cards = new Map<string, CardFile>();
for (const [code, given] of [
  [driverA, "Andres"],
  [driverB, "Birgit"],
] as const)
  cards.set(
    code,
    await issueCard(trust.services, {
      personalCode: code,
      givenName: given,
      surname: "Kask",
      pin1: "1234",
      pin2: PIN2,
    }),
  );

const ledgerSigner = generateSigner("riik.test/ledger", SIGNATURE_TYPE_ED25519);
const ledger = await createLedgerServer({
  dataDir: temporaryDirectory(),
  signer: ledgerSigner,
  origin: ledgerSigner.name,
  roundMs: 10,
});
const ledgerUrl = await ledger.listen(0);
after(() => ledger.close());

/** The statement as a container, or signatures added to a container, by each driver in turn. */
async function sign(from: string | Uint8Array, signers: readonly string[]): Promise<string> {
  let container =
    typeof from === "string"
      ? createContainer([{ name: STATEMENT_FILE, mediaType: "application/json", data: new TextEncoder().encode(from) }])
      : readContainer(from);
  for (const code of signers)
    container = (
      await signContainer(container, await cardFileSigner(cards.get(code)!, PIN2), { tsaUrl: `${trust.url}/tsa` })
    ).container;
  return Buffer.from(writeContainer(container)).toString("base64");
}

for (const target of await dialectTargets()) {
  describe(`the accident case on ${target.dialect}`, () => {
    let bureau: MotorInsuranceBureau;
    let service: MemberService;
    let url: string;
    before(async () => {
      bureau = await openMotorInsuranceBureau(target.location("motor_insurance_case"), {
        anchor: ledgerAnchor(ledgerUrl),
        trustAnchors: [trust.services.root],
      });
      await bureau.registerInsurer({ registryCode: insurerA, name: "Kindlustus AS" });
      await bureau.registerInsurer({ registryCode: insurerB, name: "Turva AS" });
      await bureau.submitPolicy(insurerA, policyFor("KA-1", "WVWZZZ1JZ3W386752", "123ABC", driverA));
      await bureau.submitPolicy(insurerB, policyFor("TU-1", "VF1RFB00X57123456", "456DEF", driverB));
      service = createMotorInsuranceService(bureau, { policeClients: [POLICE] });
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await bureau.close();
    });
    const call = async (method: string, path: string, as: { person?: string; client?: string }, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(as.person ? { "x-road-userid": `EE${as.person}` } : {}),
          ...(as.client ? { "x-road-client": as.client } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const ok = async (res: Response): Promise<AccidentCase> => {
      const body = await res.json();
      assert.ok(res.status < 300, JSON.stringify(body));
      return body;
    };
    const refused = async (res: Response, status: number, code: string) => {
      const body = await res.json();
      assert.equal(body.code, code, JSON.stringify(body));
      assert.equal(res.status, status);
    };

    test("reported, joined, signed by both, accepted, decided, paid, closed; every step verifies offline", async () => {
      const started = process.hrtime.bigint();
      const A = { person: driverA };
      const B = { person: driverB };
      const reported = await ok(await call("POST", "/cases", A, { common, vehicle: partOf(driverA, "123ABC") }));
      assert.equal(reported.insurers.A, insurerA);
      assert.match(reported.joinCode!, /^[A-Z2-7]{8}$/);
      const path = `/cases/${reported.id}`;
      const joined = await ok(
        await call("POST", "/cases/join", B, { joinCode: reported.joinCode, vehicle: partOf(driverB, "456DEF") }),
      );
      assert.equal(joined.joinCode, undefined, "B never sees the code");
      assert.equal(joined.insurers.B, insurerB);
      const byA = await sign(joined.statement!, [driverA]);
      const half = await ok(await call("POST", `${path}/signatures`, A, { container: byA }));
      assert.deepEqual(half.signedBy, [driverA]);
      const both = await ok(
        await call("POST", `${path}/signatures`, B, { container: await sign(Buffer.from(byA, "base64"), [driverB]) }),
      );
      assert.equal(both.status, "signed");
      const insA = { client: clientOf(insurerA) };
      const insB = { client: clientOf(insurerB) };
      await ok(await call("POST", `${path}/acceptance`, insA));
      await ok(await call("POST", `${path}/acceptance`, insB));
      await ok(await call("POST", `${path}/liability`, insA, { liable: "A" }));
      await ok(await call("POST", `${path}/claim`, insA, { paid: true, amountCents: 84_000 }));
      const closed = await ok(await call("POST", `${path}/closure`, insB));
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`${target.dialect}: first report to closed in ${elapsed.toFixed(0)} ms (system time, 9 steps)`);

      assert.equal(closed.status, "closed");
      assert.deepEqual(
        closed.timeline.map((e) => e.step),
        [
          "reported",
          "joined",
          "signed-by-A",
          "signed-by-B",
          "accepted-by-insurer",
          "accepted-by-insurer",
          "liability-decided",
          "claim-paid",
          "closed",
        ],
      );
      // Each record: verified offline against the ledger's key alone, and chained to the one before.
      let previous: string | null = null;
      for (const entry of closed.timeline) {
        const digest = createHash("sha256").update(entry.record).digest();
        const report = verifySignature(parseSignature(entry.ledgerSignature), digest, {
          kind: "key",
          logKey: ledgerSigner.verifierKey,
        });
        assert.equal(report.policy, "key");
        const record = JSON.parse(entry.record);
        assert.equal(record.previous, previous);
        previous = createHash("sha256").update(entry.record).digest("hex");
      }
      const signedRecord = JSON.parse(closed.timeline[3]!.record);
      assert.equal(signedRecord.statement, createHash("sha256").update(closed.statement!).digest("hex"));
      // A changed record does not verify.
      const forged = closed.timeline[7]!.record.replace("84000", "840000");
      assert.throws(
        () =>
          verifySignature(
            parseSignature(closed.timeline[7]!.ledgerSignature),
            createHash("sha256").update(forged).digest(),
            { kind: "key", logKey: ledgerSigner.verifierKey },
          ),
        { code: "VERIFY_WRONG_HASH" },
      );

      // Both drivers and both insurers see it; the police not (no injuries); nobody else.
      for (const as of [A, B, insA, insB]) {
        const seen = await call("GET", path, as);
        assert.equal(seen.status, 200);
        assert.deepEqual(
          seen.headers.get(DATA_SUBJECTS_HEADER)?.split(",").sort(),
          [`EE${driverA}`, `EE${driverB}`].sort(),
        );
      }
      await refused(await call("GET", path, { client: POLICE }), 403, "NOT_A_PARTY");
      await refused(await call("GET", path, { person: "39001010008" }), 403, "NOT_A_PARTY");
      await refused(await call("GET", path, { client: "EE/COM/90000009/x" }), 403, "NOT_AN_INSURER");
      await refused(await call("POST", `${path}/closure`, insA), 409, "CASE_STEP_INVALID");
    });

    test("bad input: a changed statement, a statement not seen, strangers, uninsured vehicles, out-of-order steps", async () => {
      const A = { person: driverA };
      const B = { person: driverB };
      await refused(
        await call("POST", "/cases", A, { common, vehicle: partOf(driverA, "999ZZZ") }),
        404,
        "VEHICLE_UNKNOWN",
      );
      await refused(
        await call("POST", "/cases", A, {
          common: { ...common, date: "2031-01-01" },
          vehicle: partOf(driverA, "123ABC"),
        }),
        404,
        "NOT_INSURED",
      );
      await refused(
        await call("POST", "/cases", B, { common, vehicle: partOf(driverA, "123ABC") }),
        403,
        "SIGNER_NOT_DRIVER",
      );
      await refused(
        await call("POST", "/cases", {}, { common, vehicle: partOf(driverA, "123ABC") }),
        403,
        "NOT_A_PARTY",
      );
      await refused(
        await call("POST", "/cases", A, { common, vehicle: partOf(driverA, "123ABC", { circumstances: [3, 1] }) }),
        400,
        "STATEMENT_INVALID",
      );
      await refused(
        await call("POST", "/cases", A, { common, vehicle: { ...partOf(driverA, "123ABC"), speed: 90 } }),
        400,
        "REQUEST_INVALID",
      );
      await refused(
        await call("POST", "/cases/join", B, { joinCode: "AAAAAAAA", vehicle: partOf(driverB, "456DEF") }),
        404,
        "JOIN_CODE_INVALID",
      );

      const injured = { ...common, injuries: true };
      const reported = await ok(
        await call("POST", "/cases", A, { common: injured, vehicle: partOf(driverA, "123ABC") }),
      );
      const path = `/cases/${reported.id}`;
      await refused(await call("POST", `${path}/acceptance`, { client: clientOf(insurerA) }), 409, "CASE_STEP_INVALID");
      const joined = await ok(
        await call("POST", "/cases/join", B, { joinCode: reported.joinCode, vehicle: partOf(driverB, "456DEF") }),
      );
      assert.equal((await call("GET", path, { client: POLICE })).status, 200, "injuries: the police see the case");
      // B corrects the remarks before anyone signs; A's container over the old statement is refused.
      const seenByA = joined.statement!;
      const amended = await ok(
        await call("PATCH", path, B, {
          vehicle: partOf(driverB, "456DEF", { remarks: "A turned without signalling" }),
        }),
      );
      assert.notEqual(amended.statement, seenByA);
      await refused(
        await call("POST", `${path}/signatures`, A, { container: await sign(seenByA, [driverA]) }),
        422,
        "SIGNED_OTHER_STATEMENT",
      );
      await ok(await call("POST", `${path}/signatures`, A, { container: await sign(amended.statement!, [driverA]) }));
      // After the first signature the statement cannot change.
      await refused(await call("PATCH", path, B, { vehicle: partOf(driverB, "456DEF") }), 409, "STATEMENT_SIGNED");
      await refused(
        await call("POST", `${path}/signatures`, B, { container: Buffer.from("PK not a zip").toString("base64") }),
        422,
        "SIGNATURE_INVALID",
      );
      const stillSignedByA = await ok(await call("GET", path, A));
      assert.equal(stillSignedByA.status, "joined");
      assert.deepEqual(
        stillSignedByA.timeline.map((e) => e.step),
        ["reported", "joined", "signed-by-A"],
      );
    });
  });
}

test("serve: the bureau answers its health check and its OpenAPI document", async () => {
  const server = await startMotorInsurance({
    dataDir: temporaryDirectory(),
    port: 0,
    trustAnchors: [trust.services.root],
    ledgerUrl,
    policeClients: [POLICE],
  });
  try {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    assert.ok(openapi.paths["/cases/{id}/signatures"]);
  } finally {
    await server.close();
  }
});
