// "My companies", company pages, founding an OÜ and acting for a company through the portal's
// API, and applying for e-Residency without a login: against the real e-Business Register
// behind real security servers and the real auth service (test/agencies.ts), the e-Residency
// agency a stand-in of contract D until agencies/e-residency serves it (the test's name says so).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { cardPublicKey, tlsPoint } from "@riik/cdoc";
import { cardKeyAgreement, decryptWithKeyAgreement, encryptForPublicKeys } from "@riik/cdoc/browser";
import { feeFor, PICKUP_LOCATIONS } from "@riik/e-residency";
import { parseCardText } from "@riik/pki/browser";
import type { PrepareResponse } from "../src/index.ts";
import { startAgencies, TAX_YEAR } from "./agencies.ts";
import { Client } from "./client.ts";
import { PIN1, signAsPage, type TestWorld } from "./helpers.ts";

const agencies = await startAgencies();
const { world, url, agencyRequests } = agencies;

/** The founder's whole signature as the page makes it: prepare, sign with PIN2's key, finish. */
async function signAsFounder(client: Client, id: string) {
  const prepared = await client.call(`/api/founding/applications/${id}/prepare`, {
    method: "POST",
    body: { certificate: client.card.signing.certificate },
  });
  assert.equal(prepared.status, 200, prepared.text);
  const p = prepared.json as PrepareResponse;
  assert.deepEqual(
    p.files.map((f) => f.name),
    ["application.json"],
  );
  return client.call(`/api/founding/applications/${id}/finish`, {
    method: "POST",
    body: { id: p.id, signatureValue: await signAsPage(client.card, p) },
  });
}

const person = (card: TestWorld["card"]) => ({
  personalCode: card.personalCode,
  givenName: card.givenName,
  surname: card.surname,
});

describe("founding an OÜ in the portal (real e-Business Register over real security servers)", () => {
  it("two founders sign application.json with their cards; the fee is paid; the company is on both founders' registry card and the board member acts for it", async () => {
    const aCard = world.card;
    const bCard = await world.newCard("Jaan", "Tamm");
    const a = new Client(url, aCard);
    const b = new Client(url, bCard);
    assert.equal((await a.login()).status, 200);
    assert.equal((await b.login()).status, 200);
    const session = (await a.call("/api/session")).json;
    assert.equal(session.business?.stateFeeCents, 26_500);

    const name = `Portaali Proov ${Date.now() % 100000} OÜ`;
    const check = await a.call(`/api/founding/name-check?name=${encodeURIComponent(name)}`);
    assert.equal(check.status, 200, check.text);
    assert.equal(check.json.taken, false);
    assert.equal(check.json.reserved, null);
    const reserved = await a.call(`/api/founding/name-check?name=${encodeURIComponent("Riigikogu Kohvik OÜ")}`);
    assert.equal(reserved.json.reserved, "riigikogu");
    const application = {
      name,
      legalForm: "OÜ",
      seatAddress: "Lossi plats 1a, Tallinn",
      email: "info@proov.example",
      activity: "62011",
      shareCapitalCents: 300,
      founders: [
        { ...person(aCard), shareCents: 200 },
        { ...person(bCard), shareCents: 100 },
      ],
      board: [person(aCard)],
      beneficialOwners: [person(aCard), person(bCard)],
      representation: "alone",
      articles: "standard",
    };
    // Only a founder files; a bad field is the schema's.
    const stranger = new Client(url, await world.newCard("Keegi", "Võõras"));
    assert.equal((await stranger.login()).status, 200);
    const notMine = await stranger.call("/api/founding/applications", { method: "POST", body: application });
    assert.equal(notMine.status, 400);
    assert.equal(notMine.json.code, "PORTAL_INPUT");
    const bad = await a.call("/api/founding/applications", {
      method: "POST",
      body: { ...application, activity: "6201" },
    });
    assert.equal(bad.status, 400);

    const created = await a.call("/api/founding/applications", { method: "POST", body: application });
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;
    const shown = await b.call(`/api/founding/applications/${id}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(JSON.parse(shown.json.document).name, name);
    assert.equal((await stranger.call(`/api/founding/applications/${id}`)).status, 404);

    const first = await signAsFounder(a, id);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.signedBy, [aCard.personalCode]);
    assert.deepEqual(first.json.missing, [bCard.personalCode]);
    // Registration before every founder signed: the register's own refusal, told as it is.
    const early = await a.call(`/api/founding/applications/${id}/registration`, { method: "POST", body: {} });
    assert.equal(early.status, 422, early.text);
    assert.equal(early.json.details.providerCode, "SIGNATURES_MISSING");
    // A card that is not a founder's cannot sign it.
    const foreign = await stranger.call(`/api/founding/applications/${id}/prepare`, {
      method: "POST",
      body: { certificate: stranger.card.signing.certificate },
    });
    assert.equal(foreign.status, 409, foreign.text);
    assert.equal(foreign.json.code, "PORTAL_APPLICATION_MISMATCH");

    const second = await signAsFounder(b, id);
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json.missing, []);
    const registered = await b.call(`/api/founding/applications/${id}/registration`, { method: "POST", body: {} });
    assert.equal(registered.status, 201, registered.text);
    const code = registered.json.registryCode as string;
    assert.match(code, /^1[0-9]{7}$/);
    assert.equal(registered.json.receipt.amountCents, 26_500);
    assert.match(registered.json.receipt.id, /^RL-\d{8}-[0-9A-F]{12}$/);

    // The registry card: the board member and the shareholders; not for someone it does not name.
    const page = await a.call(`/api/companies/${code}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.company.name, name);
    assert.equal(page.json.company.shareCapitalCents, 300);
    assert.ok(
      page.json.persons.some(
        (p: { role: string; personalCode: string }) => p.role === "board" && p.personalCode === aCard.personalCode,
      ),
    );
    assert.equal((await stranger.call(`/api/companies/${code}`)).json.code, "PORTAL_COMPANY_FORBIDDEN");
    // "My companies": each founder finds it with their roles on its card; the stranger does not.
    const mine = async (client: Client) =>
      ((await client.call("/api/companies")).json.companies as Array<{ registryCode: string; roles: string[] }>).find(
        (c) => c.registryCode === code,
      );
    assert.ok((await mine(a))?.roles.includes("board"), JSON.stringify(await mine(a)));
    assert.ok((await mine(b))?.roles.includes("shareholder"), JSON.stringify(await mine(b)));
    assert.equal(await mine(stranger), undefined);
    // The name is taken now: the register's NAME_TAKEN.
    const again = await a.call("/api/founding/applications", { method: "POST", body: application });
    assert.equal(again.status, 422, again.text);
    assert.equal(again.json.details.providerCode, "NAME_TAKEN");

    // The board member acts for the company through the auth service (its mandates read the
    // register's representation rights over X-Road); then the company's page is what is shown.
    const board = new Client(url, aCard);
    const login = await board.login();
    assert.equal(login.status, 200);
    assert.ok(
      login.json.representees?.list?.some(
        (r: { sub: string; type: string }) => r.sub === `EE${code}` && r.type === "LEGAL_PERSON",
      ),
      JSON.stringify(login.json.representees),
    );
    const acting = await board.actFor(`EE${code}`);
    assert.equal(acting.status, 200, JSON.stringify(acting.json));
    assert.deepEqual(acting.json.actingFor, { sub: `EE${code}`, personalCode: code, name, type: "LEGAL_PERSON" });
    assert.equal((await board.call(`/api/companies/${code}`)).status, 200);
    const own = await board.call("/api/me");
    assert.equal(own.status, 403);
    assert.equal(own.json.code, "PORTAL_ACTING_FOR_COMPANY");
    assert.equal((await board.call("/api/founding/applications")).json.code, "PORTAL_ACTING_FOR_COMPANY");
    // A shareholder who is not on the board may not act for it.
    const refused = await b.actFor(`EE${code}`);
    assert.equal(refused.refusal, "REQUESTED_REPRESENTEE_NOT_ALLOWED");
  });
});

describe("applying for e-Residency without a login (the real agency's contract D service behind real security servers)", () => {
  const form = {
    givenName: "Ada",
    surname: "Lovelace",
    dateOfBirth: "1985-12-10",
    sex: "female",
    citizenship: "GB",
    documentNumber: "P1234567",
    documentExpires: "2031-01-01",
    email: "ada@example.org",
    photo: Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array(60).fill(1)]).toString("base64"),
    reason: "to found a company",
    pickupLocation: "tallinn",
  };

  it("applies, pays and follows the application by number and access key; no X-Road-UserId, the key never in a path", async () => {
    const anyone = new Client(url, world.card);
    const locations = await anyone.call("/api/e-residency/pickup-locations");
    assert.deepEqual(
      locations.json.locations.map((l: { id: string }) => l.id),
      PICKUP_LOCATIONS.map((l) => l.id),
    );
    assert.equal(locations.json.locations[0].name, "Tallinn service office (PPA)");
    const created = await anyone.call("/api/e-residency/applications", { method: "POST", body: form });
    assert.equal(created.status, 201, created.text);
    const { number, accessKey } = created.json;
    assert.match(number, /^ER-2026-\d{6}$/);
    // The fee at a pick-up point in Estonia (Tallinn), as the agency's rules say for today.
    assert.equal(created.json.fee.amountCents, feeFor(new Date().toISOString().slice(0, 10), "EE").amountCents);
    const wrong = await anyone.call(`/api/e-residency/applications/${number}/status`, {
      method: "POST",
      body: { accessKey: "A".repeat(43) },
    });
    // A wrong key and an unknown number are the same 404 (the agency tells no one which numbers exist).
    assert.equal(wrong.status, 404, wrong.text);
    assert.equal(wrong.json.details.providerCode, "APPLICATION_UNKNOWN");
    const paid = await anyone.call(`/api/e-residency/applications/${number}/payment`, {
      method: "POST",
      body: { accessKey },
    });
    assert.equal(paid.status, 200, paid.text);
    assert.match(paid.json.receipt.id, /^RCPT-/);
    // Paying again (a retry) answers the same receipt.
    const again = await anyone.call(`/api/e-residency/applications/${number}/payment`, {
      method: "POST",
      body: { accessKey },
    });
    assert.equal(again.json.receipt.id, paid.json.receipt.id);
    const status = await anyone.call(`/api/e-residency/applications/${number}/status`, {
      method: "POST",
      body: { accessKey },
    });
    assert.equal(status.json.status, "background-check");
    assert.equal(status.json.pickupLocation, "tallinn");
    assert.ok(agencyRequests.length >= 4);
    for (const seen of agencyRequests) {
      assert.equal(seen.userId, undefined, "the applicant has no identity: no X-Road-UserId");
      assert.ok(!seen.path.includes(accessKey), "the access key is never in a path");
    }
  });

  it("tells the agency's refusal, refuses bad input by schema, a cross-site post, and a flood from one address", async () => {
    const anyone = new Client(url, world.card);
    const young = await anyone.call("/api/e-residency/applications", {
      method: "POST",
      body: { ...form, dateOfBirth: "2012-01-01" },
    });
    assert.equal(young.status, 422);
    assert.equal(young.json.details.providerCode, "APPLICANT_UNDER_18");
    const bad = await anyone.call("/api/e-residency/applications", {
      method: "POST",
      body: { ...form, citizenship: "gbr" },
    });
    assert.equal(bad.status, 400);
    const forged = await anyone.call("/api/e-residency/applications", {
      method: "POST",
      body: form,
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403);
    // The limit is 3 an hour here; the first test made one and the under-18 one counted too.
    const third = await anyone.call("/api/e-residency/applications", { method: "POST", body: form });
    assert.equal(third.status, 201, third.text);
    const flood = await anyone.call("/api/e-residency/applications", { method: "POST", body: form });
    assert.equal(flood.status, 429);
    assert.equal(flood.json.code, "PORTAL_RATE_LIMITED");
    assert.ok(flood.json.details.retryAfterSeconds > 3500);
    // The portal started again on its store: the bound holds (it is not in the process's memory).
    const again = new Client((await agencies.startPortalAgain()).url, world.card);
    const afterRestart = await again.call("/api/e-residency/applications", { method: "POST", body: form });
    assert.equal(afterRestart.status, 429, afterRestart.text);
    assert.equal(afterRestart.json.code, "PORTAL_RATE_LIMITED");
  });
});

describe("the state inbox and the family benefits (issue #13; the real inbox and Board behind real security servers)", () => {
  const IBAN = "EE38 2200 2210 2014 5685";

  it("the parent finds the Board's notice in the inbox, reads it (marked read), sees why each amount, confirms once, and the payments are listed", async () => {
    const motherCard = await world.newCard("Kati", "Karu");
    const fatherCard = await world.newCard("Toomas", "Karu");
    const { offer, child } = await agencies.offerOnBirth(motherCard.personalCode, fatherCard.personalCode);
    const mother = new Client(url, motherCard);
    assert.equal((await mother.login()).status, 200);
    const session = (await mother.call("/api/session")).json;
    assert.equal(session.inbox, true);
    assert.equal(session.benefits, true);

    const list = await mother.call("/api/inbox/messages");
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.unread, 1);
    const [notice] = list.json.messages;
    assert.match(notice.subject, /Family benefits for your child/);
    assert.equal(notice.sender.client, "EE/GOV/70001975/benefits");
    assert.equal(notice.readAt, null);
    const opened = await mother.call(`/api/inbox/messages/${notice.id}`);
    assert.equal(opened.status, 200, opened.text);
    assert.ok(opened.json.body.includes(offer.id), opened.text);
    const read = await mother.call(`/api/inbox/messages/${notice.id}/read`, { method: "POST", body: {} });
    assert.equal(read.status, 200, read.text);
    assert.ok(read.json.readAt, read.text);
    assert.equal((await mother.call("/api/inbox/messages")).json.unread, 0);

    const offers = await mother.call("/api/benefits/offers");
    assert.equal(offers.status, 200, offers.text);
    const [shown] = offers.json.offers;
    assert.equal(shown.id, offer.id);
    assert.equal(shown.child, child);
    assert.equal(shown.status, "offered");
    // Every amount with its reason and the rule set's legal source.
    assert.ok(shown.lines.length >= 2, offers.text);
    for (const line of shown.lines) {
      assert.ok(line.amountCents > 0, offers.text);
      assert.ok(line.why.length > 10, line.why);
      assert.ok(line.rules.source.length > 0 && /^\d{4}-\d{2}-\d{2}$/.test(line.rules.effectiveFrom), offers.text);
    }
    assert.equal(
      shown.lines.find((l: { benefit: string }) => l.benefit === "childbirth-allowance")?.amountCents,
      320_00,
    );

    const confirm = (client: Client, body: unknown, id = offer.id) =>
      client.call(`/api/benefits/offers/${id}/confirmation`, { method: "POST", body });
    const badIban = await confirm(mother, { recipient: motherCard.personalCode, iban: "EE38 2200 2210 2014 5600" });
    assert.equal(badIban.status, 422, badIban.text);
    assert.equal(badIban.json.details.providerCode, "IBAN_INVALID");
    assert.equal((await confirm(mother, { recipient: "123", iban: IBAN })).status, 400);
    const stranger = await world.newCard("Keegi", "Kolmas");
    const toStranger = await confirm(mother, { recipient: stranger.personalCode, iban: IBAN });
    assert.equal(toStranger.status, 422, toStranger.text);
    assert.equal(toStranger.json.details.providerCode, "NOT_A_PARENT");
    // Someone who is not the child's parent: the Board knows no such offer of theirs, nor the inbox such a message.
    const other = new Client(url, stranger);
    assert.equal((await other.login()).status, 200);
    const foreign = await confirm(other, { recipient: stranger.personalCode, iban: IBAN });
    assert.equal(foreign.status, 404, foreign.text);
    assert.equal(foreign.json.details.providerCode, "OFFER_NOT_FOUND");
    assert.deepEqual((await other.call("/api/benefits/offers")).json.offers, []);
    assert.equal((await other.call(`/api/inbox/messages/${notice.id}`)).status, 404);

    const confirmed = await confirm(mother, { recipient: motherCard.personalCode, iban: IBAN });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.json.status, "confirmed");
    assert.equal(confirmed.json.confirmedBy, motherCard.personalCode);
    const twice = await confirm(mother, { recipient: motherCard.personalCode, iban: IBAN });
    assert.equal(twice.status, 422);
    assert.equal(twice.json.details.providerCode, "OFFER_ALREADY_CONFIRMED");

    const payments = await mother.call("/api/benefits/payments");
    assert.equal(payments.status, 200, payments.text);
    assert.ok(payments.json.payments.length >= 1, payments.text);
    for (const p of payments.json.payments) {
      assert.match(p.month, /^\d{4}-\d{2}$/);
      assert.equal(p.recipient, motherCard.personalCode);
      assert.ok(p.why.length > 0, payments.text);
    }
    // The father confirmed nothing and receives nothing; he sees the offer confirmed.
    const father = new Client(url, fatherCard);
    assert.equal((await father.login()).status, 200);
    assert.deepEqual((await father.call("/api/benefits/payments")).json.payments, []);
    assert.equal((await father.call("/api/benefits/offers")).json.offers[0].status, "confirmed");
  });

  it("sets where the inbox e-mails notices of new messages, changes and removes it; a bad address is refused", async () => {
    const card = await world.newCard("Eha", "Ekiri");
    const person = new Client(url, card);
    assert.equal((await person.login()).status, 200);
    assert.deepEqual((await person.call("/api/inbox/forwarding")).json, { email: null });
    const set = await person.call("/api/inbox/forwarding", { method: "PUT", body: { email: "eha@example.ee" } });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.json, { email: "eha@example.ee" });
    // Kept by the inbox itself, for the person logged in.
    assert.equal(await agencies.inbox.forwarding(card.personalCode), "eha@example.ee");
    assert.deepEqual((await person.call("/api/inbox/forwarding")).json, { email: "eha@example.ee" });
    for (const email of ["not an address", "x".repeat(250) + "@example.ee", 42]) {
      const bad = await person.call("/api/inbox/forwarding", { method: "PUT", body: { email } });
      assert.deepEqual([bad.status, bad.json.code], [400, "REQUEST_INVALID"], String(email));
    }
    const removed = await person.call("/api/inbox/forwarding", { method: "PUT", body: { email: null } });
    assert.deepEqual(removed.json, { email: null });
    assert.equal(await agencies.inbox.forwarding(card.personalCode), null);
  });

  it("needs a login, and refuses bad input by schema", async () => {
    const anyone = new Client(url, world.card);
    assert.equal((await anyone.call("/api/inbox/messages")).status, 401);
    assert.equal((await anyone.call("/api/inbox/forwarding")).status, 401);
    assert.equal((await anyone.call("/api/benefits/offers")).status, 401);
    assert.equal((await anyone.call("/api/inbox/messages?before=%00")).status, 400);
    assert.equal(
      (await anyone.call("/api/benefits/offers/not-a-uuid/confirmation", { method: "POST", body: {} })).status,
      400,
    );
  });
});

describe("the pre-filled income tax return (issue #13; the real Tax and Customs Board behind real security servers)", () => {
  const IBAN = "EE38 2200 2210 2014 5685";

  it("shows the person's own return with every line's source and reason, takes a correction, confirms once with the refund, and passes the Board's refusals on", async () => {
    const card = await world.newCard("Mari", "Maasikas");
    const { employer, fund } = await agencies.declareTaxYear(card.personalCode);
    const person = new Client(url, card);
    assert.equal((await person.login()).status, 200);
    assert.ok(Number.isInteger((await person.call("/api/session")).json.taxReturn?.year));
    const usesOf = async () => {
      const usage = await person.call("/api/me/usage");
      assert.equal(usage.status, 200, usage.text);
      return usage.json.usages.filter((u: { user?: string }) => u.user === `EE${card.personalCode}`).length;
    };
    const usesBefore = await usesOf();

    const shown = await person.call(`/api/tax-return/${TAX_YEAR}`);
    assert.equal(shown.status, 200, shown.text);
    const r = shown.json;
    assert.equal(r.status, "open");
    assert.equal(r.year, TAX_YEAR);
    const line = (body: typeof r, key: string) => body.lines.find((l: { key: string }) => l.key === key);
    // The wages and the tax withheld come from the employer's twelve TSD declarations.
    assert.equal(line(r, `income:${employer}`).amountCents, 1_800_000);
    assert.deepEqual(line(r, `income:${employer}`).source, {
      kind: "payroll",
      payer: employer,
      declarations: Array.from({ length: 12 }, (_, i) => `tsd-${TAX_YEAR}-${String(i + 1).padStart(2, "0")}`),
    });
    assert.equal(line(r, `withheld:${employer}`).amountCents, 300_000);
    assert.equal(line(r, `pension:${fund}`).source.kind, "voluntary-pension");
    assert.equal(line(r, `pension:${fund}`).correctable, true);
    assert.equal(line(r, "basic-exemption").correctable, false);
    assert.equal(line(r, "basic-exemption").source.kind, "rules");
    for (const l of r.lines) assert.ok(l.why.length > 5, JSON.stringify(l));
    // 2025 by hand (the Board's own test): taxable €11,120, tax 22 % €2,446.40, withheld €3,000.
    assert.deepEqual(
      [r.taxableCents, r.taxCents, r.withheldCents, r.balanceCents],
      [1_112_000, 244_640, 300_000, 55_360],
    );
    assert.equal(r.refund, null);

    // The person adds €500 of training (§ 26): tax €2,336.40, refund €663.60.
    const corrected = await person.call(`/api/tax-return/${TAX_YEAR}/lines/training`, {
      method: "PUT",
      body: { amountCents: 50_000 },
    });
    assert.equal(corrected.status, 200, corrected.text);
    assert.equal(line(corrected.json, "training").source.kind, "person");
    assert.equal(corrected.json.balanceCents, 66_360);
    // The fund's figure corrected (a key with the fund's code): €800 instead of €1,000 declared.
    const pension = await person.call(`/api/tax-return/${TAX_YEAR}/lines/pension:${fund}`, {
      method: "PUT",
      body: { amountCents: 80_000 },
    });
    assert.equal(pension.status, 200, pension.text);
    assert.deepEqual(line(pension.json, `pension:${fund}`).source, { kind: "person", declared: 100_000 });
    assert.equal(pension.json.balanceCents, 61_960);
    // A line the Board computes itself: its LINE_NOT_CORRECTABLE, told as it is.
    const notMine = await person.call(`/api/tax-return/${TAX_YEAR}/lines/basic-exemption`, {
      method: "PUT",
      body: { amountCents: 1 },
    });
    assert.equal(notMine.status, 422, notMine.text);
    assert.equal(notMine.json.code, "PORTAL_REFUSED");
    assert.equal(notMine.json.details.providerCode, "LINE_NOT_CORRECTABLE");
    // A year the Board has no rules for.
    const early = await person.call("/api/tax-return/2019");
    assert.equal(early.json.details?.providerCode, "RULES_NOT_IN_FORCE", early.text);

    const confirm = (body: unknown) =>
      person.call(`/api/tax-return/${TAX_YEAR}/confirmation`, { method: "POST", body });
    const badIban = await confirm({ iban: "EE38 2200 2210 2014 5600" });
    assert.equal(badIban.status, 422, badIban.text);
    assert.equal(badIban.json.details.providerCode, "IBAN_INVALID");
    const confirmed = await confirm({ iban: IBAN });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.json.status, "confirmed");
    assert.ok(confirmed.json.confirmedAt);
    assert.deepEqual(confirmed.json.refund, { amountCents: 61_960, iban: "EE382200221020145685", status: "scheduled" });
    const twice = await confirm({ iban: IBAN });
    assert.equal(twice.status, 422, twice.text);
    assert.equal(twice.json.details.providerCode, "RETURN_ALREADY_CONFIRMED");
    assert.equal(twice.json.details.status, 409);
    const late = await person.call(`/api/tax-return/${TAX_YEAR}/lines/training`, {
      method: "PUT",
      body: { amountCents: 1 },
    });
    assert.equal(late.json.details?.providerCode, "RETURN_ALREADY_CONFIRMED", late.text);
    assert.equal((await person.call(`/api/tax-return/${TAX_YEAR}`)).json.status, "confirmed");

    // Each answered call (two reads, two corrections, the confirmation) is a use of the person's
    // data in their Data Tracker, made by the portal as them; refusals name nobody.
    assert.equal((await usesOf()) - usesBefore, 5);

    // Another person sees their own (empty) return, never this one: the path has no code to change.
    const other = new Client(url, await world.newCard("Keegi", "Teine"));
    assert.equal((await other.login()).status, 200);
    const foreign = await other.call(`/api/tax-return/${TAX_YEAR}`);
    assert.equal(foreign.status, 422, foreign.text);
    assert.equal(foreign.json.details.providerCode, "NOT_RESIDENT");
  });

  it("needs a login, the portal's Origin, and refuses bad input by schema", async () => {
    const anyone = new Client(url, world.card);
    assert.equal((await anyone.call(`/api/tax-return/${TAX_YEAR}`)).status, 401);
    assert.equal((await anyone.call("/api/tax-return/25")).status, 400);
    const person = new Client(url, world.card);
    assert.equal((await person.login()).status, 200);
    const cases: Array<[string, string, unknown]> = [
      ["PUT", `/api/tax-return/${TAX_YEAR}/lines/training`, { amountCents: -1 }],
      ["PUT", `/api/tax-return/${TAX_YEAR}/lines/training`, { amountCents: 1.5 }],
      ["PUT", `/api/tax-return/${TAX_YEAR}/lines/Training%3A1`, { amountCents: 1 }],
      ["POST", `/api/tax-return/${TAX_YEAR}/confirmation`, { iban: "EE38" }],
      ["POST", `/api/tax-return/${TAX_YEAR}/confirmation`, { iban: "EE38 2200 2210 2014 5685", extra: 1 }],
    ];
    for (const [method, path, body] of cases) {
      const answer = await person.call(path, { method, body });
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.json.code, "REQUEST_INVALID");
    }
    const forged = await person.call(`/api/tax-return/${TAX_YEAR}/confirmation`, {
      method: "POST",
      body: { iban: "EE38 2200 2210 2014 5685" },
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.json.code, "PORTAL_CSRF");
  });
});

describe("my health (issue #16; the real health information system and health insurance fund behind real security servers)", () => {
  it("shows the patient's own documents, visits, prescription with its dispensing, insurance and who read them; closes and reopens a document and the whole record; declares an intent", async () => {
    const card = await world.newCard("Liis", "Lepp");
    const seeded = await agencies.seedHealth(card.personalCode);
    const [flu, checkup] = seeded.summaries;
    const patient = new Client(url, card);
    assert.equal((await patient.login()).status, 200);
    assert.equal((await patient.call("/api/session")).json.health, true);

    const shown = await patient.call("/api/health/record");
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.found, true);
    assert.equal(shown.json.wholeRecordClosedBy, null);
    assert.deepEqual(
      shown.json.documents.map((d: { ref: string; title: string; author: string; closedBy: unknown }) => [
        d.ref,
        d.title,
        d.author,
        d.closedBy,
      ]),
      [
        [`Composition/${checkup}`, "Ambulatoorne epikriis: kontroll", agencies.doctor.name, null],
        [`Composition/${flu}`, "Ambulatoorne epikriis: gripp", agencies.doctor.name, null],
      ],
    );
    assert.deepEqual(
      shown.json.visits.map((v: { ref: string; kind: string; provider: string }) => [v.ref, v.kind, v.provider]),
      [[`Encounter/${seeded.visit}`, "Perearsti vastuvõtt", agencies.doctor.clinic]],
    );
    assert.deepEqual(
      shown.json.declarations.map((d: { kind: string; choice: string }) => [d.kind, d.choice]),
      [
        ["organ-donation", "none"],
        ["blood-transfusion", "none"],
      ],
    );

    const prescriptions = await patient.call("/api/health/prescriptions");
    assert.equal(prescriptions.status, 200, prescriptions.text);
    const [p] = prescriptions.json.prescriptions;
    assert.equal(p.id, seeded.prescription);
    assert.equal(p.medicine, "Metformin 500 mg");
    assert.deepEqual(
      [p.status, p.packages, p.dispensingsAllowed, p.dispensingsLeft, p.packagesLeft, p.validUntil],
      ["active", 3, 3, 2, 2, "2026-11-29"],
    );
    assert.deepEqual(p.dispenses, [
      {
        when: "2026-10-02T12:00:00Z",
        packages: 1,
        pharmacy: "Raekoja Apteek",
        priceCents: 840,
        patientShareCents: 373,
        fundShareCents: 467,
        buyer: card.personalCode,
      },
    ]);
    assert.deepEqual([p.type, p.namedRepresentative], ["public", null]);

    const insured = await patient.call("/api/health/insurance");
    assert.equal(insured.status, 200, insured.text);
    assert.equal(insured.json.insured, true);
    assert.deepEqual(insured.json.period, { basis: "employment", start: "2020-01-01", end: null });
    assert.equal((await patient.call("/api/health/reads")).json.reads.length, 0, "no one has read it yet");

    // The doctor reads one summary: the patient sees who, where, why and when.
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`)).status, 200);
    const reads = async () => {
      const answer = await patient.call("/api/health/reads");
      assert.equal(answer.status, 200, answer.text);
      return answer.json.reads as Array<Record<string, unknown>>;
    };
    const [read] = await reads();
    assert.deepEqual(
      { ...read, at: typeof read?.at },
      {
        at: "string",
        professional: agencies.doctor.name,
        professionalCode: agencies.doctor.personalCode,
        organisation: agencies.doctor.clinic,
        purpose: "Ravi jätkamine",
        emergency: false,
        refused: false,
        resources: [`Composition/${flu}`],
      },
    );

    // Closing the flu summary: shown closed, the doctor refused (and the refusal shown), an emergency read flagged.
    const closed = await patient.call("/api/health/closures", {
      method: "POST",
      body: { document: `Composition/${flu}` },
    });
    assert.equal(closed.status, 200, closed.text);
    const closure = closed.json.documents.find((d: { ref: string }) => d.ref === `Composition/${flu}`).closedBy;
    assert.match(closure, /^[A-Za-z0-9.-]+$/);
    assert.equal(closed.json.documents.find((d: { ref: string }) => d.ref === `Composition/${checkup}`).closedBy, null);
    const again = await patient.call("/api/health/closures", {
      method: "POST",
      body: { document: `Composition/${flu}` },
    });
    assert.deepEqual([again.status, again.json.code], [409, "PORTAL_HEALTH_ALREADY_CLOSED"]);
    const refused = await agencies.readAsDoctor(`/Composition/${flu}`);
    assert.equal(refused.status, 403);
    assert.equal(
      (refused.body.issue as Array<{ details: { coding: Array<{ code: string }> } }>)[0]?.details.coding[0]?.code,
      "DOCUMENT_CLOSED",
    );
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`, true)).status, 200);
    const after = await reads();
    assert.deepEqual(
      after.map((r) => [r.emergency, r.refused, r.purpose]),
      [
        [true, false, "Kiirabi: teadvuseta patsient"],
        [false, true, "Ravi jätkamine"],
        [false, false, "Ravi jätkamine"],
      ],
    );

    // Reopened: the doctor reads it again.
    const reopened = await patient.call(`/api/health/closures/${closure}/reopening`, { method: "POST", body: {} });
    assert.equal(reopened.status, 200, reopened.text);
    assert.ok(reopened.json.documents.every((d: { closedBy: unknown }) => d.closedBy === null));
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`)).status, 200);
    const gone = await patient.call(`/api/health/closures/${closure}/reopening`, { method: "POST", body: {} });
    assert.deepEqual([gone.status, gone.json.code], [404, "PORTAL_HEALTH_UNKNOWN"]);

    // The whole record: every visit and summary closed to the doctor, then open again.
    const whole = await patient.call("/api/health/closures", { method: "POST", body: {} });
    assert.equal(whole.status, 200, whole.text);
    assert.ok(whole.json.wholeRecordClosedBy);
    assert.equal((await agencies.readAsDoctor(`/Encounter/${seeded.visit}`)).status, 403);
    const open = await patient.call(`/api/health/closures/${whole.json.wholeRecordClosedBy}/reopening`, {
      method: "POST",
      body: {},
    });
    assert.equal(open.json.wholeRecordClosedBy, null, open.text);
    assert.equal((await agencies.readAsDoctor(`/Encounter/${seeded.visit}`)).status, 200);

    // Declarations of intent: one Consent per kind, changed in place, withdrawn.
    const declare = (kind: string, choice: string) =>
      patient.call(`/api/health/declarations/${kind}`, { method: "PUT", body: { choice } });
    const donor = await declare("organ-donation", "consent");
    assert.equal(donor.status, 200, donor.text);
    const declared = donor.json.declarations.find((d: { kind: string }) => d.kind === "organ-donation");
    assert.equal(declared.choice, "consent");
    const refuse = await declare("organ-donation", "refuse");
    const changed = refuse.json.declarations.find((d: { kind: string }) => d.kind === "organ-donation");
    assert.deepEqual([changed.choice, changed.consent], ["refuse", declared.consent]);
    const withdrawn = await declare("organ-donation", "none");
    assert.equal(withdrawn.json.declarations.find((d: { kind: string }) => d.kind === "organ-donation").choice, "none");
    // A declaration is not a closure: the record stays open.
    assert.equal(withdrawn.json.wholeRecordClosedBy, null);
  });

  it("names a representative in the health system, lists and ends the mandate; refuses oneself, a bad code, a second mandate in force and an unknown one", async () => {
    const card = await world.newCard("Ene", "Esindatav");
    await agencies.seedHealth(card.personalCode);
    const helper = await world.newCard("Aita", "Abiline");
    const patient = new Client(url, card);
    assert.equal((await patient.login()).status, 200);
    const appoint = (body: object) => patient.call("/api/health/representatives", { method: "POST", body });
    assert.deepEqual((await patient.call("/api/health/record")).json.representatives, []);

    const named = await appoint({ personalCode: helper.personalCode, until: "2031-12-31" });
    assert.equal(named.status, 200, named.text);
    const [mandate] = named.json.representatives;
    assert.deepEqual(
      [mandate.personalCode, mandate.until, mandate.status],
      [helper.personalCode, "2031-12-31", "valid"],
    );
    assert.match(mandate.since, /^\d{4}-\d{2}-\d{2}T/);
    const twice = await appoint({ personalCode: helper.personalCode });
    assert.deepEqual([twice.status, twice.json.code], [409, "PORTAL_HEALTH_ALREADY_REPRESENTATIVE"]);
    const self = await appoint({ personalCode: card.personalCode });
    assert.deepEqual([self.status, self.json.code], [400, "PORTAL_INPUT"]);
    const checkDigit = `${helper.personalCode.slice(0, 10)}${(Number(helper.personalCode[10]) + 1) % 10}`;
    for (const body of [
      { personalCode: checkDigit },
      { personalCode: "123" },
      { personalCode: helper.personalCode, until: "soon" },
    ]) {
      const bad = await appoint(body);
      assert.equal(bad.status, 400, JSON.stringify(body));
    }

    const ended = await patient.call(`/api/health/representatives/${mandate.id}/end`, { method: "POST", body: {} });
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.json.representatives[0].status, "ended");
    assert.ok(Date.parse(ended.json.representatives[0].until) <= Date.now(), "ended now, not on the day set");
    const again = await patient.call(`/api/health/representatives/${mandate.id}/end`, { method: "POST", body: {} });
    assert.deepEqual([again.status, again.json.code], [404, "PORTAL_HEALTH_UNKNOWN"]);
    // Encoded dots are a dot segment (WHATWG URL): the path is another one, no route of the portal.
    const dots = await patient.call("/api/health/representatives/%2E%2E/end", { method: "POST", body: {} });
    assert.deepEqual([dots.status, dots.json.code], [404, "ROUTE_NOT_FOUND"]);
    // Dots as the id itself are not one of the person's mandates: refused before anything is sent on.
    const dotted = await patient.call("/api/health/representatives/..x/end", { method: "POST", body: {} });
    assert.deepEqual([dotted.status, dotted.json.code], [404, "PORTAL_HEALTH_UNKNOWN"]);
    // Ended, the same person can be named again.
    const renewed = await appoint({ personalCode: helper.personalCode });
    assert.deepEqual(
      renewed.json.representatives.map((r: { status: string; until: string | null }) => [r.status, r.until === null]),
      [
        ["valid", true],
        ["ended", false],
      ],
    );
    // Writes are bounded per person (the harness allows 12 an hour), across restarts too: a
    // flood of mandates given and ended is refused before it reaches the health system.
    let status = 200;
    for (let i = 0; i < 12 && status !== 429; i++)
      status = (await patient.call(`/api/health/representatives/${mandate.id}/end`, { method: "POST", body: {} }))
        .status;
    assert.equal(status, 429);
    const limited = await appoint({ personalCode: helper.personalCode });
    assert.deepEqual([limited.status, limited.json.code], [429, "PORTAL_RATE_LIMITED"]);
  });

  it("refuses malformed ids and documents not in the person's record with typed errors; a person the health system does not know sees an empty record", async () => {
    const card = await world.newCard("Tõnu", "Tundmatu");
    const stranger = new Client(url, card);
    assert.equal((await stranger.login()).status, 200);
    const empty = await stranger.call("/api/health/record");
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual([empty.json.found, empty.json.documents], [false, []]);
    const nothing = await stranger.call("/api/health/closures", { method: "POST", body: {} });
    assert.deepEqual([nothing.status, nothing.json.code], [404, "PORTAL_HEALTH_NO_RECORD"]);

    const other = await world.newCard("Mai", "Mets");
    const someoneElse = await agencies.seedHealth(other.personalCode);
    const mine = await agencies.seedHealth(card.personalCode);
    for (const body of [
      { document: "Composition/../Patient" },
      { document: "Patient/1" },
      { document: "x".repeat(80) },
    ]) {
      const bad = await stranger.call("/api/health/closures", { method: "POST", body });
      assert.deepEqual([bad.status, bad.json.code], [400, "REQUEST_INVALID"], JSON.stringify(body));
    }
    const badId = await stranger.call("/api/health/closures/not%20an%20id/reopening", { method: "POST", body: {} });
    assert.deepEqual([badId.status, badId.json.code], [400, "REQUEST_INVALID"]);
    const badKind = await stranger.call("/api/health/declarations/anything", {
      method: "PUT",
      body: { choice: "consent" },
    });
    assert.deepEqual([badKind.status, badKind.json.code], [400, "REQUEST_INVALID"]);
    // Another patient's summary is not in this person's record: nothing closed, nothing told about it.
    const notMine = await stranger.call("/api/health/closures", {
      method: "POST",
      body: { document: `Composition/${someoneElse.summaries[0]}` },
    });
    assert.deepEqual([notMine.status, notMine.json.code], [404, "PORTAL_HEALTH_UNKNOWN"]);
    const record = await stranger.call("/api/health/record");
    assert.deepEqual(
      record.json.documents.map((d: { ref: string }) => d.ref).sort(),
      mine.summaries.map((id) => `Composition/${id}`).sort(),
      "only the person's own documents",
    );
  });
});

describe("encrypted documents (issue #20; the real certificate directory (slapd) and the real inbox behind real security servers)", () => {
  const container = async (recipients: Array<{ keyLabel: string; publicKey: string }>, text: string) =>
    encryptForPublicKeys(
      [{ name: "otsus.txt", data: new TextEncoder().encode(text) }],
      recipients.map((r) => ({ keyLabel: r.keyLabel, publicKey: new Uint8Array(Buffer.from(r.publicKey, "base64")) })),
    );

  it("finds a person's ID card key in the directory, sends a container made as the page makes it to their inbox once, and they download it as it was sent", async () => {
    const senderCard = await world.newCard("Saatja", "Sepp");
    const recipientCard = await world.newCard("Saaja", "Saar");
    await agencies.directory.catchUp();
    const sender = new Client(url, senderCard);
    assert.equal((await sender.login()).status, 200);
    assert.equal((await sender.call("/api/session")).json.encryption, true);

    const found = await sender.call(`/api/encryption/recipients?code=${recipientCard.personalCode}`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.personalCode, recipientCard.personalCode);
    const [key] = found.json.recipients;
    assert.equal(found.json.recipients.length, 1, found.text);
    assert.match(key.name, new RegExp(recipientCard.personalCode));
    assert.match(key.keyLabel, /^data:V=1&TYPE=cert&CN=/);
    assert.deepEqual(
      new Uint8Array(Buffer.from(key.publicKey, "base64")),
      new Uint8Array(tlsPoint(cardPublicKey(recipientCard))),
    );

    const bytes = await container(found.json.recipients, "Otsus: kinnitada.\n");
    const message = {
      recipients: [recipientCard.personalCode],
      subject: "Krüpteeritud dokument",
      body: "Ava oma ID-kaardiga.",
      container: { name: "otsus.cdoc2", data: Buffer.from(bytes).toString("base64") },
      idempotencyKey: randomUUID(),
    };
    const sent = await sender.call("/api/encryption/messages", { method: "POST", body: message });
    assert.equal(sent.status, 200, sent.text);
    const [delivered] = sent.json.messages;
    assert.equal(delivered.recipient, recipientCard.personalCode);
    // The same key again (a retry) answers the first message; nothing is sent twice.
    const again = await sender.call("/api/encryption/messages", { method: "POST", body: message });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.messages[0].id, delivered.id);

    const recipient = new Client(url, recipientCard);
    assert.equal((await recipient.login()).status, 200);
    const list = await recipient.call("/api/inbox/messages");
    assert.equal(list.json.messages.length, 1, list.text);
    const [summary] = list.json.messages;
    assert.equal(summary.id, delivered.id);
    assert.equal(summary.sender.personalCode, senderCard.personalCode);
    assert.deepEqual(
      summary.attachments.map((a: { name: string; mediaType: string }) => [a.name, a.mediaType]),
      [["otsus.cdoc2", "application/x-cdoc2"]],
    );
    const download = await recipient.call(`/api/inbox/messages/${delivered.id}/attachments/0`);
    assert.equal(download.status, 200, download.text);
    assert.equal(download.headers.get("content-type"), "application/octet-stream");
    assert.match(download.headers.get("content-disposition") ?? "", /^attachment; filename="otsus\.cdoc2"/);
    assert.deepEqual(download.bytes, bytes);
    const key1 = await cardKeyAgreement(parseCardText(JSON.stringify(recipientCard)), PIN1);
    const [opened] = await decryptWithKeyAgreement(download.bytes, key1);
    assert.equal(new TextDecoder().decode(opened?.data), "Otsus: kinnitada.\n");
    const missing = await recipient.call(`/api/inbox/messages/${delivered.id}/attachments/1`);
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.json.code, "PORTAL_NOT_FOUND");
    // Someone else's message is not theirs to download.
    assert.equal((await sender.call(`/api/inbox/messages/${delivered.id}/attachments/0`)).status, 404);
  });

  it("refuses: no login, malformed and invalid codes, a person without a valid card (suspended), what is not a CDOC2 container, a cross-site post", async () => {
    const card = await world.newCard("Keeldu", "Kask");
    const other = await world.newCard("Peatatud", "Paju");
    await agencies.directory.catchUp();
    const anyone = new Client(url, card);
    assert.equal((await anyone.call(`/api/encryption/recipients?code=${other.personalCode}`)).status, 401);
    assert.equal((await anyone.login()).status, 200);
    const lookup = (code: string) => anyone.call(`/api/encryption/recipients?code=${encodeURIComponent(code)}`);
    assert.equal((await lookup("123")).status, 400);
    assert.equal((await lookup("*)(serialNumber=*")).status, 400);
    const badDigit = `${other.personalCode.slice(0, 10)}${(Number(other.personalCode[10]) + 1) % 10}`;
    const invalid = await lookup(badDigit);
    assert.equal(invalid.status, 400, invalid.text);
    assert.equal(invalid.json.code, "PORTAL_INPUT");
    assert.equal((await lookup(other.personalCode)).status, 200);

    // Suspended: the directory drops the certificate within its interval, and the portal finds no key.
    const rows = await world.services.registry.byPersonalCode(other.personalCode);
    const auth = rows.find((r) => r.purpose === "id-authentication" && r.status === "good");
    assert.ok(auth);
    await world.services.registry.changeStatus("esteid", auth.serial, { event: "suspended", actor: "test" });
    await agencies.directory.catchUp();
    const suspended = await lookup(other.personalCode);
    assert.equal(suspended.status, 404, suspended.text);
    assert.equal(suspended.json.code, "PORTAL_NO_RECIPIENT");

    const valid = (await lookup(card.personalCode)).json.recipients;
    const good = {
      recipients: [card.personalCode],
      subject: "s",
      body: "b",
      container: { name: "a.cdoc2", data: Buffer.from(await container(valid, "x")).toString("base64") },
      idempotencyKey: randomUUID(),
    };
    const send = (body: unknown, origin?: string) =>
      anyone.call("/api/encryption/messages", { method: "POST", body, ...(origin ? { origin } : {}) });
    const notCdoc = await send({
      ...good,
      container: { name: "a.cdoc2", data: Buffer.from("PK\u0003\u0004 a zip").toString("base64") },
    });
    assert.equal(notCdoc.status, 400, notCdoc.text);
    assert.equal(notCdoc.json.code, "PORTAL_INPUT");
    const notCanonical = await send({ ...good, container: { name: "a.cdoc2", data: `${good.container.data}=` } });
    assert.equal(notCanonical.status, 400, notCanonical.text);
    for (const bad of [
      { ...good, recipients: [] },
      { ...good, recipients: ["123"] },
      { ...good, container: { ...good.container, name: "../a.cdoc2" } },
      { ...good, idempotencyKey: "short" },
      { ...good, subject: "line\nbreak" },
      { ...good, extra: true },
    ])
      assert.equal((await send(bad)).status, 400, JSON.stringify(bad).slice(0, 120));
    assert.equal((await send(good, "https://elsewhere.example")).status, 403);
    assert.equal((await send(good)).status, 200);
    // Three sends an hour in this portal's configuration; the bound outlives a restart.
    for (let i = 0; i < 2; i++) assert.equal((await send({ ...good, idempotencyKey: randomUUID() })).status, 200);
    const flood = await send({ ...good, idempotencyKey: randomUUID() });
    assert.equal(flood.status, 429, flood.text);
    assert.equal(flood.json.code, "PORTAL_RATE_LIMITED");
    assert.ok(flood.json.details.retryAfterSeconds > 0);
    const restarted = new Client((await agencies.startPortalAgain()).url, card);
    assert.equal((await restarted.login()).status, 200);
    const after = await restarted.call("/api/encryption/messages", {
      method: "POST",
      body: { ...good, idempotencyKey: randomUUID() },
    });
    assert.equal(after.status, 429, after.text);
  });
});
