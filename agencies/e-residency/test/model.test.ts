// The rules without a database: personal codes for e-residents (EVS 585), the photo's magic
// bytes and size, age on a birthday, and the descriptor's exchange registration.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isValidPersonalCode, parsePersonalCode } from "@riik/core";
import fc from "fast-check";
import {
  ageOn,
  assignPersonalCode,
  EResidencyError,
  eResidencyDescriptor,
  FEE_RULES,
  feeFor,
  PHOTO_MAX_BYTES,
  photoBytes,
} from "../src/index.ts";

const birthDate = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const sex = fc.constantFrom("male" as const, "female" as const);

describe("personal codes of e-residents", () => {
  test("each assignment is valid, encodes the birth date and sex, and differs from every code before it", () => {
    fc.assert(
      fc.property(
        birthDate,
        sex,
        fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { maxLength: 60 }),
        (day, s, taken) => {
          const used = new Set(taken);
          const codes = new Set<string>();
          for (let i = 0; i < 5; i++) {
            const code = assignPersonalCode(day, s, used);
            assert.ok(isValidPersonalCode(code), code);
            const parsed = parsePersonalCode(code);
            assert.equal(parsed.birthDate, day);
            assert.equal(parsed.sex, s);
            assert.ok(!used.has(parsed.serial), "a serial already in the register is never given again");
            // The lowest free serial: everything below it is taken.
            for (let serial = 0; serial < parsed.serial; serial++) assert.ok(used.has(serial));
            codes.add(code);
            used.add(parsed.serial);
          }
          assert.equal(codes.size, 5);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a changed check digit is not valid", () => {
    fc.assert(
      fc.property(birthDate, sex, fc.integer({ min: 0, max: 999 }), fc.integer({ min: 1, max: 9 }), (day, s, n, d) => {
        const code = assignPersonalCode(
          day,
          s,
          Array.from({ length: n }, (_, i) => i),
        );
        const wrong = `${code.slice(0, 10)}${(Number(code[10]) + d) % 10}`;
        assert.equal(isValidPersonalCode(wrong), false);
      }),
    );
  });

  test("a full day is PERSONAL_CODES_EXHAUSTED", () => {
    assert.throws(
      () =>
        assignPersonalCode(
          "1990-01-01",
          "male",
          Array.from({ length: 1000 }, (_, i) => i),
        ),
      { code: "PERSONAL_CODES_EXHAUSTED" },
    );
  });
});

describe("the form's rules", () => {
  test("photos: JPEG and PNG by their signature, at most 2 MB", () => {
    assert.equal(photoBytes(Buffer.from([0xff, 0xd8, 0xff, 0xdb]).toString("base64")).length, 4);
    assert.throws(() => photoBytes(Buffer.from([0xff, 0xd8, 0xff]).toString("base64")), { code: "PHOTO_INVALID" });
    assert.throws(() => photoBytes(Buffer.from("%PDF-1.7").toString("base64")), { code: "PHOTO_INVALID" });
    const limit = Buffer.alloc(PHOTO_MAX_BYTES);
    limit.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(photoBytes(limit.toString("base64")).length, PHOTO_MAX_BYTES);
  });

  test("age counts from the birthday itself; 29 February", () => {
    assert.equal(ageOn("2008-06-15", "2026-06-14"), 17);
    assert.equal(ageOn("2008-06-15", "2026-06-15"), 18);
    assert.equal(ageOn("2008-02-29", "2026-02-28"), 17);
    assert.equal(ageOn("2008-02-29", "2026-03-01"), 18);
  });
});

describe("the state fee (State Fees Act § 27², versioned)", () => {
  test("the rule in force on the day of submission, by where the ID is picked up", () => {
    const at = (day: string, country: string) => feeFor(day, country).amountCents;
    assert.equal(at("2014-12-01", "DE"), 50_00);
    assert.equal(at("2016-01-31", "EE"), 50_00);
    assert.equal(at("2016-02-01", "EE"), 100_00);
    assert.equal(at("2024-12-31", "EE"), 100_00);
    assert.equal(at("2024-12-31", "DE"), 120_00, "a foreign mission before 2025");
    assert.equal(at("2025-01-01", "EE"), 150_00);
    assert.equal(at("2025-01-01", "JP"), 150_00);
    assert.equal(feeFor("2026-11-29", "EE").rule, "2025-01-01");
    assert.throws(
      () => feeFor("2014-11-30", "EE"),
      (e) => e instanceof EResidencyError,
    );
  });

  test("rules are oldest first and each names its source", () => {
    for (const [i, rule] of FEE_RULES.entries()) {
      assert.match(rule.source, /State Fees Act/);
      if (i > 0) assert.ok(rule.effectiveFrom > (FEE_RULES[i - 1] as { effectiveFrom: string }).effectiveFrom);
    }
  });
});

describe("descriptor", () => {
  test("registers applications (no personal data), e-residents and decisions, and its call to the police", async () => {
    const config = {
      dir: "d",
      trust: "root.crt",
      port: 8540,
      host: "127.0.0.1",
      xroadSecurityServer: "http://127.0.0.1:8080",
      xroadClient: "EE/GOV/70008747/e-residency",
      backgroundChecksService: "EE/GOV/70008747/police-app/background-checks",
      populationRegisterService: "EE/GOV/70000562/rr/persons",
      officials: [],
      applicationsClients: ["EE/GOV/70000000/portal"],
      eResidentsClients: ["EE/GOV/70000310/business-register"],
      decisionsClients: [],
    };
    const registration = eResidencyDescriptor.exchange!(config, {
      subsystem: "EE/GOV/70008747/e-residency",
      url: "http://127.0.0.1:8540",
    });
    assert.deepEqual(
      registration.services?.map((s) => [s.code, s.personalData ?? false]),
      [
        ["applications", false],
        ["e-residents", true],
        ["decisions", true],
      ],
    );
    assert.ok(
      registration.access?.some(
        (a) =>
          a.subject === "EE/GOV/70008747/e-residency" &&
          a.service === "EE/GOV/70008747/police-app/background-checks" &&
          a.method === "POST",
      ),
    );
    assert.ok(
      registration.access?.some(
        (a) =>
          a.subject === "EE/GOV/70008747/e-residency" &&
          a.service === "EE/GOV/70000562/rr/persons" &&
          a.method === "GET" &&
          a.paths.includes("/persons/*"),
      ),
      "the call to the population register's persons service",
    );
    assert.ok(
      registration.access?.some(
        (a) => a.subject === "EE/GOV/70000310/business-register" && a.paths.includes("/e-residents/*"),
      ),
    );
    const openapi = (await registration.services?.[0]?.openapi?.()) as { paths: Record<string, unknown> };
    assert.ok(openapi.paths["/applications/{number}/status"]);
  });
});
