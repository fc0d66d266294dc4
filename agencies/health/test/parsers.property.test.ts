// Every parser of untrusted bytes, property-tested (fast-check): search query strings, the
// X-Road headers, resource bodies posted to the API (a refusal is always an OperationOutcome,
// never a 500), and the arithmetic of a dispense.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isValidPersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import fc from "fast-check";
import {
  callerOf,
  createHealthService,
  dateMatches,
  EXTENSION,
  fhirPath,
  HealthError,
  type HealthSystem,
  openHealthSystem,
  PERSONAL_CODE_SYSTEM,
  parseSearch,
  REIMBURSEMENT_RATES,
  RESOURCE_TYPES,
  SCHEMAS,
  SEARCH_PARAMETERS,
  sharesOf,
} from "../src/index.ts";
import { buyerOf, prescriptionKindOf } from "../src/prescriptions/prescription-type.ts";

const RUNS = { numRuns: 300 };
const searchInvalid = (e: unknown) =>
  e instanceof HealthError && e.code === "SEARCH_INVALID" && Array.isArray(e.details?.expression);

describe("search query strings", () => {
  const type = fc.constantFrom(...RESOURCE_TYPES);
  const name = (t: (typeof RESOURCE_TYPES)[number]) =>
    fc.oneof(
      fc.constantFrom(
        ...Object.keys(SEARCH_PARAMETERS[t]),
        "_include",
        "_count",
        "_offset",
        "patient:identifier",
        "subject:identifier",
      ),
      fc.string({ maxLength: 12 }),
    );
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom("ge2026-01-01", "Patient/1", "a|b", "|x", "2026", "lt2026-13", "Observation:patient"),
  );

  test("any query parses or is refused as SEARCH_INVALID naming the parameter", () => {
    fc.assert(
      fc.property(
        type.chain((t) =>
          fc.tuple(
            fc.constant(t),
            fc.dictionary(name(t), fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 4 }),
          ),
        ),
        ([t, query]) => {
          try {
            const parsed = parseSearch(t, query);
            assert.ok(parsed.count >= 1 && parsed.count <= 100 && parsed.offset >= 0);
          } catch (error) {
            assert.ok(searchInvalid(error), String(error));
          }
        },
      ),
      RUNS,
    );
  });

  test("a date with a prefix keeps its value; a token keeps its system and code", () => {
    const date = fc
      .tuple(fc.integer({ min: 1900, max: 2099 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
      .map(([y, m, d]) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
    fc.assert(
      fc.property(
        fc.constantFrom("", "eq", "ge", "gt", "le", "lt"),
        date,
        fc.stringMatching(/^[a-z0-9.:/]{1,20}$/),
        fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/),
        (prefix, day, system, code) => {
          const { filters } = parseSearch("Observation", { date: `${prefix}${day}`, status: `${system}|${code}` });
          assert.deepEqual(filters, [
            { param: "date", kind: "date", prefix: prefix || "eq", value: day },
            { param: "status", kind: "token", system, value: code },
          ]);
          assert.equal(dateMatches(`${day}T12:00:00Z`, "eq", day), true);
          assert.equal(dateMatches(`${day}T12:00:00Z`, "lt", day), false);
        },
      ),
      RUNS,
    );
  });
});

describe("X-Road headers", () => {
  test("any headers give a caller; the person only from EE + a valid personal code", () => {
    fc.assert(
      fc.property(
        fc.record({
          "x-road-client": fc.option(fc.oneof(fc.string(), fc.constant("EE/COM/10000018/his"))),
          "x-road-userid": fc.option(fc.oneof(fc.string(), fc.constant("EE38001085718"), fc.constant("EE38001085719"))),
          "x-road-issue": fc.option(fc.oneof(fc.string(), fc.constant("%E0%A4%A"))),
          "x-riik-purpose-of-use": fc.option(fc.constantFrom("ETREAT", "TREAT", "")),
        }),
        (headers) => {
          const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== null)) as Record<
            string,
            string
          >;
          const caller = callerOf(clean);
          if (caller.person !== undefined) assert.equal(clean["x-road-userid"], `EE${caller.person}`);
          if (clean["x-road-userid"] === "EE38001085719") assert.equal(caller.person, undefined);
          assert.equal(caller.emergency, clean["x-riik-purpose-of-use"] === "ETREAT");
        },
      ),
      RUNS,
    );
  });

  test("a JSON pointer becomes the FHIRPath of the field", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z][A-Za-z]{0,8}$/), fc.nat({ max: 9 }).map(String)), { maxLength: 5 }),
        (parts) => {
          const path = fhirPath("Patient", parts.map((p) => `/${p}`).join(""));
          assert.equal(path, `Patient${parts.map((p) => (/^[0-9]+$/.test(p) ? `[${p}]` : `.${p}`)).join("")}`);
        },
      ),
      RUNS,
    );
  });
});

describe("resource bodies posted to the API", () => {
  let system: HealthSystem;
  let service: MemberService;
  before(async () => {
    system = await openHealthSystem({ dataDir: temporaryDirectory() }, { trustAnchors: [] });
    service = createHealthService(system.store, system.centre);
  });
  after(async () => {
    await service.close();
    await system.close();
  });

  test("any body is stored or refused with an OperationOutcome, never a 500", async () => {
    const types = Object.keys(SCHEMAS);
    const valid = {
      resourceType: "Patient",
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: "38001085718" }],
      birthDate: "1980-01-08",
    };
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc
        .record({ resourceType: fc.constantFrom(...types) }, { requiredKeys: ["resourceType"] })
        .chain((base) =>
          fc
            .dictionary(
              fc.constantFrom("id", "status", "subject", "identifier", "patient", "quantity", "provision", "intent"),
              fc.jsonValue({ maxDepth: 2 }),
            )
            .map((rest) => ({ ...base, ...rest })),
        ),
      fc
        .constantFrom("identifier", "birthDate", "resourceType")
        .chain((field) => fc.jsonValue({ maxDepth: 2 }).map((v) => ({ ...valid, [field]: v }))),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...types), body, fc.boolean(), async (type, value, fhirJson) => {
        const res = await service.app.inject({
          method: "POST",
          url: `/fhir/${type}`,
          headers: { "content-type": fhirJson ? "application/fhir+json" : "application/json" },
          payload: JSON.stringify(value),
        });
        assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
        if (res.statusCode >= 400) {
          const outcome = res.json();
          assert.equal(outcome.resourceType, "OperationOutcome");
          assert.ok(outcome.issue[0].details.coding[0].code.length > 0);
        }
      }),
      { numRuns: 200 },
    );
    const broken = await service.app.inject({
      method: "POST",
      url: "/fhir/Patient",
      headers: { "content-type": "application/fhir+json" },
      payload: '{"resourceType":',
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().resourceType, "OperationOutcome");
  });
});

describe("who may collect: the buyer and the prescription's type in extensions", () => {
  const extension = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.record({
      url: fc.constantFrom(EXTENSION.buyer, EXTENSION.prescriptionType, EXTENSION.namedRepresentative, "x"),
      valueCode: fc.option(fc.constantFrom("public", "named-representative", "other")),
      valueIdentifier: fc.oneof(
        fc.jsonValue({ maxDepth: 1 }),
        fc.record({
          system: fc.constantFrom(PERSONAL_CODE_SYSTEM, "urn:other"),
          value: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("38001085718", "38001085719")),
        }),
      ),
    }),
  );
  const body = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(extension, { maxLength: 4 }));

  test("a dispense's buyer is a valid personal code from the buyer extension, or RESOURCE_INVALID naming the field", () => {
    fc.assert(
      fc.property(body, (extensions) => {
        try {
          const buyer = buyerOf({ resourceType: "MedicationDispense", extension: extensions });
          assert.ok(isValidPersonalCode(buyer));
          assert.ok(
            (extensions as Array<{ url?: string; valueIdentifier?: { value?: string } }>).some(
              (e) => e?.url === EXTENSION.buyer && e.valueIdentifier?.value === buyer,
            ),
          );
        } catch (error) {
          assert.ok(
            error instanceof HealthError &&
              error.code === "RESOURCE_INVALID" &&
              String(error.details?.expression).startsWith("MedicationDispense.extension"),
            String(error),
          );
        }
      }),
      RUNS,
    );
  });

  test("a prescription's type is public, or named-representative with a person holding a mandate; else a typed refusal naming the field", async () => {
    const system = await openHealthSystem({ dataDir: temporaryDirectory() }, { trustAnchors: [] });
    try {
      await fc.assert(
        fc.asyncProperty(body, async (extensions) => {
          try {
            const kind = await prescriptionKindOf(
              system.store,
              { resourceType: "MedicationRequest", extension: extensions },
              "38001085718",
              new Date(),
            );
            // No one holds a mandate in an empty system: only public passes.
            assert.deepEqual(kind, { kind: "public", representative: null });
          } catch (error) {
            assert.ok(
              error instanceof HealthError &&
                ["RESOURCE_INVALID", "REFERENCE_NOT_FOUND"].includes(error.code) &&
                String(error.details?.expression).startsWith("MedicationRequest.extension"),
              String(error),
            );
          }
        }),
        RUNS,
      );
    } finally {
      await system.close();
    }
  });
});

describe("the patient's share and the fund's", () => {
  /** A dispense: the price of a package, the medicine's reimbursement rate, how many packages. */
  const sale = [
    fc.integer({ min: 1, max: 500_00 }),
    fc.constantFrom(...REIMBURSEMENT_RATES),
    fc.integer({ min: 1, max: 20 }),
  ] as const;

  test("they add up to the price; the patient pays at least the fixed part (or the price) and no more than the price", () => {
    fc.assert(
      fc.property(...sale, (priceCents, reimbursementRate, packages) => {
        const s = sharesOf({ priceCents, reimbursementRate }, packages);
        assert.equal(s.patientCents + s.fundCents, priceCents * packages);
        assert.ok(s.patientCents <= s.priceCents && s.fundCents >= 0);
        if (reimbursementRate === 100) assert.equal(s.patientCents, Math.min(127, s.priceCents));
      }),
      RUNS,
    );
  });

  test("a patient the fund does not insure pays the whole price, at any rate", () => {
    fc.assert(
      fc.property(...sale, (priceCents, reimbursementRate, packages) => {
        const s = sharesOf({ priceCents, reimbursementRate }, packages, false);
        assert.deepEqual(s, { priceCents: priceCents * packages, patientCents: priceCents * packages, fundCents: 0 });
      }),
      RUNS,
    );
  });
});
