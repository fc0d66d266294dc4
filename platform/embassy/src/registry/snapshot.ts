import type { JournalEntry, RegistryTable, Storage } from "@riik/core";
import { type Kysely, sql, type Transaction } from "kysely";
import { EmbassyError } from "../errors.ts";

/**
 * Snapshot plaintext (inside the encryption): NDJSON lines.
 *   {"table":NAME,"columns":[…]}   starts (or continues, in a later part) a table
 *   [v1, v2, …]                    one row, values in column order; bytes as {"$b":base64}
 *   {"journal":{seq,at,…}}         the journal entry at the snapshot's seq (last part only)
 */
export interface SnapshotPart {
  readonly plaintext: Buffer;
  readonly rows: number;
  readonly last: boolean;
}

export interface SnapshotPosition {
  /** The journal seq the snapshot is consistent with (0: empty journal). */
  readonly seq: number;
  /** The time of that journal entry (now for an empty journal). */
  readonly at: string;
}

const PAGE_ROWS = 5000;

export function encodeValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b: Buffer.from(value).toString("base64") };
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

export function decodeValue(value: unknown): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as { $b?: unknown }).$b === "string"
  )
    return Buffer.from((value as { $b: string }).$b, "base64");
  return value;
}

/**
 * Dumps the registry's declared tables (its RegistryDefinition's, never the journal or the
 * migration bookkeeping), consistent with one journal seq: all reads happen in one
 * transaction (REPEATABLE READ on PostgreSQL; a SQLite read transaction sees one WAL
 * snapshot). `onStart` is called first, then `onPart` for each part in order.
 */
export async function dumpSnapshot(
  storage: Storage<any>,
  tables: readonly RegistryTable[],
  onStart: (position: SnapshotPosition, trx: Transaction<any>) => Promise<void>,
  onPart: (part: SnapshotPart) => Promise<void>,
  partBytes = 8 * 1024 * 1024,
): Promise<SnapshotPosition> {
  for (const table of tables)
    if (table.key.length === 0)
      throw new EmbassyError(
        "EMBASSY_CONFIG",
        `table ${table.name} declares no key; a snapshot pages through tables by key`,
      );
  const run = async (trx: Transaction<any>): Promise<SnapshotPosition> => {
    const journal = (await trx
      .selectFrom("change_journal")
      .selectAll()
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst()) as JournalEntry | undefined;
    const position: SnapshotPosition = journal
      ? { seq: Number(journal.seq), at: journal.at }
      : { seq: 0, at: new Date().toISOString() };
    await onStart(position, trx);
    let lines: string[] = [];
    let bytes = 0;
    let rows = 0;
    const flush = async (last: boolean) => {
      const plaintext = Buffer.from(lines.length ? `${lines.join("\n")}\n` : "");
      lines = [];
      bytes = 0;
      const count = rows;
      rows = 0;
      await onPart({ plaintext, rows: count, last });
    };
    for (const table of tables) {
      const columns = table.columns.map((c) => c.name);
      const tableLine = JSON.stringify({ table: table.name, columns });
      lines.push(tableLine);
      bytes += tableLine.length;
      for await (const page of pages(trx, table)) {
        for (const row of page) {
          const line = JSON.stringify(columns.map((c) => encodeValue(row[c])));
          lines.push(line);
          bytes += line.length + 1;
          rows += 1;
          if (bytes >= partBytes) {
            await flush(false);
            lines.push(tableLine);
            bytes += tableLine.length;
          }
        }
      }
    }
    if (journal) lines.push(JSON.stringify({ journal: { ...journal, seq: Number(journal.seq) } }));
    await flush(true);
    return position;
  };
  return storage.dialect === "postgres"
    ? storage.db.transaction().setIsolationLevel("repeatable read").execute(run)
    : storage.db.transaction().execute(run);
}

/** Keyset pagination by primary key: stable and index-driven on both back ends. */
async function* pages(db: Kysely<any>, table: RegistryTable): AsyncGenerator<Record<string, unknown>[]> {
  let after: unknown[] | undefined;
  const keyRefs = sql.join(table.key.map((k) => sql.ref(k)));
  for (;;) {
    let query = db.selectFrom(table.name).selectAll();
    if (after) query = query.where(sql<boolean>`(${keyRefs}) > (${sql.join(after)})`);
    for (const k of table.key) query = query.orderBy(k);
    const rows = (await query.limit(PAGE_ROWS).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE_ROWS) return;
    const lastRow = rows[rows.length - 1]!;
    after = table.key.map((k) => lastRow[k]);
  }
}

/** Parses one snapshot part's plaintext into table row batches and the journal line. */
export function* parseSnapshotPart(
  plaintext: Buffer,
): Generator<{ table: string; columns: string[]; row: unknown[] } | { journal: JournalEntry }> {
  let table: string | undefined;
  let columns: string[] = [];
  const text = plaintext.toString("utf8");
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const value = JSON.parse(line) as unknown;
    if (Array.isArray(value)) {
      if (!table) throw new EmbassyError("SEGMENT_MALFORMED", "snapshot row before any table line");
      yield { table, columns, row: value.map(decodeValue) };
    } else if (value && typeof value === "object" && "table" in value) {
      table = String((value as { table: unknown }).table);
      columns = (value as unknown as { columns: string[] }).columns;
    } else if (value && typeof value === "object" && "journal" in value) {
      yield { journal: (value as { journal: JournalEntry }).journal };
    } else throw new EmbassyError("SEGMENT_MALFORMED", "unknown snapshot line");
  }
}
