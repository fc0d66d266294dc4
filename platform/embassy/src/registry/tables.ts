import type { DialectName } from "@riik/core";
import { type Kysely, sql } from "kysely";
import { EmbassyError } from "../errors.ts";

export interface TableShape {
  readonly name: string;
  readonly columns: readonly string[];
  /** Primary key columns, in key order: snapshots page through a table by them. */
  readonly key: readonly string[];
}

/** Bookkeeping tables that a snapshot leaves out: migrations are rerun, the journal is history. */
const SKIPPED = new Set(["kysely_migration", "kysely_migration_lock", "change_journal"]);

/** The component's own tables with their columns and primary keys, on either back end. */
export async function describeTables(db: Kysely<any>, dialect: DialectName): Promise<TableShape[]> {
  const out: TableShape[] = [];
  if (dialect === "sqlite") {
    const tables = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
    for (const { name } of tables.rows) {
      if (SKIPPED.has(name)) continue;
      const info = await sql<{
        name: string;
        pk: number;
      }>`select name, pk from pragma_table_info(${name}) order by cid`.execute(db);
      const key = info.rows
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      out.push({ name, columns: info.rows.map((c) => c.name), key });
    }
  } else {
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
    for (const { name } of tables.rows) {
      if (SKIPPED.has(name)) continue;
      const columns = await sql<{ name: string }>`select column_name as name from information_schema.columns
        where table_schema = current_schema() and table_name = ${name} order by ordinal_position`.execute(db);
      const key = await sql<{ name: string }>`select kcu.column_name as name
        from information_schema.table_constraints tc
        join information_schema.key_column_usage kcu
          on tc.constraint_name = kcu.constraint_name and tc.table_schema = kcu.table_schema and tc.table_name = kcu.table_name
        where tc.table_schema = current_schema() and tc.table_name = ${name} and tc.constraint_type = 'PRIMARY KEY'
        order by kcu.ordinal_position`.execute(db);
      out.push({ name, columns: columns.rows.map((c) => c.name), key: key.rows.map((c) => c.name) });
    }
  }
  for (const table of out)
    if (table.key.length === 0)
      throw new EmbassyError(
        "EMBASSY_CONFIG",
        `table ${table.name} has no primary key; a snapshot pages through tables by key`,
      );
  return out;
}
