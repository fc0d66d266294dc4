import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode, parsePersonalCode, readChanges } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import {
  createPopulationRegisterService,
  openPopulationRegister,
  type PopulationRegister,
  PopulationRegisterError,
  seedPopulation,
} from "@riik/population-register";
import fc from "fast-check";
import { freshLocation } from "./fixture.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

for (const target of await dialectTargets()) {
  describe(`personal codes on ${target.dialect}`, () => {
    let register: PopulationRegister;
    let persons: Set<string>;
    /** Birth dates of seeded persons, so that allocations meet days with codes already used. */
    let busyDates: string[];

    before(async () => {
      const location = freshLocation(target, "population_register_codes");
      await seedPopulation({ ...location, persons: 600, seed: 11 });
      register = await openPopulationRegister(location);
      const rows = await register.db.selectFrom("person").select(["personal_code", "birth_date"]).execute();
      persons = new Set(rows.map((r) => r.personal_code));
      busyDates = [...new Set(rows.map((r) => r.birth_date))].sort().slice(0, 40);
    });
    after(() => register.close());

    test("a code comes after every code of its day, persons' and earlier allocations', both sexes", async () => {
      const date = busyDates[0] as string;
      const used = [...persons].filter((c) => parsePersonalCode(c).birthDate === date);
      const highest = Math.max(...used.map((c) => parsePersonalCode(c).serial));
      const first = await register.allocatePersonalCode({ dateOfBirth: date, sex: "female" }, null, NOW);
      const second = await register.allocatePersonalCode({ dateOfBirth: date, sex: "male" }, "EE/GOV/1/x", NOW);
      assert.equal(first.serial, highest + 1);
      assert.equal(second.serial, highest + 2);
      assert.equal(parsePersonalCode(second.personalCode).sex, "male");
      const journal = await readChanges(register.db, 0, 1_000_000);
      const entry = journal.find((e) => e.entity === "personal_code_allocation" && e.key === second.personalCode);
      assert.ok(entry, "the allocation is journalled");
      assert.equal(JSON.parse(entry.data ?? "null").client, "EE/GOV/1/x");
    });

    test("property: allocated codes are valid, unique, never a person's, and read back their date and sex", async () => {
      const allocated = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              date: fc.oneof(
                fc.constantFrom(...busyDates),
                fc
                  .date({ min: new Date("1800-01-01T00:00:00Z"), max: NOW, noInvalidDate: true })
                  .map((d) => d.toISOString().slice(0, 10)),
              ),
              sex: fc.constantFrom("male" as const, "female" as const),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          async (requests) => {
            for (const { date, sex } of requests) {
              const { personalCode } = await register.allocatePersonalCode({ dateOfBirth: date, sex }, null, NOW);
              const parsed = parsePersonalCode(personalCode);
              assert.equal(parsed.birthDate, date);
              assert.equal(parsed.sex, sex);
              assert.ok(parsed.serial >= 1 && parsed.serial <= 999);
              assert.ok(!persons.has(personalCode), `${personalCode} is a person's code`);
              assert.ok(!allocated.has(personalCode), `${personalCode} was handed out before`);
              allocated.add(personalCode);
            }
          },
        ),
        { numRuns: 25 },
      );
    });

    test("concurrent allocations of one day never share a code", async () => {
      const date = busyDates[1] as string;
      const codes = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          register.allocatePersonalCode({ dateOfBirth: date, sex: i % 2 ? "male" : "female" }, null, NOW),
        ),
      );
      const serials = codes.map((c) => c.serial).sort((a, b) => a - b);
      assert.equal(new Set(serials).size, 24);
      assert.equal(serials.at(-1)! - serials[0]!, 23, "consecutive serials");
    });

    test("the day's serial 999 taken: PERSONAL_CODES_EXHAUSTED", async () => {
      const date = "1999-12-31";
      // A person with serial 998 (a seed or an old register may use any serial).
      const code = generatePersonalCode(date, "male", 998);
      await register.db
        .insertInto("person")
        .values({
          personal_code: code,
          given_name: "Viimane",
          surname: "Number",
          sex: "male",
          birth_date: date,
          date_of_death: null,
          citizenship: "EST",
        })
        .execute();
      const last = await register.allocatePersonalCode({ dateOfBirth: date, sex: "female" }, null, NOW);
      assert.equal(last.serial, 999);
      await assert.rejects(
        register.allocatePersonalCode({ dateOfBirth: date, sex: "male" }, null, NOW),
        (e: unknown) => e instanceof PopulationRegisterError && e.code === "PERSONAL_CODES_EXHAUSTED",
      );
    });

    test("POST /personal-codes: 201 with the code; impossible dates and bad bodies are refused", async () => {
      const { app } = createPopulationRegisterService(register);
      try {
        const post = (body: unknown, headers: Record<string, string> = {}) =>
          app.inject({ method: "POST", url: "/personal-codes", payload: body as object, headers });
        const ok = await post(
          { dateOfBirth: "1990-04-12", sex: "female" },
          { "x-road-client": "EE/GOV/70008747/e-residency" },
        );
        assert.equal(ok.statusCode, 201);
        const { personalCode } = ok.json();
        assert.equal(parsePersonalCode(personalCode).birthDate, "1990-04-12");
        assert.equal(ok.headers["x-riik-data-subjects"], undefined, "not personal data");
        const row = await register.db
          .selectFrom("personal_code_allocation")
          .selectAll()
          .where("personal_code", "=", personalCode)
          .executeTakeFirstOrThrow();
        assert.equal(row.client, "EE/GOV/70008747/e-residency");
        assert.equal(row.purpose, "request");
        const today = new Date().toISOString().slice(0, 10);
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        for (const [body, code] of [
          // The schema's format "date" refuses a day that is not in the calendar.
          [{ dateOfBirth: "2023-02-29", sex: "male" }, "REQUEST_INVALID"],
          [{ dateOfBirth: tomorrow, sex: "male" }, "DATE_INVALID"],
          [{ dateOfBirth: "1799-12-31", sex: "male" }, "DATE_INVALID"],
          [{ dateOfBirth: today, sex: "other" }, "REQUEST_INVALID"],
          [{ dateOfBirth: "12.04.1990", sex: "male" }, "REQUEST_INVALID"],
          [{ dateOfBirth: today, sex: "male", personalCode: "38001085718" }, "REQUEST_INVALID"],
        ] as const) {
          const res = await post(body);
          assert.equal(res.statusCode, 400, JSON.stringify(body));
          assert.equal(res.json().code, code, JSON.stringify(body));
        }
      } finally {
        await app.close();
      }
    });
  });
}
