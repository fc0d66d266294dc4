// The founding checks over X-Road (contract E) through real security servers (xroad's sandbox:
// ss1 the register's own, ss2 the providers'): the real population register behind ss2, and
// two small providers behind ss2 standing in for the e-Residency agency (`e-residents`) and the
// police (`business-bans`), which are built by other sessions; their test names say so.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import {
  type Application,
  BusinessRegisterError,
  type BusinessRegisterServer,
  startBusinessRegister,
} from "../src/index.ts";
import { type ChecksExchange, startChecksExchange } from "./exchange-fixture.ts";
import { applicationOf, type Founder, type FoundingSandbox, signedContainer, startFoundingSandbox } from "./fixture.ts";

const refused = (code: string) => (error: unknown) => {
  assert.ok(error instanceof BusinessRegisterError, String(error));
  assert.equal(
    error.code,
    code,
    `${error.message} ${JSON.stringify(error.details)} ${(error.cause as Error)?.message}`,
  );
  return true;
};

let exchange: ChecksExchange;
let server: BusinessRegisterServer;
// At the top level: its trust services close in an after hook of the file.
const signing: FoundingSandbox = await startFoundingSandbox();
let citizen: Founder;
let other: Founder;
let deceased: Founder;
let eResident: Founder;

before(async () => {
  const dir = temporaryDirectory("riik-business-xroad-");
  exchange = await startChecksExchange(dir);
  citizen = await signing.cardFor(exchange.persons[0]!);
  other = await signing.cardFor(exchange.persons[1]!);
  deceased = await signing.cardFor(exchange.deceased);
  eResident = await signing.cardFor({
    personalCode: generatePersonalCode("1985-12-10", "female", 901),
    givenName: "Ada",
    surname: "Lovelace",
  });
  server = await startBusinessRegister({
    dataDir: `${dir}/business-register`,
    port: 0,
    trustAnchors: [signing.trust.services.root],
    xroad: exchange.xroad,
  });
});

after(async () => {
  await server?.close();
  await exchange?.stop();
});

/** An application of FOUNDERS (the first on the board), signed by all of them. */
async function signedApplication(name: string, founders: readonly Founder[], overrides: Partial<Application> = {}) {
  const created = await server.register.createApplication(applicationOf(name, founders, overrides));
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
    exchange.eResidents.set(eResident.personalCode, "valid");
    const person = (f: Founder) => ({ personalCode: f.personalCode, givenName: f.givenName, surname: f.surname });
    // The e-resident alone on the board lives abroad: a contact person in Estonia is needed
    // (Commercial Code § 631), one the population register knows.
    const abroad = await signedApplication("Välismaa Juhatus OÜ", [eResident, citizen]);
    const before = await companies();
    await assert.rejects(server.register.register(abroad, "RECEIPT-X4"), refused("CONTACT_PERSON_REQUIRED"));
    const wrongContact = await signedApplication("Vale Kontakt OÜ", [eResident, citizen], {
      contactPerson: person(eResident),
    });
    await assert.rejects(server.register.register(wrongContact, "RECEIPT-X4"), refused("CONTACT_PERSON_INVALID"));
    assert.equal(await companies(), before, "nothing registered");
    const id = await signedApplication("E-resident ja Kodanik OÜ", [eResident, citizen], {
      contactPerson: person(citizen),
    });
    const company = await server.register.register(id, "RECEIPT-X4");
    assert.equal(company.status, "registered");

    const second = await signedApplication("Tühistatud E-residentsus OÜ", [eResident], {
      contactPerson: person(citizen),
    });
    exchange.eResidents.set(eResident.personalCode, "revoked");
    const unchanged = await companies();
    await assert.rejects(server.register.register(second, "RECEIPT-X5"), (error) => {
      refused("E_RESIDENCY_INVALID")(error);
      assert.equal((error as BusinessRegisterError).details?.status, "revoked");
      return true;
    });
    exchange.eResidents.set(eResident.personalCode, "expired");
    await assert.rejects(server.register.register(second, "RECEIPT-X5"), refused("E_RESIDENCY_INVALID"));
    assert.equal(await companies(), unchanged);
  });

  test("a board member banned from business (stand-in police provider behind ss2) is BOARD_MEMBER_BANNED, also on a board change", async () => {
    const id = await signedApplication("Keelu Kontroll OÜ", [other, citizen]);
    exchange.bans.add(other.personalCode);
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
      exchange.bans.delete(other.personalCode);
    }
    assert.equal((await server.register.register(id, "RECEIPT-X6")).status, "registered");
  });

  test("a register that does not answer is 503 CHECKS_UNAVAILABLE over HTTP; nothing is registered", async () => {
    const id = await signedApplication("Vastuseta Register OÜ", [citizen]);
    await exchange.population.close();
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
