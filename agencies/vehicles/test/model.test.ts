import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CATEGORIES,
  categoriesEntitling,
  entitledBy,
  parseCategory,
  parsePlate,
  parseVin,
  VehicleError,
  vinCheckDigit,
} from "../src/index.ts";

const refused = (code: string) => (e: unknown) => e instanceof VehicleError && e.code === code;

describe("VIN (ISO 3779, check digit by 49 CFR 565.15 where it applies)", () => {
  test("published examples: 49 CFR 565's 1M8GDM9AXKP042788 (check digit X), 11111111111111111", () => {
    assert.equal(parseVin("1M8GDM9AXKP042788").vin, "1M8GDM9AXKP042788");
    assert.equal(vinCheckDigit("1M8GDM9AXKP042788"), "X");
    assert.equal(parseVin("1111 1111 1111 11111").checkDigitApplies, true);
    const parsed = parseVin("wvwzzz1jz3w386752");
    assert.deepEqual(parsed, {
      vin: "WVWZZZ1JZ3W386752",
      wmi: "WVW",
      vds: "ZZZ1JZ",
      vis: "3W386752",
      checkDigitApplies: false,
    });
  });

  test("refused: wrong length, I/O/Q, a wrong check digit in North America", () => {
    assert.throws(() => parseVin("1M8GDM9AXKP04278"), refused("VIN_INVALID"));
    assert.throws(() => parseVin("1M8GDM9AXKP04278O"), refused("VIN_INVALID"));
    assert.throws(() => parseVin("1M8GDM9A1KP042788"), refused("VIN_INVALID"));
  });

  test("property: in a check-digit region, every change of one character (other than the check digit) is refused or recomputed", () => {
    const alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789".split("");
    const vinBody = fc.array(fc.constantFrom(...alphabet), { minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(
        fc.constantFrom("1", "2", "3", "4", "5", "L"),
        vinBody,
        fc.nat(15),
        fc.constantFrom(...alphabet),
        (region, body, at, replacement) => {
          const draft = `${region}${body.slice(0, 7).join("")}0${body.slice(8, 16).join("")}`;
          const vin = `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`;
          assert.equal(parseVin(vin).vin, vin);
          const position = at >= 8 ? at + 1 : at; // never the check digit itself
          const changed = `${vin.slice(0, position)}${replacement}${vin.slice(position + 1)}`;
          if (changed === vin || position === 0) return;
          // Characters of equal value (A and J, say) keep the sum: those changes are invisible by design.
          if (vinCheckDigit(changed) === vin[8]) return;
          assert.throws(() => parseVin(changed), refused("VIN_INVALID"));
        },
      ),
    );
  });
});

describe("driving licence categories (Directive 2006/126/EC art. 4 and 6)", () => {
  test("what a category includes", () => {
    assert.deepEqual(entitledBy("A").sort(), ["A", "A1", "A2", "AM"].sort());
    assert.deepEqual(entitledBy("CE").sort(), ["BE", "C", "C1", "C1E", "CE"].sort());
    assert.deepEqual(entitledBy("DE").sort(), ["BE", "D", "D1", "D1E", "DE"].sort());
    assert.ok(entitledBy("B").includes("AM"));
    assert.ok(!entitledBy("C").includes("B"), "C needs B first; it does not include it");
    assert.deepEqual(entitledBy("T"), ["T"]);
    assert.deepEqual(categoriesEntitling(["B", "C"], "C1"), ["C"]);
    assert.deepEqual(categoriesEntitling(["B"], "A1"), []);
  });
  test("every category includes itself and what it includes includes no more than it", () => {
    for (const category of CATEGORIES) {
      const all = entitledBy(category);
      assert.equal(all[0], category);
      for (const included of all) for (const deeper of entitledBy(included)) assert.ok(all.includes(deeper));
    }
  });
  test("parse: case and spaces forgiven, unknown refused", () => {
    assert.equal(parseCategory(" c1e "), "C1E");
    assert.throws(() => parseCategory("Z"), refused("LICENCE_CATEGORY_INVALID"));
  });
});

describe("registration plates", () => {
  test("standard and personalised plates; others refused", () => {
    assert.equal(parsePlate("123 abc"), "123ABC");
    assert.equal(parsePlate("RIIK1"), "RIIK1");
    for (const bad of ["123", "1234567890", "12 34", "ÄÄÄ123", "123 AB-"])
      assert.throws(() => parsePlate(bad), refused("PLATE_INVALID"), bad);
  });
});
