// The Board's register on SQLite and PostgreSQL: declarations and confirmations survive a
// reopen, a later declaration for the same month replaces the earlier whole, two confirmations
// at once make one, and a refused or failed request leaves nothing half-written.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RiikError } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { openTaxBoard, type TaxBoard } from "../src/index.ts";
import {
  BANK,
  BANK_CLIENT,
  BY_HAND,
  EMPLOYER,
  EMPLOYER_CLIENT,
  FUND,
  FUND_CLIENT,
  IBAN,
  INTEREST_CENTS,
  MONTHS,
  OPEN,
  PENSION_CENTS,
  payrollMonth,
  residentBorn,
} from "./fixture.ts";

const refused = (code: string) => (e: unknown) => e instanceof RiikError && e.code === code;

/** Every row of the tables a request writes, to compare before and after it. */
async function snapshot(board: TaxBoard) {
  const db = board.store.db;
  return {
    declaration: await db.selectFrom("declaration").selectAll().orderBy("payer").orderBy("declaration_id").execute(),
    payroll: await db
      .selectFrom("payroll_line")
      .selectAll()
      .orderBy("payer")
      .orderBy("month")
      .orderBy("person_code")
      .execute(),
    year: await db.selectFrom("year_line").selectAll().orderBy("payer").orderBy("person_code").execute(),
    checks: await db.selectFrom("person_check").selectAll().orderBy("person_code").execute(),
    corrections: await db.selectFrom("correction").selectAll().orderBy("person_code").execute(),
    returns: await db.selectFrom("tax_return").selectAll().orderBy("person_code").execute(),
    refunds: await db.selectFrom("refund").selectAll().orderBy("person_code").execute(),
    children: await db.selectFrom("claimed_child").selectAll().orderBy("child_code").execute(),
    journal: await db.selectFrom("change_journal").select("entity").execute(),
    events: await db.selectFrom("event_outbox").select(["type", "data"]).execute(),
  };
}

/** A year's wages for `codes` from the employer, and the bank's and fund's year declarations. */
async function declareYear(board: TaxBoard, codes: string[], tag: string): Promise<void> {
  for (const month of MONTHS)
    await board.declarePayroll(
      EMPLOYER_CLIENT,
      { ...payrollMonth(month, codes), declarationId: `${tag}-${month}` },
      OPEN,
    );
  const persons = (amountCents: number) => codes.map((personalCode) => ({ personalCode, amountCents }));
  await board.declareYear(
    "housing-loan-interest",
    BANK_CLIENT,
    { declarationId: `${tag}-interest`, payer: BANK, year: 2025, persons: persons(INTEREST_CENTS) },
    OPEN,
  );
  await board.declareYear(
    "voluntary-pension",
    FUND_CLIENT,
    { declarationId: `${tag}-pension`, payer: FUND, year: 2025, persons: persons(PENSION_CENTS) },
    OPEN,
  );
}

for (const target of await dialectTargets()) {
  describe(`the Tax and Customs Board's storage on ${target.dialect}`, () => {
    // The tests of a dialect share one database and run in order: each declares its own person's
    // year, which replaces the year the test before declared (same payers and periods).
    const open = () => openTaxBoard(target.location("tax_board"));

    test("declarations survive a reopen: received once, replayed, their conflict still found, the return the same", async () => {
      const person = residentBorn("1984-01-20", 101);
      let board = await open();
      let before: Awaited<ReturnType<TaxBoard["taxReturn"]>>;
      try {
        await declareYear(board, [person.personalCode], "reopen");
        before = await board.taxReturn(2025, person, OPEN);
        assert.deepEqual(
          {
            taxableCents: before.taxReturn.taxableCents,
            taxCents: before.taxReturn.taxCents,
            withheldCents: before.taxReturn.withheldCents,
            balanceCents: before.taxReturn.balanceCents,
          },
          BY_HAND,
        );
      } finally {
        await board.close();
      }
      board = await open();
      try {
        const receipt = await board.declaration(EMPLOYER, "reopen-3");
        assert.equal(receipt?.period, "2025-03");
        assert.equal(receipt?.lines, 1);
        assert.equal(receipt?.receivedAt, OPEN.toISOString());
        const replay = await board.declarePayroll(
          EMPLOYER_CLIENT,
          { ...payrollMonth(3, [person.personalCode]), declarationId: "reopen-3" },
          new Date(OPEN.getTime() + 60_000),
        );
        assert.equal(replay.replayed, true);
        assert.equal(replay.receivedAt, OPEN.toISOString(), "the first receipt, not a new one");
        await assert.rejects(
          board.declarePayroll(EMPLOYER_CLIENT, { ...payrollMonth(3, []), declarationId: "reopen-3", employees: [] }),
          refused("DECLARATION_CONFLICT"),
        );
        assert.deepEqual(await board.taxReturn(2025, person, OPEN), before);
        assert.equal(await board.declaration(EMPLOYER, "never-sent"), undefined);
      } finally {
        await board.close();
      }
    });

    test("the same id sent twice at once (a payer's retry): received once, the other a replay or, with other content, a conflict", async () => {
      const board = await open();
      try {
        for (let round = 0; round < 5; round++) {
          const person = residentBorn("1992-07-07", 170 + round).personalCode;
          const august = { ...payrollMonth(8, [person]), declarationId: `retry-${round}` };
          const receipts = await Promise.all([
            board.declarePayroll(EMPLOYER_CLIENT, august, OPEN),
            board.declarePayroll(EMPLOYER_CLIENT, august, OPEN),
          ]);
          assert.deepEqual(receipts.map((r) => r.replayed).sort(), [false, true], `round ${round}`);
          const other = { ...august, declarationId: `retry-other-${round}` };
          const outcomes = await Promise.allSettled([
            board.declarePayroll(EMPLOYER_CLIENT, other, OPEN),
            board.declarePayroll(EMPLOYER_CLIENT, { ...other, employees: [] }, OPEN),
          ]);
          const rejected = outcomes.filter((o) => o.status === "rejected");
          assert.equal(rejected.length, 1, `round ${round}`);
          assert.ok(refused("DECLARATION_CONFLICT")(rejected[0]!.reason), String(rejected[0]!.reason));
        }
        const received = await board.store.db
          .selectFrom("declaration")
          .select("declaration_id")
          .where("declaration_id", "like", "retry-%")
          .execute();
        assert.equal(received.length, 10, "each id once");
      } finally {
        await board.close();
      }
    });

    test("a later declaration for the same payer and month replaces the earlier whole", async () => {
      const [stays, leaves] = [residentBorn("1986-02-02", 111), residentBorn("1987-03-03", 112)];
      const board = await open();
      try {
        const june = (id: string, codes: string[], gross: number) => ({
          ...payrollMonth(6, codes, 2024),
          declarationId: id,
          employees: payrollMonth(6, codes, 2024).employees.map((e) => ({ ...e, grossCents: gross })),
        });
        await board.declarePayroll(
          EMPLOYER_CLIENT,
          june("june-a", [stays.personalCode, leaves.personalCode], 150_000),
          OPEN,
        );
        const receipt = await board.declarePayroll(
          EMPLOYER_CLIENT,
          june("june-b", [stays.personalCode], 200_000),
          OPEN,
        );
        assert.deepEqual(receipt.replaced, ["june-a"]);
        const income = async (who: typeof stays) =>
          (await board.taxReturn(2024, who, OPEN)).taxReturn.lines.find((l) => l.key === `income:${EMPLOYER}`);
        assert.deepEqual(
          { amount: (await income(stays))?.amountCents, source: (await income(stays))?.source },
          { amount: 200_000, source: { kind: "payroll", payer: EMPLOYER, declarations: ["june-b"] } },
        );
        assert.equal(await income(leaves), undefined, "the corrected declaration no longer names them");
        const replaced = await board.store.db
          .selectFrom("declaration")
          .select("replaced_by")
          .where("declaration_id", "=", "june-a")
          .executeTakeFirstOrThrow();
        assert.equal(replaced.replaced_by, "june-b");
      } finally {
        await board.close();
      }
    });

    test("two declarations of one month at once: one replaces the other, as if sent one after the other", async () => {
      const board = await open();
      try {
        for (let round = 0; round < 5; round++) {
          const [first, second] = [residentBorn("1993-08-08", 180 + round), residentBorn("1994-09-09", 190 + round)];
          const september = (id: string, who: typeof first) => ({
            ...payrollMonth(9, [who.personalCode], 2024),
            declarationId: `${id}-${round}`,
          });
          const receipts = await Promise.all([
            board.declarePayroll(EMPLOYER_CLIENT, september("sept-a", first), OPEN),
            board.declarePayroll(EMPLOYER_CLIENT, september("sept-b", second), OPEN),
          ]);
          const current = await board.store.db
            .selectFrom("declaration")
            .select("declaration_id")
            .where("period", "=", "2024-09")
            .where("replaced_by", "is", null)
            .execute();
          assert.equal(current.length, 1, `round ${round}: one current declaration`);
          const later = receipts.find((r) => r.declarationId === current[0]!.declaration_id)!;
          assert.equal(later.replaced.length, 1, `round ${round}: the later replaced the earlier`);
          const lines = await board.store.db
            .selectFrom("payroll_line")
            .select("declaration_id")
            .where("month", "=", "2024-09")
            .execute();
          assert.deepEqual(lines, [{ declaration_id: later.declarationId }], `round ${round}: only the later's lines`);
        }
      } finally {
        await board.close();
      }
    });

    test("a confirmation is durable: after a reopen the return is as confirmed, the refund scheduled once, no second confirmation", async () => {
      const person = residentBorn("1988-04-04", 121);
      let board = await open();
      try {
        await declareYear(board, [person.personalCode], "durable");
        const confirmed = await board.confirm(2025, person, { iban: IBAN }, OPEN);
        assert.equal(confirmed.status, "confirmed");
        assert.deepEqual(confirmed.refund, {
          amountCents: BY_HAND.balanceCents,
          iban: "EE382200221020145685",
          status: "scheduled",
        });
      } finally {
        await board.close();
      }
      board = await open();
      try {
        // Declarations arriving after the confirmation do not change the confirmed return.
        await board.declareYear(
          "voluntary-pension",
          FUND_CLIENT,
          {
            declarationId: "durable-late",
            payer: FUND,
            year: 2025,
            persons: [{ personalCode: person.personalCode, amountCents: 1 }],
          },
          OPEN,
        );
        const shown = await board.taxReturn(2025, person, OPEN);
        assert.equal(shown.status, "confirmed");
        assert.equal(shown.confirmedAt, OPEN.toISOString());
        assert.equal(shown.taxReturn.balanceCents, BY_HAND.balanceCents);
        assert.equal(shown.refund?.amountCents, BY_HAND.balanceCents);
        const unchanged = await snapshot(board);
        await assert.rejects(board.confirm(2025, person, { iban: IBAN }, OPEN), refused("RETURN_ALREADY_CONFIRMED"));
        await assert.rejects(board.correct(2025, person, "training", 1, OPEN), refused("RETURN_ALREADY_CONFIRMED"));
        assert.deepEqual(await snapshot(board), unchanged, "the refusals wrote nothing");
        const confirmations = unchanged.events.filter(
          (e: { type: string; data: string }) =>
            e.type === "tax-return.confirmed" && JSON.parse(e.data).subjects[0] === person.personalCode,
        );
        assert.equal(confirmations.length, 1);
      } finally {
        await board.close();
      }
    });

    test("two confirmations at once: one is confirmed, the other refused, one refund", async () => {
      const person = residentBorn("1989-05-05", 131);
      const board = await open();
      try {
        await declareYear(board, [person.personalCode], "race");
        const outcomes = await Promise.allSettled([
          board.confirm(2025, person, { iban: IBAN }, OPEN),
          board.confirm(2025, person, { iban: IBAN }, OPEN),
        ]);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
        const rejected = outcomes.find((o) => o.status === "rejected");
        assert.ok(rejected && refused("RETURN_ALREADY_CONFIRMED")(rejected.reason), String(rejected?.reason));
        const refunds = await board.store.db
          .selectFrom("refund")
          .select("amount_cents")
          .where("person_code", "=", person.personalCode)
          .execute();
        assert.deepEqual(
          refunds.map((r) => Number(r.amount_cents)),
          [BY_HAND.balanceCents],
        );
      } finally {
        await board.close();
      }
    });

    test("2023, § 23²: the parent who confirms first claims the children; the other parent's return leaves them out", async () => {
      const children = ["2010-05-01", "2015-06-02", "2020-07-03"].map((birthDate, i) => ({
        personalCode: residentBorn(birthDate, 150 + i).personalCode,
        birthDate,
      }));
      const [mother, father] = [residentBorn("1982-08-08", 161), residentBorn("1980-09-09", 162)].map((p) => ({
        ...p,
        children,
      })) as [ReturnType<typeof residentBorn>, ReturnType<typeof residentBorn>];
      const board = await open();
      try {
        for (const month of MONTHS)
          await board.declarePayroll(
            EMPLOYER_CLIENT,
            payrollMonth(month, [mother.personalCode, father.personalCode], 2023),
            OPEN,
          );
        // By hand: 18,000 − 648 − 5,232 − 2 × €1,848 = €8,424 at 20 % = €1,684.80; €3,000 withheld.
        const childLine = (view: Awaited<ReturnType<TaxBoard["taxReturn"]>>) =>
          view.taxReturn.lines.find((l) => l.key === "child-exemption");
        const offered = await board.taxReturn(2023, father, OPEN);
        assert.equal(childLine(offered)?.amountCents, 369_600);
        const confirmed = await board.confirm(2023, mother, { iban: IBAN }, OPEN);
        assert.deepEqual(childLine(confirmed)?.source, {
          kind: "population-register",
          children: children.map((c) => c.personalCode),
        });
        assert.equal(confirmed.taxReturn.taxCents, 168_480);
        assert.equal(confirmed.refund?.amountCents, 300_000 - 168_480);
        // The father's return, as the Board shows it now: no children left to claim, 12,120 at 20 %.
        const left = await board.taxReturn(2023, father, OPEN);
        assert.equal(childLine(left), undefined);
        assert.equal(left.taxReturn.taxCents, 242_400);
        assert.equal((await board.confirm(2023, father, { iban: IBAN }, OPEN)).refund?.amountCents, 300_000 - 242_400);
        const claimed = await board.store.db
          .selectFrom("claimed_child")
          .select(["child_code", "parent_code"])
          .where("year", "=", 2023)
          .orderBy("child_code")
          .execute();
        assert.deepEqual(
          claimed,
          children
            .map((c) => ({ child_code: c.personalCode, parent_code: mother.personalCode }))
            .sort((a, b) => a.child_code.localeCompare(b.child_code)),
        );
      } finally {
        await board.close();
      }
    });

    test("2023, § 23²: two parents confirming at once claim each child once", async () => {
      const board = await open();
      try {
        // Several families: on PostgreSQL both confirmations read the claims before either commits.
        for (let family = 0; family < 5; family++) {
          const children = ["2011-01-11", "2016-02-12"].map((birthDate, i) => ({
            personalCode: residentBorn(birthDate, 400 + family * 10 + i).personalCode,
            birthDate,
          }));
          // The register may list the children in either order.
          const [mother, father] = [
            { ...residentBorn("1983-03-03", 500 + family * 2), children },
            { ...residentBorn("1981-04-04", 501 + family * 2), children: [...children].reverse() },
          ];
          for (const month of MONTHS)
            await board.declarePayroll(
              EMPLOYER_CLIENT,
              {
                ...payrollMonth(month, [mother.personalCode, father.personalCode], 2023),
                declarationId: `family-${family}-${month}`,
              },
              OPEN,
            );
          const views = await Promise.all([
            board.confirm(2023, mother, { iban: IBAN }, OPEN),
            board.confirm(2023, father, { iban: IBAN }, OPEN),
          ]);
          const exemptions = views.map(
            (v) => v.taxReturn.lines.find((l) => l.key === "child-exemption")?.amountCents ?? 0,
          );
          assert.deepEqual(exemptions.sort(), [0, 184_800], `family ${family}: the second child once`);
          const claims = await board.store.db
            .selectFrom("claimed_child")
            .select("parent_code")
            .where(
              "child_code",
              "in",
              children.map((c) => c.personalCode),
            )
            .execute();
          assert.equal(new Set(claims.map((c) => c.parent_code)).size, 1, "both children claimed by one parent");
          assert.equal(claims.length, 2);
        }
      } finally {
        await board.close();
      }
    });

    test("nothing half-written: refused declarations and confirmations, and a confirmation failing after its first insert", async () => {
      const person = residentBorn("1991-06-06", 141);
      const board = await open();
      try {
        await declareYear(board, [person.personalCode], "half");
        const before = await snapshot(board);
        // Refused before the transaction (more withheld than paid, the sender), or inside it (the conflict).
        await assert.rejects(
          board.declarePayroll(EMPLOYER_CLIENT, {
            ...payrollMonth(7, [person.personalCode]),
            declarationId: "half-bad",
            employees: [{ ...payrollMonth(7, [person.personalCode]).employees[0]!, grossCents: 1 }],
          }),
          refused("DECLARATION_INVALID"),
        );
        await assert.rejects(
          board.declarePayroll(EMPLOYER_CLIENT, { ...payrollMonth(7, [person.personalCode]), declarationId: "half-1" }),
          refused("DECLARATION_CONFLICT"),
        );
        await assert.rejects(
          board.declarePayroll(BANK_CLIENT, { ...payrollMonth(7, [person.personalCode]), declarationId: "half-new" }),
          refused("NOT_THE_PAYER"),
        );
        await assert.rejects(
          board.confirm(2025, person, { iban: "EE38 2200 2210 2014 5658" }, OPEN),
          refused("IBAN_INVALID"),
        );
        await assert.rejects(board.confirm(2026, person, { iban: IBAN }, OPEN), refused("RULES_NOT_IN_FORCE"));
        await assert.rejects(
          board.confirm(2025, person, { iban: IBAN }, new Date("2026-02-01T00:00:00Z")),
          refused("RETURN_NOT_OPEN"),
        );
        await assert.rejects(board.correct(2025, person, "income", 0, OPEN), refused("LINE_NOT_CORRECTABLE"));
        assert.deepEqual(await snapshot(board), before, "the refused requests wrote nothing");

        // A refund already there (written outside the Board) makes the confirmation fail after
        // the return's row is inserted: the transaction takes that row back with it.
        await board.store.db
          .insertInto("refund")
          .values({
            year: 2025,
            person_code: person.personalCode,
            amount_cents: 1,
            iban: "EE382200221020145685",
            scheduled_at: OPEN.toISOString(),
            status: "paid",
          })
          .execute();
        const withRefund = await snapshot(board);
        await assert.rejects(board.confirm(2025, person, { iban: IBAN }, OPEN));
        assert.deepEqual(
          await snapshot(board),
          withRefund,
          "no return, journal entry or event from the failed confirmation",
        );
        assert.equal((await board.taxReturn(2025, person, OPEN)).status, "open");
      } finally {
        await board.close();
      }
    });
  });
}
