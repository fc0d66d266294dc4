// A register whose change journal carries whole rows: entity = the table, key = its key
// columns joined by "/", data = the row (none for a delete). A replica applies an entry by
// replacing that row, so the data embassy (issue 7) replicates such a register knowing only
// its tables, and the register's own writes through `write` take the very same step.
import type { ComponentMigration, RegistryColumnType, RegistryDefinition } from "@riik/core";
import { RiikError } from "@riik/core";
import type { Kysely } from "kysely";
import type { MemberWrite } from "./member-storage.ts";

/** The journalled tables: per table its key columns and its columns with their snapshot types. */
export type JournalledTables = Readonly<
  Record<string, { key: readonly string[]; columns: ReadonlyArray<readonly [string, RegistryColumnType]> }>
>;

export interface RowJournal<DB, T extends JournalledTables> {
  /** A journal entry's key for ROW of TABLE. */
  key(table: keyof T & string, row: Record<string, unknown>): string;
  /** Replaces the row of TABLE with KEY by ROW, or deletes it when there is no ROW. */
  apply(trx: Kysely<DB>, table: keyof T & string, key: string, row: Record<string, unknown> | undefined): Promise<void>;
  /** Journals ROW of TABLE (written by the caller) in the write's transaction. */
  record(write: MemberWrite<DB>, table: keyof T & string, op: "upsert" | "delete", row: object): void;
  /** Writes ROW of TABLE (or deletes it) and journals it: the register's step is the replica's. */
  write(write: MemberWrite<DB>, table: keyof T & string, op: "upsert" | "delete", row: object): Promise<void>;
  /** The registry as the data embassy replicates it. */
  registry(definition: {
    name: string;
    component: string;
    migrations: Readonly<Record<string, ComponentMigration>>;
  }): RegistryDefinition<DB>;
}

export function rowJournal<DB, T extends JournalledTables>(tables: T): RowJournal<DB, T> {
  const key = (table: keyof T & string, row: Record<string, unknown>) =>
    tables[table]!.key.map((column) => String(row[column])).join("/");
  const apply = async (
    trx: Kysely<DB>,
    table: keyof T & string,
    rowKey: string,
    row: Record<string, unknown> | undefined,
  ) => {
    const parts = rowKey.split("/");
    // Kysely cannot type a table chosen at run time; the names come from the tables given only.
    const db = trx as Kysely<any>;
    await db
      .deleteFrom(table as string)
      .where((eb) => eb.and(tables[table]!.key.map((column, i) => eb(column, "=", parts[i]))))
      .execute();
    // Only the table's columns: a journal entry's data may also name its actor.
    if (row)
      await db
        .insertInto(table as string)
        .values(Object.fromEntries(tables[table]!.columns.map(([column]) => [column, row[column] ?? null])))
        .execute();
  };
  const record: RowJournal<DB, T>["record"] = ({ change }, table, op, row) =>
    change({
      entity: table,
      key: key(table, row as Record<string, unknown>),
      op,
      ...(op === "upsert" ? { data: row } : {}),
    });
  return {
    key,
    apply,
    record,
    async write(write, table, op, row) {
      await apply(
        write.trx,
        table,
        key(table, row as Record<string, unknown>),
        op === "upsert" ? (row as Record<string, unknown>) : undefined,
      );
      record(write, table, op, row);
    },
    registry: ({ name, component, migrations }) => ({
      name,
      component,
      migrations,
      tables: Object.entries(tables).map(([table, t]) => ({
        name: table,
        key: [...t.key],
        columns: t.columns.map(([column, type]) => ({ name: column, type })),
      })) as unknown as RegistryDefinition<DB>["tables"],
      async applyChange(trx, entry) {
        if (!Object.hasOwn(tables, entry.entity))
          throw new RiikError("CHANGE_INVALID", `${name}: the journal names an unknown table ${entry.entity}`);
        const row = entry.op === "delete" ? undefined : (JSON.parse(entry.data ?? "null") as Record<string, unknown>);
        await apply(trx, entry.entity, entry.key, row);
      },
    }),
  };
}
