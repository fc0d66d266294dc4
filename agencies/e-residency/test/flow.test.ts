// The whole flow over the agency's HTTP API on SQLite and PostgreSQL: apply, pay, the police's
// answer, the official's signed decision (ASiC-E, real cards from loopback trust services),
// the personal code, the hand-over with a digital ID ordered from the trust services, the
// register's answer, revocation. Every refusal is typed.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, parsePersonalCode } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import { fetchStatusChanges, readCardFile } from "@riik/pki";
import { readContainer, writeContainer } from "@riik/signature";
import {
  type BackgroundCheck,
  type BackgroundChecks,
  cardOrders,
  createEResidencyService,
  type EResidencyOffice,
  openEResidencyOffice,
  runBackgroundChecks,
} from "../src/index.ts";
import { clerk, form, official, registrationAuthority, signedDecision, trust } from "./fixture.ts";

/** A stand-in police: a hit for anyone named Moriarty, clear for everyone else; what it was asked. */
function standInPolice(): BackgroundChecks & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    check: async (person): Promise<BackgroundCheck> => {
      asked.push(person);
      const hit = person.surname === "Moriarty";
      return {
        checkedAt: new Date().toISOString(),
        result: hit ? "hit" : "clear",
        findings: hit ? [{ source: "sanctions", reference: "EU-2024/1", reason: "on the EU sanctions list" }] : [],
      };
    },
  };
}

for (const target of await dialectTargets()) {
  describe(`e-Residency on ${target.dialect}`, () => {
    let office: EResidencyOffice;
    let service: MemberService;
    let url: string;
    const police = standInPolice();
    const cardsDir = temporaryDirectory();
    before(async () => {
      office = await openEResidencyOffice(target.location("e_residency_flow"), {
        trustAnchors: [trust.services.root],
        officials: [official],
        cardsDir,
        cards: cardOrders(registrationAuthority),
      });
      service = createEResidencyService(office);
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await office.close();
    });
    const call = (method: string, path: string, body?: unknown, person?: string) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(person ? { "x-road-userid": `EE${person}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const refused = async (res: Response, status: number, code: string) => {
      const body = await res.json();
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(body.code, code);
    };
    /** A paid and checked application: its number and key. */
    const checkedApplication = async (overrides: Record<string, unknown> = {}) => {
      const created = await (await call("POST", "/applications", form(overrides))).json();
      await call("POST", `/applications/${created.number}/payment`, { accessKey: created.accessKey });
      await runBackgroundChecks(office, police);
      return created as { number: string; accessKey: string };
    };

    test("apply, pay, checked, granted by a signed decision, handed over, in the register, revoked", async () => {
      const locations = await (await call("GET", "/pickup-locations")).json();
      assert.ok(locations.locations.some((place: { id: string }) => place.id === "berlin"));

      const res = await call("POST", "/applications", form());
      assert.equal(res.status, 201);
      const created = await res.json();
      assert.match(created.number, new RegExp(`^ER-${new Date().getUTCFullYear()}-\\d{6}$`));
      assert.equal(created.status, "awaiting-payment");
      // The State Fees Act's rate in force since 2025-01-01 (model/fee.ts).
      assert.deepEqual(created.fee, { amountCents: 15_000, currency: "EUR" });
      const { number, accessKey } = created;
      const key = { accessKey };

      // Not paid: the police are not asked.
      assert.equal(await runBackgroundChecks(office, police), 0);
      const paid = await (await call("POST", `/applications/${number}/payment`, key)).json();
      assert.equal(paid.status, "background-check");
      assert.equal(paid.receipt.amountCents, 15_000);
      const again = await (await call("POST", `/applications/${number}/payment`, key)).json();
      assert.deepEqual(again.receipt, paid.receipt, "paying twice answers the same receipt");

      // Deciding before the police have answered is refused.
      await refused(
        await call("POST", `/staff/applications/${number}/decision`, {
          container: await signedDecision(JSON.stringify({ number, granted: true }), [official]),
        }),
        409,
        "APPLICATION_NOT_READY",
      );
      assert.equal(await runBackgroundChecks(office, police), 1);
      assert.deepEqual(police.asked.at(-1), {
        givenName: "Ada",
        surname: "Lovelace",
        dateOfBirth: "1990-12-10",
        citizenship: "GB",
        documentNumber: "P1234567",
      });
      const waiting = await (await call("POST", `/applications/${number}/status`, key)).json();
      assert.equal(waiting.status, "awaiting-decision");
      assert.equal(waiting.pickupLocation, "berlin");
      assert.equal(waiting.decision, undefined);

      const list = await (await call("GET", "/staff/applications", undefined, official)).json();
      assert.ok(list.applications.some((a: { number: string }) => a.number === number));
      await refused(await call("GET", `/staff/applications/${number}`, undefined, clerk), 403, "NOT_AN_OFFICIAL");
      await refused(await call("GET", `/staff/applications/${number}`), 403, "NOT_AN_OFFICIAL");
      const seen = await (await call("GET", `/staff/applications/${number}`, undefined, official)).json();
      assert.equal(seen.check.result, "clear");
      assert.deepEqual(
        seen.events.map((e: { type: string }) => e.type),
        ["submitted", "paid", "background-checked"],
      );

      const decision = await call("POST", `/staff/applications/${number}/decision`, {
        container: await signedDecision(JSON.stringify({ number, granted: true }), [official]),
      });
      assert.equal(decision.status, 200);
      const granted = await decision.json();
      assert.equal(granted.status, "granted");
      assert.equal(granted.decision.granted, true);
      const code = parsePersonalCode(granted.personalCode);
      assert.equal(code.birthDate, "1990-12-10");
      assert.equal(code.sex, "female");
      assert.equal(decision.headers.get(DATA_SUBJECTS_HEADER), `EE${granted.personalCode}`);
      await refused(
        await call("POST", `/staff/applications/${number}/decision`, {
          container: await signedDecision(JSON.stringify({ number, granted: false, reason: "changed" }), [official]),
        }),
        409,
        "ALREADY_DECIDED",
      );
      const status = await (await call("POST", `/applications/${number}/status`, key)).json();
      assert.equal(status.personalCode, granted.personalCode);
      assert.equal(status.decision.granted, true);

      // Granted but not yet handed over: not an e-resident yet.
      await refused(await call("GET", `/e-residents/${granted.personalCode}`), 404, "E_RESIDENT_NOT_FOUND");
      await refused(
        await call("POST", `/staff/applications/${number}/hand-over`, { documentNumber: "P7654321" }, official),
        422,
        "IDENTITY_MISMATCH",
      );
      await refused(
        await call("POST", `/staff/applications/${number}/hand-over`, { documentNumber: "P1234567" }, clerk),
        403,
        "NOT_AN_OFFICIAL",
      );
      const handed = await call(
        "POST",
        `/staff/applications/${number}/hand-over`,
        { documentNumber: "P1234567" },
        official,
      );
      assert.equal(handed.status, 200);
      const handOver = await handed.json();
      assert.equal(handOver.personalCode, granted.personalCode);
      assert.match(handOver.pinEnvelope.pin2, /^\d{5}$/);
      assert.equal(statSync(handOver.cardFile).mode & 0o777, 0o600);
      const card = readCardFile(handOver.cardFile);
      assert.equal(card.kind, "e-resident");
      assert.equal(card.personalCode, granted.personalCode);
      const years = Number(handOver.validUntil.slice(0, 4)) - new Date().getUTCFullYear();
      assert.ok(years >= 4 && years <= 5, `valid five years: ${handOver.validUntil}`);
      await refused(
        await call("POST", `/staff/applications/${number}/hand-over`, { documentNumber: "P1234567" }, official),
        409,
        "APPLICATION_NOT_READY",
      );

      const resident = await call("GET", `/e-residents/${granted.personalCode}`);
      assert.equal(resident.headers.get(DATA_SUBJECTS_HEADER), `EE${granted.personalCode}`);
      assert.deepEqual(await resident.json(), {
        personalCode: granted.personalCode,
        status: "valid",
        validUntil: handOver.validUntil,
      });
      assert.equal((await (await call("POST", `/applications/${number}/status`, key)).json()).status, "issued");

      const renewal = await call(
        "POST",
        `/staff/e-residents/${granted.personalCode}/renewal`,
        { documentNumber: "P2222222" },
        official,
      );
      assert.equal(renewal.status, 200);
      const renewed = await renewal.json();
      assert.notEqual(renewed.documentNumber, handOver.documentNumber, "a new digital ID");
      assert.equal(readCardFile(renewed.cardFile).documentNumber, renewed.documentNumber);
      assert.equal((await (await call("GET", `/e-residents/${granted.personalCode}`)).json()).status, "valid");
      await refused(
        await call("POST", `/staff/e-residents/${granted.personalCode}/revocation`, { reason: "fraud" }, clerk),
        403,
        "NOT_AN_OFFICIAL",
      );
      const cursor = (await fetchStatusChanges(registrationAuthority, 0, 1000)).at(-1)?.id ?? 0;
      const revoked = await call(
        "POST",
        `/staff/e-residents/${granted.personalCode}/revocation`,
        { reason: "used the ID for fraud" },
        official,
      );
      assert.equal(revoked.status, 200);
      assert.equal((await revoked.json()).status, "revoked");
      assert.equal((await (await call("GET", `/e-residents/${granted.personalCode}`)).json()).status, "revoked");
      // The digital ID's certificates are revoked at the trust services too.
      const changes = await fetchStatusChanges(registrationAuthority, cursor);
      assert.equal(changes.filter((c) => c.event === "revoked").length, 2, "authentication and signing");
      await refused(
        await call("POST", `/staff/e-residents/${granted.personalCode}/revocation`, { reason: "again" }, official),
        409,
        "E_RESIDENT_REVOKED",
      );
      await refused(
        await call("POST", `/staff/e-residents/${granted.personalCode}/renewal`, { documentNumber: "P3" }, official),
        409,
        "E_RESIDENT_REVOKED",
      );
      const journal = await (await call("GET", `/staff/applications/${number}`, undefined, official)).json();
      assert.deepEqual(
        journal.events.map((e: { type: string }) => e.type),
        ["submitted", "paid", "background-checked", "granted", "card-ordered", "handed-over", "renewed", "revoked"],
      );
    });

    test("a hit goes to the official with its findings; a refusal needs its reason", async () => {
      const { number, accessKey } = await checkedApplication({ surname: "Moriarty", documentNumber: "X999" });
      const seen = await (await call("GET", `/staff/applications/${number}`, undefined, official)).json();
      assert.equal(seen.status, "awaiting-decision");
      assert.equal(seen.check.result, "hit");
      assert.equal(seen.check.findings[0].source, "sanctions");
      await refused(
        await call("POST", `/staff/applications/${number}/decision`, {
          container: await signedDecision(JSON.stringify({ number, granted: false }), [official]),
        }),
        422,
        "DECISION_INVALID",
      );
      const refusal = await call("POST", `/staff/applications/${number}/decision`, {
        container: await signedDecision(
          JSON.stringify({ number, granted: false, reason: "on the EU sanctions list" }),
          [official],
        ),
      });
      assert.equal(refusal.status, 200);
      const status = await (await call("POST", `/applications/${number}/status`, { accessKey })).json();
      assert.equal(status.status, "refused");
      assert.deepEqual(
        { granted: status.decision.granted, reason: status.decision.reason },
        { granted: false, reason: "on the EU sanctions list" },
      );
      assert.equal(status.personalCode, undefined);
    });

    test("bad forms: under 18, expired document, bad photo, unknown pick-up point, extra fields", async () => {
      const adultToday = new Date();
      adultToday.setUTCFullYear(adultToday.getUTCFullYear() - 18);
      const eighteenTomorrow = new Date(adultToday.getTime() + 86_400_000).toISOString().slice(0, 10);
      await refused(
        await call("POST", "/applications", form({ dateOfBirth: eighteenTomorrow })),
        422,
        "APPLICANT_UNDER_18",
      );
      assert.equal(
        (await call("POST", "/applications", form({ dateOfBirth: adultToday.toISOString().slice(0, 10) }))).status,
        201,
        "18 today is old enough",
      );
      await refused(
        await call("POST", "/applications", form({ documentExpires: "2020-01-01" })),
        422,
        "DOCUMENT_EXPIRED",
      );
      const gif = Buffer.from("GIF89a\x01\x00\x01\x00").toString("base64");
      await refused(await call("POST", "/applications", form({ photo: gif })), 422, "PHOTO_INVALID");
      await refused(await call("POST", "/applications", form({ photo: "not base64!" })), 422, "PHOTO_INVALID");
      const big = Buffer.alloc(2 * 1024 * 1024 + 1);
      big.set([0xff, 0xd8, 0xff]);
      await refused(await call("POST", "/applications", form({ photo: big.toString("base64") })), 422, "PHOTO_INVALID");
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString("base64");
      assert.equal((await call("POST", "/applications", form({ photo: png }))).status, 201);
      await refused(
        await call("POST", "/applications", form({ pickupLocation: "atlantis" })),
        400,
        "PICKUP_LOCATION_UNKNOWN",
      );
      await refused(
        await call("POST", "/applications", form({ dateOfBirth: "1990-02-30" })),
        400,
        "APPLICATION_INVALID",
      );
      await refused(await call("POST", "/applications", form({ citizenship: "gb" })), 400, "REQUEST_INVALID");
      await refused(await call("POST", "/applications", form({ documentNumber: "p-1" })), 400, "REQUEST_INVALID");
      await refused(await call("POST", "/applications", form({ nationality: "GB" })), 400, "REQUEST_INVALID");
    });

    test("a wrong access key and an unknown number get the same answer", async () => {
      const { number } = await (await call("POST", "/applications", form())).json();
      const wrong = await call("POST", `/applications/${number}/status`, { accessKey: "x".repeat(43) });
      const none = await call("POST", "/applications/ER-2000-999999/status", { accessKey: "x".repeat(43) });
      assert.equal(wrong.status, 404);
      assert.equal(none.status, 404);
      assert.equal((await wrong.json()).code, (await none.json()).code);
      await refused(
        await call("POST", `/applications/${number}/payment`, { accessKey: "x".repeat(43) }),
        404,
        "APPLICATION_UNKNOWN",
      );
    });

    test("decisions: not an official, tampered, another application's, wrong file, not a container", async () => {
      const { number } = await checkedApplication({ documentNumber: "D1" });
      const decide = (container: string) => call("POST", `/staff/applications/${number}/decision`, { container });
      const grant = JSON.stringify({ number, granted: true });
      await refused(await decide(await signedDecision(grant, [clerk])), 403, "NOT_AN_OFFICIAL");
      await refused(await decide(await signedDecision(grant, [official, clerk])), 403, "NOT_AN_OFFICIAL");
      // The signed file swapped for a refusal, the official's signature kept.
      const signed = readContainer(Buffer.from(await signedDecision(grant, [official]), "base64"));
      const swapped = JSON.stringify({ number, granted: false, reason: "swapped" });
      const tampered = writeContainer({
        ...signed,
        dataFiles: signed.dataFiles.map((file) => ({ ...file, data: new TextEncoder().encode(swapped) })),
      });
      await refused(await decide(Buffer.from(tampered).toString("base64")), 422, "DECISION_SIGNATURE");
      const other = JSON.stringify({ number: "ER-2000-000001", granted: true });
      await refused(await decide(await signedDecision(other, [official])), 422, "DECISION_SIGNATURE");
      await refused(await decide(await signedDecision(grant, [official], "other.json")), 422, "DECISION_SIGNATURE");
      await refused(await decide(Buffer.from("not a zip").toString("base64")), 422, "DECISION_SIGNATURE");
      await refused(
        await decide(await signedDecision(JSON.stringify({ number, granted: "yes" }), [official])),
        422,
        "DECISION_INVALID",
      );
      const status = await office.application(number);
      assert.equal(status.status, "awaiting-decision", "nothing was decided by the refused containers");
    });

    test("at once: two payments give one receipt, two decisions one answer, two grants of a day two codes", async () => {
      const created = await (await call("POST", "/applications", form({ documentNumber: "C0" }))).json();
      const pay = () => call("POST", `/applications/${created.number}/payment`, { accessKey: created.accessKey });
      const receipts = await Promise.all([pay(), pay()].map(async (r) => (await r).json()));
      assert.equal(receipts[0].receipt.id, receipts[1].receipt.id);

      const first = await checkedApplication({ documentNumber: "C1", dateOfBirth: "1979-07-07", sex: "male" });
      const second = await checkedApplication({ documentNumber: "C2", dateOfBirth: "1979-07-07", sex: "male" });
      const grant = async (number: string) =>
        call("POST", `/staff/applications/${number}/decision`, {
          container: await signedDecision(JSON.stringify({ number, granted: true }), [official]),
        });
      const [a, b, twice] = await Promise.all([grant(first.number), grant(second.number), grant(first.number)]);
      const statuses = [a.status, twice.status].sort();
      assert.deepEqual(statuses, [200, 409], "one decision of the first application stands");
      assert.equal(b.status, 200);
      const codes = [
        (await office.application(first.number)).personalCode,
        (await office.application(second.number)).personalCode,
      ];
      assert.ok(codes[0] && codes[1] && codes[0] !== codes[1], `${codes}`);
    });

    test("two granted applicants of the same birth date and sex get different codes", async () => {
      const codes: string[] = [];
      for (const documentNumber of ["T1", "T2"]) {
        const { number } = await checkedApplication({ documentNumber, dateOfBirth: "1985-03-03", sex: "male" });
        const decided = await (
          await call("POST", `/staff/applications/${number}/decision`, {
            container: await signedDecision(JSON.stringify({ number, granted: true }), [official]),
          })
        ).json();
        codes.push(decided.personalCode);
      }
      assert.notEqual(codes[0], codes[1]);
      for (const code of codes) {
        const parsed = parsePersonalCode(code);
        assert.equal(parsed.birthDate, "1985-03-03");
        assert.equal(parsed.sex, "male");
      }
    });
  });
}
