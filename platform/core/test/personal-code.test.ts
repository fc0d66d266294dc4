import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  certificateSerialNumber,
  generatePersonalCode,
  isValidPersonalCode,
  PersonalCodeError,
  parsePersonalCode,
  xroadUserId,
} from "../src/index.ts";
import vectors from "./vectors/evs-585.json" with { type: "json" };

describe("personal identification code (EVS 585)", () => {
  for (const vector of vectors.valid) {
    it(`accepts ${vector.code} (${vector.note ?? `round ${vector.round}`})`, () => {
      const parsed = parsePersonalCode(vector.code);
      assert.equal(parsed.birthDate, vector.birthDate);
      assert.equal(parsed.sex, vector.sex);
      assert.equal(parsePersonalCode(`EE${vector.code}`).code, vector.code);
      assert.equal(parsePersonalCode(`PNOEE-${vector.code}`).code, vector.code);
    });
  }
  for (const vector of vectors.invalid) {
    it(`refuses ${vector.code} with ${vector.error}`, () => {
      assert.throws(
        () => parsePersonalCode(vector.code),
        (error: unknown) => error instanceof PersonalCodeError && error.code === vector.error,
      );
    });
  }

  it("writes the X-Road and certificate forms", () => {
    assert.equal(xroadUserId("38001085718"), "EE38001085718");
    assert.equal(certificateSerialNumber("38001085718"), "PNOEE-38001085718");
    assert.throws(() => xroadUserId("38001085719"), { code: "PERSONAL_CODE_CHECKSUM" });
  });

  it("generates codes that parse back to the same birth date, sex and serial", () => {
    const dates = fc
      .date({ min: new Date("1800-01-01T00:00:00Z"), max: new Date("2199-12-31T00:00:00Z"), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        dates,
        fc.constantFrom("male" as const, "female" as const),
        fc.integer({ min: 0, max: 999 }),
        (date, sex, serial) => {
          const parsed = parsePersonalCode(generatePersonalCode(date, sex, serial));
          assert.deepEqual([parsed.birthDate, parsed.sex, parsed.serial], [date, sex, serial]);
        },
      ),
    );
  });

  it("detects a single-digit typo unless it moves the first round to remainder 10", () => {
    // Weights 1..9,1 are units mod 11, so a typo always changes the first-round remainder;
    // only when the typo lands on remainder 10 can the second round repeat the check digit.
    const firstRound = (code: string) =>
      [...code.slice(0, 10)].reduce((sum, d, i) => sum + Number(d) * ((i % 9) + 1), 0) % 11;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 9 }), (position, delta) => {
        const code = "38001085718";
        const typo = code.slice(0, position) + ((Number(code[position]) + delta) % 10) + code.slice(position + 1);
        if (isValidPersonalCode(typo)) assert.equal(firstRound(typo), 10, `${typo} slipped through`);
      }),
    );
  });

  it("never throws anything but a PersonalCodeError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (input) => {
        try {
          parsePersonalCode(input);
        } catch (error) {
          assert.ok(error instanceof PersonalCodeError);
        }
      }),
    );
  });

  it("refuses impossible generation arguments by name", () => {
    assert.throws(() => generatePersonalCode("2023-02-29", "male", 1), /birthDate/);
    assert.throws(() => generatePersonalCode("1980-01-08", "male", 1000), /serial/);
  });
});
