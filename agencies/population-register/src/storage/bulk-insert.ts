import type { DialectName } from "@riik/core";
import { CompiledQuery, type Transaction } from "kysely";

/** Rows per statement: large enough to amortise a statement, within both bound-parameter limits. */
const MAX_PARAMETERS = 6_000;

const statements = new Map<string, string>();

function insertSql(dialect: DialectName, table: string, columns: readonly string[], rowCount: number): string {
  const cacheKey = `${dialect}|${table}|${rowCount}`;
  let text = statements.get(cacheKey);
  if (text) return text;
  const tuples: string[] = [];
  let p = 0;
  for (let r = 0; r < rowCount; r++) {
    const marks = columns.map(() => (dialect === "postgres" ? `$${++p}` : "?"));
    tuples.push(`(${marks.join(",")})`);
  }
  text = `insert into ${table} (${columns.join(",")}) values ${tuples.join(",")}`;
  if (statements.size > 64) statements.clear();
  statements.set(cacheKey, text);
  return text;
}

/**
 * Multi-row inserts for bulk loads (seeding). Bypasses the query builder, which costs more
 * than the database for millions of rows; table and column names are constants of this
 * package, values are always bound parameters.
 */
export async function insertRows(
  trx: Transaction<any>,
  dialect: DialectName,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<void> {
  const perStatement = Math.floor(MAX_PARAMETERS / columns.length);
  for (let i = 0; i < rows.length; i += perStatement) {
    const slice = rows.slice(i, i + perStatement);
    const parameters: unknown[] = new Array(slice.length * columns.length);
    let k = 0;
    for (const row of slice) for (const value of row) parameters[k++] = value;
    await trx.executeQuery(CompiledQuery.raw(insertSql(dialect, table, columns, slice.length), parameters));
  }
}
