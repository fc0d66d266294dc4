// The police as an X-Road provider (#14), through real security servers: a consumer on ss1
// asks ss2, which forwards to the police app's background-checks and business-bans, as the
// police descriptor registers them (services, personal data, access rights). The same cases
// run with the records on SQLite and on PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dialectTargets, freePort, temporaryDirectory } from "@riik/core/testing";
import {
  DATATRACKER,
  OTHER,
  PROVIDER_SUBSYSTEM,
  READER,
  registerAtProvider,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { policeDescriptor } from "../src/descriptor.ts";
import {
  createPoliceApp,
  type PoliceApp,
  type PoliceConfig,
  PoliceRecords,
  readRecordsFile,
  SAMPLE_RECORDS,
  SAMPLE_SANCTIONS_LIST,
  SanctionsList,
} from "../src/index.ts";

const BANNED = "48211230427";
const BAN_ENDED = "36801300881";
const CONVICTED = "37506022712";

// Asked before the sandbox starts: its processes would slow the database probe past its timeout.
const targets = await dialectTargets();

let sb: Sandbox;
let port: number;
let config: PoliceConfig;

/** The police's registration at ss2, as riik up applies it. */
async function register(): Promise<void> {
  const at = { subsystem: PROVIDER_SUBSYSTEM, url: `http://127.0.0.1:${port}` };
  await registerAtProvider(sb, policeDescriptor.exchange!(config, at));
}

/** A call of OTHER through ss1: X-Road PR-REST r1 to the police's service. */
async function call(service: string, path: string, body?: unknown) {
  const reply = await fetch(`${sb.ss1.client}/r1/${PROVIDER_SUBSYSTEM}/${service}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "x-road-client": OTHER,
      // A personal-data service: the exchange needs the user and the purpose (Data Tracker).
      "x-road-userid": "EE49403136526",
      "x-road-issue": "e-Residency application ER-2026-000001",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await reply.text();
  return { status: reply.status, headers: reply.headers, text, json: () => JSON.parse(text) };
}

const check = (body: Record<string, unknown>) => call("background-checks", "/background-checks", body);

/** Uses the Data Tracker on ss2 shows a person. */
async function uses(personalCode: string): Promise<Array<{ service: string; riik?: unknown }>> {
  const reply = await fetch(`${sb.ss1.client}/r1/${DATATRACKER}/v2/findUsage?userCode=EE${personalCode}`, {
    headers: { "x-road-client": READER, "x-road-userid": `EE${personalCode}` },
  });
  assert.equal(reply.status, 200);
  return ((await reply.json()) as { usages: Array<{ service: string }> }).usages;
}

const applicant = {
  givenName: "Ada",
  surname: "Lovelace",
  dateOfBirth: "1990-12-10",
  citizenship: "GB",
  documentNumber: "P1234567",
};

before(async () => {
  const dir = temporaryDirectory("riik-police-provider-");
  sb = await startSandbox({ dir, dataTracker: true });
  port = await freePort();
  config = {
    port,
    host: "127.0.0.1",
    client: OTHER,
    securityServer: { url: sb.ss1.client },
    personsService: `${PROVIDER_SUBSYSTEM}/rr/persons`,
    dir,
    consumers: { backgroundChecks: [OTHER], businessBans: [OTHER] },
  };
  await register();
});

after(async () => {
  await sb?.stop();
});

for (const target of targets) {
  describe(`police provider services through ss1 → ss2 (records on ${target.dialect})`, () => {
    let police: PoliceApp;
    let records: PoliceRecords;
    before(async () => {
      records = await PoliceRecords.open(target.location("police"));
      await records.import(readRecordsFile(SAMPLE_RECORDS));
      // The one port the services are registered at: each back end's app takes it in turn.
      police = createPoliceApp(config, { records, sanctions: SanctionsList.read(SAMPLE_SANCTIONS_LIST) });
      await police.listen();
    });
    after(async () => {
      await police.close();
      await records.close();
    });

    it("answers a clear check for an applicant nobody has anything on; no personal code, nobody named", async () => {
      const reply = await check(applicant);
      assert.equal(reply.status, 200, reply.text);
      const body = reply.json();
      assert.deepEqual(Object.keys(body).sort(), ["checkedAt", "findings", "result"]);
      assert.equal(body.result, "clear");
      assert.deepEqual(body.findings, []);
      assert.equal(reply.headers.get("x-riik-data-subjects"), null, "stripped by the provider's security server");
      const [logged] = (await records.checks()).slice(-1);
      assert.equal(logged?.consumer, OTHER);
      assert.equal(logged?.document_number, "P1234567");
    });

    it("finds a sanctions entry by folded names in another order and the date of birth", async () => {
      const reply = await check({
        ...applicant,
        givenName: "FIKTIVOV",
        surname: "Borislav",
        dateOfBirth: "1971-03-14",
        citizenship: "XX",
      });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json().result, "hit");
      assert.deepEqual(
        reply.json().findings.map((f: { source: string; reference: string }) => [f.source, f.reference]),
        [["sanctions", "EU.9001.01"]],
      );
      const other = await check({
        ...applicant,
        givenName: "Borislav",
        surname: "Fiktivov",
        dateOfBirth: "1971-03-15",
      });
      assert.equal(other.json().result, "clear", "another date of birth is another person");
    });

    it("finds a criminal record and a ban by personal code, and the Data Tracker shows the person the use", async () => {
      const before = (await uses(CONVICTED)).length;
      const conviction = await check({
        ...applicant,
        givenName: "Tõnis",
        surname: "Näidis",
        dateOfBirth: "1975-06-02",
        citizenship: "EE",
        personalCode: CONVICTED,
      });
      assert.equal(conviction.status, 200, conviction.text);
      assert.deepEqual(
        conviction.json().findings.map((f: { source: string; reference: string }) => [f.source, f.reference]),
        [["criminal-record", "KR-2023-000417"]],
      );
      assert.equal((await uses(CONVICTED)).length, before + 1);
      const banned = await check({
        ...applicant,
        givenName: "Kadri",
        surname: "Keelatu",
        dateOfBirth: "1982-11-23",
        personalCode: BANNED,
      });
      assert.deepEqual(
        banned.json().findings.map((f: { source: string }) => f.source),
        ["business-ban"],
      );
      // Without the code, the record is found by the names and the date of birth; its person is named.
      const usesBefore = (await uses(BANNED)).length;
      const byName = await check({ ...applicant, givenName: "KADRI", surname: "keelatu", dateOfBirth: "1982-11-23" });
      assert.equal(byName.json().result, "hit");
      assert.equal((await uses(BANNED)).length, usesBefore + 1);
    });

    it("answers business bans: in force with its end and reference, ended or unknown as not banned", async () => {
      const banned = await call("business-bans", `/business-bans/${BANNED}`);
      assert.equal(banned.status, 200, banned.text);
      assert.deepEqual(banned.json(), {
        personalCode: BANNED,
        banned: true,
        until: "2030-03-01",
        reference: "EK-2025-000031",
      });
      assert.deepEqual((await call("business-bans", `/business-bans/${BAN_ENDED}`)).json(), {
        personalCode: BAN_ENDED,
        banned: false,
      });
      assert.ok((await uses(BAN_ENDED)).length >= 1, "the person sees the query");
    });

    it("refuses bad input with typed codes, and paths the access right does not name", async () => {
      const badCode = await call("business-bans", "/business-bans/48211230428");
      assert.equal(badCode.status, 400, badCode.text);
      assert.equal(badCode.json().code, "POLICE_INPUT");
      const badDate = await check({ ...applicant, dateOfBirth: "1990-02-30" });
      assert.equal(badDate.status, 400);
      assert.equal(badDate.json().code, "POLICE_INPUT");
      const badShape = await check({ ...applicant, citizenship: "gbr", extra: 1 });
      assert.equal(badShape.status, 400);
      assert.equal(badShape.json().code, "REQUEST_INVALID");
      // The right on background-checks covers POST /background-checks only, not the officers' /queries.
      const queries = await call("background-checks", "/queries", {
        personalCode: BANNED,
        purpose: "p",
        officer: BANNED,
      });
      assert.equal(queries.headers.get("x-road-error"), "Server.ServerProxy.AccessDenied", queries.text);
      const wrongMethod = await call("business-bans", `/business-bans/${BANNED}`, {});
      assert.equal(wrongMethod.headers.get("x-road-error"), "Server.ServerProxy.AccessDenied", wrongMethod.text);
    });
  });
}

describe("police descriptor", () => {
  it("declares the services and rights of the state only with its records (dir)", () => {
    const at = { subsystem: "EE/GOV/70008747/police-app", url: "http://127.0.0.1:8830" };
    const base = {
      port: 8830,
      host: "127.0.0.1",
      client: at.subsystem,
      securityServer: { url: "http://127.0.0.1:8840" },
      personsService: "EE/GOV/70000562/rr/persons",
    };
    assert.deepEqual(policeDescriptor.exchange!(base, at).services, []);
    const registration = policeDescriptor.exchange!({ ...base, dir: "/data/police" }, at);
    assert.deepEqual(
      registration.services?.map((s) => [s.code, s.personalData]),
      [
        ["background-checks", true],
        ["business-bans", true],
      ],
    );
    assert.deepEqual(
      registration.access?.map((r) => [r.subject, r.service, r.method, r.paths]),
      [
        ["EE/GOV/70008747/police-app", "EE/GOV/70000562/rr/persons", "GET", ["/persons/*", "/persons/*/**"]],
        ["EE/GOV/70008747/e-residency", `${at.subsystem}/background-checks`, "POST", ["/background-checks"]],
        ["EE/GOV/70000310/ariregister", `${at.subsystem}/business-bans`, "GET", ["/business-bans/*"]],
      ],
    );
  });
});
