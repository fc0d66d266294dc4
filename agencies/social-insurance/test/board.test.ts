// The Board on SQLite and PostgreSQL: a birth makes an offer without an application, only a
// parent confirms it and once, payments are scheduled once per line whatever the retries, and
// a death or turning 16 ends the child's allowance with one notice; a late confirmation pays
// the months owed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generatePersonalCode, RiikError } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { openSocialInsuranceBoard } from "../src/index.ts";

const mother = generatePersonalCode("1990-04-12", "female", 21);
const father = generatePersonalCode("1988-11-03", "male", 22);
const stranger = generatePersonalCode("1970-01-01", "male", 23);
const older = [generatePersonalCode("2016-02-10", "male", 31), generatePersonalCode("2019-09-09", "female", 32)];
const newborn = generatePersonalCode("2026-11-20", "female", 33);
// A second family, for the death (the stores of one dialect are one database).
const mother2 = generatePersonalCode("1992-06-30", "female", 41);
const older2 = [generatePersonalCode("2017-03-03", "male", 42), generatePersonalCode("2020-05-05", "female", 43)];
const newborn2 = generatePersonalCode("2026-11-25", "male", 44);
// A third family whose parent confirms two months after the birth.
const mother3 = generatePersonalCode("1994-02-14", "female", 51);
const newborn3 = generatePersonalCode("2026-09-03", "female", 52);
// A fourth family whose older child turns 16 in July 2026 (not studying: the allowance ends).
const mother4 = generatePersonalCode("1985-01-20", "female", 61);
const turning16 = generatePersonalCode("2010-07-10", "male", 62);
const newborn4 = generatePersonalCode("2026-05-01", "female", 63);
// A fifth family whose receiving parent dies.
const mother5 = generatePersonalCode("1991-03-03", "female", 71);
const father5 = generatePersonalCode("1989-08-08", "male", 72);
const newborn5 = generatePersonalCode("2026-06-10", "male", 73);
// A valid Estonian IBAN (ISO 13616 check digits) and the same with its digits swapped.
const IBAN = "EE38 2200 2210 2014 5685";
/** A typed refusal with this code (the Board's own, or core's for an IBAN). */
const refused = (code: string) => (e: unknown) => e instanceof RiikError && e.code === code;
const events = (board: Awaited<ReturnType<typeof openSocialInsuranceBoard>>) =>
  board.store.db.selectFrom("event_outbox").select(["type", "data"]).orderBy("seq").execute();

for (const target of await dialectTargets()) {
  describe(`Social Insurance Board on ${target.dialect}`, () => {
    test("a third child's birth: an offer with the childbirth allowance and the family's allowances, confirmed once by a parent", async () => {
      const board = await openSocialInsuranceBoard(target.location("social_insurance"));
      try {
        const offer = await board.onBirth({ child: newborn, mother, father }, older, new Date("2026-11-21T09:00:00Z"));
        assert.equal(offer.status, "offered");
        assert.deepEqual(
          offer.lines.map((l) => [l.benefit, l.amountCents]),
          [
            ["childbirth-allowance", 320_00],
            ["child-allowance", 80_00],
            ["child-allowance", 80_00],
            ["child-allowance", 80_00],
            ["large-family-allowance", 450_00],
          ],
        );
        assert.ok(offer.lines.every((l) => l.why.length > 0 && l.rules.source.length > 0));
        // The same birth delivered again (at least once): the first offer, nothing new.
        assert.equal((await board.onBirth({ child: newborn, mother, father }, older)).id, offer.id);
        assert.deepEqual(
          (await board.offersOf(father)).map((o) => o.id),
          [offer.id],
        );
        assert.deepEqual(await board.offersOf(stranger), []);

        await assert.rejects(
          board.confirm(offer.id, { by: stranger, recipient: stranger, iban: IBAN }),
          refused("OFFER_NOT_FOUND"),
        );
        await assert.rejects(
          board.confirm(offer.id, { by: father, recipient: stranger, iban: IBAN }),
          refused("NOT_A_PARENT"),
        );
        await assert.rejects(
          board.confirm(offer.id, { by: father, recipient: mother, iban: "EE38 2200 2210 2014 5658" }),
          refused("IBAN_INVALID"),
        );
        const confirmed = await board.confirm(
          offer.id,
          { by: father, recipient: mother, iban: IBAN },
          new Date("2026-11-22T10:00:00Z"),
        );
        assert.equal(confirmed.confirmedBy, father);
        await assert.rejects(
          board.confirm(offer.id, { by: mother, recipient: mother, iban: IBAN }),
          refused("OFFER_ALREADY_CONFIRMED"),
        );

        assert.equal(await board.scheduleMonth("2026-11"), 4);
        assert.equal(await board.scheduleMonth("2026-11"), 0, "a repeated run schedules nothing twice");
        const payments = await board.paymentsOf(mother);
        assert.equal(
          payments.reduce((s, p) => s + p.amountCents, 0),
          320_00 + 3 * 80_00 + 450_00,
        );
        assert.ok(payments.every((p) => p.iban === "EE382200221020145685" && p.recipient === mother));
        assert.deepEqual(await board.paymentsOf(father), []);
        assert.deepEqual(
          (await events(board)).map((e) => e.type),
          ["offer.created", "offer.confirmed"],
        );
      } finally {
        await board.close();
      }
    });

    test("a confirmation two months after the birth schedules the months owed since, once", async () => {
      const board = await openSocialInsuranceBoard(target.location("social_insurance"));
      try {
        const offer = await board.onBirth({ child: newborn3, mother: mother3 }, [], new Date("2026-09-04T09:00:00Z"));
        await board.confirm(
          offer.id,
          { by: mother3, recipient: mother3, iban: IBAN },
          new Date("2026-11-22T10:00:00Z"),
        );
        // The monthly run of November (it runs every hour) adds November and nothing twice.
        assert.equal(await board.scheduleMonth("2026-11", new Date("2026-11-22T11:00:00Z")), 1);
        assert.equal(await board.scheduleMonth("2026-11", new Date("2026-11-22T12:00:00Z")), 0);
        assert.deepEqual(
          (await board.paymentsOf(mother3)).map((p) => [p.month, p.benefit]),
          [
            ["2026-09", "child-allowance"],
            ["2026-10", "child-allowance"],
            ["2026-11", "child-allowance"],
            ["2026-11", "childbirth-allowance"],
          ],
        );
      } finally {
        await board.close();
      }
    });

    test("a child turning 16 stops receiving the allowance, with one notice, whatever the reruns", async () => {
      const board = await openSocialInsuranceBoard(target.location("social_insurance"));
      try {
        const offer = await board.onBirth(
          { child: newborn4, mother: mother4 },
          [turning16],
          new Date("2026-05-02T09:00:00Z"),
        );
        await board.confirm(
          offer.id,
          { by: mother4, recipient: mother4, iban: IBAN },
          new Date("2026-05-03T09:00:00Z"),
        );
        for (const month of ["2026-05", "2026-06", "2026-07", "2026-08", "2026-08", "2026-09"])
          await board.scheduleMonth(month, new Date(`${month}-02T09:00:00Z`));
        const paid = (await board.paymentsOf(mother4))
          .filter((p) => p.child === turning16 && p.benefit === "child-allowance")
          .map((p) => p.month);
        assert.ok(paid.includes("2026-05") && paid.includes("2026-06"), paid.join());
        assert.ok(!paid.includes("2026-08") && !paid.includes("2026-09"), paid.join());
        const ended = (await events(board))
          .filter((e) => e.type === "benefit.ended")
          .map((e) => JSON.parse(e.data) as { child: string; month: string; subjects: string[] })
          .filter((e) => e.subjects.includes(mother4));
        assert.deepEqual(
          ended.map((e) => e.child),
          [turning16],
          "one notice",
        );
        assert.equal(ended[0]!.month > paid.at(-1)!, true, "from the month after the last allowance");
      } finally {
        await board.close();
      }
    });

    test("the receiving parent's death: nothing paid to them after, the other parent told, confirms, and the months since are paid", async () => {
      const board = await openSocialInsuranceBoard(target.location("social_insurance"));
      try {
        const offer = await board.onBirth(
          { child: newborn5, mother: mother5, father: father5 },
          [],
          new Date("2026-06-11T09:00:00Z"),
        );
        await board.confirm(
          offer.id,
          { by: mother5, recipient: mother5, iban: IBAN },
          new Date("2026-06-12T09:00:00Z"),
        );
        await board.scheduleMonth("2026-06", new Date("2026-06-12T10:00:00Z"));
        await board.scheduleMonth("2026-07", new Date("2026-07-01T09:00:00Z"));
        await board.onDeath(mother5, "2026-07-20");
        assert.equal(await board.scheduleMonth("2026-08", new Date("2026-08-01T09:00:00Z")), 0, "paid to no one");
        const told = (await events(board))
          .filter((e) => e.type === "benefit.recipient-died")
          .map((e) => JSON.parse(e.data) as { subjects: string[]; recipient: string });
        assert.deepEqual(
          told.filter((e) => e.recipient === mother5).map((e) => e.subjects),
          [[father5]],
        );
        assert.equal((await board.offersOf(father5))[0]?.status, "offered", "waits for a new confirmation");
        await board.confirm(
          offer.id,
          { by: father5, recipient: father5, iban: IBAN },
          new Date("2026-09-03T09:00:00Z"),
        );
        await assert.rejects(
          board.confirm(offer.id, { by: father5, recipient: father5, iban: IBAN }),
          refused("OFFER_ALREADY_CONFIRMED"),
        );
        const toFather = (await board.paymentsOf(father5)).map((p) => [p.month, p.benefit]);
        assert.deepEqual(toFather, [["2026-08", "child-allowance"]], "the month since, once; September by its run");
        // Hers stay as paid, and the childbirth allowance is not paid a second time.
        assert.deepEqual(
          (await board.paymentsOf(mother5)).map((p) => [p.month, p.benefit]),
          [
            ["2026-06", "child-allowance"],
            ["2026-06", "childbirth-allowance"],
            ["2026-07", "child-allowance"],
          ],
        );
      } finally {
        await board.close();
      }
    });

    test("a child's death ends their allowance from the next month, with one notice; the family allowance follows the count", async () => {
      const board = await openSocialInsuranceBoard(target.location("social_insurance"));
      try {
        // The event's transaction records the birth; the offer waits for the family.
        await board.store.write((write) => board.recordBirth(write, { child: newborn2, mother: mother2 }));
        assert.deepEqual(await board.pendingBirths(), [{ child: newborn2, mother: mother2 }]);
        await assert.rejects(board.makeOffer(older2[1]!, []), refused("OFFER_NOT_FOUND"));
        const offer = await board.makeOffer(newborn2, [...older2, newborn2]);
        assert.deepEqual(await board.pendingBirths(), []);
        await board.confirm(offer.id, { by: mother2, recipient: mother2, iban: IBAN });
        await board.scheduleMonth("2026-12");
        await board.onDeath(older2[0]!, "2026-12-15");
        await board.scheduleMonth("2027-01");
        await board.scheduleMonth("2027-01");
        const january = (await board.paymentsOf(mother2)).filter((p) => p.month === "2027-01");
        assert.deepEqual(
          january.map((p) => [p.benefit, p.child]).sort(),
          [
            ["child-allowance", newborn2],
            ["child-allowance", older2[1]],
          ].sort(),
        );
        // This family's notices (the dialect's database holds the other tests' families too).
        const ended = (await events(board)).filter(
          (e) => e.type === "benefit.ended" && (JSON.parse(e.data).subjects as string[]).includes(mother2),
        );
        assert.equal(ended.length, 1);
        assert.equal(JSON.parse(ended[0]!.data).child, older2[0]);
        await assert.rejects(
          board.onBirth({ child: "12345678901", mother: mother2 }, []),
          refused("PERSONAL_CODE_INVALID"),
        );
      } finally {
        await board.close();
      }
    });
  });
}
