import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isValidRegistryCode, parseRegistryCode, RegistryCodeError, registryCodeFor } from "../src/index.ts";

/**
 * Real registry codes from public material:
 * - 11283219 and 12417834: docs.topograph.co/essentials/estonia ("Registrikood … e.g. 11283219",
 *   search("12417834")); 12417834 also in firmaotsing.ee/en/sonastik/registrikood.
 * - 10422334: developer.kyckr.com/country-guides/estonia (Registration Number example).
 * - 14532901 Bolt Technology OÜ, 10421629 Eesti Energia AS, 10234957 Telia Eesti AS, 10060701
 *   Swedbank AS, 10238429 AS Tallink Grupp, 70000898 (a state agency code, class 7): as each
 *   publishes it on its own web site and invoices (e-Business Register public search, ariregister.rik.ee).
 */
const REAL = [
  "11283219",
  "12417834",
  "10422334",
  "14532901",
  "10421629",
  "10234957",
  "10060701",
  "10238429",
  "70000898",
];

describe("registry codes", () => {
  test("real public registry codes are valid", () => {
    for (const code of REAL) assert.equal(parseRegistryCode(code), code);
  });

  test("refusals name their reason", () => {
    const reason = (text: string) => {
      try {
        parseRegistryCode(text);
        return "accepted";
      } catch (error) {
        assert.ok(error instanceof RegistryCodeError);
        assert.equal(error.code, "REGISTRY_CODE_INVALID");
        return (error.details as { reason: string }).reason;
      }
    };
    assert.equal(reason("1128321"), "FORMAT");
    assert.equal(reason("1128321a"), "FORMAT");
    assert.equal(reason("21283219"), "CLASS");
    assert.equal(reason("11283218"), "CHECKSUM");
  });

  test("the second round is used when the first remainder is 10", () => {
    // 1000006: 1*1 + 6*7 = 43 ≡ 10, so the second round: 1*3 + 6*9 = 57 ≡ 2.
    assert.equal(registryCodeFor("company", 6), "10000062");
    assert.equal(registryCodeFor("company", 5), "10000053"); // 1 + 5*7 = 36 ≡ 3
  });

  /**
   * The first-round remainder (weights 1..7), computed here independently: when it is 10 the
   * check digit comes from the second round (or is 0), and only then can a single-digit change
   * keep the check digit — the scheme's known blind spot, shared with personal codes.
   */
  const firstRound = (code: string) => [...code.slice(0, 7)].reduce((sum, d, i) => sum + Number(d) * (i + 1), 0) % 11;
  const changedCodes = (code: string) =>
    Array.from({ length: 8 * 9 }, (_, n) => {
      const position = Math.floor(n / 9);
      const digit = (Number(code[position]) + (n % 9) + 1) % 10;
      return `${code.slice(0, position)}${digit}${code.slice(position + 1)}`;
    });

  test("property: every generated code is valid; every single-digit change is refused outside the second-round blind spot", () => {
    let changes = 0;
    let missed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom("company", "state", "nonProfit", "foundation" as const),
        fc.integer({ min: 0, max: 999_999 }),
        (kind, serial) => {
          const code = registryCodeFor(kind as "company", serial);
          assert.ok(isValidRegistryCode(code), code);
          for (const changed of changedCodes(code)) {
            changes++;
            if (!isValidRegistryCode(changed)) continue;
            missed++;
            assert.ok(firstRound(code) === 10 || firstRound(changed) === 10, `${code} → ${changed} accepted`);
            assert.equal(changed[7], code[7], "a changed check digit is always refused");
          }
        },
      ),
      { numRuns: 2000 },
    );
    assert.ok(missed / changes < 0.02, `${missed} of ${changes} single-digit changes undetected`);
  });

  test("a real code with any one digit changed is refused, outside the blind spot", () => {
    for (const code of REAL)
      for (const changed of changedCodes(code))
        if (firstRound(code) !== 10 && firstRound(changed) !== 10)
          assert.equal(isValidRegistryCode(changed), false, changed);
  });
});
