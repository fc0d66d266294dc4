// TaxBoard.preFilledReturns on SQLite and PostgreSQL: every return of a seeded year read from the
// store a chunk at a time is the one `taxReturn` gives that person (corrected, confirmed, with
// § 23² children the other parent has not claimed), in code order, and only for persons the
// register confirmed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generatePersonalCode, parsePersonalCode } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { openTaxBoard, type Resident, seedTaxYear, type TaxReturn } from "../src/index.ts";
import { EMPLOYER_CLIENT, IBAN, payrollMonth } from "./fixture.ts";

// 2023: the last year with the § 23² exemption for children. Its returns opened 15 February 2024.
const YEAR = 2023;
const NOW = new Date("2024-03-01T09:00:00Z");
const persons = Array.from({ length: 45 }, (_, i) =>
  generatePersonalCode(`${1950 + i}-0${1 + (i % 9)}-1${i % 10}`, i % 2 ? "male" : "female", i),
);
// Two parents of one child, both working age.
const [mother, father] = [persons[30]!, persons[31]!];
const child = { personalCode: generatePersonalCode("2015-06-01", "female", 7), birthDate: "2015-06-01" };
const childrenOf = (code: string) => (code === mother || code === father ? [child] : []);
const resident = (personalCode: string): Resident => ({
  personalCode,
  birthDate: parsePersonalCode(personalCode).birthDate,
  children: childrenOf(personalCode),
});

for (const target of await dialectTargets()) {
  describe(`TaxBoard.preFilledReturns on ${target.dialect}`, () => {
    test("every confirmed person's return, chunk by chunk, as taxReturn gives it", async () => {
      const location = target.location("tax_board");
      await seedTaxYear({ ...location, year: YEAR, seed: 3, persons });
      const board = await openTaxBoard(location);
      try {
        // A person the register has not answered about yet: declared, pending, so no return.
        const pending = generatePersonalCode("1980-05-05", "male", 99);
        await board.declarePayroll(EMPLOYER_CLIENT, payrollMonth(12, [pending], YEAR), NOW);
        // The father confirms first and claims the child; the mother corrects her training line.
        const confirmed = await board.confirm(YEAR, resident(father), { iban: IBAN }, NOW);
        assert.ok(
          confirmed.taxReturn.lines.some((l) => l.source.kind === "population-register"),
          "the father claimed the child",
        );
        await board.correct(YEAR, resident(mother), "training", 500_00, NOW);

        const batch: TaxReturn[] = [];
        for await (const r of board.preFilledReturns(YEAR, { chunkSize: 7, children: childrenOf })) batch.push(r);

        const codes = batch.map((r) => r.personalCode);
        assert.deepEqual(codes, [...persons].sort(), "each seeded person once, in code order, the pending one not");
        for (const r of batch)
          assert.deepEqual(r, (await board.taxReturn(YEAR, resident(r.personalCode), NOW)).taxReturn, r.personalCode);
        const motherReturn = batch.find((r) => r.personalCode === mother)!;
        assert.ok(
          motherReturn.lines.some((l) => l.key === "training"),
          "her correction is in",
        );
        assert.ok(
          !motherReturn.lines.some((l) => l.source.kind === "population-register"),
          "the child the father claimed is not hers",
        );
        assert.deepEqual(
          batch.find((r) => r.personalCode === father),
          confirmed.taxReturn,
        );
        assert.ok(
          batch.some((r) => r.balanceCents !== 0),
          "some returns settle a difference",
        );

        // Without the register's children no one claims the exemption.
        let claims = 0;
        for await (const r of board.preFilledReturns(YEAR))
          if (r.personalCode !== father && r.lines.some((l) => l.source.kind === "population-register")) claims++;
        assert.equal(claims, 0);
        await assert.rejects(
          board.preFilledReturns(1999).next(),
          (e: unknown) => e instanceof Error && "code" in e && e.code === "RULES_NOT_IN_FORCE",
        );
      } finally {
        await board.close();
      }
    });
  });
}
