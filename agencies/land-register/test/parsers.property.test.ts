// The parsers of untrusted text against generated input: cadastral codes, shares and register
// part numbers round-trip in their one canonical spelling and refuse every other string with
// their own typed code, never another failure; deed.json bytes are a deed or DEED_INVALID.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import fc from "fast-check";
import {
  assertWhole,
  formatShare,
  LandRegisterError,
  parseCadastralCode,
  parseDeed,
  parseRegisterPartNumber,
  parseShare,
} from "../src/index.ts";

const accepts = (code: string, parse: () => unknown) => {
  try {
    parse();
    return true;
  } catch (error) {
    assert.ok(error instanceof LandRegisterError, String(error));
    assert.equal(error.code, code);
    return false;
  }
};

const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));

test("cadastral codes: 5:3:4 digits round-trip; anything else is CADASTRAL_CODE_INVALID", () => {
  fc.assert(
    fc.property(digits(5), digits(3), digits(4), (zone, block, unit) => {
      const text = `${zone}:${block}:${unit}`;
      if (unit === "0000")
        assert.equal(
          accepts("CADASTRAL_CODE_INVALID", () => parseCadastralCode(text)),
          false,
        );
      else assert.deepEqual(parseCadastralCode(text), { code: text, zone, block, unit });
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (text) => {
      const accepted = accepts("CADASTRAL_CODE_INVALID", () => parseCadastralCode(text));
      assert.equal(accepted, /^\d{5}:\d{3}:(?!0000)\d{4}$/.test(text));
    }),
  );
  for (const bad of ["78401:101:010", " 78401:101:0010", "78401-101-0010", "78401:101:0010\n", "７8401:101:0010"])
    assert.equal(
      accepts("CADASTRAL_CODE_INVALID", () => parseCadastralCode(bad)),
      false,
      bad,
    );
});

test("shares: n/d with 0 < n ≤ d round-trip; the sum is exact", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n - 1n }), fc.bigInt({ min: 1n, max: 10n ** 12n - 1n }), (a, b) => {
      const [numerator, denominator] = a <= b ? [a, b] : [b, a];
      const text = `${numerator}/${denominator}`;
      assert.equal(formatShare(parseShare(text)), text);
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (text) => {
      if (accepts("SHARES_INVALID", () => parseShare(text))) assert.equal(formatShare(parseShare(text)), text);
    }),
  );
  // Any split of a whole into k parts d_i/D sums to 1; take one unit away and it does not.
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), (parts) => {
      const whole = parts.reduce((a, b) => a + b, 0);
      assertWhole(parts.map((p) => `${p}/${whole}`));
      if (whole > 1 && parts[0]! > 1)
        assert.equal(
          accepts("SHARES_INVALID", () =>
            assertWhole([`${parts[0]! - 1}/${whole}`, ...parts.slice(1).map((p) => `${p}/${whole}`)]),
          ),
          false,
        );
    }),
  );
  assertWhole(["1/3", "1/3", "1/3"]);
  assertWhole(["1/2", "2/6", "1/6"]);
  for (const bad of [["1/2"], ["1/2", "1/2", "1/1000000000000"], [], ["0/1", "1/1"], ["3/2"], ["01/2", "1/2"]])
    assert.equal(
      accepts("SHARES_INVALID", () => assertWhole(bad)),
      false,
      bad.join(" "),
    );
});

test("register part numbers: digits without a leading zero; anything else REGISTER_PART_NUMBER_INVALID", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9_999_999_999 }), (n) => {
      assert.equal(parseRegisterPartNumber(String(n)), String(n));
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 14 }), (text) => {
      assert.equal(
        accepts("REGISTER_PART_NUMBER_INVALID", () => parseRegisterPartNumber(text)),
        /^[1-9][0-9]{0,9}$/.test(text),
      );
    }),
  );
});

const seller = generatePersonalCode("1970-03-04", "female", 11);
const buyer = generatePersonalCode("1988-07-21", "male", 12);
const notary = generatePersonalCode("1965-01-15", "female", 13);
const deed = {
  format: "riik-land-deed/1",
  applicationId: "N-2026-0001",
  kind: "transfer",
  registerPart: "10101",
  notary,
  date: "2026-11-28",
  sellers: [{ person: seller }],
  buyers: [{ person: buyer, share: "1/1" }],
  priceCents: 18_500_000,
};

test("deed.json: a deed, or DEED_INVALID (or the code of the field's own parser), never another failure", () => {
  assert.equal(parseDeed(Buffer.from(JSON.stringify(deed))).kind, "transfer");
  const mayRefuse = ["DEED_INVALID", "PERSONAL_CODE_INVALID", "REGISTRY_CODE_INVALID", "SHARES_INVALID"];
  const onlyTyped = (bytes: Uint8Array) => {
    try {
      parseDeed(bytes);
    } catch (error) {
      assert.ok(error instanceof LandRegisterError, String(error));
      assert.ok(mayRefuse.includes(error.code), error.code);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), onlyTyped));
  const bytes = Buffer.from(JSON.stringify(deed));
  fc.assert(
    fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
      const changed = Buffer.from(bytes);
      changed[at] = value;
      onlyTyped(changed);
    }),
  );
  const refused = (value: unknown, code = "DEED_INVALID") =>
    assert.equal(
      accepts(code, () => parseDeed(Buffer.from(JSON.stringify(value)))),
      false,
    );
  refused({ ...deed, sellers: [{ person: buyer }] });
  refused({ ...deed, buyers: [{ person: buyer, share: "1/2" }] }, "SHARES_INVALID");
  refused({ ...deed, price: 1 });
  refused({ ...deed, notary: "38001085719" }, "PERSONAL_CODE_INVALID");
  refused({ ...deed, kind: "mortgage" });
});
