import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isValidPersonalCode, parsePersonalCode, readChanges } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import {
  applyChange,
  COUNTIES,
  DEFAULT_REFERENCE_DATE,
  demoPersons,
  openPopulationRegister,
  type PopulationRegister,
  PopulationRegisterError,
  seedPopulation,
} from "@riik/population-register";

const PERSONS = 2_000;

async function dump(register: PopulationRegister) {
  const db = register.db;
  return {
    person: await db.selectFrom("person").selectAll().orderBy("personal_code").execute(),
    relation: await db
      .selectFrom("relation")
      .selectAll()
      .orderBy("kind")
      .orderBy("from_code")
      .orderBy("to_code")
      .execute(),
    address: (await db.selectFrom("address").selectAll().orderBy("personal_code").orderBy("n").execute()).map((a) => ({
      ...a,
      n: Number(a.n),
    })),
  };
}

for (const target of await dialectTargets()) {
  describe(`population register on ${target.dialect}`, () => {
    const location = target.location("population_register");
    let register: PopulationRegister;

    test("seeds a population with valid, unique codes, symmetric families and a complete journal", async () => {
      const progress: number[] = [];
      const result = await seedPopulation({
        ...location,
        persons: PERSONS,
        seed: 7,
        chunkSize: 700,
        onProgress: (done, total) => {
          assert.equal(total, PERSONS);
          progress.push(done);
        },
      });
      assert.equal(result.persons, PERSONS);
      assert.deepEqual(progress, [0, 700, 1400, 2000]);
      register = await openPopulationRegister(location);
      const { person, relation, address } = await dump(register);
      assert.equal(person.length, PERSONS);
      assert.equal(new Set(person.map((p) => p.personal_code)).size, PERSONS, "codes are unique");
      const byCode = new Map(person.map((p) => [p.personal_code, p]));
      for (const p of person) {
        assert.ok(isValidPersonalCode(p.personal_code), p.personal_code);
        const parsed = parsePersonalCode(p.personal_code);
        assert.equal(parsed.birthDate, p.birth_date);
        assert.equal(parsed.sex, p.sex);
        assert.equal(p.citizenship, "EST");
        if (p.date_of_death) assert.ok(p.date_of_death > p.birth_date);
      }
      // Every relation joins two persons in the register; a child has at most one mother and one father.
      const parents = new Map<string, string[]>();
      for (const r of relation) {
        assert.ok(byCode.has(r.from_code) && byCode.has(r.to_code), `${r.kind} ${r.from_code} ${r.to_code}`);
        if (r.kind === "spouse") assert.ok(r.from_code < r.to_code, "spouses are stored in code order");
        else {
          assert.ok(byCode.get(r.from_code)!.birth_date < byCode.get(r.to_code)!.birth_date, "parents are older");
          parents.set(r.to_code, [...(parents.get(r.to_code) ?? []), r.from_code]);
        }
      }
      for (const [child, list] of parents) {
        assert.ok(list.length <= 2, child);
        if (list.length === 2) assert.notEqual(byCode.get(list[0]!)!.sex, byCode.get(list[1]!)!.sex);
      }
      assert.ok(relation.some((r) => r.kind === "spouse") && relation.some((r) => r.kind === "parent"));
      // Family reads are symmetric: a child's parents list it as a child; spouses name each other.
      for (const code of [...parents.keys()].slice(0, 150)) {
        const family = await register.family(code);
        for (const parent of family.parents) {
          const theirs = await register.family(parent.personalCode);
          assert.ok(theirs.children.some((c) => c.personalCode === code));
        }
      }
      for (const r of relation.filter((x) => x.kind === "spouse").slice(0, 100)) {
        assert.equal((await register.family(r.from_code)).spouse?.personalCode, r.to_code);
        assert.equal((await register.family(r.to_code)).spouse?.personalCode, r.from_code);
      }
      // Everyone has an address, in a real county and municipality.
      const current = new Map<string, (typeof address)[number]>();
      for (const a of address) current.set(a.personal_code, a);
      assert.equal(current.size, PERSONS);
      for (const a of address) {
        const county = COUNTIES.find((c) => c.name === a.county);
        assert.ok(
          county?.municipalities.some((m) => m.name === a.municipality),
          `${a.county} ${a.municipality}`,
        );
        assert.match(a.postal_code, /^\d{5}$/);
        assert.ok(a.since >= byCode.get(a.personal_code)!.birth_date);
      }
      // Minor children live with a parent.
      const adultsBornBy = `${Number(DEFAULT_REFERENCE_DATE.slice(0, 4)) - 18}${DEFAULT_REFERENCE_DATE.slice(4)}`;
      const minors = person.filter((p) => p.birth_date > adultsBornBy);
      const together = minors.filter((p) => {
        const home = current.get(p.personal_code)!;
        return (parents.get(p.personal_code) ?? []).some((parent) => {
          const theirs = current.get(parent)!;
          return theirs.street === home.street && theirs.house === home.house && theirs.apartment === home.apartment;
        });
      });
      assert.ok(minors.length > 0 && together.length === minors.length, `${together.length}/${minors.length}`);
      // The journal holds exactly the register's rows.
      const journal = await readChanges(register.db, 0, 1_000_000);
      assert.equal(journal.length, person.length + relation.length + address.length);
      const keys = new Set(journal.map((j) => `${j.entity}|${j.key}`));
      for (const p of person) assert.ok(keys.has(`person|${p.personal_code}`));
      for (const r of relation) assert.ok(keys.has(`relation|${r.kind}:${r.from_code}:${r.to_code}`));
      for (const a of address) assert.ok(keys.has(`address|${a.personal_code}:${a.n}`));
    });

    test("refuses to seed a register that is not empty", async () => {
      await assert.rejects(
        seedPopulation({ ...location, persons: 10 }),
        (e: unknown) => e instanceof PopulationRegisterError && e.code === "REGISTER_NOT_EMPTY",
      );
      await assert.rejects(
        seedPopulation({ ...location, persons: 0 }),
        (e: unknown) => e instanceof PopulationRegisterError && e.code === "SEED_ARGUMENT",
      );
    });

    test("a change of address keeps the history and is journalled", async () => {
      const [demo] = await demoPersons(location, 1);
      assert.ok(demo);
      const before = await register.addressHistory(demo.personalCode);
      const changed = await register.changeAddress(demo.personalCode, {
        county: "Tartu maakond",
        municipality: "Tartu linn",
        settlement: "Tartu linn",
        street: "Ülikooli tn",
        house: "18",
        apartment: null,
        postalCode: "50090",
        ehakCode: "0793",
      });
      assert.equal(changed.n, before.length + 1);
      const after = await register.addressHistory(demo.personalCode);
      assert.equal(after.length, before.length + 1);
      assert.deepEqual(after[0], changed);
      assert.deepEqual(after.slice(1), before);
      const journal = await readChanges(register.db, 0, 1_000_000);
      const last = journal.at(-1)!;
      assert.equal(last.entity, "address");
      assert.equal(last.key, `${demo.personalCode}:${changed.n}`);
      assert.deepEqual(JSON.parse(last.data!), changed);
      await assert.rejects(
        register.changeAddress(demo.personalCode, { county: "Atlantis", street: 5 }),
        (e: unknown) =>
          e instanceof PopulationRegisterError &&
          e.code === "ADDRESS_INVALID" &&
          JSON.stringify(e.details?.fields) ===
            JSON.stringify(["county", "municipality", "settlement", "street", "house", "postalCode"]),
      );
      await assert.rejects(
        register.changeAddress("38001085718", { ...changed, n: undefined, personalCode: undefined }),
        (e: unknown) => e instanceof PopulationRegisterError && e.code === "ADDRESS_INVALID",
      );
    });

    test("the journal rebuilds an identical register through applyChange", async () => {
      const copyLocation = { ...target.location("population_register_copy"), dataDir: temporaryDirectory() };
      const copy = await openPopulationRegister(copyLocation);
      try {
        let seq = 0;
        for (;;) {
          const batch = await readChanges(register.db, seq, 5_000);
          if (batch.length === 0) break;
          await copy.db.transaction().execute(async (trx) => {
            for (const entry of batch) await applyChange(trx, entry);
          });
          seq = batch.at(-1)!.seq;
        }
        assert.deepEqual(await dump(copy), await dump(register));
        // Replaying again changes nothing (idempotent).
        const again = await readChanges(register.db, 0, 100);
        await copy.db.transaction().execute(async (trx) => {
          for (const entry of again) await applyChange(trx, entry);
        });
        assert.deepEqual(await dump(copy), await dump(register));
        await assert.rejects(
          copy.db.transaction().execute((trx) =>
            applyChange(trx, {
              seq: 1,
              at: "2026-01-01T00:00:00.000Z",
              entity: "car",
              key: "x",
              op: "upsert",
              data: "{}",
            }),
          ),
          (e: unknown) => e instanceof PopulationRegisterError && e.code === "CHANGE_INVALID",
        );
      } finally {
        await copy.close();
        await register.close();
      }
    });
  });
}

test("the same seed gives the same population", async () => {
  const a = temporaryDirectory();
  const b = temporaryDirectory();
  await seedPopulation({ dataDir: a, persons: 500, seed: 42 });
  await seedPopulation({ dataDir: b, persons: 500, seed: 42 });
  const [ra, rb] = await Promise.all([openPopulationRegister({ dataDir: a }), openPopulationRegister({ dataDir: b })]);
  try {
    assert.deepEqual(await dump(ra), await dump(rb));
    const demo = await demoPersons({ dataDir: a }, 5);
    assert.equal(demo.length, 5);
    for (const d of demo) {
      const person = await ra.person(d.personalCode);
      assert.ok(person && person.dateOfDeath === null);
      assert.equal(person.givenName, d.givenName);
      const age = new Date().getUTCFullYear() - Number(person.birthDate.slice(0, 4));
      assert.ok(age >= 18 && age <= 91, `${age}`);
      const family = await ra.family(d.personalCode);
      assert.ok(family.spouse && family.children.length > 0, "demo persons have a family to show");
    }
  } finally {
    await ra.close();
    await rb.close();
  }
});
