// The EU consolidated sanctions list's CSV (the columns read) and screening by name and date of birth.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  namesMatch,
  nameTokens,
  PoliceError,
  parseSanctionsList,
  parseSemicolonCsv,
  SAMPLE_SANCTIONS_LIST,
  SanctionsList,
} from "../src/index.ts";

const list = SanctionsList.read(SAMPLE_SANCTIONS_LIST);
const screen = (givenName: string, surname: string, dateOfBirth: string) =>
  list.screen({ givenName, surname, dateOfBirth }).map((hit) => hit.reference);

describe("EU consolidated financial sanctions list (CSV, ; separated)", () => {
  it("reads the sample: persons only, one per entity with every alias, birth date and citizenship", () => {
    assert.deepEqual(
      list.persons.map((p) => p.reference),
      ["EU.9001.01", "EU.9002.02", "EU.9003.03", "EU.9004.04"],
    );
    const [borislav, zoe, , ilmar] = list.persons;
    assert.deepEqual(borislav!.names, [
      ["borislav", "petrovich", "fiktivov"],
      ["fiktivov", "borislav"],
    ]);
    assert.deepEqual(borislav!.birthDates, ["1971-03-14"]);
    assert.deepEqual(borislav!.citizenships, ["XX"]);
    assert.deepEqual(zoe!.birthYears, [{ from: 1980, to: 1980 }]);
    assert.deepEqual(ilmar!.birthYears, [{ from: 1960, to: 1965 }]);
  });

  it("reads quoted fields with ; and doubled quotes, a BOM and CRLF line ends", () => {
    assert.deepEqual(parseSemicolonCsv('\uFEFFa;b\r\n"x;y";"say ""hi"""\r\n'), [
      ["a", "b"],
      ["x;y", 'say "hi"'],
    ]);
  });

  it("refuses what is not the list's CSV, naming what is wrong", () => {
    const refused = (text: string) => {
      try {
        parseSanctionsList(text);
      } catch (error) {
        assert.ok(error instanceof PoliceError);
        assert.equal(error.code, "POLICE_SANCTIONS_LIST");
        return error.message;
      }
      assert.fail("taken");
    };
    assert.match(refused("name,dob\nA,1970\n"), /lacks the columns Entity_LogicalId/);
    assert.match(
      refused("Entity_LogicalId;Entity_SubjectType;NameAlias_WholeName\n1;P\n"),
      /row 2 has 2 fields, the header 3/,
    );
    assert.match(refused('Entity_LogicalId;Entity_SubjectType;NameAlias_WholeName\n1;P;"open\n'), /not closed/);
    assert.match(refused(""), /empty/);
  });

  it("matches whatever the case, diacritics and order of the names, and a middle name the list adds", () => {
    for (const [given, surname] of [
      ["Borislav", "Fiktivov"],
      ["BORISLAV", "fiktivov"],
      ["Fiktivov", "Borislav"],
      ["Borislav Petrovich", "Fiktivov"],
    ] as const)
      assert.deepEqual(screen(given, surname, "1971-03-14"), ["EU.9001.01"], `${given} ${surname}`);
    assert.deepEqual(screen("Zoe", "Nandu-Ostergard", "1980-07-01"), ["EU.9002.02"], "ø, å, ñ, ë folded");
    assert.deepEqual(screen("Zoë", "Ñandú Østergård", "1980-12-31"), ["EU.9002.02"]);
  });

  it("needs the date of birth to agree where the list has one; without one the name is enough", () => {
    assert.deepEqual(screen("Borislav", "Fiktivov", "1971-03-15"), [], "another day");
    assert.deepEqual(screen("Zoë", "Ñandú-Østergård", "1981-01-01"), [], "another year");
    assert.deepEqual(screen("Ilmar", "Varjunimi", "1963-05-05"), ["EU.9004.04"], "within the range");
    assert.deepEqual(screen("Ilmar", "Varjunimi", "1966-01-01"), []);
    assert.deepEqual(screen("Aleksei", "Näidisnimi", "2001-01-01"), ["EU.9003.03"], "no birth date listed");
    assert.deepEqual(screen("Aleksei", "Teine", "2001-01-01"), [], "one word in common is not a match");
  });

  it("property: any order, case and diacritics of the same words match; a changed word does not", () => {
    const word = fc.stringMatching(/^[a-z]{2,8}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 2, maxLength: 4 }), fc.integer(), (words, seed) => {
        const shuffled = [...words].sort((a, b) => ((a.length * seed) % 7) - ((b.length * seed) % 7));
        const shouted = shuffled.map((w, i) => (i % 2 ? w.toUpperCase() : `${w[0]!.toUpperCase()}\u0301${w.slice(1)}`));
        assert.ok(namesMatch(nameTokens(words.join(" ")), nameTokens(shouted.join("-")), false));
        const changed = [...words];
        changed[0] = `${changed[0]}x`;
        assert.ok(
          !namesMatch(nameTokens(words.join(" ")), nameTokens(changed.join(" ")), false) || words.includes(changed[0]!),
        );
      }),
    );
  });
});
