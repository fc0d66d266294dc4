import type { DialectName, Sex, Storage } from "@riik/core";
import { type MemberStorage, openMemberStorage } from "@riik/kit";
import type { Kysely } from "kysely";
import { assertEventDate, dayOf } from "../model/dates.ts";
import { populationRegisterMigrations } from "./migrations.ts";
import { allocatePersonalCode } from "./personal-codes.ts";
import {
  type AddressRecord,
  type AllocationRecord,
  addressRecordOf,
  type PersonRecord,
  type PopulationRegisterDb,
  personRecordOf,
} from "./schema.ts";
import { VitalEvents } from "./vital-events.ts";
import { appendAddress } from "./writes.ts";

/** The component name: the SQLite file is DIR/population_register.sqlite, the schema riik_population_register. */
export const POPULATION_REGISTER_COMPONENT = "population_register";

export interface PopulationRegisterLocation {
  dataDir: string;
  /** postgres://…; falls back to RIIK_DATABASE_URL; absent means SQLite in dataDir. */
  url?: string | undefined;
  /** Overrides the PostgreSQL schema (tests isolate themselves this way). */
  schema?: string | undefined;
}

export interface Family {
  parents: PersonRecord[];
  children: PersonRecord[];
  spouse: PersonRecord | null;
}

export async function openPopulationRegister(location: PopulationRegisterLocation): Promise<PopulationRegister> {
  const store = await openMemberStorage<PopulationRegisterDb>({
    component: POPULATION_REGISTER_COMPONENT,
    dataDir: location.dataDir,
    url: location.url,
    ...(location.schema ? { schema: location.schema } : {}),
    migrations: populationRegisterMigrations,
  });
  return new PopulationRegister(store);
}

const byBirthThenCode = (a: PersonRecord, b: PersonRecord) =>
  a.birthDate.localeCompare(b.birthDate) || a.personalCode.localeCompare(b.personalCode);

/** The register's store: reads for the API and the one write it offers, a change of address. */
export class PopulationRegister {
  constructor(readonly store: MemberStorage<PopulationRegisterDb>) {}

  get storage(): Storage<PopulationRegisterDb> {
    return this.store.storage;
  }

  get db(): Kysely<PopulationRegisterDb> {
    return this.store.db;
  }

  get dialect(): DialectName {
    return this.store.dialect;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async personCount(): Promise<number> {
    const row = await this.db
      .selectFrom("person")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The personal codes of every living person, in order (a register's seeds of other agencies). */
  async livingPersonalCodes(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("person")
      .select("personal_code")
      .where("date_of_death", "is", null)
      .orderBy("personal_code")
      .execute();
    return rows.map((row) => row.personal_code);
  }

  async person(code: string): Promise<PersonRecord | undefined> {
    const row = await this.db.selectFrom("person").selectAll().where("personal_code", "=", code).executeTakeFirst();
    return row ? personRecordOf(row) : undefined;
  }

  async family(code: string): Promise<Family> {
    const [parents, children, spouses] = await Promise.all([
      this.db
        .selectFrom("relation")
        .innerJoin("person", "person.personal_code", "relation.from_code")
        .selectAll("person")
        .where("relation.kind", "=", "parent")
        .where("relation.to_code", "=", code)
        .execute(),
      this.db
        .selectFrom("relation")
        .innerJoin("person", "person.personal_code", "relation.to_code")
        .selectAll("person")
        .where("relation.kind", "=", "parent")
        .where("relation.from_code", "=", code)
        .execute(),
      // A marriage is one row with the codes in order; the person may be on either side.
      this.db
        .selectFrom("relation")
        .innerJoin("person", "person.personal_code", "relation.to_code")
        .selectAll("person")
        .where("relation.kind", "=", "spouse")
        .where("relation.from_code", "=", code)
        .unionAll(
          this.db
            .selectFrom("relation")
            .innerJoin("person", "person.personal_code", "relation.from_code")
            .selectAll("person")
            .where("relation.kind", "=", "spouse")
            .where("relation.to_code", "=", code),
        )
        .execute(),
    ]);
    const spouse = spouses.map(personRecordOf).sort(byBirthThenCode)[0] ?? null;
    return {
      parents: parents.map(personRecordOf).sort(byBirthThenCode),
      children: children.map(personRecordOf).sort(byBirthThenCode),
      spouse,
    };
  }

  async currentAddress(code: string): Promise<AddressRecord | undefined> {
    const row = await this.db
      .selectFrom("address")
      .selectAll()
      .where("personal_code", "=", code)
      .orderBy("n", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? addressRecordOf(row) : undefined;
  }

  /** Every address of the person, newest first. */
  async addressHistory(code: string): Promise<AddressRecord[]> {
    const rows = await this.db
      .selectFrom("address")
      .selectAll()
      .where("personal_code", "=", code)
      .orderBy("n", "desc")
      .execute();
    return rows.map(addressRecordOf);
  }

  /**
   * The next free personal code of a birth date, reserved for good (contract C: e-residents,
   * who get no person entry); PERSONAL_CODES_EXHAUSTED when the day's 999 are used.
   */
  allocatePersonalCode(
    request: { dateOfBirth: string; sex: Sex },
    client: string | null,
    now: Date = new Date(),
  ): Promise<AllocationRecord> {
    assertEventDate("dateOfBirth", request.dateOfBirth, dayOf(now));
    return this.store.write(
      (write) =>
        allocatePersonalCode(
          write,
          this.dialect,
          { birthDate: request.dateOfBirth, sex: request.sex, purpose: "request", client },
          now,
        ),
      now,
    );
  }

  /** The registrar's vital events (births, deaths, marriages, divorces, changes of address and name). */
  get vitalEvents(): VitalEvents {
    return new VitalEvents(this.store, this.dialect);
  }

  /**
   * A change of address: the new address becomes current, the old ones stay as history;
   * journalled, with its `address.changed` event, in the same transaction.
   */
  changeAddress(code: string, input: unknown, now: Date = new Date()): Promise<AddressRecord> {
    return this.store.write((write) => appendAddress(write, this.dialect, code, input, now), now);
  }
}
