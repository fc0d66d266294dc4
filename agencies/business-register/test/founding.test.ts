// Founding an OÜ end to end on real ASiC-E signatures from test cards, and every bad input of
// issue 14: typed errors, nothing registered half-way.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { isValidRegistryCode, RiikError } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { startOutboxDispatcher } from "@riik/kit";
import { startTestTrustServices } from "@riik/pki/testing";
import { type BusinessRegister, type BusinessRegisterError, openBusinessRegister, openData } from "../src/index.ts";
import {
  applicationOf,
  type Founder,
  type FoundingSandbox,
  signedContainer,
  signedFiles,
  startFoundingSandbox,
} from "./fixture.ts";

/** A typed refusal with this code (the register's own, or core's for a registry code). */
const refused = (code: string) => (error: unknown) => {
  assert.ok(error instanceof RiikError, String(error));
  assert.equal(error.code, code, error.message);
  return true;
};

describe("founding a private limited company (OÜ)", async () => {
  // Started in the suite's body: the trust services close after it (their after hook).
  const sandbox: FoundingSandbox = await startFoundingSandbox();
  const stranger = await startTestTrustServices();
  let register: BusinessRegister;
  let mari: Founder;
  let jaan: Founder;
  let mallory: Founder;
  const banned = new Set<string>();
  const counts = async () => ({
    companies: (await register.db.selectFrom("company").selectAll().execute()).length,
    journal: (await register.db.selectFrom("change_journal").selectAll().execute()).length,
    events: (await register.db.selectFrom("event_outbox").selectAll().execute()).length,
  });

  before(async () => {
    register = await openBusinessRegister(
      { dataDir: temporaryDirectory() },
      {
        trustAnchors: [sandbox.trust.services.root],
        checks: {
          personsExist: async () => [],
          bannedFromBusiness: async (codes) => codes.filter((c) => banned.has(c)),
        },
      },
    );
    mari = await sandbox.founder("Mari", "Maasikas", "1987-07-28");
    jaan = await sandbox.founder("Jaan", "Tamm", "1980-01-08", "male");
    mallory = await sandbox.founder("Mallory", "Kurjam", "1990-03-03");
  });

  test("both founders sign the same document; registration assigns a code, the card, the rights, the journal and the event at once", async () => {
    const created = await register.createApplication(applicationOf("Päikese Tarkvara OÜ", [mari, jaan]));
    assert.match(created.sha256, /^[0-9a-f]{64}$/);
    assert.equal(JSON.parse(created.document).name, "Päikese Tarkvara OÜ");

    // Mari signs alone: one signature recorded, Jaan missing, registration refused without changes.
    const first = await register.sign(created.id, await signedContainer(created.document, [mari], sandbox.tsaUrl));
    assert.deepEqual(first, { signedBy: [mari.personalCode], missing: [jaan.personalCode] });
    const before = await counts();
    await assert.rejects(register.register(created.id, "RECEIPT-1"), refused("SIGNATURES_MISSING"));

    // Jaan signs another version of the application (different capital): refused.
    const other = { ...JSON.parse(created.document), email: "other@example.ee" };
    const { applicationDocument } = await import("../src/index.ts");
    await assert.rejects(
      register.sign(created.id, await signedContainer(applicationDocument(other).document, [jaan], sandbox.tsaUrl)),
      refused("SIGNED_OTHER_VERSION"),
    );
    // Someone who is not a founder signs the right document: refused.
    await assert.rejects(
      register.sign(created.id, await signedContainer(created.document, [mallory], sandbox.tsaUrl)),
      refused("SIGNER_NOT_FOUNDER"),
    );
    // Jaan signs; the state fee is still missing.
    const second = await register.sign(created.id, await signedContainer(created.document, [jaan], sandbox.tsaUrl));
    assert.deepEqual(second.missing, []);
    await assert.rejects(register.register(created.id, undefined), refused("FEE_NOT_PAID"));
    assert.deepEqual(await counts(), before, "nothing registered half-way");

    const company = await register.register(created.id, "RECEIPT-1");
    assert.ok(isValidRegistryCode(company.registryCode));
    assert.equal(company.registryCode[0], "1");
    assert.equal(company.status, "registered");
    assert.equal(company.shareCapitalCents, 200);
    const after = await counts();
    assert.equal(after.companies, 1);
    // company + 2 founders + 2 shareholders + 1 board + 2 beneficial owners + 1 representation right
    assert.equal(after.journal, 9);
    assert.equal(after.events, 1);
    assert.deepEqual(
      (await register.representationRights(mari.personalCode)).map((r) => [r.registryCode, r.scope]),
      [[company.registryCode, "alone"]],
    );
    assert.deepEqual(
      await register.representationRights(jaan.personalCode),
      [],
      "Jaan is a shareholder, not on the board",
    );
    const persons = await register.persons(company.registryCode);
    assert.deepEqual(
      persons.filter((p) => p.role === "shareholder").map((p) => [p.personalCode, p.shareCents]),
      [mari, jaan].map((f) => [f.personalCode, 100]).sort(),
    );
    await assert.rejects(register.register(created.id, "RECEIPT-1"), refused("APPLICATION_CLOSED"));

    const delivered: unknown[] = [];
    const dispatcher = startOutboxDispatcher({
      db: register.db,
      deliver: async (e) => void delivered.push(e),
      intervalMs: 3_600_000,
    });
    try {
      assert.equal(await dispatcher.drain(), 1);
      assert.deepEqual(
        (delivered[0] as { type: string; data: { registryCode: string } }).data.registryCode,
        company.registryCode,
      );
    } finally {
      await dispatcher.stop();
    }
  });

  test("both founders in one container; a name differing only by case, punctuation or legal form is taken", async () => {
    await assert.rejects(
      register.createApplication(applicationOf("päikese-tarkvara OÜ", [mari, jaan])),
      refused("NAME_TAKEN"),
    );
    await assert.rejects(
      register.createApplication(applicationOf("Päikese Tarkvara, OÜ", [mari])),
      refused("NAME_TAKEN"),
    );
    const check = await register.nameCheck("Päikese Tarkvarad OÜ");
    assert.equal(check.taken, false);
    assert.equal(check.reserved, null);
    // A word reserved for the state is told before anyone signs, as the application would be refused.
    assert.equal((await register.nameCheck("Politsei-Teenused OÜ")).reserved, "politsei");
    assert.equal((await register.nameCheck("Politseinik Valve OÜ")).reserved, null, "a word, not a part of one");
    assert.deepEqual(
      check.similar.map((s) => s.name),
      ["Päikese Tarkvara OÜ"],
    );

    const created = await register.createApplication(applicationOf("Kuu Tarkvara OÜ", [jaan, mari]));
    const state = await register.sign(
      created.id,
      await signedContainer(created.document, [jaan, mari], sandbox.tsaUrl),
    );
    assert.deepEqual(state.missing, []);
    const company = await register.register(created.id, "RECEIPT-2");
    assert.notEqual(company.registryCode, (await register.companies())[0]?.registryCode);
    assert.deepEqual(
      (await register.representationRights(jaan.personalCode)).map((r) => r.companyName),
      ["Kuu Tarkvara OÜ"],
    );
  });

  test("bad applications are refused with their codes and store nothing", async () => {
    const before = await counts();
    const cases: Array<[ReturnType<typeof applicationOf>, string]> = [
      [
        applicationOf("Kolm Karu OÜ", [mari, jaan], {
          shareCapitalCents: 1,
          founders: [
            { ...applicationOf("x OÜ", [mari]).founders[0]!, shareCents: 1 },
            { ...applicationOf("x OÜ", [jaan]).founders[0]!, shareCents: 0 },
          ],
        }),
        "CAPITAL_TOO_LOW",
      ],
      [applicationOf("Kolm Karu OÜ", [mari], { shareCapitalCents: 250 }), "APPLICATION_INVALID"],
      [applicationOf("Kolm Karu", [mari]), "NAME_INVALID"],
      [applicationOf("Riik OÜ", [mari]), "NAME_INVALID"],
      [
        applicationOf("Kolm Karu OÜ", [mari], {
          board: [{ personalCode: "38001085719", givenName: "A", surname: "B" }],
        }),
        "PERSONAL_CODE_INVALID",
      ],
      [applicationOf("Kolm Karu OÜ", [mari, mari]), "APPLICATION_INVALID"],
    ];
    for (const [application, code] of cases)
      await assert.rejects(register.createApplication(application), refused(code));
    assert.deepEqual(await counts(), before);
  });

  test("a board member banned from business stops registration; nothing is registered", async () => {
    const created = await register.createApplication(applicationOf("Keelatud Äri OÜ", [mallory]));
    await register.sign(created.id, await signedContainer(created.document, [mallory], sandbox.tsaUrl));
    banned.add(mallory.personalCode);
    const before = await counts();
    try {
      await assert.rejects(register.register(created.id, "RECEIPT-3"), refused("BOARD_MEMBER_BANNED"));
    } finally {
      banned.delete(mallory.personalCode);
    }
    assert.deepEqual(await counts(), before);
    assert.equal((await register.application(created.id)).status, "open");
  });

  test("a card revoked (or suspended) between signing and registration is SIGNER_CERTIFICATE_REVOKED by a fresh OCSP check; nothing is registered", async () => {
    const { normaliseSerial } = await import("@riik/pki");
    const { cardCertificate } = await import("@riik/pki");
    const status = async (founder: Founder, event: "revoked" | "suspended" | "resumed") =>
      sandbox.trust.services.registry.changeStatus(
        "esteid",
        normaliseSerial(cardCertificate(founder.card, "signing").serialNumber),
        { event, ...(event === "revoked" ? { reason: "keyCompromise" as const } : {}), actor: "test" },
      );
    const holder = await sandbox.founder("Kaotatud", "Kaart", "1979-11-30");
    const created = await register.createApplication(applicationOf("Kaotatud Kaardi OÜ", [holder, mari]));
    await register.sign(created.id, await signedContainer(created.document, [holder, mari], sandbox.tsaUrl));
    const before = await counts();
    await status(holder, "suspended");
    await assert.rejects(register.register(created.id, "RECEIPT-R"), (error) => {
      refused("SIGNER_CERTIFICATE_REVOKED")(error);
      assert.deepEqual((error as BusinessRegisterError).details, {
        personalCode: holder.personalCode,
        status: "suspended",
      });
      return true;
    });
    await status(holder, "resumed");
    await status(holder, "revoked");
    await assert.rejects(register.register(created.id, "RECEIPT-R"), (error) => {
      refused("SIGNER_CERTIFICATE_REVOKED")(error);
      assert.equal((error as BusinessRegisterError).details?.status, "revoked");
      return true;
    });
    assert.deepEqual(await counts(), before, "nothing registered half-way");
    assert.equal((await register.application(created.id)).status, "open");
    // A card already revoked cannot even make a B-LT signature (its OCSP response at signing says so).
    await assert.rejects(signedContainer(created.document, [holder], sandbox.tsaUrl), { code: "SIGNER_REVOKED" });
    // Nor can an expired card (validity 0 years: it ends as it is issued): no signature reaches the register.
    const { issueCard } = await import("@riik/pki");
    const expired: Founder = {
      ...holder,
      card: await issueCard(sandbox.trust.services, { ...holder, pin1: "1234", pin2: "12345", validityYears: 0 }),
    };
    await new Promise((done) => setTimeout(done, 1100));
    await assert.rejects(signedContainer(created.document, [expired], sandbox.tsaUrl), { code: "SIGNER_CERTIFICATE" });
    assert.deepEqual(
      (await register.application(created.id)).signedBy,
      [holder.personalCode, mari.personalCode].sort(),
    );
  });

  test("a card of a CA the register does not trust, and a tampered container, are SIGNATURE_INVALID", async () => {
    const created = await register.createApplication(applicationOf("Võõras Kaart OÜ", [mari]));
    const { issueCard } = await import("@riik/pki");
    const foreign: Founder = {
      ...mari,
      card: await issueCard(stranger.services, {
        personalCode: mari.personalCode,
        givenName: "Mari",
        surname: "Maasikas",
        pin1: "1234",
        pin2: "12345",
      }),
    };
    await assert.rejects(
      register.sign(created.id, await signedContainer(created.document, [foreign], `${stranger.url}/tsa`)),
      refused("SIGNATURE_INVALID"),
    );
    const good = Buffer.from(await signedContainer(created.document, [mari], sandbox.tsaUrl));
    const sig = good.indexOf("SignatureValue");
    good[sig + 40] = good[sig + 40] === 0x41 ? 0x42 : 0x41;
    await assert.rejects(register.sign(created.id, good), refused("SIGNATURE_INVALID"));
    await assert.rejects(register.sign(created.id, new Uint8Array([1, 2, 3])), refused("SIGNATURE_INVALID"));
    assert.deepEqual((await register.application(created.id)).signedBy, []);
  });

  test("annual reports: signed by a board member with representation rights (all when joint), one per ended financial year, listed on the company", async () => {
    const company = (await register.companies()).find((c) => c.name === "Kuu Tarkvara OÜ")!;
    const year = Number(company.registered.slice(0, 4));
    const nextYear = { at: new Date(`${year + 1}-03-01T10:00:00Z`) };
    const report = (signers: Founder[]) =>
      signedFiles({ "aruanne.xml": "<majandusaasta/>", "aruanne.pdf": "%PDF-1.7" }, signers, sandbox.tsaUrl);
    const submitted = await register.submitAnnualReport(company.registryCode, year, await report([jaan]), nextYear);
    assert.deepEqual(submitted.signedBy, [jaan.personalCode]);
    assert.deepEqual(
      submitted.files.map((f) => f.name),
      ["aruanne.xml", "aruanne.pdf"],
    );
    assert.deepEqual(
      (await register.annualReports(company.registryCode)).map((r) => r.financialYear),
      [year],
    );
    await assert.rejects(
      register.submitAnnualReport(company.registryCode, year, await report([jaan]), nextYear),
      refused("ANNUAL_REPORT_EXISTS"),
    );
    await assert.rejects(
      register.submitAnnualReport(company.registryCode, year - 1, await report([jaan]), nextYear),
      refused("ANNUAL_REPORT_INVALID"),
    );
    await assert.rejects(
      register.submitAnnualReport(company.registryCode, year, await report([jaan])),
      refused("ANNUAL_REPORT_INVALID"),
      "a year that has not ended",
    );
    // Mari is a shareholder, not on the board.
    await assert.rejects(
      register.submitAnnualReport(company.registryCode, year + 1, await report([mari]), {
        at: new Date(`${year + 2}-03-01T10:00:00Z`),
      }),
      refused("SIGNER_NOT_REPRESENTATIVE"),
    );
    // A board that represents jointly: every member signs.
    await register.changeBoard(
      company.registryCode,
      [jaan, mari].map(({ personalCode, givenName, surname }) => ({ personalCode, givenName, surname })),
      "jointly",
    );
    const later = { at: new Date(`${year + 2}-03-01T10:00:00Z`) };
    await assert.rejects(
      register.submitAnnualReport(company.registryCode, year + 1, await report([jaan]), later),
      refused("SIGNATURES_MISSING"),
    );
    const joint = await register.submitAnnualReport(company.registryCode, year + 1, await report([jaan, mari]), later);
    assert.deepEqual(joint.signedBy, [jaan.personalCode, mari.personalCode].sort());
    assert.deepEqual(
      (await register.annualReports(company.registryCode)).map((r) => r.financialYear),
      [year + 1, year],
    );
    await register.changeBoard(company.registryCode, [
      { personalCode: jaan.personalCode, givenName: jaan.givenName, surname: jaan.surname },
    ]);
  });

  test("a company as a founder signs through a board member with representation rights (all of them when joint), from the register's own data", async () => {
    const parent = (await register.companies()).find((c) => c.name === "Kuu Tarkvara OÜ")!;
    const asFounder = { registryCode: parent.registryCode, name: parent.name, shareCents: 100 };
    const person = (f: Founder) => ({ personalCode: f.personalCode, givenName: f.givenName, surname: f.surname });
    const created = await register.createApplication(
      applicationOf("Tütar Tarkvara OÜ", [mari], {
        founders: [asFounder, { ...person(mari), shareCents: 100 }],
        shareCapitalCents: 200,
        board: [person(mari)],
      }),
    );
    // Jaan represents the founding company: the application is among his, waiting for him.
    const waiting = (await register.personApplications(jaan.personalCode)).find((a) => a.id === created.id);
    assert.deepEqual(
      waiting?.founders.map((f) => [f.personalCode ?? f.registryCode, f.signed]),
      [
        [parent.registryCode, false],
        [mari.personalCode, false],
      ],
    );
    await assert.rejects(
      register.sign(created.id, await signedContainer(created.document, [mallory], sandbox.tsaUrl)),
      refused("SIGNER_NOT_FOUNDER"),
    );
    const first = await register.sign(created.id, await signedContainer(created.document, [mari], sandbox.tsaUrl));
    assert.deepEqual(first.missing, [parent.registryCode]);
    await assert.rejects(register.register(created.id, "RECEIPT-C"), (error) => {
      refused("SIGNATURES_MISSING")(error);
      assert.deepEqual((error as BusinessRegisterError).details, { missing: [parent.registryCode] });
      return true;
    });
    const second = await register.sign(created.id, await signedContainer(created.document, [jaan], sandbox.tsaUrl));
    assert.deepEqual(second.missing, []);
    const child = await register.register(created.id, "RECEIPT-C");
    assert.deepEqual(
      (await register.legalPersons(child.registryCode)).map((p) => [p.role, p.registryCode, p.shareCents]),
      [
        ["founder", parent.registryCode, null],
        ["shareholder", parent.registryCode, 100],
      ],
    );
    assert.deepEqual(
      (await register.persons(child.registryCode)).filter((p) => p.role === "shareholder").map((p) => p.personalCode),
      [mari.personalCode],
    );
    assert.deepEqual(
      (await openData(register, "persons"))
        .filter((row) => row.registryCode === child.registryCode && row.legalPersonRegistryCode)
        .map((row) => [row.role, row.legalPersonRegistryCode, row.legalPersonName, row.shareEur ?? null]),
      [
        ["founder", parent.registryCode, parent.name, null],
        ["shareholder", parent.registryCode, parent.name, 1],
      ],
    );

    // Bad founding companies: a bad registry code, one not on the register.
    for (const [registryCode, code] of [
      ["12345670", "REGISTRY_CODE_INVALID"],
      ["10000053", "COMPANY_NOT_FOUND"],
    ] as const)
      await assert.rejects(
        register.createApplication(
          applicationOf("Vale Asutaja OÜ", [mari], {
            founders: [{ registryCode, name: "Keegi OÜ", shareCents: 100 }],
            shareCapitalCents: 100,
          }),
        ),
        refused(code),
      );

    // The parent's board represents jointly: both must sign for it.
    await register.changeBoard(parent.registryCode, [person(jaan), person(mari)], "jointly");
    try {
      const joint = await register.createApplication(
        applicationOf("Ühine Tütar OÜ", [jaan], {
          founders: [asFounder],
          shareCapitalCents: 100,
          board: [person(jaan)],
        }),
      );
      const one = await register.sign(joint.id, await signedContainer(joint.document, [jaan], sandbox.tsaUrl));
      assert.deepEqual(one.missing, [parent.registryCode]);
      const both = await register.sign(joint.id, await signedContainer(joint.document, [mari], sandbox.tsaUrl));
      assert.deepEqual(both.missing, []);
    } finally {
      await register.changeBoard(parent.registryCode, [person(jaan)]);
    }
  });

  test("changes and deletion are journalled; a deleted company refuses changes and its rights end", async () => {
    const [company] = await register.companies();
    assert.ok(company);
    const journal = async () => (await register.db.selectFrom("change_journal").selectAll().execute()).length;
    const start = await journal();
    assert.equal(
      (await register.changeAddress(company.registryCode, "Tartu maakond, Tartu linn, Raekoja plats 1")).seatAddress,
      "Tartu maakond, Tartu linn, Raekoja plats 1",
    );
    await assert.rejects(register.changeCapital(company.registryCode, 1), refused("CAPITAL_TOO_LOW"));
    assert.equal((await register.changeCapital(company.registryCode, 250_000)).shareCapitalCents, 250_000);
    await register.changeBoard(
      company.registryCode,
      [{ personalCode: jaan.personalCode, givenName: "Jaan", surname: "Tamm" }],
      "jointly",
    );
    assert.deepEqual(
      (await register.representationRights(jaan.personalCode)).find((r) => r.registryCode === company.registryCode)
        ?.scope,
      "jointly",
    );
    assert.equal(
      (await register.representationRights(mari.personalCode)).some((r) => r.registryCode === company.registryCode),
      false,
    );
    assert.ok((await journal()) > start + 3);
    await assert.rejects(register.changeAddress("12345670", "Somewhere 1"), refused("REGISTRY_CODE_INVALID"));
    await assert.rejects(register.changeAddress("10000053", "Somewhere 1"), refused("COMPANY_NOT_FOUND"));
    const deleted = await register.deleteCompany(company.registryCode);
    assert.equal(deleted.status, "deleted");
    assert.equal(
      (await register.representationRights(jaan.personalCode)).some((r) => r.registryCode === company.registryCode),
      false,
    );
    await assert.rejects(register.changeAddress(company.registryCode, "Tallinn 1"), refused("COMPANY_DELETED"));
    const feed = await register.changes(0, 1000);
    assert.equal(feed.next, feed.entries.at(-1)?.seq);
    assert.deepEqual((await register.changes(feed.next, 10)).entries, []);
  });
});
