// What keeps the office honest beyond the happy flow: a code a resident already holds is never
// granted (the population register asked over X-Road, fail closed), one client's applications
// are bounded across a restart (429 with Retry-After), the police check asked before the code
// existed is asked again with it (Data Tracker) and linked in the decision's journal, and a
// hand-over whose last write failed is finished by the next one without a second live card.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { XRoadRestClient } from "@riik/kit";
import { readCardFile } from "@riik/pki";
import { sql } from "kysely";
import {
  type ApplicationForm,
  type BackgroundCheck,
  type BackgroundChecks,
  type CardOrders,
  type CheckedPerson,
  cardOrders,
  createEResidencyService,
  EResidencyError,
  type EResidencyOffice,
  HAND_OVER_LEASE_MS,
  openEResidencyOffice,
  type ResidentCodes,
  runBackgroundChecks,
  runCheckAttributions,
  XRoadResidentCodes,
} from "../src/index.ts";
import { form, official, registrationAuthority, signedDecision, trust } from "./fixture.ts";

/** A stand-in police, every answer with its own X-Road-Id; what it was asked and why. */
function standInPolice(): BackgroundChecks & { asked: Array<{ person: CheckedPerson; issue?: string }> } {
  const asked: Array<{ person: CheckedPerson; issue?: string }> = [];
  return {
    asked,
    check: async (person, issue): Promise<BackgroundCheck> => {
      asked.push({ person, ...(issue ? { issue } : {}) });
      return { checkedAt: new Date().toISOString(), result: "clear", findings: [], query: `police-${asked.length}` };
    },
  };
}

/** A stand-in population register holding CODES; what it was asked. */
function standInRegister(codes: readonly string[]): ResidentCodes & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    held: async (code) => {
      asked.push(code);
      return { held: codes.includes(code), query: `rr-${asked.length}` };
    },
  };
}

const police = standInPolice();
const open = (dataDir: string, extra: Partial<Parameters<typeof openEResidencyOffice>[1]> = {}) =>
  openEResidencyOffice(
    { dataDir },
    { trustAnchors: [trust.services.root], officials: [official], cards: cardOrders(registrationAuthority), ...extra },
  );

/** Applied, paid and checked by the stand-in police: the application's number. */
async function checked(office: EResidencyOffice, overrides: Record<string, unknown>): Promise<string> {
  const { number, accessKey } = await office.apply(form(overrides) as unknown as ApplicationForm);
  await office.pay(number, accessKey);
  await runBackgroundChecks(office, police);
  return number;
}

const grant = async (office: EResidencyOffice, number: string) =>
  office.decide(
    number,
    Buffer.from(await signedDecision(JSON.stringify({ number, granted: true }), [official]), "base64"),
  );

const eventData = async (office: EResidencyOffice, number: string, type: string) =>
  (await office.application(number)).events.find((event) => event.type === type)?.data;

describe("personal codes the population register holds are never granted", () => {
  test("the lowest serial free in both registers; a held code is not asked about again", async () => {
    const held = [0, 1].map((serial) => generatePersonalCode("1971-04-04", "female", serial));
    const register = standInRegister(held);
    const office = await open(temporaryDirectory(), { residentCodes: register });
    try {
      const first = await checked(office, { documentNumber: "R1", dateOfBirth: "1971-04-04" });
      const granted = await grant(office, first);
      assert.equal(granted.personalCode, generatePersonalCode("1971-04-04", "female", 2));
      assert.deepEqual(register.asked, [...held, granted.personalCode]);
      const links = (await eventData(office, first, "granted"))?.queries;
      assert.deepEqual(links, {
        backgroundCheck: `police-${police.asked.length}`,
        populationRegister: ["rr-1", "rr-2", "rr-3"],
      });

      register.asked.length = 0;
      const second = await checked(office, { documentNumber: "R2", dateOfBirth: "1971-04-04" });
      assert.equal((await grant(office, second)).personalCode, generatePersonalCode("1971-04-04", "female", 3));
      assert.deepEqual(register.asked, [generatePersonalCode("1971-04-04", "female", 3)], "0-2 are known taken");
    } finally {
      await office.close();
    }
  });

  test("configured but unreachable: 503 POPULATION_REGISTER_UNAVAILABLE and nothing granted; the same decision later", async () => {
    const xroad = new XRoadRestClient({
      securityServer: `http://127.0.0.1:${await freePort()}`,
      client: "EE/GOV/70008747/e-residency",
      timeoutMs: 2_000,
    });
    const office = await open(temporaryDirectory(), {
      residentCodes: new XRoadResidentCodes(xroad, "EE/GOV/70000562/rr/persons"),
    });
    const service = createEResidencyService(office);
    try {
      const number = await checked(office, { documentNumber: "U1", dateOfBirth: "1972-05-05" });
      const container = await signedDecision(JSON.stringify({ number, granted: true }), [official]);
      const res = await service.app.inject({
        method: "POST",
        url: `/staff/applications/${number}/decision`,
        payload: { container },
      });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().code, "POPULATION_REGISTER_UNAVAILABLE");
      const after = await office.application(number);
      assert.equal(after.status, "awaiting-decision");
      assert.equal(after.personalCode, undefined);

      // A refusal needs no code and is not held back.
      const refused = await checked(office, { documentNumber: "U2", dateOfBirth: "1972-05-05" });
      const no = await office.decide(
        refused,
        Buffer.from(
          await signedDecision(JSON.stringify({ number: refused, granted: false, reason: "r" }), [official]),
          "base64",
        ),
      );
      assert.equal(no.status, "refused");
    } finally {
      await service.close();
      await office.close();
      await xroad.close();
    }
  });
});

describe("XRoadResidentCodes against a security server", () => {
  let server: Server;
  let base: string;
  const seen: Array<{ url?: string; user?: string | string[]; issue?: string | string[] }> = [];
  // Held: 200; "missing": the register's own 404; anything else: a 404 that is not the register's.
  const answers = new Map<string, { status: number; body: unknown }>();
  before(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url, user: request.headers["x-road-userid"], issue: request.headers["x-road-issue"] });
      const code = request.url?.split("/").at(-1) ?? "";
      const answer = answers.get(code) ?? { status: 404, body: { code: "ROUTE_NOT_FOUND", message: "no route" } };
      response.writeHead(answer.status, { "content-type": "application/json", "x-road-id": `id-${seen.length}` });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("200 is held, the register's PERSON_NOT_FOUND is free, any other 404 is no answer", async () => {
    const [heldCode, freeCode, oddCode] = [0, 1, 2].map((s) => generatePersonalCode("1973-06-06", "male", s)) as [
      string,
      string,
      string,
    ];
    answers.set(heldCode, { status: 200, body: { personalCode: heldCode, givenName: "Jaan" } });
    answers.set(freeCode, { status: 404, body: { code: "PERSON_NOT_FOUND", message: "no such person" } });
    const xroad = new XRoadRestClient({ securityServer: base, client: "EE/GOV/70008747/e-residency" });
    const codes = new XRoadResidentCodes(xroad, "EE/GOV/70000562/rr/persons");
    try {
      const asking = { official, number: "ER-2026-000001" };
      assert.deepEqual(await codes.held(heldCode, asking), { held: true, query: "id-1" });
      assert.deepEqual(await codes.held(freeCode, asking), { held: false, query: "id-2" });
      await assert.rejects(
        codes.held(oddCode, asking),
        (e) => e instanceof EResidencyError && e.code === "POPULATION_REGISTER_UNAVAILABLE",
      );
      assert.equal(seen[0]?.url, `/r1/EE/GOV/70000562/rr/persons/persons/${heldCode}`);
      assert.equal(seen[0]?.user, `EE${official}`, "the official deciding is the user");
      assert.match(String(seen[0]?.issue), /ER-2026-000001/);
    } finally {
      await xroad.close();
    }
  });
});

describe("applications are bounded per client, across a restart", () => {
  test("past the bound 429 APPLICATIONS_RATE_LIMITED with Retry-After; another client is not held back", async () => {
    const dir = temporaryDirectory();
    const bound = { applicationsBound: { max: 2, windowMs: 3_600_000 } };
    const apply = (service: ReturnType<typeof createEResidencyService>, client: string, documentNumber: string) =>
      service.app.inject({
        method: "POST",
        url: "/applications",
        headers: { "x-road-client": client },
        payload: form({ documentNumber }),
      });
    let office = await open(dir, bound);
    let service = createEResidencyService(office);
    assert.equal((await apply(service, "EE/GOV/70000000/portal", "B1")).statusCode, 201);
    assert.equal((await apply(service, "EE/GOV/70000000/portal", "B2")).statusCode, 201);
    await service.close();
    await office.close();

    office = await open(dir, bound);
    service = createEResidencyService(office);
    try {
      const refused = await apply(service, "EE/GOV/70000000/portal", "B3");
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().code, "APPLICATIONS_RATE_LIMITED");
      const retryAfter = Number(refused.headers["retry-after"]);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `${retryAfter}`);
      assert.equal(refused.json().details.retryAfterSeconds, retryAfter);
      assert.equal((await apply(service, "EE/COM/12345678/other", "B4")).statusCode, 201);
    } finally {
      await service.close();
      await office.close();
    }
  });
});

describe("the Data Tracker: the background check is asked again with the code granted", () => {
  test("the police are asked with the personal code once, naming the first check; the journal links both", async () => {
    const office = await open(temporaryDirectory());
    try {
      const number = await checked(office, { documentNumber: "D1", dateOfBirth: "1974-07-07" });
      const first = `police-${police.asked.length}`;
      assert.equal(await runCheckAttributions(office, police), 0, "nothing is granted yet");
      const granted = await grant(office, number);
      assert.deepEqual((await eventData(office, number, "granted"))?.queries, { backgroundCheck: first });

      assert.equal(await runCheckAttributions(office, police), 1);
      const asked = police.asked.at(-1);
      assert.equal(asked?.person.personalCode, granted.personalCode);
      assert.match(String(asked?.issue), new RegExp(`${number}.*${first}`));
      const linked = await eventData(office, number, "check-attributed");
      assert.equal(linked?.personalCode, granted.personalCode);
      assert.equal(linked?.query, first);
      assert.equal(linked?.attributedBy, `police-${police.asked.length}`);
      assert.equal(await runCheckAttributions(office, police), 0, "asked once");
    } finally {
      await office.close();
    }
  });
});

describe("a hand-over whose last write failed", () => {
  /** The trust services, with every revocation noted. */
  const recording = (): CardOrders & { revoked: Array<[string, string]> } => {
    const real = cardOrders(registrationAuthority);
    const revoked: Array<[string, string]> = [];
    return {
      revoked,
      order: (request) => real.order(request),
      revoke: async (documentNumber, reason) => {
        revoked.push([documentNumber, reason]);
        await real.revoke(documentNumber, reason);
      },
    };
  };
  // SQLite: the final write (status issued) is refused, as a database failing at that moment would.
  const provoke = (office: EResidencyOffice) =>
    sql`create trigger refuse_issued before update of status on application when new.status = 'issued'
        begin select raise(abort, 'provoked failure'); end`.execute(office.store.db);
  const heal = (office: EResidencyOffice) => sql`drop trigger refuse_issued`.execute(office.store.db);

  test("is handed over again: the first card is found and revoked, a new one issued, the application issued", async () => {
    const cards = recording();
    const cardsDir = temporaryDirectory();
    const office = await open(temporaryDirectory(), { cards, cardsDir });
    try {
      const number = await checked(office, { documentNumber: "H1", dateOfBirth: "1976-08-08" });
      await grant(office, number);
      await provoke(office);
      await assert.rejects(
        office.handOver(number, "H1", official),
        (e) => e instanceof EResidencyError && e.code === "CARDS_UNAVAILABLE",
      );
      assert.equal((await office.application(number)).status, "card-ordered");
      const cardFile = join(cardsDir, `${number}.card.json`);
      const orphan = readCardFile(cardFile).documentNumber;
      assert.ok(await eventData(office, number, "hand-over-unfinished"));
      await heal(office);

      const handed = await office.handOver(number, "H1", official);
      assert.notEqual(handed.documentNumber, orphan);
      assert.deepEqual(cards.revoked, [[orphan, "superseded"]], "the unfinished card is revoked, once");
      assert.equal(readCardFile(cardFile).documentNumber, handed.documentNumber);
      const done = await office.application(number);
      assert.equal(done.status, "issued");
      assert.deepEqual(await eventData(office, number, "orphan-card-revoked"), { documentNumber: orphan });
      assert.equal((await office.eResident(handed.personalCode)).status, "valid");
    } finally {
      await office.close();
    }
  });

  test("a claim neither finished nor released is taken over only after the lease", async () => {
    const cards = recording();
    const cardsDir = temporaryDirectory();
    const office = await open(temporaryDirectory(), { cards, cardsDir });
    try {
      const number = await checked(office, { documentNumber: "H2", dateOfBirth: "1977-09-09" });
      await grant(office, number);
      // A desk claimed it and died before ordering anything.
      const claimedAt = new Date();
      await office.store.db
        .updateTable("application")
        .set({ status: "card-ordered", card_claimed_at: claimedAt.toISOString() })
        .where("number", "=", number)
        .execute();
      await assert.rejects(
        office.handOver(number, "H2", official, new Date(claimedAt.getTime() + 60_000)),
        (e) => e instanceof EResidencyError && e.code === "APPLICATION_NOT_READY",
      );
      const later = new Date(claimedAt.getTime() + HAND_OVER_LEASE_MS + 1_000);
      const handed = await office.handOver(number, "H2", official, later);
      assert.equal((await office.application(number)).status, "issued");
      assert.deepEqual(cards.revoked, [], "no card was left behind to revoke");
      assert.ok(existsSync(handed.cardFile));
    } finally {
      await office.close();
    }
  });
});
