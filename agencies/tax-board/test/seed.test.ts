// The seed on SQLite and PostgreSQL: a year of synthetic declarations for the register's
// persons, from which every person's stored return is the one computed from the generator
// directly; a seeded Board is not seeded twice.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generatePersonalCode, parsePersonalCode, RiikError } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import {
  computeReturn,
  defaultEmployers,
  openTaxBoard,
  SYNTHETIC_BANKS,
  seedTaxYear,
  syntheticReturnInputs,
} from "../src/index.ts";
import { OPEN } from "./fixture.ts";

// 120 persons born 1950-2019: children and pensioners without wages among them.
const persons = Array.from({ length: 120 }, (_, i) =>
  generatePersonalCode(`${1950 + Math.floor(i * 0.58)}-0${1 + (i % 9)}-1${i % 10}`, i % 2 ? "male" : "female", i),
);
const resident = (personalCode: string) => ({
  personalCode,
  birthDate: parsePersonalCode(personalCode).birthDate,
  children: [],
});

for (const target of await dialectTargets()) {
  describe(`seedTaxYear on ${target.dialect}`, () => {
    test("seeding gives every person a return that computes, the same as from the generator; a second seed is refused", async () => {
      const location = target.location("tax_board");
      const progress: number[] = [];
      const result = await seedTaxYear({
        ...location,
        year: 2025,
        seed: 7,
        persons,
        chunkSize: 50,
        onProgress: (n) => progress.push(n),
      });
      assert.equal(result.persons, persons.length);
      assert.deepEqual(progress, [50, 100, 120]);
      assert.ok(result.employed > 0 && result.employed < persons.length, `${result.employed} employed`);
      assert.ok(result.payrollLines >= result.employed, "every employed person has a month of wages");

      const board = await openTaxBoard(location);
      try {
        const employers = defaultEmployers(persons.length);
        // The Board reads a person's payroll by payer and month, and lists the lines in that order.
        const byPayer = (a: { payer: string; month: string }, b: { payer: string; month: string }) =>
          a.payer.localeCompare(b.payer) || a.month.localeCompare(b.month);
        const expected = [...syntheticReturnInputs(persons, { year: 2025, seed: 7, employers })].map((input) =>
          computeReturn({ ...input, payroll: [...input.payroll].sort(byPayer) }),
        );
        let refunds = 0;
        let due = 0;
        for (const want of expected) {
          const view = await board.taxReturn(2025, resident(want.personalCode), OPEN);
          assert.equal(view.status, "open");
          assert.deepEqual(view.taxReturn, want, want.personalCode);
          assert.equal(view.taxReturn.balanceCents, view.taxReturn.withheldCents - view.taxReturn.taxCents);
          if (view.taxReturn.balanceCents > 0) refunds++;
          if (view.taxReturn.balanceCents < 0) due++;
        }
        assert.ok(refunds + due > 0, "some returns settle a difference");
        assert.equal(
          expected.filter((r) => r.incomeCents > 0).length,
          result.employed,
          "the employed are those with income",
        );

        // The declarations are there as received, each person found in the register.
        const declarations = await board.store.db.selectFrom("declaration").select(["kind", "lines"]).execute();
        assert.equal(declarations.length, result.declarations);
        const lines = (kind: string) =>
          declarations.filter((d) => d.kind === kind).reduce((sum, d) => sum + Number(d.lines), 0);
        assert.deepEqual(
          [lines("payroll"), lines("housing-loan-interest"), lines("voluntary-pension")],
          [result.payrollLines, result.interestLines, result.pensionLines],
        );
        assert.deepEqual(await board.pendingPersons(), []);
        const interest = await board.store.db
          .selectFrom("year_line")
          .select("payer")
          .where("kind", "=", "housing-loan-interest")
          .execute();
        assert.ok(interest.every((l) => SYNTHETIC_BANKS.includes(l.payer)));
      } finally {
        await board.close();
      }

      const before = await countRows(location);
      await assert.rejects(
        seedTaxYear({ ...location, year: 2025, persons }),
        (e: unknown) => e instanceof RiikError && e.code === "DECLARATION_CONFLICT",
      );
      assert.deepEqual(await countRows(location), before, "the refused seed added nothing");
    });
  });
}

async function countRows(location: { dataDir: string; url?: string; schema?: string }) {
  const board = await openTaxBoard(location);
  try {
    const count = async (table: "declaration" | "payroll_line" | "year_line" | "change_journal") =>
      Number(
        (
          await board.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      declarations: await count("declaration"),
      payroll: await count("payroll_line"),
      year: await count("year_line"),
      journal: await count("change_journal"),
    };
  } finally {
    await board.close();
  }
}
