import type { Selectable, Transaction } from "kysely";
import type { ChangeJournalTable } from "./change-journal.ts";
import type { ComponentMigration } from "./storage.ts";

/**
 * One change journal row as read back and as it travels (embassy segments, snapshots,
 * replicas): the change_journal table's row, declared once here.
 */
export type JournalEntry = Selectable<ChangeJournalTable>;

/** How a column's values are written to and read from a snapshot (bytes need an encoding in JSON). */
export type RegistryColumnType = "text" | "integer" | "binary";

export interface RegistryColumn<Name extends string = string> {
  readonly name: Name;
  readonly type: RegistryColumnType;
  readonly nullable?: boolean;
}

/** One of a registry's own tables: its columns in order and its primary key, by which snapshots page. */
export interface RegistryTable<Name extends string = string, Column extends string = string> {
  readonly name: Name;
  readonly columns: readonly RegistryColumn<Column>[];
  /** Primary key columns, in key order. */
  readonly key: readonly Column[];
}

/** The tables of a database type DB, each checked against DB's own table and column names. */
export type RegistryTables<DB> = readonly {
  [T in keyof DB & string]: RegistryTable<T, keyof DB[T] & string>;
}[keyof DB & string][];

/**
 * What a replica (the data embassy, issue 7) needs of a registry, typed so that nothing is
 * guessed: its storage component and migrations, its own tables (the journal and the
 * migration bookkeeping are not among them) and how one journal entry is applied, inside
 * the caller's transaction, idempotently.
 */
export interface RegistryDefinition<DB = any> {
  /** The registry's name in chains, URLs and commands, e.g. "population-register". */
  readonly name: string;
  /** Its storage component: the SQLite file DIR/<component>.sqlite, the schema riik_<component>. */
  readonly component: string;
  readonly migrations: Readonly<Record<string, ComponentMigration>>;
  readonly tables: RegistryTables<DB>;
  applyChange(trx: Transaction<DB>, entry: JournalEntry): Promise<void>;
}
