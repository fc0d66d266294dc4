// X-Road-Represented-Party (PR-THIRDPARTY 2.2 in an r1 header, README "Represented party"):
// every party round-trips through its header value, and no string makes the parser throw
// anything but Client.BadRequest.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import fc from "fast-check";
import { XRoadFault } from "../src/errors.ts";
import {
  formatRepresentedParty,
  parseRepresentedParty,
  type RepresentedParty,
  representedPartyOf,
  representedPerson,
} from "../src/protocol/represented-party.ts";

/** PR-REST 4.8 identifier characters. */
const IDENTIFIER = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+,-.=?".split("");
const part = fc.string({ unit: fc.constantFrom(...IDENTIFIER), minLength: 1, maxLength: 40 });
const estonian = fc
  .record({
    day: fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true }),
    sex: fc.constantFrom("male" as const, "female" as const),
    serial: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ day, sex, serial }) => `EE${generatePersonalCode(day.toISOString().slice(0, 10), sex, serial)}`);
const foreign = fc
  .tuple(
    fc.constantFrom("LV", "LT", "FI", "DE"),
    fc.string({ unit: fc.constantFrom(..."0123456789ABCxyz".split("")), minLength: 1, maxLength: 30 }),
  )
  .map(([country, code]) => `${country}${code}`);
const person: fc.Arbitrary<RepresentedParty> = fc.oneof(estonian, foreign).map((partyCode) => ({ partyCode }));
const organisation: fc.Arbitrary<RepresentedParty> = fc
  .tuple(part, part)
  .map(([partyClass, partyCode]) => ({ partyClass, partyCode }));

const isBadRequest = (error: unknown) =>
  error instanceof XRoadFault && error.type === "Client.BadRequest" && error.status === 400;

describe("X-Road-Represented-Party header value", () => {
  it("round trip: format then parse gives the same party, and the canonical form is stable", () => {
    fc.assert(
      fc.property(fc.oneof(person, organisation), (party) => {
        const text = formatRepresentedParty(party);
        const parsed = parseRepresentedParty(text);
        assert.deepEqual({ ...parsed }, { ...party });
        assert.equal(formatRepresentedParty(parsed), text);
        assert.equal(representedPerson(parsed), party.partyClass === undefined ? party.partyCode : undefined);
      }),
      { numRuns: 500 },
    );
  });

  it("each part is percent-decoded on its own (PR-REST 4.2)", () => {
    assert.deepEqual({ ...parseRepresentedParty("C%4FM/1%2B2") }, { partyClass: "COM", partyCode: "1+2" });
    assert.deepEqual({ ...parseRepresentedParty(" EE38001085718 ") }, { partyCode: "EE38001085718" });
  });

  it("refuses with Client.BadRequest: three parts, empty parts, bad escapes, characters outside 4.8, a classless non-person", () => {
    for (const value of [
      "",
      "EE/COM/10000002",
      "COM/",
      "/10000002",
      "COM%2F10000002",
      "COM/10%",
      "COM/100 00",
      "COM/õun",
      "10000002",
      "EE38001085719",
      "ee38001085718",
      `COM/${"1".repeat(256)}`,
    ])
      assert.throws(() => parseRepresentedParty(value), isBadRequest, JSON.stringify(value));
  });

  it("two header lines are refused rather than one chosen; none is no party", () => {
    assert.equal(representedPartyOf({}), undefined);
    assert.deepEqual(
      { ...representedPartyOf({ "x-road-represented-party": ["COM/1"] }) },
      {
        partyClass: "COM",
        partyCode: "1",
      },
    );
    assert.throws(() => representedPartyOf({ "x-road-represented-party": ["EE38001085718", "COM/1"] }), isBadRequest);
  });

  it("arbitrary strings never throw anything but Client.BadRequest", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.string({ unit: fc.constantFrom(..."/%EC0123456789AF".split("")), maxLength: 30 }),
          fc.tuple(part, part, part).map((parts) => parts.join("/")),
        ),
        (value) => {
          try {
            const party = parseRepresentedParty(value);
            // Whatever parses is a party of the grammar, and formats to a value that parses the same.
            assert.deepEqual({ ...parseRepresentedParty(formatRepresentedParty(party)) }, { ...party });
          } catch (error) {
            assert.ok(isBadRequest(error), String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
