// The founding checks over X-Road (contract E) through real security servers (xroad's sandbox:
// ss1 the register's own, ss2 the providers'): the real population register behind ss2, and
// two small providers behind ss2 standing in for the e-Residency agency (`e-residents`) and the
// police (`business-bans`), which are built by other sessions; their test names say so.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import {
  demoPersons,
  type PopulationRegisterServer,
  seedPopulation,
  startPopulationRegister,
} from "@riik/population-register";
import {
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { BusinessRegisterError, type BusinessRegisterServer, startBusinessRegister } from "../src/index.ts";
import { applicationOf, type Founder, type FoundingSandbox, signedContainer, startFoundingSandbox } from "./fixture.ts";

const PERSONS = `${PROVIDER_SUBSYSTEM}/rr`;
const E_RESIDENTS = `${PROVIDER_SUBSYSTEM}/e-residents`;
const BANS = `${PROVIDER_SUBSYSTEM}/business-bans`;

/** What the stand-in e-Residency agency and police answer: e-residents by code, bans by code. */
const eResidents = new Map<string, "valid" | "revoked" | "expired">();
const bans = new Set<string>();

/** A provider answering contract D's `GET /e-residents/{code}` and contract B's `GET /business-bans/{code}`. */
function standInProvider(): Server {
  return createServer((request, response) => {
    const send = (status: number, body: unknown, subject?: string) => {
      response.writeHead(status, {
        "content-type": "application/json",
        ...(subject ? { "x-riik-data-subjects": `EE${subject}` } : {}),
      });
      response.end(JSON.stringify(body));
    };
    const resident = /^\/e-residents\/(\d{11})$/.exec(request.url ?? "");
    if (resident) {
      const code = resident[1]!;
      const status = eResidents.get(code);
      if (!status) return send(404, { code: "E_RESIDENT_NOT_FOUND", message: `no e-resident ${code}` });
      return send(
        200,
        {
          personalCode: code,
          givenName: "Ada",
          surname: "Lovelace",
          citizenship: "GB",
          status,
          validUntil: "2031-01-01",
          documentNumber: "ER0000001",
        },
        code,
      );
    }
    const ban = /^\/business-bans\/(\d{11})$/.exec(request.url ?? "");
    if (ban) {
      const code = ban[1]!;
      return send(
        200,
        bans.has(code)
          ? { personalCode: code, banned: true, until: "2030-01-01", reference: "1-24-555" }
          : { personalCode: code, banned: false },
        code,
      );
    }
    send(404, { code: "NOT_FOUND", message: "no such path" });
  });
}

const refused = (code: string) => (error: unknown) => {
  assert.ok(error instanceof BusinessRegisterError, String(error));
  assert.equal(
    error.code,
    code,
    `${error.message} ${JSON.stringify(error.details)} ${(error.cause as Error)?.message}`,
  );
  return true;
};

let sb: Sandbox;
let population: PopulationRegisterServer;
let provider: Server;
let server: BusinessRegisterServer;
// At the top level: its trust services close in an after hook of the file.
const signing: FoundingSandbox = await startFoundingSandbox();
let citizen: Founder;
let other: Founder;
let deceased: Founder;
let eResident: Founder;

before(async () => {
  const dir = temporaryDirectory("riik-business-xroad-");
  const dataDir = `${dir}/population-register`;
  await seedPopulation({ dataDir, persons: 400, seed: 11 });
  const [first, second] = await demoPersons({ dataDir }, 2);
  population = await startPopulationRegister({ dataDir, port: await freePort() });
  const dead = await population.register.db
    .selectFrom("person")
    .select(["personal_code", "given_name", "surname"])
    .where("date_of_death", "is not", null)
    .executeTakeFirstOrThrow();
  provider = standInProvider();
  const providerPort = await freePort();
  await new Promise<void>((done) => provider.listen(providerPort, "127.0.0.1", done));
  sb = await startSandbox({ dir });
  const admin = (path: string, method = "GET", body?: unknown) =>
    json(`${sb.ss2.admin}${path}`, { method, token: sb.ss2.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  const at = encodeURIComponent(PROVIDER_SUBSYSTEM);
  for (const [code, url] of [
    ["rr", population.url],
    ["e-residents", `http://127.0.0.1:${providerPort}`],
    ["business-bans", `http://127.0.0.1:${providerPort}`],
  ] as const)
    await admin(`/api/v1/clients/${at}/services`, "POST", { serviceCode: code, url, personalData: true });
  // The rights the register's descriptor asks for (as its client subsystem, here OTHER on ss1).
  for (const [code, path] of [
    ["rr", "/persons/*"],
    ["e-residents", "/e-residents/*"],
    ["business-bans", "/business-bans/*"],
  ] as const)
    await admin(`/api/v1/clients/${at}/services/${code}/access`, "POST", { subject: OTHER, method: "GET", path });
  for (const ss of [sb.ss1, sb.ss2]) await json(`${ss.admin}/api/v1/refresh`, { method: "POST", token: ss.token });

  citizen = await signing.cardFor(first!);
  other = await signing.cardFor(second!);
  deceased = await signing.cardFor({
    personalCode: dead.personal_code,
    givenName: dead.given_name,
    surname: dead.surname,
  });
  eResident = await signing.cardFor({
    personalCode: generatePersonalCode("1985-12-10", "female", 901),
    givenName: "Ada",
    surname: "Lovelace",
  });
  server = await startBusinessRegister({
    dataDir: `${dir}/business-register`,
    port: 0,
    trustAnchors: [signing.trust.services.root],
    xroad: {
      securityServer: sb.ss1.client,
      client: OTHER,
      personsService: PERSONS,
      eResidentsService: E_RESIDENTS,
      businessBansService: BANS,
    },
  });
});

after(async () => {
  await server?.close();
  await population?.close();
  await new Promise((done) => provider?.close(done));
  await sb?.stop();
});

/** An application of FOUNDERS (the first on the board), signed by all of them. */
async function signedApplication(name: string, founders: readonly Founder[]) {
  const created = await server.register.createApplication(applicationOf(name, founders));
  await server.register.sign(created.id, await signedContainer(created.document, founders, signing.tsaUrl));
  return created.id;
}

const companies = async () => (await server.register.companies()).length;

describe("founding checks over X-Road (real security servers, the real population register)", () => {
  test("citizens found in the population register are registered; the X-Road-UserId acts", async () => {
    const id = await signedApplication("Riigi Kontroll OÜ", [citizen, other]);
    const reply = await fetch(`${server.url}/applications/${id}/registration`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-road-userid": `EE${citizen.personalCode}` },
      body: JSON.stringify({ feeReceipt: "RECEIPT-X1" }),
    });
    assert.equal(reply.status, 201, await reply.clone().text());
    assert.equal((await reply.json()).name, "Riigi Kontroll OÜ");
  });

  test("a deceased founder is PERSON_DECEASED; nothing is registered", async () => {
    const id = await signedApplication("Surnud Asutaja OÜ", [citizen, deceased]);
    const before = await companies();
    await assert.rejects(server.register.register(id, "RECEIPT-X2"), refused("PERSON_DECEASED"));
    assert.equal(await companies(), before);
    assert.equal((await server.register.application(id)).status, "open");
  });

  test("a person in neither register is PERSON_UNKNOWN (e-residents: stand-in provider behind ss2)", async () => {
    const stranger = await signing.founder("Keegi", "Tundmatu", "1991-04-04");
    const id = await signedApplication("Tundmatu Asutaja OÜ", [stranger]);
    await assert.rejects(server.register.register(id, "RECEIPT-X3"), refused("PERSON_UNKNOWN"));
  });

  test("an e-resident (stand-in e-Residency provider behind ss2) founds with a citizen; a revoked e-residency mid-application is E_RESIDENCY_INVALID", async () => {
    eResidents.set(eResident.personalCode, "valid");
    const id = await signedApplication("E-resident ja Kodanik OÜ", [eResident, citizen]);
    const company = await server.register.register(id, "RECEIPT-X4");
    assert.equal(company.status, "registered");

    const second = await signedApplication("Tühistatud E-residentsus OÜ", [eResident]);
    eResidents.set(eResident.personalCode, "revoked");
    const before = await companies();
    await assert.rejects(server.register.register(second, "RECEIPT-X5"), (error) => {
      refused("E_RESIDENCY_INVALID")(error);
      assert.equal((error as BusinessRegisterError).details?.status, "revoked");
      return true;
    });
    eResidents.set(eResident.personalCode, "expired");
    await assert.rejects(server.register.register(second, "RECEIPT-X5"), refused("E_RESIDENCY_INVALID"));
    assert.equal(await companies(), before);
  });

  test("a board member banned from business (stand-in police provider behind ss2) is BOARD_MEMBER_BANNED, also on a board change", async () => {
    const id = await signedApplication("Keelu Kontroll OÜ", [other, citizen]);
    bans.add(other.personalCode);
    try {
      await assert.rejects(server.register.register(id, "RECEIPT-X6"), refused("BOARD_MEMBER_BANNED"));
      const [registered] = await server.register.companies();
      await assert.rejects(
        server.register.changeBoard(registered!.registryCode, [
          { personalCode: other.personalCode, givenName: other.givenName, surname: other.surname },
        ]),
        refused("BOARD_MEMBER_BANNED"),
      );
    } finally {
      bans.delete(other.personalCode);
    }
    assert.equal((await server.register.register(id, "RECEIPT-X6")).status, "registered");
  });

  test("a register that does not answer is 503 CHECKS_UNAVAILABLE over HTTP; nothing is registered", async () => {
    const id = await signedApplication("Vastuseta Register OÜ", [citizen]);
    await population.close();
    const before = await companies();
    const reply = await fetch(`${server.url}/applications/${id}/registration`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ feeReceipt: "RECEIPT-X7" }),
    });
    assert.equal(reply.status, 503);
    const body = await reply.json();
    assert.equal(body.code, "CHECKS_UNAVAILABLE");
    assert.equal(await companies(), before);
    assert.equal((await server.register.application(id)).status, "open");
  });
});
