import { createHash } from "node:crypto";
import { canonicalJson, type DialectName } from "@riik/core";
import type { Kysely } from "kysely";
import type { Anchor } from "./anchor.ts";
import { merkleRoot } from "./merkle.ts";
import { verifyTimestampToken, x509FromBase64 } from "./tsa.ts";

/**
 * The anchoring batch shared by the message log and the Data Tracker's use records: the
 * unanchored rows of a table (each with its `record_hash`) form a statement naming the
 * RFC 6962 Merkle root over their hashes and the SHA-256 of the previous statement; the
 * statement's SHA-256 goes to the TSA (RFC 3161) and the integrity ledger.
 */
export interface AnchoredStatement {
  format: string;
  server: string;
  batch: number;
  firstId: number;
  lastId: number;
  count: number;
  root: string;
  previous: string;
  createdAt: string;
}

export const hashOfStatement = (statement: AnchoredStatement): Buffer =>
  createHash("sha256").update(canonicalJson(statement)).digest();

export interface BatchTables {
  db: Kysely<any>;
  dialect: DialectName;
  /** The table of records (columns id, record_hash, batch_id). */
  records: string;
  /** The table of batches (id, first_id, last_id, statement, tsa_token, ledger_proof, created_at). */
  batches: string;
  format: string;
  server: string;
  /**
   * True when ids commit in id order (one writer), so the batch is exactly the id range and
   * is marked with one range update.
   */
  idsInCommitOrder: boolean;
  /**
   * Commits a formed batch (its row, then every record in first_id..last_id marked with it)
   * somewhere other than `db`; only with `idsInCommitOrder`. The message log on SQLite hands
   * it to its writer thread, so rewriting a second's records never blocks the event loop.
   */
  store?: (batch: BatchRow) => Promise<void>;
}

/** A row of a batches table. */
export interface BatchRow {
  id: number;
  first_id: number;
  last_id: number;
  statement: string;
  tsa_token: Uint8Array | null;
  ledger_proof: string | null;
  created_at: string;
}

/** Forms, anchors and stores the next batch; undefined when nothing waits. */
export async function anchorNextBatch(t: BatchTables, anchor: Anchor | undefined): Promise<number | undefined> {
  const rows = await t.db
    .selectFrom(t.records)
    .select(["id", "record_hash"])
    .where("batch_id", "is", null)
    .orderBy("id")
    .limit(20_000)
    .execute();
  if (rows.length === 0) return undefined;
  const last = await t.db.selectFrom(t.batches).selectAll().orderBy("id", "desc").limit(1).executeTakeFirst();
  const batchId = last ? Number(last.id) + 1 : 1;
  const statement: AnchoredStatement = {
    format: t.format,
    server: t.server,
    batch: batchId,
    firstId: Number(rows[0]!.id),
    lastId: Number(rows[rows.length - 1]!.id),
    count: rows.length,
    root: merkleRoot(rows.map((r) => Buffer.from(r.record_hash, "hex"))).toString("hex"),
    previous: last ? hashOfStatement(JSON.parse(last.statement)).toString("hex") : "0".repeat(64),
    createdAt: new Date().toISOString(),
  };
  const proof = anchor ? await anchor.anchor(hashOfStatement(statement)) : {};
  const batch: BatchRow = {
    id: batchId,
    first_id: statement.firstId,
    last_id: statement.lastId,
    statement: JSON.stringify(statement),
    tsa_token: proof.tsaToken ?? null,
    ledger_proof: proof.ledger === undefined ? null : JSON.stringify(proof.ledger),
    created_at: statement.createdAt,
  };
  if (t.store && t.idsInCommitOrder) {
    await t.store(batch);
    return batchId;
  }
  await t.db.transaction().execute(async (trx) => {
    await trx.insertInto(t.batches).values(batch).execute();
    if (t.idsInCommitOrder)
      await trx
        .updateTable(t.records)
        .set({ batch_id: batchId })
        .where("id", ">=", statement.firstId)
        .where("id", "<=", statement.lastId)
        .execute();
    else
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .updateTable(t.records)
          .set({ batch_id: batchId })
          .where(
            "id",
            "in",
            rows.slice(i, i + 500).map((r) => r.id),
          )
          .execute();
  });
  return batchId;
}

/**
 * Checks a chain of batches: numbering, the link to the previous statement, each record's
 * hash recomputed from its fields, each batch's root and count, and each time-stamp.
 */
export async function verifyBatches(
  t: BatchTables,
  recompute: (row: any) => string,
  tsaCertificates: string[],
): Promise<{ batches: number; records: number; problems: string[] }> {
  const problems: string[] = [];
  const tsa = tsaCertificates.map(x509FromBase64);
  const batches = await t.db.selectFrom(t.batches).selectAll().orderBy("id").execute();
  let previous = "0".repeat(64);
  let records = 0;
  for (const [i, batch] of batches.entries()) {
    const statement = JSON.parse(batch.statement) as AnchoredStatement;
    if (Number(batch.id) !== i + 1) problems.push(`${t.records} batch ${i + 1} is missing`);
    if (statement.previous !== previous) problems.push(`${t.records} batch ${batch.id} does not follow the previous`);
    previous = hashOfStatement(statement).toString("hex");
    const rows = await t.db.selectFrom(t.records).selectAll().where("batch_id", "=", batch.id).orderBy("id").execute();
    const hashes = rows.map((row) => {
      const hash = recompute(row);
      if (hash !== row.record_hash) problems.push(`${t.records} record ${row.id} was changed`);
      return Buffer.from(hash, "hex");
    });
    if (rows.length !== statement.count || merkleRoot(hashes).toString("hex") !== statement.root)
      problems.push(
        `${t.records} batch ${batch.id}: records were changed, added or removed (${rows.length} of ${statement.count})`,
      );
    if (batch.tsa_token) {
      try {
        await verifyTimestampToken(new Uint8Array(batch.tsa_token), Buffer.from(canonicalJson(statement)), tsa);
      } catch (error) {
        problems.push(`${t.records} batch ${batch.id}: ${(error as Error).message}`);
      }
    }
    records += rows.length;
  }
  return { batches: batches.length, records, problems };
}
