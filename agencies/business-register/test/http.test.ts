// The HTTP API on loopback: schemas, the founding flow over HTTP, the data services with their
// Data Tracker subjects, and the open data files without personal codes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { DATA_SUBJECTS_HEADER } from "@riik/kit";
import { startBusinessRegister } from "../src/index.ts";
import { applicationOf, signedContainer, startFoundingSandbox } from "./fixture.ts";

describe("the business register's HTTP API", async () => {
  const sandbox = await startFoundingSandbox();
  const server = await startBusinessRegister({
    dataDir: temporaryDirectory(),
    port: 0,
    trustAnchors: [sandbox.trust.services.root],
  });
  const mari = await sandbox.founder("Mari", "Maasikas", "1987-07-28");
  const jaan = await sandbox.founder("Jaan", "Tamm", "1980-01-08", "male");
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      subjects: res.headers.get(DATA_SUBJECTS_HEADER),
      type: res.headers.get("content-type"),
      text,
      json: () => JSON.parse(text),
    };
  };
  let registryCode = "";

  test("found over HTTP: application, two signatures, registration; representation rights answer for the board member", async () => {
    const created = await call("POST", "/applications", applicationOf("Kaks Asutajat OÜ", [mari, jaan]));
    assert.equal(created.status, 201, created.text);
    const { id, document } = created.json();
    const container = Buffer.from(await signedContainer(document, [mari, jaan], sandbox.tsaUrl)).toString("base64");
    const signed = await call("POST", `/applications/${id}/signatures`, { container });
    assert.equal(signed.status, 200, signed.text);
    assert.deepEqual(signed.json().missing, []);
    assert.equal((await call("POST", `/applications/${id}/registration`, {})).json().code, "FEE_NOT_PAID");
    const registered = await call("POST", `/applications/${id}/registration`, { feeReceipt: "RIIGILOIV-1" });
    assert.equal(registered.status, 201, registered.text);
    registryCode = registered.json().registryCode;

    const rights = await call("GET", `/persons/EE${mari.personalCode}/representation-rights`);
    assert.equal(rights.status, 200);
    assert.equal(rights.subjects, `EE${mari.personalCode}`);
    assert.deepEqual(rights.json(), {
      personalCode: mari.personalCode,
      rights: [
        {
          registryCode,
          companyName: "Kaks Asutajat OÜ",
          legalForm: "OÜ",
          scope: "alone",
          since: rights.json().rights[0].since,
        },
      ],
    });
    const persons = await call("GET", `/companies/${registryCode}/persons`);
    assert.deepEqual(persons.subjects?.split(",").sort(), [`EE${jaan.personalCode}`, `EE${mari.personalCode}`].sort());
    const detail = await call("GET", `/companies/${registryCode}`);
    assert.equal(detail.json().name, "Kaks Asutajat OÜ");
    assert.equal(detail.subjects, "", "company detail names nobody");
    const feed = await call("GET", "/changes?after=0&limit=3");
    assert.equal(feed.json().entries.length, 3);
    assert.equal(feed.json().next, 3);
  });

  test("the portal's applications service: a person's open applications with who signed, their companies with roles; X-Road-UserId is the journal's actor", async () => {
    const acting = { "x-road-userid": `EE${jaan.personalCode}`, "content-type": "application/json" };
    const send = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: "POST", headers: acting, body: JSON.stringify(body) });
    const application = { ...applicationOf("Portaali Kaudu OÜ", [jaan, mari]) };
    const created = await (await send("/applications", application)).json();
    const mine = async (who: { personalCode: string }) =>
      (await call("GET", `/persons/EE${who.personalCode}/applications`)).json().applications;
    const container = Buffer.from(await signedContainer(created.document, [jaan], sandbox.tsaUrl)).toString("base64");
    assert.equal((await send(`/applications/${created.id}/signatures`, { container })).status, 200);
    const listed = await mine(mari);
    assert.deepEqual(
      listed.map((a: { id: string; name: string; founders: Array<{ personalCode: string; signed: boolean }> }) => [
        a.id,
        a.name,
        a.founders.map((f) => [f.personalCode, f.signed]),
      ]),
      [
        [
          created.id,
          "Portaali Kaudu OÜ",
          [
            [jaan.personalCode, true],
            [mari.personalCode, false],
          ],
        ],
      ],
    );
    const subjects = (await call("GET", `/persons/${mari.personalCode}/applications`)).subjects?.split(",").sort();
    assert.deepEqual(subjects, [`EE${jaan.personalCode}`, `EE${mari.personalCode}`].sort());
    const second = Buffer.from(await signedContainer(created.document, [mari], sandbox.tsaUrl)).toString("base64");
    await send(`/applications/${created.id}/signatures`, { container: second });
    const journalBefore = (await call("GET", "/changes?after=0&limit=1000")).json().next;
    const registered = await send(`/applications/${created.id}/registration`, { feeReceipt: "RIIGILOIV-2" });
    assert.equal(registered.status, 201);
    const { registryCode: code } = await registered.json();
    assert.deepEqual(await mine(mari), [], "a registered application is no longer open");

    const feed = await call("GET", `/changes?after=${journalBefore}&limit=1000`);
    const entries = feed.json().entries as Array<{ op: string; data: { actor?: string } | null }>;
    assert.ok(entries.length > 0);
    for (const entry of entries.filter((e) => e.op === "upsert"))
      assert.equal(entry.data?.actor, `EE${jaan.personalCode}`);
    assert.ok(feed.subjects?.split(",").includes(`EE${jaan.personalCode}`), "the actor is a subject of the feed");

    const companies = await call("GET", `/persons/EE${jaan.personalCode}/companies`);
    assert.equal(companies.subjects, `EE${jaan.personalCode}`);
    const company = companies.json().companies.find((c: { registryCode: string }) => c.registryCode === code);
    assert.deepEqual(
      company.roles.map((r: { role: string }) => r.role),
      ["beneficial_owner", "board", "founder", "shareholder"],
    );
    assert.deepEqual((await call("GET", "/persons/38001085719/companies")).json().code, "PERSONAL_CODE_INVALID");
    assert.deepEqual((await call("GET", "/persons/49403136515/applications")).json(), { applications: [] });
  });

  test("the founding bound over HTTP: 429 FOUNDING_RATE_LIMITED per X-Road client", async () => {
    const bounded = await startBusinessRegister({
      dataDir: temporaryDirectory(),
      port: 0,
      trustAnchors: [sandbox.trust.services.root],
      foundingHourlyLimit: 1,
    });
    try {
      const create = (name: string, client: string) =>
        fetch(`${bounded.url}/applications`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-road-client": client },
          body: JSON.stringify(applicationOf(name, [mari])),
        });
      assert.equal((await create("Piir Üks OÜ", "EE/GOV/70006317/portal")).status, 201);
      const refused = await create("Piir Kaks OÜ", "EE/GOV/70006317/portal");
      assert.equal(refused.status, 429);
      assert.equal((await refused.json()).code, "FOUNDING_RATE_LIMITED");
      assert.equal((await create("Piir Kaks OÜ", "EE/GOV/70008747/e-residency")).status, 201);
    } finally {
      await bounded.close();
    }
  });

  test("bad input: codes and statuses", async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ["GET", "/companies/12345670", undefined, 400, "REGISTRY_CODE_INVALID"],
      ["GET", "/companies/1234567", undefined, 400, "REQUEST_INVALID"],
      ["GET", "/companies/10000053", undefined, 404, "COMPANY_NOT_FOUND"],
      ["GET", "/persons/38001085719/representation-rights", undefined, 400, "PERSONAL_CODE_INVALID"],
      ["POST", "/applications", applicationOf("kaks asutajat OÜ", [mari]), 409, "NAME_TAKEN"],
      ["POST", "/applications", { ...applicationOf("Uus OÜ", [mari]), extra: 1 }, 400, "REQUEST_INVALID"],
      [
        "POST",
        "/applications/8f0a0c9e-1f7e-4a8b-9c1d-2b3c4d5e6f70/signatures",
        { container: "AAAA" },
        404,
        "APPLICATION_NOT_FOUND",
      ],
      ["GET", "/changes?after=-1", undefined, 400, "REQUEST_INVALID"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      assert.equal(res.json().code, code);
      assert.equal(res.subjects, null, "error answers name nobody");
    }
  });

  test("open data: JSON and CSV, persons on the card and beneficial owners without personal codes", async () => {
    const companies = await call("GET", "/open-data/companies.json");
    assert.ok(companies.json().some((c: { registryCode: string }) => c.registryCode === registryCode));
    const csv = await call("GET", "/open-data/persons.csv");
    assert.match(csv.type ?? "", /^text\/csv/);
    assert.equal(
      csv.text.split("\r\n")[0],
      "registryCode,companyName,role,givenName,surname,legalPersonRegistryCode,legalPersonName,shareEur,since",
    );
    for (const file of ["persons.json", "persons.csv", "beneficial-owners.json", "beneficial-owners.csv"]) {
      const res = await call("GET", `/open-data/${file}`);
      assert.equal(res.status, 200);
      assert.ok(res.text.includes("Maasikas"), file);
      assert.ok(
        !res.text.includes(mari.personalCode) && !res.text.includes(jaan.personalCode),
        `${file} has no personal codes`,
      );
    }
    assert.equal((await call("GET", "/open-data/secrets.json")).status, 400);
  });

  test("OpenAPI document generated from the schemas", async () => {
    const doc = (await call("GET", "/openapi.json")).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/persons/{code}/representation-rights"].get);
    assert.deepEqual(
      doc.paths["/applications"].post.requestBody.content["application/json"].schema.required.includes("founders"),
      true,
    );
    await server.close();
  });
});
