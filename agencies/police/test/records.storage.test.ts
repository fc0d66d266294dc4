// The police's records on SQLite and PostgreSQL from the same file: import (journalled,
// replacing by reference), criminal records and business bans found by personal code or by
// name and date of birth, expunged records and ended bans left out; the records file's checks.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { PoliceError, PoliceRecords, parseRecordsFile, readRecordsFile, SAMPLE_RECORDS } from "../src/index.ts";

const sample = readRecordsFile(SAMPLE_RECORDS);
const AT = new Date("2026-06-01T12:00:00Z");

for (const target of await dialectTargets()) {
  describe(`police records on ${target.dialect}`, async () => {
    const records = await PoliceRecords.open(target.location("police"));
    after(() => records.close());

    it("imports the sample in one journalled write, and again replaces rather than adds", async () => {
      assert.deepEqual(await records.import(sample), { criminalRecords: 2, businessBans: 2 });
      await records.import(sample);
      const journal = await records.db.selectFrom("change_journal").selectAll().orderBy("seq").execute();
      assert.equal(journal.length, 8);
      assert.deepEqual(
        journal.slice(0, 4).map((e) => [e.entity, e.key, e.op]),
        [
          ["criminal_record", "KR-2023-000417", "upsert"],
          ["criminal_record", "KR-2024-001203", "upsert"],
          ["business_ban", "EK-2025-000031", "upsert"],
          ["business_ban", "EK-2019-000007", "upsert"],
        ],
      );
      const count = await records.db
        .selectFrom("criminal_record")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 2);
    });

    it("finds a criminal record by personal code, or by names in any order and spelling with the date of birth", async () => {
      const refs = async (sought: Parameters<PoliceRecords["criminalRecords"]>[0]) =>
        (await records.criminalRecords(sought, AT)).map((r) => r.reference);
      assert.deepEqual(
        await refs({ givenName: "X", surname: "Y", dateOfBirth: "1975-06-02", personalCode: "37506022712" }),
        ["KR-2023-000417"],
      );
      assert.deepEqual(await refs({ givenName: "TONIS", surname: "naidis", dateOfBirth: "1975-06-02" }), [
        "KR-2023-000417",
      ]);
      assert.deepEqual(await refs({ givenName: "Exemplaire", surname: "Jean Luc", dateOfBirth: "1979-09-09" }), [
        "KR-2024-001203",
      ]);
      assert.deepEqual(await refs({ givenName: "Jean-Luc", surname: "Exemplaire", dateOfBirth: "1979-09-10" }), []);
      // Another code with the same names and birth date is another person.
      assert.deepEqual(
        await refs({ givenName: "Tõnis", surname: "Näidis", dateOfBirth: "1975-06-02", personalCode: "37506020003" }),
        [],
      );
    });

    it("leaves out an expunged record and a ban that ended or has not begun", async () => {
      await records.import(
        parseRecordsFile({
          format: "riik-police-records/1",
          criminalRecords: [
            {
              reference: "KR-2010-000001",
              givenName: "Vana",
              surname: "Kustutatud",
              dateOfBirth: "1950-01-01",
              offence: "theft",
              convictedOn: "2010-01-01",
              expungedOn: "2020-01-01",
            },
          ],
          businessBans: [
            {
              reference: "EK-2027-000001",
              personalCode: "37506022712",
              givenName: "Tõnis",
              surname: "Näidis",
              reason: "from next year",
              since: "2027-01-01",
            },
          ],
        }),
      );
      assert.deepEqual(
        await records.criminalRecords({ givenName: "Vana", surname: "Kustutatud", dateOfBirth: "1950-01-01" }, AT),
        [],
      );
      assert.equal(await records.businessBanOf("37506022712", AT), undefined, "not begun");
      assert.equal((await records.businessBanOf("37506022712", new Date("2027-02-01")))?.reference, "EK-2027-000001");
      assert.equal(await records.businessBanOf("36801300881", AT), undefined, "ended 2021");
      const inForce = await records.businessBanOf("48211230427", AT);
      assert.deepEqual([inForce?.reference, inForce?.until], ["EK-2025-000031", "2030-03-01"]);
      assert.equal(await records.businessBanOf("48211230427", new Date("2030-03-02")), undefined, "after its last day");
      assert.deepEqual(
        (await records.businessBans({ givenName: "Kadri", surname: "KEELATU", dateOfBirth: "1982-11-23" }, AT)).map(
          (b) => b.reference,
        ),
        ["EK-2025-000031"],
      );
    });
  });
}

describe("records file", () => {
  const refused = (value: unknown) => {
    try {
      parseRecordsFile(value);
    } catch (error) {
      assert.ok(error instanceof PoliceError);
      assert.equal(error.code, "POLICE_RECORDS_FILE");
      return [...((error.details?.fields ?? []) as string[])].sort();
    }
    assert.fail("taken");
  };
  const ban = {
    reference: "EK-1",
    personalCode: "48211230427",
    givenName: "K",
    surname: "K",
    reason: "r",
    since: "2025-01-01",
  };

  it("names every bad field: shape first, then codes, dates, order and duplicates", () => {
    assert.deepEqual(refused({ format: "other" }), ["format"]);
    assert.deepEqual(refused({ format: "riik-police-records/1", businessBans: [{ ...ban, extra: 1 }] }), [
      "businessBans[0].extra",
    ]);
    assert.deepEqual(
      refused({
        format: "riik-police-records/1",
        businessBans: [
          { ...ban, personalCode: "48211230428" },
          { ...ban, reference: "EK-2", since: "2025-02-30" },
          { ...ban, reference: "EK-3", until: "2024-01-01", dateOfBirth: "1982-11-24" },
          ban,
        ],
      }),
      [
        "businessBans[0].personalCode",
        "businessBans[1].since",
        "businessBans[2].dateOfBirth",
        "businessBans[2].until",
        "businessBans[3].reference",
      ],
    );
  });
});
