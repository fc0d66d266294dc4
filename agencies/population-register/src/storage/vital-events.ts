import { createHash } from "node:crypto";
import { canonicalJson, type DialectName, type Sex } from "@riik/core";
import type { MemberStorage, MemberWrite } from "@riik/kit";
import type { Transaction } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import type { AddressInput } from "../model/address.ts";
import { addYears, assertEventDate, dayOf } from "../model/dates.ts";
import { checkedPersonalCode } from "../model/personal-codes.ts";
import { allocatePersonalCode } from "./personal-codes.ts";
import {
  type AddressRecord,
  addressRecordOf,
  type PersonRecord,
  type PersonTable,
  type PopulationRegisterDb,
  personKey,
  personRecordOf,
  type RelationRecord,
  relationKey,
  type VitalEventRecord,
  type VitalEventType,
} from "./schema.ts";
import { addressData, appendAddress, insertAddress, personsForUpdate } from "./writes.ts";

// Vital events as a registrar's information system registers them over X-Road (issue 13,
// "Life events"): each one transaction that writes the change, journals it and queues its
// outgoing event, recorded by the registrar's eventId so that a repeated registration is
// answered with the first one's result and never applied twice.

export interface BirthInput {
  eventId: string;
  mother: string;
  father?: string;
  child: { givenName: string; surname: string; sex: Sex; dateOfBirth: string; placeOfBirth: string };
}
export interface DeathInput {
  eventId: string;
  personalCode: string;
  dateOfDeath: string;
}
/** A marriage or a divorce: the two spouses and the day. */
export interface MarriageInput {
  eventId: string;
  spouses: [string, string];
  date: string;
}
export interface AddressChangeInput {
  eventId: string;
  personalCode: string;
  /** An AddressInput, checked field by field (ADDRESS_INVALID names every bad one). */
  address: AddressInput | Record<string, unknown>;
}
export interface NameChangeInput {
  eventId: string;
  personalCode: string;
  givenName?: string;
  surname?: string;
  date: string;
}

/** Who registers (the X-Road client, recorded with the event) and when. */
export interface EventContext {
  client: string | null;
  now?: Date;
}

/** What a registration answers, and what a repeated one is answered with (EVENT_DUPLICATE details.result). */
export interface EventResult {
  eventId: string;
  type: VitalEventType;
  recordedAt: string;
  /** The person the event is about; for a birth the child (its new personal code). Absent for marriage and divorce. */
  personalCode?: string;
  /** Every person whose record the event changed, as its outgoing event names them. */
  subjects: string[];
}

type Outcome = Pick<EventResult, "personalCode" | "subjects">;

/** The age to marry (Family Law Act, Perekonnaseadus: an adult). */
const MARRIAGE_AGE = 18;
/** A child born within 300 days of the husband's death is presumed his (Family Law Act, Perekonnaseadus). */
const POSTHUMOUS_DAYS = 300;

const requestHash = (type: VitalEventType, { eventId: _id, ...request }: { eventId: string }) =>
  createHash("sha256").update(canonicalJson({ type, request })).digest("hex");

const invalid = (message: string, details?: Record<string, unknown>) =>
  new PopulationRegisterError("EVENT_INVALID", message, details ? { details } : {});

const dateInvalid = (field: string, message: string) =>
  new PopulationRegisterError("DATE_INVALID", `${field} ${message}`, { details: { field } });

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
}

function updatePerson(write: MemberWrite<PopulationRegisterDb>, person: PersonRecord) {
  write.change({ entity: "person", key: personKey(person), op: "upsert", data: person });
  return write.trx
    .updateTable("person")
    .set({
      given_name: person.givenName,
      surname: person.surname,
      date_of_death: person.dateOfDeath,
    })
    .where("personal_code", "=", person.personalCode)
    .execute();
}

async function insertRelation(write: MemberWrite<PopulationRegisterDb>, relation: RelationRecord) {
  await write.trx
    .insertInto("relation")
    .values({ kind: relation.kind, from_code: relation.from, to_code: relation.to })
    .execute();
  write.change({ entity: "relation", key: relationKey(relation), op: "upsert", data: relation });
}

async function deleteRelation(write: MemberWrite<PopulationRegisterDb>, relation: RelationRecord) {
  await write.trx
    .deleteFrom("relation")
    .where("kind", "=", relation.kind)
    .where("from_code", "=", relation.from)
    .where("to_code", "=", relation.to)
    .execute();
  write.change({ entity: "relation", key: relationKey(relation), op: "delete", data: null });
}

/** A marriage is one relation row with the two codes in order. */
const marriage = (a: string, b: string): RelationRecord =>
  a < b ? { kind: "spouse", from: a, to: b } : { kind: "spouse", from: b, to: a };

/**
 * The register's vital events. Every method: one transaction on the register's storage;
 * the registrar's eventId is claimed first (a concurrent twin waits for it on PostgreSQL,
 * then finds it), the change is written and journalled, its outgoing event queued, and the
 * result kept with the eventId.
 */
export class VitalEvents {
  constructor(
    private readonly store: MemberStorage<PopulationRegisterDb>,
    private readonly dialect: DialectName,
  ) {}

  private record(
    type: VitalEventType,
    input: { eventId: string },
    context: EventContext,
    work: (write: MemberWrite<PopulationRegisterDb>, today: string, now: Date) => Promise<Outcome>,
  ): Promise<EventResult> {
    const now = context.now ?? new Date();
    const hash = requestHash(type, input);
    return this.store.write(async (write) => {
      const { trx } = write;
      const claimed = await trx
        .insertInto("vital_event")
        .values({
          event_id: input.eventId,
          type,
          request_hash: hash,
          request: JSON.stringify(input),
          result: "null",
          client: context.client,
          recorded_at: now.toISOString(),
        })
        .onConflict((oc) => oc.column("event_id").doNothing())
        .executeTakeFirst();
      if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
        const first = await trx
          .selectFrom("vital_event")
          .select(["type", "request_hash", "result", "recorded_at"])
          .where("event_id", "=", input.eventId)
          .executeTakeFirstOrThrow();
        if (first.type !== type || first.request_hash !== hash)
          throw new PopulationRegisterError(
            "EVENT_ID_REUSED",
            `event ${input.eventId} was registered on ${first.recorded_at} as a different ${first.type} event`,
            { details: { eventId: input.eventId, type: first.type } },
          );
        throw new PopulationRegisterError(
          "EVENT_DUPLICATE",
          `event ${input.eventId} was registered on ${first.recorded_at}; nothing was changed`,
          { details: { eventId: input.eventId, result: JSON.parse(first.result) } },
        );
      }
      const outcome = await work(write, dayOf(now), now);
      const result: EventResult = { eventId: input.eventId, type, recordedAt: now.toISOString(), ...outcome };
      await trx
        .updateTable("vital_event")
        .set({ result: JSON.stringify(result) })
        .where("event_id", "=", input.eventId)
        .execute();
      const record: VitalEventRecord = {
        eventId: input.eventId,
        type,
        requestHash: hash,
        request: input,
        result,
        client: context.client,
        recordedAt: now.toISOString(),
      };
      write.change({ entity: "vital_event", key: input.eventId, op: "upsert", data: record });
      return result;
    }, now);
  }

  /**
   * A birth: the child gets the next free personal code of the day (the allocation of
   * POST /personal-codes), its parents' RR:PARENT relations and, when the mother has one,
   * her current address.
   */
  birth(input: BirthInput, context: EventContext): Promise<EventResult> {
    return this.record("birth", input, context, async (write, today, now) => {
      const { child } = input;
      assertEventDate("child.dateOfBirth", child.dateOfBirth, today);
      const motherCode = checkedPersonalCode(input.mother, "mother");
      const fatherCode = input.father === undefined ? undefined : checkedPersonalCode(input.father, "father");
      if (fatherCode === motherCode) throw invalid("the mother and the father are the same person");
      const parents = await personsForUpdate(
        write.trx,
        this.dialect,
        fatherCode ? [motherCode, fatherCode] : [motherCode],
      );
      const [mother, father] = parents as [PersonTable, PersonTable | undefined];
      for (const parent of parents)
        if (parent.birth_date >= child.dateOfBirth)
          throw invalid(`parent ${parent.personal_code} was born on ${parent.birth_date}, not before the child`, {
            parent: parent.personal_code,
          });
      if (mother.date_of_death !== null && mother.date_of_death < child.dateOfBirth)
        throw invalid(`the mother died on ${mother.date_of_death}, before the birth`, { parent: motherCode });
      if (father?.date_of_death && daysBetween(father.date_of_death, child.dateOfBirth) > POSTHUMOUS_DAYS)
        throw invalid(
          `the father died on ${father.date_of_death}, more than ${POSTHUMOUS_DAYS} days before the birth`,
          {
            parent: fatherCode,
          },
        );
      // A registrar that repeats a birth under a new eventId still gets no second child:
      // the mother's child of that day with that given name is the same child.
      const twin = await write.trx
        .selectFrom("relation")
        .innerJoin("person", "person.personal_code", "relation.to_code")
        .select("person.personal_code")
        .where("relation.kind", "=", "parent")
        .where("relation.from_code", "=", motherCode)
        .where("person.birth_date", "=", child.dateOfBirth)
        .where("person.given_name", "=", child.givenName)
        .executeTakeFirst();
      if (twin)
        throw new PopulationRegisterError(
          "EVENT_DUPLICATE",
          `the mother's child ${child.givenName} born on ${child.dateOfBirth} is registered (${twin.personal_code})`,
          { details: { eventId: input.eventId, personalCode: twin.personal_code } },
        );
      const allocation = await allocatePersonalCode(
        write,
        this.dialect,
        { birthDate: child.dateOfBirth, sex: child.sex, purpose: "birth", client: null },
        now,
      );
      const person: PersonRecord = {
        personalCode: allocation.personalCode,
        givenName: child.givenName,
        surname: child.surname,
        sex: child.sex,
        birthDate: child.dateOfBirth,
        dateOfDeath: null,
        citizenship: "EST",
      };
      await write.trx
        .insertInto("person")
        .values({
          personal_code: person.personalCode,
          given_name: person.givenName,
          surname: person.surname,
          sex: person.sex,
          birth_date: person.birthDate,
          date_of_death: null,
          citizenship: person.citizenship,
        })
        .execute();
      write.change({ entity: "person", key: personKey(person), op: "upsert", data: person });
      for (const parent of parents)
        await insertRelation(write, { kind: "parent", from: parent.personal_code, to: person.personalCode });
      const motherAddress = await write.trx
        .selectFrom("address")
        .selectAll()
        .where("personal_code", "=", motherCode)
        .orderBy("n", "desc")
        .limit(1)
        .executeTakeFirst();
      let address: AddressRecord | undefined;
      if (motherAddress) {
        const from = addressRecordOf(motherAddress);
        address = {
          ...from,
          personalCode: person.personalCode,
          n: 1,
          // Registered there from the birth, or from when the mother moved in, whichever is later.
          since: from.since.localeCompare(child.dateOfBirth) > 0 ? from.since : child.dateOfBirth,
        };
        await insertAddress(write, address);
      }
      const subjects = [person.personalCode, ...parents.map((p) => p.personal_code)];
      write.emit({
        type: "person.born",
        data: {
          subjects,
          eventId: input.eventId,
          personalCode: person.personalCode,
          mother: motherCode,
          father: fatherCode ?? null,
          givenName: person.givenName,
          surname: person.surname,
          sex: person.sex,
          dateOfBirth: person.birthDate,
          placeOfBirth: child.placeOfBirth,
          address: address ? addressData(address) : null,
        },
      });
      return { personalCode: person.personalCode, subjects };
    });
  }

  /** A death: the person stays in the register, marked deceased; a surviving spouse is widowed. */
  death(input: DeathInput, context: EventContext): Promise<EventResult> {
    return this.record("death", input, context, async (write, today) => {
      assertEventDate("dateOfDeath", input.dateOfDeath, today);
      const code = checkedPersonalCode(input.personalCode);
      const [row] = (await personsForUpdate(write.trx, this.dialect, [code])) as [PersonTable];
      if (row.date_of_death !== null)
        throw new PopulationRegisterError("PERSON_DECEASED", `person ${code} died on ${row.date_of_death}`);
      if (input.dateOfDeath < row.birth_date)
        throw dateInvalid("dateOfDeath", `${input.dateOfDeath} is before the birth on ${row.birth_date}`);
      await updatePerson(write, { ...personRecordOf(row), dateOfDeath: input.dateOfDeath });
      const spouse = (await this.livingSpouses(write.trx, code))[0];
      const subjects = spouse ? [code, spouse] : [code];
      write.emit({
        type: "person.died",
        data: {
          subjects,
          eventId: input.eventId,
          personalCode: code,
          dateOfDeath: input.dateOfDeath,
          spouse: spouse ?? null,
        },
      });
      return { personalCode: code, subjects };
    });
  }

  /** A marriage of two living adults neither of whom is married (a marriage ended by death is over). */
  marriage(input: MarriageInput, context: EventContext): Promise<EventResult> {
    return this.record("marriage", input, context, async (write, today) => {
      assertEventDate("date", input.date, today);
      const [a, b] = this.spouses(input);
      const persons = await personsForUpdate(write.trx, this.dialect, [a, b]);
      for (const person of persons) {
        if (person.date_of_death !== null)
          throw new PopulationRegisterError(
            "PERSON_DECEASED",
            `person ${person.personal_code} died on ${person.date_of_death}`,
          );
        if (addYears(person.birth_date, MARRIAGE_AGE) > input.date)
          throw invalid(`person ${person.personal_code} is under ${MARRIAGE_AGE} on ${input.date}`, {
            personalCode: person.personal_code,
          });
        const spouse = (await this.livingSpouses(write.trx, person.personal_code))[0];
        if (spouse)
          throw new PopulationRegisterError(
            "PERSON_MARRIED",
            `person ${person.personal_code} is married to ${spouse}; a divorce comes first`,
            { details: { personalCode: person.personal_code } },
          );
        // A widowed person's marriage ended with the spouse's death: its row gives way to the new one.
        for (const ended of await this.spouseRelations(write.trx, person.personal_code))
          await deleteRelation(write, ended);
      }
      await insertRelation(write, marriage(a, b));
      write.emit({
        type: "marriage.registered",
        data: { subjects: [a, b], eventId: input.eventId, spouses: [a, b], date: input.date },
      });
      return { subjects: [a, b] };
    });
  }

  /** A divorce of two persons married to each other. */
  divorce(input: MarriageInput, context: EventContext): Promise<EventResult> {
    return this.record("divorce", input, context, async (write, today) => {
      assertEventDate("date", input.date, today);
      const [a, b] = this.spouses(input);
      const persons = await personsForUpdate(write.trx, this.dialect, [a, b]);
      const relation = marriage(a, b);
      const married = await write.trx
        .selectFrom("relation")
        .select("kind")
        .where("kind", "=", "spouse")
        .where("from_code", "=", relation.from)
        .where("to_code", "=", relation.to)
        .executeTakeFirst();
      const deceased = persons.find((p) => p.date_of_death !== null);
      if (!married || deceased)
        throw new PopulationRegisterError(
          "NOT_MARRIED",
          deceased
            ? `person ${deceased.personal_code} died on ${deceased.date_of_death}: the marriage ended then`
            : `${a} and ${b} are not married to each other`,
        );
      for (const person of persons)
        if (input.date < person.birth_date)
          throw dateInvalid("date", `${input.date} is before the birth of ${person.personal_code}`);
      await deleteRelation(write, relation);
      write.emit({
        type: "marriage.dissolved",
        data: { subjects: [a, b], eventId: input.eventId, spouses: [a, b], date: input.date, reason: "divorce" },
      });
      return { subjects: [a, b] };
    });
  }

  /** A change of address registered by the registrar (the citizen's own is PUT /persons/{code}/address). */
  addressChange(input: AddressChangeInput, context: EventContext): Promise<EventResult> {
    return this.record("address-change", input, context, async (write, _today, now) => {
      const code = checkedPersonalCode(input.personalCode);
      await appendAddress(write, this.dialect, code, input.address, now, input.eventId);
      return { personalCode: code, subjects: [code] };
    });
  }

  /** A change of given name, surname or both. */
  nameChange(input: NameChangeInput, context: EventContext): Promise<EventResult> {
    return this.record("name-change", input, context, async (write, today) => {
      assertEventDate("date", input.date, today);
      const code = checkedPersonalCode(input.personalCode);
      const [row] = (await personsForUpdate(write.trx, this.dialect, [code])) as [PersonTable];
      if (row.date_of_death !== null)
        throw new PopulationRegisterError("PERSON_DECEASED", `person ${code} died on ${row.date_of_death}`);
      if (input.date < row.birth_date)
        throw dateInvalid("date", `${input.date} is before the birth on ${row.birth_date}`);
      const previous = personRecordOf(row);
      const person = {
        ...previous,
        givenName: input.givenName ?? previous.givenName,
        surname: input.surname ?? previous.surname,
      };
      if (person.givenName === previous.givenName && person.surname === previous.surname)
        throw invalid("the new name is the person's name already");
      await updatePerson(write, person);
      write.emit({
        type: "name.changed",
        data: {
          subjects: [code],
          eventId: input.eventId,
          personalCode: code,
          date: input.date,
          givenName: person.givenName,
          surname: person.surname,
          previous: { givenName: previous.givenName, surname: previous.surname },
        },
      });
      return { personalCode: code, subjects: [code] };
    });
  }

  private spouses(input: MarriageInput): [string, string] {
    const a = checkedPersonalCode(input.spouses[0], "spouses/0");
    const b = checkedPersonalCode(input.spouses[1], "spouses/1");
    if (a === b) throw invalid("a person cannot marry themselves");
    return [a, b];
  }

  private async spouseRelations(trx: Transaction<PopulationRegisterDb>, code: string): Promise<RelationRecord[]> {
    const rows = await trx
      .selectFrom("relation")
      .select(["from_code", "to_code"])
      .where("kind", "=", "spouse")
      .where((eb) => eb.or([eb("from_code", "=", code), eb("to_code", "=", code)]))
      .execute();
    return rows.map((r) => ({ kind: "spouse", from: r.from_code, to: r.to_code }));
  }

  /** The person's spouses who are alive (at most one, by the marriage rule). */
  private async livingSpouses(trx: Transaction<PopulationRegisterDb>, code: string): Promise<string[]> {
    const others = (await this.spouseRelations(trx, code)).map((r) => (r.from === code ? r.to : r.from));
    if (others.length === 0) return [];
    const alive = await trx
      .selectFrom("person")
      .select("personal_code")
      .where("personal_code", "in", others)
      .where("date_of_death", "is", null)
      .orderBy("personal_code")
      .execute();
    return alive.map((p) => p.personal_code);
  }
}
