import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { privateDirectory, type Storage, writeFileAtomic } from "@riik/core";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { type NewUseRow, USE_COLUMNS } from "../datatracker/record.ts";
import { XRoadError } from "../errors.ts";
import type { MessageLogRow, SsDb } from "../ss/storage/schema.ts";
import type { Anchor } from "./anchor.ts";
import { anchorNextBatch, type BatchRow, type BatchTables, batchReference, verifyBatches } from "./batch.ts";

export interface LogRecord {
  side: "client" | "server";
  queryId: string;
  requestId: string;
  clientId: string;
  serviceId: string;
  createdAt: string;
  loggingMode: "full" | "metadata";
  requestHead: string;
  requestBody: Uint8Array | null;
  requestBodyHash: string;
  requestSignature: string;
  requestSigner: string;
  responseStatus: number;
  responseHead: string;
  responseBody: Uint8Array | null;
  responseBodyHash: string;
  responseSignature: string | null;
  responseSigner: string | null;
  peerOcsp: Uint8Array | null;
  /**
   * X-Road-Represented-Party of the request, canonical (protocol/represented-party.ts); the
   * signed request head carries the same line, so verify-evidence checks the two agree.
   */
  representedParty?: string | null;
}

/** The fields a record hash covers, in this order; the bodies are covered by their hashes. */
const HASHED_FIELDS = [
  "side",
  "queryId",
  "requestId",
  "clientId",
  "serviceId",
  "createdAt",
  "loggingMode",
  "requestHead",
  "requestBodyHash",
  "requestSignature",
  "requestSigner",
  "responseStatus",
  "responseHead",
  "responseBodyHash",
  "responseSignature",
  "responseSigner",
] as const;

/**
 * SHA-256 over `riik-messagelog-record/1`, then each field as `name=length:value` and a
 * newline (length in UTF-16 code units, so no value can run into the next), then the
 * SHA-256 of the other side's OCSP response. Length-prefixing makes the encoding
 * unambiguous without building a JSON document per message on the hot path.
 */
export function recordHash(record: LogRecord): string {
  // One string, one update: the same bytes as a field-by-field update at a fraction of the calls.
  let text = "riik-messagelog-record/1\n";
  for (const field of HASHED_FIELDS) {
    const value = record[field] === null ? "" : String(record[field]);
    text += `${field}=${value.length}:${value}\n`;
  }
  const ocsp = record.peerOcsp ? ocspDigest(record.peerOcsp) : "";
  text += `peerOcsp=${ocsp.length}:${ocsp}\n`;
  // Added after the first records were written: hashed only when set, so those still verify.
  const party = record.representedParty;
  if (party !== null && party !== undefined) text += `representedParty=${party.length}:${party}\n`;
  return createHash("sha256").update(text).digest("hex");
}

/**
 * SHA-256 (hex) of an OCSP response. Every message checked against one cached OCSP answer
 * carries the same DER object (never written to), so its digest is computed once per object.
 */
const ocspDigests = new WeakMap<Uint8Array, string>();
function ocspDigest(response: Uint8Array): string {
  let digest = ocspDigests.get(response);
  if (digest === undefined) {
    digest = createHash("sha256").update(response).digest("hex");
    ocspDigests.set(response, digest);
  }
  return digest;
}

const SAMPLE: LogRecord = {
  side: "client",
  queryId: "",
  requestId: "",
  clientId: "",
  serviceId: "",
  createdAt: "",
  loggingMode: "metadata",
  requestHead: "",
  requestBody: null,
  requestBodyHash: "",
  requestSignature: "",
  requestSigner: "",
  responseStatus: 0,
  responseHead: "",
  responseBody: null,
  responseBodyHash: "",
  responseSignature: null,
  responseSigner: null,
  peerOcsp: null,
};

export const BATCH_FORMAT = "riik-messagelog-batch/1";

function toRow(record: LogRecord) {
  return {
    side: record.side,
    query_id: record.queryId,
    request_id: record.requestId,
    client_id: record.clientId,
    service_id: record.serviceId,
    created_at: record.createdAt,
    logging_mode: record.loggingMode,
    request_head: record.requestHead,
    request_body: record.loggingMode === "full" ? record.requestBody : null,
    request_body_hash: record.requestBodyHash,
    request_signature: record.requestSignature,
    request_signer: record.requestSigner,
    response_status: record.responseStatus,
    response_head: record.responseHead,
    response_body: record.loggingMode === "full" ? record.responseBody : null,
    response_body_hash: record.responseBodyHash,
    response_signature: record.responseSignature,
    response_signer: record.responseSigner,
    peer_ocsp: record.peerOcsp,
    represented_party: record.representedParty ?? null,
    record_hash: recordHash(record),
    batch_id: null,
  };
}

const ROW_COLUMNS: readonly string[] = Object.keys(toRow(SAMPLE));

/**
 * A row as values in column order, for the writer thread. Structured cloning copies a byte
 * array's whole backing store, and a body sliced from a socket read or the 8 KB Buffer pool
 * shares a larger one, so such bytes are first copied to an exact-size array.
 */
function toValues(row: Record<string, unknown>, columns: readonly string[]): unknown[] {
  return columns.map((column) => {
    const value = row[column] ?? null;
    return value instanceof Uint8Array && value.byteLength !== value.buffer.byteLength ? new Uint8Array(value) : value;
  });
}

export function fromRow(row: MessageLogRow): LogRecord & { id: number; recordHash: string; batchId: number | null } {
  const bytes = (v: unknown) => (v === null || v === undefined ? null : new Uint8Array(v as Uint8Array));
  return {
    id: Number(row.id),
    side: row.side as LogRecord["side"],
    queryId: row.query_id,
    requestId: row.request_id,
    clientId: row.client_id,
    serviceId: row.service_id,
    createdAt: row.created_at,
    loggingMode: row.logging_mode as LogRecord["loggingMode"],
    requestHead: row.request_head,
    requestBody: bytes(row.request_body),
    requestBodyHash: row.request_body_hash,
    requestSignature: row.request_signature,
    requestSigner: row.request_signer,
    responseStatus: Number(row.response_status),
    responseHead: row.response_head,
    responseBody: bytes(row.response_body),
    responseBodyHash: row.response_body_hash,
    responseSignature: row.response_signature,
    responseSigner: row.response_signer,
    peerOcsp: bytes(row.peer_ocsp),
    representedParty: row.represented_party ?? null,
    recordHash: row.record_hash,
    batchId: row.batch_id === null ? null : Number(row.batch_id),
  };
}

/**
 * The message log. Records are written in group commits: every append waits for the
 * transaction that carries it, and appends arriving meanwhile share the next one, so a
 * response is returned only once its record is durable, at one commit per round trip of
 * the database rather than one per message.
 */
export class MessageLog {
  #queue: Array<{
    row: ReturnType<typeof toRow>;
    uses: NewUseRow[];
    resolve: () => void;
    reject: (e: unknown) => void;
  }> = [];
  #flushing = false;
  #anchoring: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  lastAnchorError: string | undefined;
  #worker: Worker | undefined;
  #replies = new Map<number, { resolve: (result: any) => void; reject: (e: unknown) => void }>();
  #nextId = 0;

  constructor(
    readonly storage: Storage<SsDb>,
    readonly serverId: string,
    readonly anchor: () => Anchor | undefined,
    readonly logger: Logger,
  ) {
    // On SQLite, commits run on a writer thread (see sqlite-writer.worker.mjs); PostgreSQL's
    // client is asynchronous already.
    if (storage.dialect === "sqlite") {
      this.#worker = new Worker(new URL("./sqlite-writer.worker.mjs", import.meta.url), {
        workerData: { file: storage.location, columns: ROW_COLUMNS, useColumns: USE_COLUMNS },
      });
      this.#worker.unref();
      this.#worker.on("message", ({ id, error, result }: { id: number; error?: string; result?: unknown }) => {
        const waiting = this.#replies.get(id);
        this.#replies.delete(id);
        if (error) waiting?.reject(new Error(error));
        else waiting?.resolve(result);
      });
      this.#worker.on("error", (error) => {
        for (const waiting of this.#replies.values()) waiting.reject(error);
        this.#replies.clear();
        this.logger.error({ err: error }, "message log writer thread failed");
      });
    }
  }

  #write(rows: Array<ReturnType<typeof toRow>>, uses: NewUseRow[]): Promise<void> {
    const worker = this.#worker;
    if (worker)
      return this.#post(worker, {
        rows: rows.map((row) => toValues(row, ROW_COLUMNS)),
        uses: uses.map((use) => toValues(use, USE_COLUMNS)),
      });
    return this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 100)
        await trx
          .insertInto("message_log")
          .values(rows.slice(i, i + 100))
          .execute();
      for (let i = 0; i < uses.length; i += 100)
        await trx
          .insertInto("data_use")
          .values(uses.slice(i, i + 100))
          .execute();
    });
  }

  /**
   * Remembers request ids for the replay guard (ss/context.ts) in one transaction, first
   * dropping those signed before `pruneBefore`: true for each id not seen before. On SQLite
   * on the writer thread, so its commit does not stall the event loop either.
   */
  rememberRequests(entries: Array<{ id: string; signedAt: number }>, pruneBefore?: number): Promise<boolean[]> {
    const worker = this.#worker;
    if (worker)
      return this.#post(worker, { replay: entries.map((e) => [e.id, e.signedAt]), pruneBefore: pruneBefore ?? null });
    return this.db.transaction().execute(async (trx) => {
      if (pruneBefore !== undefined)
        await trx.deleteFrom("replay_guard").where("signed_at", "<", pruneBefore).execute();
      const fresh: boolean[] = [];
      for (const entry of entries) {
        const result = await trx
          .insertInto("replay_guard")
          .values({ id: entry.id, signed_at: entry.signedAt })
          .onConflict((conflict) => conflict.column("id").doNothing())
          .executeTakeFirst();
        fresh.push(Number(result.numInsertedOrUpdatedRows ?? 0) === 1);
      }
      return fresh;
    });
  }

  /** One transaction on the writer thread; resolves with its result once it is committed. */
  #post(
    worker: Worker,
    message:
      | { rows: unknown[][]; uses: unknown[][] }
      | { batch: BatchRow }
      | { replay: Array<[string, number]>; pruneBefore: number | null },
  ): Promise<any> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#replies.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  }

  get db(): Kysely<SsDb> {
    return this.storage.db;
  }

  /**
   * Appends a record; `uses` (Data Tracker rows, see datatracker/record.ts) are committed in
   * the same transaction, so a personal-data exchange is never logged without its uses.
   */
  append(record: LogRecord, uses: NewUseRow[] = []): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row: toRow(record), uses, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, 1000);
        try {
          await this.#write(
            batch.map((b) => b.row),
            batch.flatMap((b) => b.uses),
          );
          for (const item of batch) item.resolve();
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  find(queryId: string) {
    return this.db.selectFrom("message_log").selectAll().where("query_id", "=", queryId).orderBy("id").execute();
  }

  /** Anchors every record not yet in a batch (one batch per call), serialised. */
  anchorPending(): Promise<number | undefined> {
    const run = this.#anchoring.then(() => this.#anchorOnce());
    this.#anchoring = run.catch(() => undefined);
    return run;
  }

  get #tables(): BatchTables {
    return {
      db: this.db,
      dialect: this.storage.dialect,
      records: "message_log",
      batches: "anchor_batch",
      format: BATCH_FORMAT,
      server: this.serverId,
      // One writer thread commits ids in order on SQLite, so the batch is exactly the id range.
      idsInCommitOrder: this.storage.dialect === "sqlite",
      ...(this.#worker ? { store: (batch: BatchRow) => this.#post(this.#worker!, { batch }) } : {}),
    };
  }

  #anchorOnce(): Promise<number | undefined> {
    return anchorNextBatch(this.#tables, this.anchor());
  }

  start(intervalSeconds: number, retention?: { days: number; archiveDir: string }): void {
    const tick = async () => {
      try {
        while ((await this.anchorPending()) !== undefined) {
          /* keep going while records wait */
        }
        this.lastAnchorError = undefined;
        if (retention) await this.archive(retention.days, retention.archiveDir);
      } catch (error) {
        this.lastAnchorError = (error as Error).message;
        this.logger.warn({ err: (error as Error).message }, "message log anchoring failed; will retry");
      }
    };
    this.#timer = setInterval(() => void tick(), intervalSeconds * 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    while (this.#flushing || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.#anchoring;
    await this.#worker?.terminate();
  }

  /** Evidence for one message: the record(s), the batch statement, the audit path and the anchors. */
  async evidence(queryId: string) {
    let rows = await this.find(queryId);
    if (rows.length === 0) throw new XRoadError("XROAD_NOT_FOUND", `no message with X-Road-Id ${queryId} in the log`);
    if (rows.some((r) => r.batch_id === null)) {
      await this.anchorPending();
      rows = await this.find(queryId);
    }
    const out = [];
    for (const row of rows) {
      const record = fromRow(row);
      if (record.batchId === null) throw new XRoadError("XROAD_ANCHOR", "the record is not anchored yet; try again");
      out.push({ record, batch: await batchReference(this.#tables, record.batchId, record.id) });
    }
    return out;
  }

  /**
   * Checks the whole log: each record's hash from its fields, each batch's root over its
   * records, the chain of statements, and each time-stamp. A changed, inserted or removed
   * record, or a removed batch, shows up here; archived batches are read from their files.
   */
  verify(tsaCertificates: string[]): Promise<{ batches: number; records: number; problems: string[] }> {
    return verifyBatches(
      this.#tables,
      async (batchId) => {
        let rows = (
          await this.db.selectFrom("message_log").selectAll().where("batch_id", "=", batchId).orderBy("id").execute()
        ).map(fromRow);
        const archived = join(this.archiveDir ?? "", `batch-${batchId}.jsonl`);
        if (rows.length === 0 && this.archiveDir && existsSync(archived))
          rows = readFileSync(archived, "utf8")
            .trim()
            .split("\n")
            .slice(1)
            .map((line) => fromRow(JSON.parse(line, reviveBytes)));
        return rows.map((row) => ({ id: row.id, stored: row.recordHash, recomputed: recordHash(row) }));
      },
      tsaCertificates,
    );
  }

  archiveDir: string | undefined;

  /** Moves anchored batches older than `days` to DIR/batch-<id>.jsonl (statement line, then records). */
  async archive(days: number, dir: string): Promise<number> {
    this.archiveDir = dir;
    const cutoff = new Date(Date.now() - days * 24 * 3600 * 1000).toISOString();
    const old = await this.db
      .selectFrom("anchor_batch")
      .selectAll()
      .where("created_at", "<", cutoff)
      .orderBy("id")
      .execute();
    let moved = 0;
    for (const batch of old) {
      const rows = await this.db
        .selectFrom("message_log")
        .selectAll()
        .where("batch_id", "=", batch.id)
        .orderBy("id")
        .execute();
      if (rows.length === 0) continue;
      privateDirectory(dir);
      const file = join(dir, `batch-${batch.id}.jsonl`);
      const lines = [
        batch.statement,
        ...rows.map((row) =>
          JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? { $b64: Buffer.from(v).toString("base64") } : v)),
        ),
      ];
      writeFileAtomic(file, `${lines.join("\n")}\n`);
      await this.db.deleteFrom("message_log").where("batch_id", "=", batch.id).execute();
      moved += rows.length;
    }
    return moved;
  }
}

function reviveBytes(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && "$b64" in (value as Record<string, unknown>))
    return new Uint8Array(Buffer.from((value as { $b64: string }).$b64, "base64"));
  return value;
}
