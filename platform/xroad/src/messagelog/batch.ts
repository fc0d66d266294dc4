import { createHash, X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { canonicalJson, type DialectName } from "@riik/core";
import { leafHash, MerkleLog, rootFromInclusionProof } from "@riik/ledger";
import { PkiError, verifyTimeStampToken } from "@riik/pki";
import type { Kysely } from "kysely";
import { XRoadError } from "../errors.ts";
import type { BatchRow, SsDb } from "../ss/storage/schema.ts";
import type { Anchor } from "./anchor.ts";

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

/** RFC 6962 2.1: the tree over a batch's record hashes (hex, id order), each hash one leaf. */
function treeOf(recordHashes: readonly string[]): MerkleLog {
  const tree = new MerkleLog();
  for (const hash of recordHashes) tree.append(leafHash(Buffer.from(hash, "hex")));
  return tree;
}

/** The statement's `root`: MTH over the record hashes (hex). */
export const batchRoot = (recordHashes: readonly string[]): string =>
  Buffer.from(treeOf(recordHashes).root()).toString("hex");

/** RFC 6962 2.1.1 audit path (hex) of the record at `index` of a batch. */
export const batchProof = (recordHashes: readonly string[], index: number): string[] =>
  treeOf(recordHashes)
    .inclusionProof(index)
    .map((p) => Buffer.from(p).toString("hex"));

/**
 * RFC 9162 2.1.3.2: the root (hex) an audit path leads to from a record hash at `index` of a
 * batch of `count`; undefined when the path cannot be followed (index outside, wrong length).
 */
export function batchRootFromProof(
  recordHash: string,
  index: number,
  count: number,
  proof: readonly string[],
): string | undefined {
  try {
    const root = rootFromInclusionProof(
      index,
      count,
      leafHash(Buffer.from(recordHash, "hex")),
      proof.map((p) => Buffer.from(p, "hex")),
    );
    return Buffer.from(root).toString("hex");
  } catch {
    return undefined;
  }
}

/**
 * Verifies a batch statement's RFC 3161 token offline with @riik/pki (signature, ESS signing
 * certificate, time-stamping usage, imprint over the canonical statement); its signer must be
 * one of `tsaCertificates` exactly. Returns the time; refusals are XROAD_EVIDENCE_INVALID.
 */
export async function verifyBatchTimeStamp(
  token: Uint8Array,
  statement: AnchoredStatement,
  tsaCertificates: readonly NodeCertificate[],
): Promise<Date> {
  const trusted = tsaCertificates.map((c) => new x509.X509Certificate(new Uint8Array(c.raw)));
  const untrusted = () =>
    new XRoadError("XROAD_EVIDENCE_INVALID", "the time-stamp token is not signed by a trusted TSA");
  let verified: Awaited<ReturnType<typeof verifyTimeStampToken>>;
  try {
    verified = await verifyTimeStampToken(token, {
      data: Buffer.from(canonicalJson(statement)),
      trustAnchors: trusted,
    });
  } catch (cause) {
    if (!(cause instanceof PkiError)) throw cause;
    const reason = cause.details?.reason;
    if (reason === "untrusted") throw untrusted();
    const message =
      reason === "imprint"
        ? "the time-stamp token is over a different hash"
        : reason === "signature"
          ? "the time-stamp token signature does not verify"
          : `the time-stamp token does not verify: ${cause.message}`;
    throw new XRoadError("XROAD_EVIDENCE_INVALID", message, { cause });
  }
  const signer = Buffer.from(verified.certificate.rawData);
  if (!tsaCertificates.some((c) => c.raw.equals(signer))) throw untrusted();
  return verified.genTime;
}

export const hashOfStatement = (statement: AnchoredStatement): Buffer =>
  createHash("sha256").update(canonicalJson(statement)).digest();

export type { BatchRow };

export interface BatchTables {
  db: Kysely<SsDb>;
  dialect: DialectName;
  /** The table of records (columns id, record_hash, batch_id). */
  records: "message_log" | "data_use";
  /** The table of batches (id, first_id, last_id, statement, tsa_token, ledger_proof, created_at). */
  batches: "anchor_batch" | "data_use_batch";
  format: string;
  server: string;
  /** Prefix of the problems verification reports (the message log's have none). */
  label?: string;
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
    root: batchRoot(rows.map((r) => r.record_hash)),
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

/** What evidence carries of a record's batch: the statement, the audit path and the anchors. */
export interface BatchReference {
  statement: AnchoredStatement;
  index: number;
  proof: string[];
  tsaToken: string | null;
  ledger: unknown;
}

/** The batch reference of record `recordId`, anchored in batch `batchId`. */
export async function batchReference(t: BatchTables, batchId: number, recordId: number): Promise<BatchReference> {
  const batch = await t.db.selectFrom(t.batches).selectAll().where("id", "=", batchId).executeTakeFirstOrThrow();
  const members = await t.db
    .selectFrom(t.records)
    .select(["id", "record_hash"])
    .where("batch_id", "=", batchId)
    .orderBy("id")
    .execute();
  const index = members.findIndex((m) => Number(m.id) === recordId);
  return {
    statement: JSON.parse(batch.statement) as AnchoredStatement,
    index,
    proof: batchProof(
      members.map((m) => m.record_hash),
      index,
    ),
    tsaToken: batch.tsa_token ? Buffer.from(batch.tsa_token).toString("base64") : null,
    ledger: batch.ledger_proof ? JSON.parse(batch.ledger_proof) : null,
  };
}

/** A stored record as verification sees it: its id, its stored hash and its hash recomputed from its fields. */
export interface CheckedRecord {
  id: number;
  stored: string;
  recomputed: string;
}

/**
 * Checks a chain of batches: numbering, the link to the previous statement, each record's
 * hash recomputed from its fields, each batch's root and count, and each time-stamp.
 * `recordsOf` reads a batch's records (the message log also reads archived ones).
 */
export async function verifyBatches(
  t: BatchTables,
  recordsOf: (batchId: number) => Promise<CheckedRecord[]>,
  tsaCertificates: readonly string[],
): Promise<{ batches: number; records: number; problems: string[] }> {
  const problems: string[] = [];
  const tsa = tsaCertificates.map((value) => new NodeCertificate(Buffer.from(value, "base64")));
  const batches = await t.db.selectFrom(t.batches).selectAll().orderBy("id").execute();
  const label = t.label ? `${t.label} ` : "";
  let previous = "0".repeat(64);
  let records = 0;
  for (const [i, batch] of batches.entries()) {
    const statement = JSON.parse(batch.statement) as AnchoredStatement;
    if (Number(batch.id) !== i + 1) problems.push(`${label}batch ${i + 1} is missing`);
    if (statement.previous !== previous) problems.push(`${label}batch ${batch.id} does not follow the previous batch`);
    previous = hashOfStatement(statement).toString("hex");
    const rows = await recordsOf(Number(batch.id));
    for (const row of rows) if (row.recomputed !== row.stored) problems.push(`${label}record ${row.id} was changed`);
    if (rows.length !== statement.count || batchRoot(rows.map((r) => r.recomputed)) !== statement.root)
      problems.push(
        `${label}batch ${batch.id}: records were changed, added or removed (${rows.length} of ${statement.count})`,
      );
    if (batch.tsa_token) {
      try {
        await verifyBatchTimeStamp(new Uint8Array(batch.tsa_token), statement, tsa);
      } catch (error) {
        problems.push(`${label}batch ${batch.id}: ${(error as Error).message}`);
      }
    }
    records += rows.length;
  }
  return { batches: batches.length, records, problems };
}
