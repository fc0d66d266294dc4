import type { DialectName } from "@riik/core";
import type { MemberWrite } from "@riik/kit";
import type { Transaction } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { type AddressInput, assertAddressInput } from "../model/address.ts";
import { dayOf } from "../model/dates.ts";
import { type AddressRecord, addressKey, type PersonTable, type PopulationRegisterDb } from "./schema.ts";

// The register's writes shared by the change of address and the vital events, each inside
// the caller's MemberStorage.write (journal and outbox in the same transaction).

/**
 * The persons of these codes, locked for the rest of the write on PostgreSQL (rows locked in
 * code order, so two writes on the same persons queue instead of deadlocking); SQLite writes
 * one at a time. PERSON_NOT_FOUND names the first code missing.
 */
export async function personsForUpdate(
  trx: Transaction<PopulationRegisterDb>,
  dialect: DialectName,
  codes: readonly string[],
): Promise<PersonTable[]> {
  let query = trx
    .selectFrom("person")
    .selectAll()
    .where("personal_code", "in", [...codes])
    .orderBy("personal_code");
  if (dialect === "postgres") query = query.forUpdate();
  const rows = await query.execute();
  return codes.map((code) => {
    const row = rows.find((r) => r.personal_code === code);
    if (!row) throw new PopulationRegisterError("PERSON_NOT_FOUND", `no person with code ${code} in the register`);
    return row;
  });
}

/**
 * Appends an address to a living person's history inside a write: journalled, with the
 * `address.changed` event. `since` defaults to today (UTC) and may be neither in the future
 * nor before the current address's start (ADDRESS_INVALID).
 */
export async function appendAddress(
  write: MemberWrite<PopulationRegisterDb>,
  dialect: DialectName,
  code: string,
  input: unknown,
  now: Date,
  eventId?: string,
): Promise<AddressRecord> {
  assertAddressInput(input);
  const address: AddressInput = input;
  const today = dayOf(now);
  const since = address.since ?? today;
  if (since > today)
    throw new PopulationRegisterError("ADDRESS_INVALID", `since ${since} is in the future (today is ${today})`, {
      details: { fields: ["since"] },
    });
  const { trx } = write;
  const [person] = (await personsForUpdate(trx, dialect, [code])) as [PersonTable];
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
  if (since < person.birth_date)
    throw new PopulationRegisterError("ADDRESS_INVALID", `since ${since} is before the person's birth`, {
      details: { fields: ["since"] },
    });
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
  await insertAddress(write, record);
  write.emit({
    type: "address.changed",
    data: { subjects: [code], ...(eventId ? { eventId } : {}), personalCode: code, address: addressData(record) },
  });
  return record;
}

/** An address without its row keys, as events carry it. */
export const addressData = ({ personalCode: _code, n: _n, ...address }: AddressRecord) => address;

/** Inserts an address row and journals it. */
export async function insertAddress(write: MemberWrite<PopulationRegisterDb>, record: AddressRecord): Promise<void> {
  await write.trx
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
  write.change({ entity: "address", key: addressKey(record), op: "upsert", data: record });
}
