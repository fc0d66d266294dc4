import { type Change, recordChanges } from "@riik/kit";
import { sql, type Transaction } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { insertRows } from "../storage/bulk-insert.ts";
import { createRelationToIndex } from "../storage/migrations.ts";
import {
  openPopulationRegister,
  type PopulationRegister,
  type PopulationRegisterLocation,
} from "../storage/register.ts";
import {
  ADDRESS_COLUMNS,
  type AddressRecord,
  addressKey,
  addressValues,
  PERSON_COLUMNS,
  type PersonRecord,
  type PopulationRegisterDb,
  personValues,
  RELATION_COLUMNS,
  type RelationRecord,
  relationKey,
  relationValues,
} from "../storage/schema.ts";
import { type Clan, PopulationGenerator } from "./generator.ts";

export interface SeedOptions extends PopulationRegisterLocation {
  /** How many persons, living and deceased (Estonia: about 1,300,000 living). */
  persons: number;
  /** The same seed gives the same population; default 1. */
  seed?: number;
  /** The day the population is as of (ages, deaths, address dates); default 2026-01-01. */
  referenceDate?: string;
  /** Called after every committed chunk. */
  onProgress?: (done: number, total: number) => void;
  /** Called when the load enters its last stage, which has no per-person progress. */
  onStage?: (stage: string) => void;
  /** Persons generated, staged and journalled at a time; default 25,000. */
  chunkSize?: number;
}

export interface SeedResult {
  persons: number;
  relations: number;
  addresses: number;
  journalEntries: number;
  elapsedMs: number;
}

export const DEFAULT_REFERENCE_DATE = "2026-01-01";
export const MAX_SEED_PERSONS = 10_000_000;

/**
 * Fills an empty register with a synthetic population, chunk by chunk: each chunk is
 * generated, written with multi-row inserts and journalled in one transaction, then
 * dropped, so memory stays flat whatever the population size.
 */
export async function seedPopulation(options: SeedOptions): Promise<SeedResult> {
  const { persons: total } = options;
  if (!Number.isInteger(total) || total < 1 || total > MAX_SEED_PERSONS)
    throw new PopulationRegisterError(
      "SEED_ARGUMENT",
      `persons must be an integer 1-${MAX_SEED_PERSONS}, got ${total}`,
    );
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new PopulationRegisterError("SEED_ARGUMENT", `seed must be an integer 0-4294967295, got ${seed}`);
  const referenceDate = options.referenceDate ?? DEFAULT_REFERENCE_DATE;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(referenceDate) || Number.isNaN(Date.parse(referenceDate)))
    throw new PopulationRegisterError("SEED_ARGUMENT", `referenceDate must be YYYY-MM-DD, got ${referenceDate}`);
  const chunkSize = options.chunkSize ?? 25_000;
  const register = await openPopulationRegister(options);
  try {
    if (register.dialect === "sqlite") await sql`pragma cache_size = -65536`.execute(register.db);
    const started = Date.now();
    const generator = new PopulationGenerator(seed, referenceDate);
    const result: SeedResult = { persons: 0, relations: 0, addresses: 0, journalEntries: 0, elapsedMs: 0 };
    options.onProgress?.(0, total);
    // One transaction: a seed is all there or not at all. Chunks are staged in temporary
    // tables (appends, whatever the order of the codes) and journalled as they come; at the
    // end the rows go into the keyed tables in key order, so every B-tree page is written
    // once instead of once per chunk.
    await register.db.transaction().execute(async (trx) => {
      await assertEmpty(register, trx);
      for (const table of STAGED)
        await sql`create temp table ${sql.raw(`seed_${table}`)} as select * from ${sql.raw(table)} limit 0`.execute(
          trx,
        );
      while (result.persons < total) {
        const chunk = nextChunk(generator, Math.min(chunkSize, total - result.persons));
        await insertRows(trx, register.dialect, "seed_person", PERSON_COLUMNS, chunk.persons.map(personValues));
        await insertRows(trx, register.dialect, "seed_relation", RELATION_COLUMNS, chunk.relations.map(relationValues));
        await insertRows(trx, register.dialect, "seed_address", ADDRESS_COLUMNS, chunk.addresses.map(addressValues));
        // Persons first, then the links between them and their addresses: replaying the
        // journal in order never refers to a person not yet there.
        await recordChanges(trx, journalEntries(chunk));
        result.persons += chunk.persons.length;
        result.relations += chunk.relations.length;
        result.addresses += chunk.addresses.length;
        result.journalEntries += chunk.persons.length + chunk.relations.length + chunk.addresses.length;
        // The last step is reported once the rows are in place and committed.
        if (result.persons < total) options.onProgress?.(result.persons, total);
      }
      options.onStage?.("moving the staged rows into the register in key order and indexing them");
      // The secondary index is rebuilt once rather than updated 1.5 million times at random.
      await sql`drop index relation_to`.execute(trx);
      for (const table of STAGED) {
        const columns = sql.raw(STAGED_COLUMNS[table].join(", "));
        const key = sql.raw(STAGED_KEYS[table]);
        await sql`insert into ${sql.raw(table)} (${columns}) select ${columns} from ${sql.raw(`seed_${table}`)} order by ${key}`.execute(
          trx,
        );
        await sql`drop table ${sql.raw(`seed_${table}`)}`.execute(trx);
      }
      await createRelationToIndex(trx);
    });
    if (register.dialect === "sqlite") {
      await sql`pragma optimize`.execute(register.db);
      // The load went through the write-ahead log; give the disk space back.
      await sql`pragma wal_checkpoint(truncate)`.execute(register.db);
    } else await sql`analyze`.execute(register.db);
    result.elapsedMs = Date.now() - started;
    options.onProgress?.(total, total);
    return result;
  } finally {
    await register.close();
  }
}

const STAGED = ["person", "relation", "address"] as const;
const STAGED_COLUMNS = { person: PERSON_COLUMNS, relation: RELATION_COLUMNS, address: ADDRESS_COLUMNS };
const STAGED_KEYS = { person: "personal_code", relation: "kind, from_code, to_code", address: "personal_code, n" };

async function assertEmpty(register: PopulationRegister, trx: Transaction<PopulationRegisterDb>): Promise<void> {
  const row = await trx
    .selectFrom("person")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirst();
  const persons = Number(row?.n ?? 0);
  const journal = await trx.selectFrom("change_journal").select("seq").limit(1).executeTakeFirst();
  if (persons > 0 || journal)
    throw new PopulationRegisterError(
      "REGISTER_NOT_EMPTY",
      `the register at ${register.storage.location} already holds ${persons} persons; seed only an empty register`,
      { details: { persons } },
    );
}

/** Whole clans up to `want` persons; the last clan is cut, keeping only links among kept persons. */
function nextChunk(generator: PopulationGenerator, want: number): Clan {
  const chunk: Clan = { persons: [], relations: [], addresses: [] };
  while (chunk.persons.length < want) {
    const clan = generator.nextClan();
    const room = want - chunk.persons.length;
    if (clan.persons.length > room) {
      const kept = new Set(clan.persons.slice(0, room).map((p) => p.personalCode));
      clan.persons = clan.persons.slice(0, room);
      clan.relations = clan.relations.filter((r) => kept.has(r.from) && kept.has(r.to));
      clan.addresses = clan.addresses.filter((a) => kept.has(a.personalCode));
    }
    for (const p of clan.persons) chunk.persons.push(p);
    for (const r of clan.relations) chunk.relations.push(r);
    for (const a of clan.addresses) chunk.addresses.push(a);
  }
  return chunk;
}

export function journalEntries(chunk: {
  persons: readonly PersonRecord[];
  relations: readonly RelationRecord[];
  addresses: readonly AddressRecord[];
}): Change[] {
  const changes: Change[] = [];
  for (const p of chunk.persons) changes.push({ entity: "person", key: p.personalCode, op: "upsert", data: p });
  for (const r of chunk.relations) changes.push({ entity: "relation", key: relationKey(r), op: "upsert", data: r });
  for (const a of chunk.addresses) changes.push({ entity: "address", key: addressKey(a), op: "upsert", data: a });
  return changes;
}
