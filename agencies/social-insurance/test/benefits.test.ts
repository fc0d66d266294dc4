import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import fc from "fast-check";
import { childbirthAllowance, monthlyEntitlement, ruleSetOn, SocialInsuranceError } from "../src/index.ts";

const child = (born: string, serial = 1, studying?: boolean) => ({
  personalCode: generatePersonalCode(born, serial % 2 ? "female" : "male", serial),
  ...(studying === undefined ? {} : { studying }),
});
const amounts = (children: ReturnType<typeof child>[], month: string) =>
  monthlyEntitlement(children, month).lines.map((line) => [line.benefit, line.amountCents]);

describe("family benefits: the Social Insurance Board's published examples", () => {
  it("a family of a 4-, 10- and studying 17-year-old in 2019: €60 + €60 + €100 (and €300 for a family of three)", () => {
    const family = [child("2002-05-10", 2, true), child("2009-03-01", 3), child("2015-01-20", 4)];
    assert.deepEqual(amounts(family, "2019-06"), [
      ["child-allowance", 60_00],
      ["child-allowance", 60_00],
      ["child-allowance", 100_00],
      ["large-family-allowance", 300_00],
    ]);
    // A fourth child is born: counted by number receiving, not birth order, so the 4-year-old
    // and the newborn get the third-child rate (the Board's example: €320 in all).
    const withNewborn = [...family, child("2019-06-03", 5)];
    const lines = monthlyEntitlement(withNewborn, "2019-06").lines.filter((l) => l.benefit === "child-allowance");
    assert.equal(
      lines.reduce((s, l) => s + l.amountCents, 0),
      320_00,
    );
    assert.deepEqual(
      lines.map((l) => l.amountCents),
      [60_00, 60_00, 100_00, 100_00],
    );
  });

  it("childbirth allowance: €320 a child, twins €320 each, triplets €1,000 each (€3,000)", () => {
    assert.deepEqual(
      childbirthAllowance([child("2025-02-01")]).map((l) => l.amountCents),
      [320_00],
    );
    assert.deepEqual(
      childbirthAllowance([child("2025-02-01", 1), child("2025-02-01", 2)]).map((l) => l.amountCents),
      [320_00, 320_00],
    );
    const triplets = childbirthAllowance([1, 2, 3].map((n) => child("2025-02-01", n)));
    assert.equal(
      triplets.reduce((s, l) => s + l.amountCents, 0),
      3000_00,
    );
  });

  it("the amounts follow the rules in force in the month: 2023 €80/€100 and €650, from April 2024 €80 and €450", () => {
    const family = [child("2010-01-01", 2), child("2012-01-01", 3), child("2014-01-01", 4)];
    assert.deepEqual(amounts(family, "2023-06"), [
      ["child-allowance", 80_00],
      ["child-allowance", 80_00],
      ["child-allowance", 100_00],
      ["large-family-allowance", 650_00],
    ]);
    assert.deepEqual(amounts(family, "2024-03").at(-1), ["large-family-allowance", 650_00]);
    assert.deepEqual(amounts(family, "2024-04"), [
      ["child-allowance", 80_00],
      ["child-allowance", 80_00],
      ["child-allowance", 80_00],
      ["large-family-allowance", 450_00],
    ]);
    const line = monthlyEntitlement(family, "2024-04").lines[0]!;
    assert.equal(line.rules.effectiveFrom, "2024-04-01");
    assert.match(line.why, /first of 3 children receiving it/);
  });

  it("seven children receiving it: the larger large-family rate", () => {
    const seven = [0, 1, 2, 3, 4, 5, 6].map((n) => child(`201${n}-03-01`, n + 1));
    assert.deepEqual(amounts(seven, "2025-01").at(-1), ["large-family-allowance", 650_00]);
  });
});

describe("family benefits: who receives the child allowance in a month", () => {
  it("from the month of birth, not before", () => {
    assert.equal(monthlyEntitlement([child("2025-03-31")], "2025-03").lines.length, 1);
    assert.equal(monthlyEntitlement([child("2025-03-31")], "2025-02").lines.length, 0);
  });

  it("until 16; in education until 19 and to the end of the school year they turn 19 in", () => {
    const sixteen = child("2009-05-15", 2);
    assert.equal(monthlyEntitlement([sixteen], "2025-05").lines.length, 1);
    assert.equal(monthlyEntitlement([sixteen], "2025-06").lines.length, 0);
    assert.match(monthlyEntitlement([sixteen], "2025-05").lines[0]!.why, /under 16/);
    const student = child("2006-03-20", 3, true);
    assert.equal(monthlyEntitlement([student], "2025-08").lines.length, 1, "turned 19 in the 2024/25 school year");
    assert.equal(monthlyEntitlement([student], "2025-09").lines.length, 0, "a new school year");
    const older = child("2005-08-20", 4, true);
    assert.equal(monthlyEntitlement([older], "2024-08").lines.length, 1, "turned 19 in the 2023/24 school year");
    assert.equal(monthlyEntitlement([older], "2024-10").lines.length, 0, "turned 19 before the school year");
  });

  it("refuses a month that is not YYYY-MM, a child listed twice, a date before the known rules", () => {
    const refuse = (fn: () => unknown, code: string) =>
      assert.throws(fn, (e: unknown) => e instanceof SocialInsuranceError && e.code === code);
    refuse(() => monthlyEntitlement([], "2025-13"), "BENEFIT_INPUT");
    refuse(() => monthlyEntitlement([child("2020-01-01"), child("2020-01-01")], "2025-01"), "BENEFIT_INPUT");
    refuse(() => monthlyEntitlement([{ personalCode: "60001019999" }], "2025-01"), "BENEFIT_INPUT");
    refuse(() => ruleSetOn("2018-12-31"), "RULES_NOT_IN_FORCE");
    refuse(() => childbirthAllowance([child("2025-01-01", 1), child("2025-01-02", 2)]), "BENEFIT_INPUT");
  });
});

describe("family benefits: properties", () => {
  const birthDate = fc
    .date({ min: new Date("2007-01-01"), max: new Date("2026-06-30"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const month = fc
    .record({ year: fc.integer({ min: 2019, max: 2026 }), month: fc.integer({ min: 1, max: 12 }) })
    .map(({ year, month }) => `${year}-${String(month).padStart(2, "0")}`);
  const family = fc.uniqueArray(fc.record({ born: birthDate, studying: fc.boolean() }), {
    maxLength: 9,
    selector: (c) => c.born,
  });

  it("a newborn adds to the total and changes no older child's line; every line cites the month's rules", () => {
    fc.assert(
      fc.property(family, month, (members, m) => {
        // The newborn is the youngest: a sibling born after it, later in its month, would make it
        // a middle child and rightly change that sibling's line (fast-check seed 806830562).
        const born = `${m}-28`;
        const children = members.filter((c) => c.born < born).map((c, i) => child(c.born, i + 2, c.studying));
        const before = monthlyEntitlement(children, m);
        const newborn = { personalCode: generatePersonalCode(born, "female", 500) };
        const after = monthlyEntitlement([...children, newborn], m);
        assert.ok(after.totalCents > before.totalCents);
        assert.equal(
          after.totalCents,
          after.lines.reduce((s, l) => s + l.amountCents, 0),
        );
        const older = (lines: typeof before.lines) =>
          lines.filter((l) => l.benefit === "child-allowance" && l.child !== newborn.personalCode);
        assert.deepEqual(
          older(after.lines).map((l) => [l.child, l.amountCents]),
          older(before.lines).map((l) => [l.child, l.amountCents]),
        );
        const set = ruleSetOn(`${m}-01`);
        for (const line of after.lines) assert.equal(line.rules.effectiveFrom, set.effectiveFrom);
      }),
    );
  });
});
