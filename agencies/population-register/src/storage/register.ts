import type { DialectName, Storage } from "@riik/core";
import { type MemberStorage, openMemberStorage } from "@riik/kit";
import type { Kysely } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { type AddressInput, assertAddressInput } from "../model/address.ts";
import { populationRegisterMigrations } from "./migrations.ts";
import {
  type AddressRecord,
  addressKey,
  addressRecordOf,
  type PersonRecord,
  type PopulationRegisterDb,
  personRecordOf,
} from "./schema.ts";

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
   * A change of address: the new address becomes current, the old ones stay as history;
   * journalled in the same transaction. `since` defaults to today (UTC) and may be neither
   * in the future nor before the current address's.
   */
  async changeAddress(code: string, input: unknown, now: Date = new Date()): Promise<AddressRecord> {
    assertAddressInput(input);
    const address: AddressInput = input;
    const today = now.toISOString().slice(0, 10);
    const since = address.since ?? today;
    if (since > today)
      throw new PopulationRegisterError("ADDRESS_INVALID", `since ${since} is in the future (today is ${today})`, {
        details: { fields: ["since"] },
      });
    return this.store.write(async ({ trx, change }) => {
      // On PostgreSQL, concurrent changes for one person queue on the person's row.
      let query = trx.selectFrom("person").selectAll().where("personal_code", "=", code);
      if (this.dialect === "postgres") query = query.forUpdate();
      const person = await query.executeTakeFirst();
      if (!person) throw new PopulationRegisterError("PERSON_NOT_FOUND", `no person with code ${code} in the register`);
      if (person.date_of_death !== null)
        throw new PopulationRegisterError(
          "PERSON_DECEASED",
          `person ${code} died on ${person.date_of_death}; a deceased person's address does not change`,
        );
      const current = await trx
        .selectFrom("address")
        .select(["n", "since"])
        .where("personal_code", "=", code)
        .orderBy("n", "desc")
        .limit(1)
        .executeTakeFirst();
      if (current && since < current.since)
        throw new PopulationRegisterError(
          "ADDRESS_INVALID",
          `since ${since} is before the current address's start ${current.since}`,
          { details: { fields: ["since"] } },
        );
      const record: AddressRecord = {
        personalCode: code,
        n: Number(current?.n ?? 0) + 1,
        county: address.county,
        municipality: address.municipality,
        settlement: address.settlement,
        street: address.street,
        house: address.house,
        apartment: address.apartment ?? null,
        postalCode: address.postalCode,
        ehakCode: address.ehakCode ?? null,
        since,
      };
      await trx
        .insertInto("address")
        .values({
          personal_code: record.personalCode,
          n: record.n,
          county: record.county,
          municipality: record.municipality,
          settlement: record.settlement,
          street: record.street,
          house: record.house,
          apartment: record.apartment,
          postal_code: record.postalCode,
          ehak_code: record.ehakCode,
          since: record.since,
        })
        .execute();
      change({ entity: "address", key: addressKey(record), op: "upsert", data: record });
      return record;
    }, now);
  }
}
