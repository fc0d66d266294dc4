// The readers of the state inbox's and the Board's answers take whatever JSON comes back over
// X-Road: well-formed answers are read as they are, and anything else is PORTAL_BAD_RESPONSE,
// never another exception (property tests with fast-check).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FamilyBenefits } from "../src/benefits/family-benefits.ts";
import { MyHealth } from "../src/health/my-health.ts";
import { StateInbox } from "../src/inbox/state-inbox.ts";
import { PortalError, parsePortalConfig, type XRoadCalls } from "../src/index.ts";
import { MyProperty } from "../src/property/my-property.ts";
import { IncomeTaxReturns, latestOpenYear } from "../src/tax/income-tax-return.ts";

/** A security server that answers BODY to every call, and remembers the calls. */
function answering(body: unknown, calls: Array<Record<string, unknown>> = []): XRoadCalls {
  return {
    send: async (call: Record<string, unknown>) => {
      calls.push(call);
      return { body, id: "x", requestHash: undefined };
    },
  } as unknown as XRoadCalls;
}

const inboxOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new StateInbox(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { mailboxService: "EE/GOV/70006317/inbox/mailbox", messagesService: "EE/GOV/70006317/inbox/messages" },
    "p",
  );
const boardOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new FamilyBenefits(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { familyBenefitsService: "EE/GOV/70001975/benefits/family-benefits" },
    "p",
  );

const taxBoardOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new IncomeTaxReturns(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { returnsService: "EE/GOV/70000349/emta/income-tax-returns" },
    "p",
  );

const healthOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new MyHealth(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { fhirService: "EE/GOV/70009770/tis/fhir", insuranceService: "EE/GOV/74000091/ravikindlustus/insurance" },
    "p",
  );

const PARENT = "48001081012";
/** The Board's answer as it sends it (agencies/tax-board's RETURN schema). */
const RETURN = {
  status: "open",
  taxReturn: {
    year: 2025,
    personalCode: PARENT,
    lines: [
      {
        key: "income:10421629",
        kind: "income",
        amountCents: 1_800_000,
        source: { kind: "payroll", payer: "10421629", declarations: ["tsd-2025-01"] },
        why: "wages from 10421629, 12 months declared: €18000.00",
      },
      {
        key: "pension:18100015",
        kind: "claim",
        amountCents: 80_000,
        source: { kind: "person", declared: 100_000 },
        why: "corrected by you to €800.00 (18100015 declared €1000.00)",
      },
    ],
    incomeCents: 1_800_000,
    deductionsCents: 668_000,
    taxableCents: 1_132_000,
    taxCents: 249_040,
    withheldCents: 300_000,
    balanceCents: 50_960,
    rules: { year: 2025, source: "Income Tax Act" },
  },
  refund: null,
  dueCents: 0,
  confirmedAt: null,
};
const OFFER = {
  id: "ad60ea16-70dd-41bb-8296-f4834b12b5e8",
  child: "52611026010",
  mother: PARENT,
  status: "offered",
  lines: [
    {
      benefit: "childbirth-allowance",
      child: "52611026010",
      amountCents: 32000,
      why: "childbirth allowance: €320.00",
      rules: { effectiveFrom: "2024-04-01", source: "Family Benefits Act" },
    },
  ],
  createdAt: "2026-11-28T22:26:53.419Z",
  confirmedAt: null,
  confirmedBy: null,
};

/** Only PORTAL_BAD_RESPONSE may come out of a reader. */
async function readsOrRefuses(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (error) {
    assert.ok(error instanceof PortalError && error.code === "PORTAL_BAD_RESPONSE", String(error));
  }
}

describe("reading the providers' answers", () => {
  it("reads the Board's offers and calls as the parent, the path naming no one else", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const offers = await boardOf({ personalCode: PARENT, offers: [OFFER] }, calls).offers(PARENT);
    assert.deepEqual(offers, [OFFER]);
    assert.equal(calls[0]?.path, `/persons/EE${PARENT}/offers`);
    assert.equal(calls[0]?.userId, `EE${PARENT}`);
    assert.equal(calls[0]?.representedParty, undefined);
  });

  it("any JSON from the inbox or the Board is read or refused as PORTAL_BAD_RESPONSE", async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const offerish = fc.record({
      id: fc.oneof(fc.string(), fc.integer()),
      lines: fc.oneof(fc.array(fc.dictionary(fc.constantFrom("amountCents", "why", "rules", "benefit"), json)), json),
      status: json,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(json, fc.record({ offers: fc.array(offerish) }), fc.record({ messages: json })),
        async (body) => {
          await readsOrRefuses(() => inboxOf(body).list(PARENT, PARENT));
          await readsOrRefuses(() => inboxOf(body).message(PARENT, PARENT, "m"));
          await readsOrRefuses(() => boardOf(body).offers(PARENT));
          await readsOrRefuses(() => boardOf(body).payments(PARENT));
          await readsOrRefuses(() => boardOf(body).confirm(PARENT, OFFER.id, { recipient: PARENT, iban: "x" }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads the Tax and Customs Board's return as the person, each call's path and method, and which lines may be corrected", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const board = taxBoardOf(RETURN, calls);
    const shown = await board.get(PARENT, 2025);
    assert.equal(shown.status, "open");
    assert.deepEqual(
      shown.lines.map((l) => [l.key, l.correctable, l.source]),
      [
        ["income:10421629", false, { kind: "payroll", payer: "10421629", declarations: ["tsd-2025-01"] }],
        ["pension:18100015", true, { kind: "person", declared: 100_000 }],
      ],
    );
    assert.equal(shown.balanceCents, 50_960);
    await board.correct(PARENT, 2025, "pension:18100015", 80_000);
    await board.confirm(PARENT, 2025, "EE38 2200 2210 2014 5685");
    assert.deepEqual(
      calls.map((c) => [c.method, c.path, c.body, c.userId, c.representedParty]),
      [
        ["GET", `/returns/2025/EE${PARENT}`, undefined, `EE${PARENT}`, undefined],
        [
          "PUT",
          `/returns/2025/EE${PARENT}/lines/pension%3A18100015`,
          { amountCents: 80_000 },
          `EE${PARENT}`,
          undefined,
        ],
        [
          "POST",
          `/returns/2025/EE${PARENT}/confirmation`,
          { iban: "EE38 2200 2210 2014 5685" },
          `EE${PARENT}`,
          undefined,
        ],
      ],
    );
    // Another year's return than the one asked for is not the agreed answer.
    await assert.rejects(board.get(PARENT, 2024), (e) => e instanceof PortalError && e.code === "PORTAL_BAD_RESPONSE");
  });

  it("any JSON from the Tax and Customs Board is read or refused as PORTAL_BAD_RESPONSE", async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const lineish = fc.dictionary(fc.constantFrom("key", "kind", "amountCents", "source", "why"), json);
    const returnish = fc.record({
      status: json,
      taxReturn: fc.oneof(json, fc.record({ year: fc.constantFrom(2025, "2025"), lines: fc.array(lineish) })),
      refund: json,
      dueCents: json,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, returnish), async (body) => {
        await readsOrRefuses(() => taxBoardOf(body).get(PARENT, 2025));
        await readsOrRefuses(() => taxBoardOf(body).confirm(PARENT, 2025, "x"));
      }),
      { numRuns: 300 },
    );
  });

  it("the year shown first is the one the Board opened last: on 15 February, Tallinn time", () => {
    assert.equal(latestOpenYear(new Date("2026-02-14T21:59:59Z")), 2024); // 23:59:59 on the 14th in Tallinn
    assert.equal(latestOpenYear(new Date("2026-02-14T22:00:00Z")), 2025); // midnight of the 15th
    assert.equal(latestOpenYear(new Date("2026-12-31T21:59:59Z")), 2025);
    assert.equal(latestOpenYear(new Date("2026-12-31T22:00:00Z")), 2025); // 1 January 2027
    assert.equal(latestOpenYear(new Date("2027-02-15T12:00:00Z")), 2026);
  });

  it("the inbox is read for a represented child with the parent as the user", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const child = "52611026010";
    await inboxOf({ messages: [], next: null, unread: 0 }, calls).list(child, PARENT);
    assert.equal(calls[0]?.path, `/persons/EE${child}/messages?limit=50`);
    assert.equal(calls[0]?.userId, `EE${PARENT}`);
    assert.deepEqual(calls[0]?.representedParty, { partyCode: `EE${child}` });
  });

  it("the configuration's defaults are riik up's service ids", () => {
    const config = parsePortalConfig(
      {
        publicOrigin: "http://127.0.0.1:1",
        securityServer: { url: "http://127.0.0.1:2" },
        auth: { issuer: "http://127.0.0.1:3", clientId: "portal", clientSecret: "x".repeat(32) },
        trustedCaFiles: ["ca.pem"],
        inbox: {},
        benefits: {},
        taxReturn: {},
        health: {},
        property: {},
      },
      "/srv/portal",
    );
    assert.deepEqual(config.inbox, {
      mailboxService: "EE/GOV/70006317/inbox/mailbox",
      messagesService: "EE/GOV/70006317/inbox/messages",
    });
    assert.deepEqual(config.benefits, { familyBenefitsService: "EE/GOV/70001975/benefits/family-benefits" });
    assert.deepEqual(config.taxReturn, { returnsService: "EE/GOV/70000349/emta/income-tax-returns" });
    assert.deepEqual(config.health, {
      fhirService: "EE/GOV/70009770/tis/fhir",
      insuranceService: "EE/GOV/74000091/ravikindlustus/insurance",
      writesPerPersonPerHour: 60,
    });
    // riik up's: apps/state/src/up/table.ts (LAND_REGISTER, VEHICLES).
    assert.deepEqual(config.property, {
      registerPartsService: "EE/GOV/70000310/kinnistusraamat/register-parts",
      vehiclesService: "EE/GOV/70001490/vehicles/vehicles",
      licencesService: "EE/GOV/70001490/vehicles/driving-licences",
    });
    assert.equal(config.dataDir, "/srv/portal");
  });

  it("asks the health system about the person logged in only: every search by their personal code", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const bundle = {
      resourceType: "Bundle",
      type: "searchset",
      entry: [{ resource: { resourceType: "Patient", id: "p1" } }],
    };
    await healthOf(bundle, calls).record(PARENT);
    await healthOf(bundle, calls).prescriptions(PARENT);
    await healthOf(bundle, calls).reads(PARENT);
    const who = encodeURIComponent(`https://fhir.ee/sid/pid/est/ni|${PARENT}`);
    assert.ok(calls.length >= 7);
    for (const call of calls) {
      assert.equal(call.userId, `EE${PARENT}`);
      assert.equal(call.method, "GET");
      assert.match(
        String(call.path),
        new RegExp(`^/[A-Za-z]+\\?(patient:)?identifier=${who.replace(/[|%]/g, "\\$&")}(&|$)`),
      );
    }
  });

  it("any JSON from the health system or the fund is read or refused as PORTAL_BAD_RESPONSE", async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const key = fc.constantFrom(
      "resourceType",
      "id",
      "status",
      "title",
      "date",
      "author",
      "provision",
      "scope",
      "category",
      "period",
      "class",
      "type",
      "agent",
      "entity",
      "purposeOfEvent",
      "extension",
      "dispenseRequest",
      "authorizingPrescription",
      "quantity",
      "performer",
      "medicationReference",
      "content",
      "outcome",
      "insured",
    );
    const resource = fc.dictionary(key, json, { maxKeys: 8 });
    const bundle = fc.record({
      resourceType: fc.constant("Bundle"),
      entry: fc.oneof(fc.array(fc.record({ resource: fc.oneof(resource, json) }), { maxLength: 4 }), json),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, bundle, resource), async (body) => {
        await readsOrRefuses(() => healthOf(body).record(PARENT));
        await readsOrRefuses(() => healthOf(body).prescriptions(PARENT));
        await readsOrRefuses(() => healthOf(body).reads(PARENT));
        await readsOrRefuses(() => healthOf(body).insurance(PARENT));
      }),
      { numRuns: 300 },
    );
  });

  it("reads the person's register parts, vehicles and licence as they are; no licence is none; any other JSON is PORTAL_BAD_RESPONSE", async () => {
    const part = {
      number: "10101",
      kind: "apartment",
      composition: {
        units: [{ cadastralCode: "78401:101:0010", purpose: "residential", areaM2: 612 }],
        apartment: { share: "6784/100000", description: "Korter 5, Rüütli tn 5, Tartu" },
      },
      owners: [{ kind: "person", code: PARENT, share: "1/1" }],
      encumbrances: [],
      mortgages: [{ rank: 1, amountCents: 15_000_000, currency: "EUR", mortgagee: "10101010", journal: 2 }],
    };
    const vehicle = {
      vin: "TMBJJ7NEXM0100000",
      plate: "101DEM",
      make: "Škoda",
      model: "Octavia",
      category: "M1",
      owner: PARENT,
      user: "38001085718",
      firstRegistered: "2026-11-29",
    };
    const calls: Array<Record<string, unknown>> = [];
    // One security server, three services: each answers its own path.
    const registers = {
      send: async (call: Record<string, unknown>) => {
        calls.push(call);
        const path = String(call.path);
        if (path.endsWith("/licence"))
          throw new PortalError("PORTAL_NOT_FOUND", "no licence", { details: { status: 404 } });
        const body = path.endsWith("/register-parts")
          ? { personalCode: PARENT, registerParts: [part] }
          : { personalCode: PARENT, vehicles: [vehicle] };
        return { body, id: "x", requestHash: undefined };
      },
    } as unknown as XRoadCalls;
    const config = {
      registerPartsService: "EE/GOV/70000310/kinnistusraamat/register-parts",
      vehiclesService: "EE/GOV/70001490/vehicles/vehicles",
      licencesService: "EE/GOV/70001490/vehicles/driving-licences",
    };
    const mine = await new MyProperty(registers, "EE/GOV/70006317/portal", config, "p").of(PARENT);
    assert.deepEqual(mine.registerParts, [
      {
        number: "10101",
        kind: "apartment",
        description: "Korter 5, Rüütli tn 5, Tartu",
        share: "1/1",
        areaM2: 612,
        owners: part.owners,
        encumbrances: 0,
        mortgages: [{ rank: 1, amountCents: 15_000_000, mortgagee: "10101010" }],
      },
    ]);
    assert.deepEqual(
      mine.vehicles.map((v) => [v.plate, v.role]),
      [["101DEM", "owner"]],
    );
    assert.equal(mine.licence, null);
    assert.deepEqual(
      calls.map((c) => [c.path, c.userId]),
      [
        [`/persons/EE${PARENT}/register-parts`, `EE${PARENT}`],
        [`/persons/${PARENT}/vehicles`, `EE${PARENT}`],
        [`/persons/${PARENT}/licence`, `EE${PARENT}`],
      ],
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        await readsOrRefuses(() => new MyProperty(answering(body), "EE/GOV/70006317/portal", config, "p").of(PARENT));
      }),
      { numRuns: 200 },
    );
  });
});
