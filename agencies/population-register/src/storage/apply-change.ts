import type { JournalEntry } from "@riik/core";
import type { Transaction } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { allocationRow } from "./personal-codes.ts";
import {
  type AddressRecord,
  type AllocationRecord,
  addressKey,
  type PersonRecord,
  type PopulationRegisterDb,
  type RelationRecord,
  relationKey,
  type VitalEventRecord,
} from "./schema.ts";

const bad = (entry: JournalEntry, why: string) =>
  new PopulationRegisterError(
    "CHANGE_INVALID",
    `journal entry ${entry.entity} ${String(entry.key).slice(0, 60)}: ${why}`,
  );

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * Applies one journal entry to a register (empty or partial), as a replica or a restore
 * does: upserts write the entity's full state, deletes remove it. Idempotent, so a replay
 * that overlaps a snapshot converges to the same register.
 */
export async function applyChange(db: Transaction<PopulationRegisterDb>, entry: JournalEntry): Promise<void> {
  const data: unknown = entry.data === null ? null : JSON.parse(entry.data);
  if (entry.op !== "upsert" && entry.op !== "delete") throw bad(entry, `unknown op ${String(entry.op).slice(0, 20)}`);
  if (entry.op === "upsert" && (typeof data !== "object" || data === null)) throw bad(entry, "an upsert needs data");
  switch (entry.entity) {
    case "person": {
      if (entry.op === "delete") {
        await db.deleteFrom("person").where("personal_code", "=", entry.key).execute();
        return;
      }
      const p = data as PersonRecord;
      if (![p.personalCode, p.givenName, p.surname, p.sex, p.birthDate, p.citizenship].every(isText))
        throw bad(entry, "person data lacks a field");
      if (p.personalCode !== entry.key) throw bad(entry, "the key is not the person's code");
      const row = {
        personal_code: p.personalCode,
        given_name: p.givenName,
        surname: p.surname,
        sex: p.sex,
        birth_date: p.birthDate,
        date_of_death: p.dateOfDeath ?? null,
        citizenship: p.citizenship,
      };
      const { personal_code: _key, ...rest } = row;
      await db
        .insertInto("person")
        .values(row)
        .onConflict((oc) => oc.column("personal_code").doUpdateSet(rest))
        .execute();
      return;
    }
    case "relation": {
      const [kind, from, to] = entry.key.split(":");
      if ((kind !== "parent" && kind !== "spouse") || !from || !to) throw bad(entry, "malformed relation key");
      if (entry.op === "delete") {
        await db
          .deleteFrom("relation")
          .where("kind", "=", kind)
          .where("from_code", "=", from)
          .where("to_code", "=", to)
          .execute();
        return;
      }
      const r = data as RelationRecord;
      if (relationKey(r) !== entry.key) throw bad(entry, "the key does not match the relation");
      await db
        .insertInto("relation")
        .values({ kind: r.kind, from_code: r.from, to_code: r.to })
        .onConflict((oc) => oc.columns(["kind", "from_code", "to_code"]).doNothing())
        .execute();
      return;
    }
    case "address": {
      const match = /^(\d{11}):(\d{1,9})$/.exec(entry.key);
      if (!match) throw bad(entry, "malformed address key");
      if (entry.op === "delete") {
        await db
          .deleteFrom("address")
          .where("personal_code", "=", match[1] as string)
          .where("n", "=", Number(match[2]))
          .execute();
        return;
      }
      const a = data as AddressRecord;
      if (addressKey(a) !== entry.key) throw bad(entry, "the key does not match the address");
      if (![a.county, a.municipality, a.settlement, a.street, a.house, a.postalCode, a.since].every(isText))
        throw bad(entry, "address data lacks a field");
      const row = {
        personal_code: a.personalCode,
        n: a.n,
        county: a.county,
        municipality: a.municipality,
        settlement: a.settlement,
        street: a.street,
        house: a.house,
        apartment: a.apartment ?? null,
        postal_code: a.postalCode,
        ehak_code: a.ehakCode ?? null,
        since: a.since,
      };
      const { personal_code: _c, n: _n, ...rest } = row;
      await db
        .insertInto("address")
        .values(row)
        .onConflict((oc) => oc.columns(["personal_code", "n"]).doUpdateSet(rest))
        .execute();
      return;
    }
    case "personal_code_allocation": {
      if (entry.op === "delete") {
        await db.deleteFrom("personal_code_allocation").where("personal_code", "=", entry.key).execute();
        return;
      }
      const a = data as AllocationRecord;
      if (a.personalCode !== entry.key) throw bad(entry, "the key is not the allocated code");
      if (![a.birthDate, a.sex, a.purpose, a.allocatedAt].every(isText) || !Number.isInteger(a.serial))
        throw bad(entry, "allocation data lacks a field");
      await db
        .insertInto("personal_code_allocation")
        .values(allocationRow({ ...a, client: a.client ?? null }))
        .onConflict((oc) => oc.column("personal_code").doNothing())
        .execute();
      return;
    }
    case "vital_event": {
      if (entry.op === "delete") {
        await db.deleteFrom("vital_event").where("event_id", "=", entry.key).execute();
        return;
      }
      const e = data as VitalEventRecord;
      if (e.eventId !== entry.key) throw bad(entry, "the key is not the event's id");
      if (![e.type, e.requestHash, e.recordedAt].every(isText)) throw bad(entry, "event data lacks a field");
      const row = {
        event_id: e.eventId,
        type: e.type,
        request_hash: e.requestHash,
        request: JSON.stringify(e.request),
        result: JSON.stringify(e.result),
        client: e.client ?? null,
        recorded_at: e.recordedAt,
      };
      const { event_id: _id, ...rest } = row;
      await db
        .insertInto("vital_event")
        .values(row)
        .onConflict((oc) => oc.column("event_id").doUpdateSet(rest))
        .execute();
      return;
    }
    default:
      throw bad(entry, `unknown entity ${String(entry.entity).slice(0, 20)}`);
  }
}
