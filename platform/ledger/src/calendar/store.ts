import { openStorage, type Storage } from "@riik/core";
import type { PublicationRecord } from "../publication/publications-file.ts";
import { type LedgerDb, ledgerMigrations } from "./migrations.ts";

export interface CalendarStoreOptions {
  dataDir: string;
  url?: string | undefined;
  schema?: string;
}

/** The calendar's persistence: leaves, checkpoints and publications through the storage layer. */
export class CalendarStore {
  private constructor(readonly storage: Storage<LedgerDb>) {}

  static async open(options: CalendarStoreOptions): Promise<CalendarStore> {
    const storage = await openStorage<LedgerDb>({
      component: "ledger",
      dataDir: options.dataDir,
      url: options.url,
      ...(options.schema ? { schema: options.schema } : {}),
      migrations: ledgerMigrations,
    });
    return new CalendarStore(storage);
  }

  /** Every leaf in order; the caller checks that indices are dense. */
  async leaves(): Promise<Array<{ round: number; leaf: Buffer }>> {
    const rows = await this.storage.db
      .selectFrom("calendar_leaf")
      .select(["round_index", "leaf"])
      .orderBy("round_index")
      .execute();
    return rows.map((row) => ({ round: Number(row.round_index), leaf: Buffer.from(row.leaf) }));
  }

  async latestCheckpoint(): Promise<{ size: number; note: string } | undefined> {
    const row = await this.storage.db
      .selectFrom("checkpoint")
      .select(["tree_size", "note"])
      .orderBy("tree_size", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? { size: Number(row.tree_size), note: row.note } : undefined;
  }

  async checkpoint(size: number): Promise<string | undefined> {
    const row = await this.storage.db
      .selectFrom("checkpoint")
      .select("note")
      .where("tree_size", "=", size)
      .executeTakeFirst();
    return row?.note;
  }

  /**
   * Commits a closed round: its calendar leaf and the signed checkpoint of the new size,
   * in one transaction. Nothing of the round is answered or published before this returns.
   */
  async appendRound(round: number, leaf: Uint8Array, checkpointNote: string, now: number): Promise<void> {
    await this.storage.db.transaction().execute(async (trx) => {
      await trx.insertInto("calendar_leaf").values({ round_index: round, leaf, created_at: now }).execute();
      await trx
        .insertInto("checkpoint")
        .values({ tree_size: round + 1, note: checkpointNote, created_at: now })
        .execute();
    });
  }

  /** Replaces a checkpoint note by the same checkpoint with cosignatures added. */
  async updateCheckpointNote(size: number, note: string): Promise<void> {
    await this.storage.db.updateTable("checkpoint").set({ note }).where("tree_size", "=", size).execute();
  }

  async addPublication(p: PublicationRecord): Promise<void> {
    await this.storage.db
      .insertInto("publication")
      .values({ tree_size: p.size, root: p.root, code: p.code, published_at: p.publishedAt })
      .execute();
  }

  async publications(): Promise<PublicationRecord[]> {
    const rows = await this.storage.db.selectFrom("publication").selectAll().orderBy("tree_size").execute();
    return rows.map((row) => ({
      size: Number(row.tree_size),
      root: Uint8Array.from(row.root),
      code: row.code,
      publishedAt: Number(row.published_at),
    }));
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}
