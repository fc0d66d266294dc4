import type { Generated, Kysely, Selectable, Transaction } from "kysely";
import { RiikError } from "../errors.ts";
import { type ComponentMigration, columnTypes } from "./storage.ts";

/**
 * The change journal of a registry: one row per change, written in the same transaction
 * as the change itself, so no change can be missed or invented (data embassy, issue 7).
 * Sequence numbers are assigned by the database and only grow; the journal is the
 * registry's own history, from which replicas are built.
 */
export interface ChangeJournalTable {
  seq: Generated<number>;
  /** ISO-8601 UTC time of the change. */
  at: string;
  /** Table or entity type, e.g. "person". */
  entity: string;
  /** The entity's key, e.g. a personal code. */
  key: string;
  op: ChangeOp;
  /** The entity's state after the change, as JSON; null for a deletion. */
  data: string | null;
}

export type ChangeOp = "upsert" | "delete";

export interface ChangeJournalDb {
  change_journal: ChangeJournalTable;
}

export interface Change {
  entity: string;
  key: string;
  op: ChangeOp;
  data?: unknown;
}

export class ChangeJournalError extends RiikError<"JOURNAL_OUTSIDE_TRANSACTION" | "JOURNAL_ARGUMENT"> {}

/** Add to a registry's migrations (under this name) to give it a journal. */
export const changeJournalMigration: ComponentMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable("change_journal")
      .addColumn("seq", columnTypes(dialect).serialId, (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("entity", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("op", "text", (c) => c.notNull())
      .addColumn("data", "text")
      .execute();
  },
};

/**
 * Records changes inside the caller's transaction. Taking a Transaction (not a Kysely)
 * makes "journal outside the change's transaction" a type error, and it is checked at run
 * time too.
 */
export async function recordChanges(
  trx: Transaction<any>,
  changes: readonly Change[],
  at: Date = new Date(),
): Promise<void> {
  if (!trx.isTransaction)
    throw new ChangeJournalError(
      "JOURNAL_OUTSIDE_TRANSACTION",
      "journal entries must be written in the change's own transaction",
    );
  if (changes.length === 0) return;
  const rows = changes.map((change) => {
    if (change.op === "upsert" && change.data === undefined)
      throw new ChangeJournalError("JOURNAL_ARGUMENT", `upsert of ${change.entity} ${change.key} needs data`);
    return {
      at: at.toISOString(),
      entity: change.entity,
      key: change.key,
      op: change.op,
      data: change.op === "delete" ? null : JSON.stringify(change.data),
    };
  });
  // Chunked so that one statement stays within SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 500)
    await (trx as Transaction<ChangeJournalDb>)
      .insertInto("change_journal")
      .values(rows.slice(i, i + 500))
      .execute();
}

/** Journal entries after `afterSeq`, in order, at most `limit`. */
export function readChanges(
  db: Kysely<any>,
  afterSeq: number,
  limit: number,
): Promise<Selectable<ChangeJournalTable>[]> {
  return (db as Kysely<ChangeJournalDb>)
    .selectFrom("change_journal")
    .selectAll()
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .limit(limit)
    .execute();
}

/** The newest sequence number, 0 for an empty journal. */
export async function lastChangeSeq(db: Kysely<any>): Promise<number> {
  const row = await (db as Kysely<ChangeJournalDb>)
    .selectFrom("change_journal")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}
