import type { Storage } from "@riik/core";
import type { Kysely } from "kysely";
import { XRoadError } from "../errors.ts";
import type { Anchor } from "../messagelog/anchor.ts";
import {
  type AnchoredStatement,
  anchorNextBatch,
  type BatchTables,
  batchReference,
  verifyBatches,
} from "../messagelog/batch.ts";
import type { SsDb } from "../ss/storage/schema.ts";
import { useFromRow, useHash } from "./record.ts";

export const USE_BATCH_FORMAT = "riik-datatracker-batch/1";
export const USE_PROOF_FORMAT = "riik-datatracker-proof/1";

export interface FindOptions {
  periodStart?: string;
  periodEnd?: string;
  offset: number;
  limit: number;
  includeBulk: boolean;
}

export type StoredUse = ReturnType<typeof useFromRow>;

/**
 * The Data Tracker's records on the provider's security server: written together with the
 * message log (MessageLog.append), read for the usage protocol, anchored in their own chain
 * of batches through the same TSA and integrity ledger as the message log.
 */
export class DataUseStore {
  constructor(
    readonly storage: Storage<SsDb>,
    readonly serverId: string,
    readonly anchor: () => Anchor | undefined,
    /** The clock hidden records are judged by (injectable for tests). */
    readonly now: () => number = Date.now,
  ) {}

  get db(): Kysely<SsDb> {
    return this.storage.db;
  }

  get #tables(): BatchTables {
    return {
      db: this.db,
      dialect: this.storage.dialect,
      records: "data_use",
      batches: "data_use_batch",
      format: USE_BATCH_FORMAT,
      server: this.serverId,
      label: "data_use",
      // Written by the message log's writer (one thread on SQLite); PostgreSQL commits interleave.
      idsInCommitOrder: this.storage.dialect === "sqlite",
    };
  }

  /**
   * Uses of one person's data at one provider subsystem that the person may see now: not
   * hidden, or hidden until a time that has passed (v3 `hiddenUntil`). Newest first, as the
   * protocol asks (Kasutusteabe esitamise protokoll 8.1.4: "ajamomendi kahanemise järjekorras").
   */
  async find(provider: string, subject: string, options: FindOptions): Promise<{ total: number; uses: StoredUse[] }> {
    const nowText = new Date(this.now()).toISOString();
    let query = this.db
      .selectFrom("data_use")
      .where("provider_id", "=", provider)
      .where("subject", "=", subject)
      .where((eb) => eb.or([eb("hidden_until", "is", null), eb("hidden_until", "<=", nowText)]));
    if (options.periodStart) query = query.where("logged_at", ">=", options.periodStart);
    if (options.periodEnd) query = query.where("logged_at", "<=", options.periodEnd);
    if (!options.includeBulk) query = query.where("bulk", "=", 0);
    const count = await query.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    const rows = await query
      .selectAll()
      .orderBy("logged_at", "desc")
      .orderBy("id", "desc")
      .limit(options.limit)
      .offset(options.offset)
      .execute();
    return { total: Number(count?.n ?? 0), uses: rows.map(useFromRow) };
  }

  /** The earliest use held for the provider (v2 usagePeriod.periodStart). */
  async earliest(provider: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("data_use")
      .select((eb) => eb.fn.min("logged_at").as("first"))
      .where("provider_id", "=", provider)
      .executeTakeFirst();
    return (row?.first as string | null) ?? undefined;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom("data_use_batch").select("id").limit(1).execute();
  }

  /** The operator's view of hidden uses (also those whose date has passed), newest first. */
  async hidden(provider: string): Promise<Array<StoredUse & { visibleToPerson: boolean }>> {
    const nowText = new Date(this.now()).toISOString();
    const rows = await this.db
      .selectFrom("data_use")
      .selectAll()
      .where("provider_id", "=", provider)
      .where("hidden_until", "is not", null)
      .orderBy("logged_at", "desc")
      .limit(10_000)
      .execute();
    return rows.map((row) => ({
      ...useFromRow(row),
      visibleToPerson: row.hidden_until !== null && row.hidden_until <= nowText,
    }));
  }

  byQueryId(queryId: string): Promise<StoredUse[]> {
    return this.db
      .selectFrom("data_use")
      .selectAll()
      .where("query_id", "=", queryId)
      .orderBy("id")
      .execute()
      .then((rows) => rows.map(useFromRow));
  }

  /** Batch statements by id, for the anchoring reference of each returned use. */
  async batches(ids: number[]): Promise<Map<number, { statement: AnchoredStatement; tsa: boolean; ledger: boolean }>> {
    const out = new Map<number, { statement: AnchoredStatement; tsa: boolean; ledger: boolean }>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return out;
    const rows = await this.db
      .selectFrom("data_use_batch")
      .select(["id", "statement", "ledger_proof", "tsa_token"])
      .where("id", "in", unique)
      .execute();
    for (const row of rows)
      out.set(Number(row.id), {
        statement: JSON.parse(row.statement),
        tsa: row.tsa_token !== null,
        ledger: row.ledger_proof !== null,
      });
    return out;
  }

  anchorPending(): Promise<number | undefined> {
    return anchorNextBatch(this.#tables, this.anchor());
  }

  verify(tsaCertificates: string[]) {
    return verifyBatches(
      this.#tables,
      async (batchId) =>
        (await this.db.selectFrom("data_use").selectAll().where("batch_id", "=", batchId).orderBy("id").execute()).map(
          (row) => ({ id: Number(row.id), stored: row.record_hash, recomputed: useHash(useFromRow(row)) }),
        ),
      tsaCertificates,
    );
  }

  /**
   * Proof that one use (of `subject`, at `provider`) is in an anchored batch: the record,
   * its audit path (RFC 6962) to the batch root, the statement, its time-stamp token and
   * ledger signature. Checkable offline with the certificates and ledger keys of the global
   * configuration.
   */
  async proof(provider: string, subject: string, id: number) {
    const row = await this.db
      .selectFrom("data_use")
      .selectAll()
      .where("id", "=", id)
      .where("provider_id", "=", provider)
      .where("subject", "=", subject)
      .executeTakeFirst();
    if (!row) throw new XRoadError("XROAD_NOT_FOUND", `no use ${id} of ${subject}`);
    let use = useFromRow(row);
    const nowText = new Date(this.now()).toISOString();
    if (use.hiddenUntil !== null && use.hiddenUntil > nowText)
      throw new XRoadError("XROAD_NOT_FOUND", `no use ${id} of ${subject}`);
    if (use.batchId === null) {
      await this.anchorPending();
      use = useFromRow(await this.db.selectFrom("data_use").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
      if (use.batchId === null) throw new XRoadError("XROAD_ANCHOR", "the use is not anchored yet; try again");
    }
    return {
      format: USE_PROOF_FORMAT,
      server: this.serverId,
      use,
      batch: await batchReference(this.#tables, use.batchId, use.id),
    };
  }
}
