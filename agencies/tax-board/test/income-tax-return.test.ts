// The pre-filled return against figures computed by hand from the Income Tax Act (TuMS § 4(1)
// rate, § 23 basic exemption and its phase-out between €14,400 and €25,200 of the year's income),
// with 1.6 % unemployment insurance and 2 % funded pension withheld and deducted; and a
// property: whatever the payroll, the totals are sums of the lines and the balance is what was
// withheld less the tax.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { computeReturn, type PayrollIncome } from "../src/rules/income-tax-return.ts";

const EMPLOYER = "10421629"; // Eesti Energia AS, a real registry code

function payroll(year: number, monthlyCents: number, withheldCents = 0): PayrollIncome[] {
  return Array.from({ length: 12 }, (_, i) => ({
    payer: EMPLOYER,
    declarationId: `tsd-${year}-${i + 1}`,
    month: `${year}-${String(i + 1).padStart(2, "0")}`,
    grossCents: monthlyCents,
    incomeTaxWithheldCents: withheldCents,
    unemploymentInsuranceCents: Math.round(monthlyCents * 0.016),
    fundedPensionCents: Math.round(monthlyCents * 0.02),
  }));
}

const input = (year: number, monthlyCents: number, withheldCents = 0) => ({
  year,
  personalCode: "38001085718",
  payroll: payroll(year, monthlyCents, withheldCents),
  housingLoanInterest: [],
  voluntaryPension: [],
});

describe("the pre-filled income tax return", () => {
  // year, monthly gross, taxable income, tax (all in cents), as worked out by hand:
  // 2025 €1,500: 18,000 − 288 − 360 − (7,848 − 7,848 × 3,600 / 10,800 = 5,232) = 12,120; 22 % = 2,666.40.
  // 2025 €2,500: 30,000 − 480 − 600, no exemption above €25,200 = 28,920; 22 % = 6,362.40.
  // 2024 €1,500: 12,120 at 20 % = 2,424.00.  2024 €1,000: 12,000 − 192 − 240 − 7,848 = 3,720; 20 % = 744.00.
  const vectors: Array<[number, number, number, number]> = [
    [2025, 150_000, 1_212_000, 266_640],
    [2025, 250_000, 2_892_000, 636_240],
    [2024, 150_000, 1_212_000, 242_400],
    [2024, 100_000, 372_000, 74_400],
  ];
  for (const [year, monthly, taxable, tax] of vectors)
    test(`${year}, €${monthly / 100} a month: taxable €${taxable / 100}, tax €${tax / 100}`, () => {
      const filled = computeReturn(input(year, monthly));
      assert.equal(filled.taxableCents, taxable);
      assert.equal(filled.taxCents, tax);
      assert.equal(filled.balanceCents, -tax, "nothing withheld: the whole tax is due");
      for (const line of filled.lines) assert.ok(line.why.length > 0 && line.source, `${line.key} says why and whence`);
    });

  test("a payer's negative amount or an uncorrectable line is refused", () => {
    assert.throws(() => computeReturn({ ...input(2025, 150_000), payroll: payroll(2025, -1) }));
    assert.throws(() => computeReturn({ ...input(2025, 150_000), corrections: { income: 0 } }), {
      code: "LINE_NOT_CORRECTABLE",
    });
  });

  test("property: the totals are the lines' sums, the balance is withheld less tax, tax never negative", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2024, 2025),
        fc.integer({ min: 0, max: 1_500_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        (year, monthly, withheld) => {
          const filled = computeReturn(input(year, monthly, withheld));
          const sum = (kind: string) =>
            filled.lines.filter((l) => l.kind === kind).reduce((n, l) => n + l.amountCents, 0);
          assert.equal(filled.incomeCents, sum("income"));
          assert.equal(filled.withheldCents, sum("withheld"));
          assert.ok(filled.taxCents >= 0);
          assert.equal(filled.balanceCents, filled.withheldCents - filled.taxCents);
        },
      ),
      { numRuns: 200 },
    );
  });
});
