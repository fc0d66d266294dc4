import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parsePersonalCode, readChanges } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import {
  applyChange,
  createPopulationRegisterService,
  openPopulationRegister,
  POPULATION_REGISTER_TABLES,
  type PopulationRegister,
  seedPopulation,
} from "@riik/population-register";
import { freshLocation } from "./fixture.ts";

const HEADER = "x-riik-data-subjects";
const REGISTRAR = "EE/GOV/70000562/registrar";
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const ADDRESS = {
  county: "Tartu maakond",
  municipality: "Tartu linn",
  settlement: "Tartu",
  street: "Ülikooli",
  house: "18",
  apartment: null,
  postalCode: "50090",
  ehakCode: "0793",
};

/** Every row of the register's own tables, in key order: what a journal replay must reproduce. */
async function dump(register: PopulationRegister) {
  const out: Record<string, unknown[]> = {};
  for (const table of POPULATION_REGISTER_TABLES) {
    let query = register.db.selectFrom(table.name as "person").selectAll();
    for (const column of table.key) query = query.orderBy(column as "personal_code");
    out[table.name] = (await query.execute()).map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])),
    );
  }
  out.address = (out.address as Record<string, unknown>[]).map((a) => ({ ...a, n: Number(a.n) }));
  out.personal_code_allocation = (out.personal_code_allocation as Record<string, unknown>[]).map((a) => ({
    ...a,
    serial: Number(a.serial),
  }));
  return out;
}

for (const target of await dialectTargets()) {
  describe(`vital events on ${target.dialect}`, () => {
    let register: PopulationRegister;
    let app: ReturnType<typeof createPopulationRegisterService>["app"];
    /** Living adults of 20-60 with no spouse and an address: free to marry, move, be parents. */
    let single: string[];
    const location = freshLocation(target, "population_register_events");

    before(async () => {
      await seedPopulation({ ...location, persons: 800, seed: 5 });
      register = await openPopulationRegister(location);
      app = createPopulationRegisterService(register).app;
      const rows = await register.db
        .selectFrom("person")
        .select(["personal_code", "sex"])
        .where("date_of_death", "is", null)
        .where("birth_date", ">=", day(-60 * 365))
        .where("birth_date", "<=", day(-20 * 366))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("relation")
                .select("kind")
                .where((r) =>
                  r.or([
                    r("relation.from_code", "=", r.ref("person.personal_code")),
                    r("relation.to_code", "=", r.ref("person.personal_code")),
                  ]),
                )
                .where("relation.kind", "=", "spouse"),
            ),
          ),
        )
        .where((eb) =>
          eb.exists(
            eb.selectFrom("address").select("n").whereRef("address.personal_code", "=", "person.personal_code"),
          ),
        )
        .orderBy("personal_code")
        .execute();
      single = rows.map((r) => r.personal_code);
      assert.ok(single.length >= 12, `${single.length} single adults`);
    });
    after(async () => {
      await app.close();
      await register.close();
    });

    const post = (path: string, body: unknown) =>
      app.inject({
        method: "POST",
        url: `/vital-events/${path}`,
        payload: body as object,
        headers: { "x-road-client": REGISTRAR },
      });
    const person = async (code: string) => (await app.inject({ method: "GET", url: `/persons/${code}` })).json();
    const family = async (code: string) => (await app.inject({ method: "GET", url: `/persons/${code}/family` })).json();
    const outbox = () => register.db.selectFrom("event_outbox").selectAll().orderBy("seq").execute();
    const journalSize = async () => (await readChanges(register.db, 0, 1_000_000)).length;
    const sexOf = async (code: string) => (await person(code)).sex as string;
    /** The i-th single adult of a sex (the seed has both). */
    const singleOf = async (sex: string, i = 0) => {
      const matching = [];
      for (const code of single) if ((await sexOf(code)) === sex) matching.push(code);
      return matching[i] as string;
    };

    test("a birth: the child's personal code, its parents, the mother's address, journal and outbox in one", async () => {
      const mother = await singleOf("female");
      const father = await singleOf("male");
      const dateOfBirth = day(-3);
      const sameDay = await register.db
        .selectFrom("person")
        .select("personal_code")
        .where("birth_date", "=", dateOfBirth)
        .execute();
      const before = await outbox();
      const res = await post("births", {
        eventId: "birth-1",
        mother,
        father,
        child: { givenName: "Mia", surname: "Tamm", sex: "female", dateOfBirth, placeOfBirth: "Tartu, Tartu maakond" },
      });
      assert.equal(res.statusCode, 201, res.body);
      const result = res.json();
      const child = result.personalCode as string;
      const parsed = parsePersonalCode(child);
      assert.equal(parsed.birthDate, dateOfBirth);
      assert.equal(parsed.sex, "female");
      for (const other of sameDay) assert.ok(parsed.serial > parsePersonalCode(other.personal_code).serial);
      assert.deepEqual(result.subjects, [child, mother, father]);
      assert.deepEqual(
        res.headers[HEADER]?.toString().split(",").sort(),
        result.subjects.map((c: string) => `EE${c}`).sort(),
      );
      assert.equal(result.type, "birth");
      assert.equal(result.eventId, "birth-1");

      const childPerson = await person(child);
      assert.equal(childPerson.givenName, "Mia");
      assert.equal(childPerson.deceased, false);
      const childFamily = await family(child);
      assert.deepEqual(
        childFamily.parents.map((p: { personalCode: string }) => p.personalCode).sort(),
        [father, mother].sort(),
      );
      assert.ok((await family(mother)).children.some((c: { personalCode: string }) => c.personalCode === child));
      const motherAddress = (await app.inject({ method: "GET", url: `/persons/${mother}/address` })).json().address;
      const childAddress = (await app.inject({ method: "GET", url: `/persons/${child}/address` })).json().address;
      assert.deepEqual({ ...childAddress, since: null }, { ...motherAddress, since: null });

      const events = (await outbox()).slice(before.length);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.type, "person.born");
      const data = JSON.parse(events[0]!.data);
      assert.deepEqual(data.subjects, result.subjects);
      assert.equal(data.placeOfBirth, "Tartu, Tartu maakond");
      const journal = await readChanges(register.db, 0, 1_000_000);
      const entities = journal.filter((e) => e.at === journal.at(-1)!.at).map((e) => `${e.entity}:${e.op}`);
      assert.deepEqual(entities.sort(), [
        "address:upsert",
        "person:upsert",
        "personal_code_allocation:upsert",
        "relation:upsert",
        "relation:upsert",
        "vital_event:upsert",
      ]);
      const allocation = await register.db
        .selectFrom("personal_code_allocation")
        .selectAll()
        .where("personal_code", "=", child)
        .executeTakeFirstOrThrow();
      assert.equal(allocation.purpose, "birth");
      const recorded = await register.db
        .selectFrom("vital_event")
        .selectAll()
        .where("event_id", "=", "birth-1")
        .executeTakeFirstOrThrow();
      assert.equal(recorded.client, REGISTRAR);

      // The same registration again: the first result, never a second child.
      const persons = await register.personCount();
      const journalBefore = await journalSize();
      const again = await post("births", {
        eventId: "birth-1",
        mother,
        father,
        child: { givenName: "Mia", surname: "Tamm", sex: "female", dateOfBirth, placeOfBirth: "Tartu, Tartu maakond" },
      });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, "EVENT_DUPLICATE");
      assert.deepEqual(again.json().details.result, result);
      assert.equal(again.headers[HEADER], undefined, "error answers name nobody");
      // The id again for another event; the birth again under a new id.
      const reused = await post("births", {
        eventId: "birth-1",
        mother,
        child: { givenName: "Mai", surname: "Tamm", sex: "female", dateOfBirth, placeOfBirth: "Tartu" },
      });
      assert.equal(reused.json().code, "EVENT_ID_REUSED");
      const renamed = await post("births", {
        eventId: "birth-1-again",
        mother,
        father,
        child: { givenName: "Mia", surname: "Tamm", sex: "female", dateOfBirth, placeOfBirth: "Tartu" },
      });
      assert.equal(renamed.statusCode, 409);
      assert.equal(renamed.json().code, "EVENT_DUPLICATE");
      assert.equal(renamed.json().details.personalCode, child);
      assert.equal(await register.personCount(), persons);
      assert.equal(await journalSize(), journalBefore, "refused events write nothing");
      assert.equal((await outbox()).length, before.length + 1);
    });

    test("a birth's refusals: unknown parents 404, impossible dates and parents 400, all writing nothing", async () => {
      const mother = await singleOf("female", 1);
      const father = await singleOf("male", 1);
      const child = { givenName: "Oskar", surname: "Kask", sex: "male", dateOfBirth: day(-1), placeOfBirth: "Tallinn" };
      const journalBefore = await journalSize();
      const cases: [string, unknown, number, string][] = [
        ["unknown mother", { mother: "38001085718", child }, 404, "PERSON_NOT_FOUND"],
        ["unknown father", { mother, father: "38001085718", child }, 404, "PERSON_NOT_FOUND"],
        [
          "bad check digit",
          { mother: `${mother.slice(0, 10)}${(Number(mother[10]) + 1) % 10}`, child },
          400,
          "PERSONAL_CODE_INVALID",
        ],
        ["born tomorrow", { mother, child: { ...child, dateOfBirth: day(1) } }, 400, "DATE_INVALID"],
        ["born before the mother", { mother, child: { ...child, dateOfBirth: "1950-01-01" } }, 400, "EVENT_INVALID"],
        ["mother is father", { mother, father: mother, child }, 400, "EVENT_INVALID"],
        ["no such day", { mother, child: { ...child, dateOfBirth: "2025-02-29" } }, 400, "REQUEST_INVALID"],
        ["digits in the name", { mother, child: { ...child, givenName: "R2D2" } }, 400, "REQUEST_INVALID"],
        ["unknown field", { mother, child, nationality: "EST" }, 400, "REQUEST_INVALID"],
      ];
      for (const [what, body, status, code] of cases) {
        const res = await post("births", { eventId: `refused-${what.replaceAll(" ", "-")}`, ...(body as object) });
        assert.equal(res.statusCode, status, `${what}: ${res.body}`);
        assert.equal(res.json().code, code, what);
      }
      assert.equal(await journalSize(), journalBefore);
      const claimed = await register.db
        .selectFrom("vital_event")
        .select("event_id")
        .where("event_id", "like", "refused-%")
        .execute();
      assert.deepEqual(claimed, [], "a refused event does not keep its id");
      // A man who died more than 300 days before the birth is not presumed the father.
      assert.equal(
        (await post("deaths", { eventId: "d-father", personalCode: father, dateOfDeath: day(-302) })).statusCode,
        201,
      );
      const late = await post("births", { eventId: "birth-late-father", mother, father, child });
      assert.equal(late.json().code, "EVENT_INVALID");
      const fatherless = await post("births", { eventId: "birth-no-father", mother, child });
      assert.equal(fatherless.statusCode, 201, fatherless.body);
      assert.deepEqual(fatherless.json().subjects, [fatherless.json().personalCode, mother]);
    });

    test("a death: kept, marked deceased, the spouse widowed; a second death and impossible dates refused", async () => {
      const [a, b] = [await singleOf("female", 2), await singleOf("male", 2)];
      assert.equal((await post("marriages", { eventId: "m-ab", spouses: [a, b], date: day(-400) })).statusCode, 201);
      const before = (await outbox()).length;
      const res = await post("deaths", { eventId: "d-b", personalCode: b, dateOfDeath: day(-2) });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(res.json().subjects, [b, a]);
      const dead = await person(b);
      assert.equal(dead.deceased, true);
      assert.equal(dead.dateOfDeath, day(-2));
      assert.equal(dead.status, "deceased");
      const [event] = (await outbox()).slice(before);
      assert.equal(event!.type, "person.died");
      assert.deepEqual(JSON.parse(event!.data).subjects, [b, a]);
      assert.equal(JSON.parse(event!.data).spouse, a);
      const again = await post("deaths", { eventId: "d-b-2", personalCode: b, dateOfDeath: day(-1) });
      assert.equal(again.json().code, "PERSON_DECEASED");
      const early = await post("deaths", { eventId: "d-a", personalCode: a, dateOfDeath: "1900-01-01" });
      assert.equal(early.json().code, "DATE_INVALID");
      assert.equal(
        (await post("deaths", { eventId: "d-x", personalCode: "38001085718", dateOfDeath: day(0) })).statusCode,
        404,
      );
      // Deceased: no address change, name change or marriage; the widow may marry again.
      assert.equal(
        (await post("address-changes", { eventId: "ac-b", personalCode: b, address: ADDRESS })).json().code,
        "PERSON_DECEASED",
      );
      assert.equal(
        (await post("name-changes", { eventId: "nc-b", personalCode: b, surname: "Uus", date: day(0) })).json().code,
        "PERSON_DECEASED",
      );
      assert.equal(
        (await post("divorces", { eventId: "dv-ab", spouses: [a, b], date: day(0) })).json().code,
        "NOT_MARRIED",
      );
      const c = await singleOf("male", 3);
      const remarried = await post("marriages", { eventId: "m-ac", spouses: [c, a], date: day(0) });
      assert.equal(remarried.statusCode, 201, remarried.body);
      assert.equal((await family(a)).spouse.personalCode, c);
    });

    test("marriage and divorce: one spouse at a time, adults only, not oneself", async () => {
      const [a, b, c] = [await singleOf("female", 4), await singleOf("male", 4), await singleOf("male", 5)];
      const res = await post("marriages", { eventId: "m-1", spouses: [a, b], date: day(-10) });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(res.json().subjects, [a, b]);
      assert.equal(res.json().personalCode, undefined);
      assert.equal((await family(b)).spouse.personalCode, a);
      const bigamy = await post("marriages", { eventId: "m-2", spouses: [c, b], date: day(-1) });
      assert.equal(bigamy.statusCode, 409);
      assert.equal(bigamy.json().code, "PERSON_MARRIED");
      assert.equal(
        (await post("marriages", { eventId: "m-3", spouses: [c, c], date: day(-1) })).json().code,
        "EVENT_INVALID",
      );
      const child = await register.db
        .selectFrom("person")
        .select("personal_code")
        .where("birth_date", ">", day(-15 * 365))
        .where("date_of_death", "is", null)
        .executeTakeFirstOrThrow();
      const minor = await post("marriages", { eventId: "m-4", spouses: [c, child.personal_code], date: day(0) });
      assert.equal(minor.json().code, "EVENT_INVALID");
      const divorce = await post("divorces", { eventId: "dv-1", spouses: [b, a], date: day(0) });
      assert.equal(divorce.statusCode, 201, divorce.body);
      assert.equal((await family(a)).spouse, null);
      const events = (await outbox()).slice(-2).map((e) => [e.type, JSON.parse(e.data).subjects]);
      assert.deepEqual(events, [
        ["marriage.registered", [a, b]],
        ["marriage.dissolved", [b, a]],
      ]);
      assert.equal(
        (await post("divorces", { eventId: "dv-2", spouses: [a, b], date: day(0) })).json().code,
        "NOT_MARRIED",
      );
      assert.equal((await post("marriages", { eventId: "m-5", spouses: [c, b], date: day(0) })).statusCode, 201);
    });

    test("changes of address and name, by the registrar and by PUT /persons/{code}/address, each with its event", async () => {
      const code = await singleOf("female", 6);
      const moved = await post("address-changes", {
        eventId: "ac-1",
        personalCode: code,
        address: { ...ADDRESS, since: day(-1) },
      });
      assert.equal(moved.statusCode, 201, moved.body);
      const current = (await app.inject({ method: "GET", url: `/persons/${code}/address` })).json().address;
      assert.equal(current.street, "Ülikooli");
      const put = await app.inject({
        method: "PUT",
        url: `/persons/${code}/address`,
        payload: { ...ADDRESS, house: "20" },
      });
      assert.equal(put.statusCode, 200);
      const bad = await post("address-changes", {
        eventId: "ac-2",
        personalCode: code,
        address: { ...ADDRESS, municipality: "Tallinn" },
      });
      assert.equal(bad.json().code, "ADDRESS_INVALID");
      const renamed = await post("name-changes", {
        eventId: "nc-1",
        personalCode: code,
        surname: "Õunapuu",
        date: day(0),
      });
      assert.equal(renamed.statusCode, 201, renamed.body);
      assert.equal((await person(code)).surname, "Õunapuu");
      const same = await post("name-changes", {
        eventId: "nc-2",
        personalCode: code,
        surname: "Õunapuu",
        date: day(0),
      });
      assert.equal(same.json().code, "EVENT_INVALID");
      const events = (await outbox()).slice(-3).map((e) => ({ type: e.type, data: JSON.parse(e.data) }));
      assert.deepEqual(
        events.map((e) => [e.type, e.data.subjects, e.data.eventId ?? null]),
        [
          ["address.changed", [code], "ac-1"],
          ["address.changed", [code], null],
          ["name.changed", [code], "nc-1"],
        ],
      );
      assert.equal(events[1]!.data.address.house, "20");
      assert.notEqual(events[2]!.data.previous.surname, "Õunapuu");
    });

    if (target.dialect === "postgres")
      test("concurrent registrations: one eventId applied once, one person married once", async () => {
        const mother = await singleOf("female", 7);
        const birth = {
          eventId: "birth-race",
          mother,
          child: { givenName: "Kaur", surname: "Saar", sex: "male", dateOfBirth: day(-5), placeOfBirth: "Pärnu" },
        };
        const answers = await Promise.all(Array.from({ length: 6 }, () => post("births", birth)));
        assert.deepEqual(answers.map((a) => a.statusCode).sort(), [201, 409, 409, 409, 409, 409]);
        for (const a of answers.filter((x) => x.statusCode === 409)) assert.equal(a.json().code, "EVENT_DUPLICATE");
        const [x, y, z] = [await singleOf("female", 8), await singleOf("male", 6), await singleOf("male", 7)];
        const weddings = await Promise.all([
          post("marriages", { eventId: "race-xy", spouses: [x, y], date: day(0) }),
          post("marriages", { eventId: "race-xz", spouses: [x, z], date: day(0) }),
        ]);
        assert.deepEqual(weddings.map((w) => w.statusCode).sort(), [201, 409]);
      });

    test("the journal rebuilds the register, allocations and vital events included", async () => {
      const copyLocation = freshLocation(target, "population_register_events_copy");
      const copy = await openPopulationRegister(copyLocation);
      try {
        const entries = await readChanges(register.db, 0, 1_000_000);
        await copy.db.transaction().execute(async (trx) => {
          for (const entry of entries) await applyChange(trx, entry);
        });
        assert.deepEqual(await dump(copy), await dump(register));
      } finally {
        await copy.close();
      }
    });
  });
}
