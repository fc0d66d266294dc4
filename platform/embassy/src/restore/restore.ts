import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, openSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import {
  isRiikError,
  type JournalEntry,
  openStorage,
  privateDirectory,
  type RegistryDefinition,
  type Storage,
} from "@riik/core";
import type { VerifierKey } from "@riik/ledger";
import { sql, type Transaction } from "kysely";
import { unwrapDataKey } from "../crypto/data-key.ts";
import type { MasterKey } from "../crypto/master-key.ts";
import { EmbassyError, isEmbassyError } from "../errors.ts";
import { type ChainHead, checkAnchor, checkContinuation, headOf } from "../format/chain.ts";
import { decodeSegment, openSegment, type Segment } from "../format/segment.ts";
import type { SegmentInfo } from "../node/store.ts";
import { parseSnapshotPart } from "../registry/snapshot.ts";

/** Where restore reads from: an embassy over mTLS (EmbassyClient) or a store in tests. */
export interface SegmentSource {
  list(
    registry: string,
    from?: number,
  ): Promise<Array<Pick<SegmentInfo, "idx" | "kind" | "last_at" | "snapshot_id" | "snapshot_last" | "last_seq">>>;
  get(registry: string, index: number): Promise<Buffer>;
}

export interface RestoreOptions {
  /** The registry to rebuild (its definition: migrations, tables, applyChange). */
  definition: RegistryDefinition;
  source: SegmentSource;
  masterKeys: readonly MasterKey[];
  ledgerKey: VerifierKey;
  /** Directory for <component>.sqlite; the file must not exist yet. */
  to: string;
  /** Restore the state as of this time (latest snapshot at or before it, then changes up to it). */
  at?: Date;
  onProgress?: (event: { phase: "verify-apply"; index: number; last: number; changes: number; rows: number }) => void;
}

export interface RestoreReport {
  registry: string;
  file: string;
  snapshot: { id: number; seq: number; at: string };
  segments: number;
  rows: number;
  changes: number;
  lastSeq: number;
  lastAt: string;
  head: { index: number; digest: string };
  durationMs: number;
}

/**
 * Fetches the latest snapshot at or before --at and the segments after it, verifies each
 * against the chain and the ledger before decrypting it, and rebuilds the registry's
 * database in a temporary file that is moved in place only when everything checked out.
 */
export async function restoreRegistry(options: RestoreOptions): Promise<RestoreReport> {
  const started = performance.now();
  const definition = options.definition;
  const registry = definition.name;
  privateDirectory(options.to);
  const target = join(options.to, `${definition.component}.sqlite`);
  if (existsSync(target))
    throw new EmbassyError("RESTORE_TARGET_EXISTS", `${target} exists; restore never overwrites a database`);
  const listing = await options.source.list(registry);
  if (listing.length === 0) throw new EmbassyError("RESTORE_NOTHING", `the embassy holds nothing for ${registry}`);
  const at = options.at?.getTime() ?? Number.POSITIVE_INFINITY;
  const snapshots = listing.filter(
    (s) => s.kind === "snapshot" && Number(s.snapshot_last) === 1 && Date.parse(s.last_at) <= at,
  );
  const chosen = snapshots[snapshots.length - 1];
  if (!chosen)
    throw new EmbassyError(
      "RESTORE_NOTHING",
      `no complete snapshot of ${registry} at or before ${options.at?.toISOString() ?? "now"}`,
    );
  const firstIndex = Number(chosen.snapshot_id);
  const lastListed = listing[listing.length - 1]!.idx;

  const tmpDir = join(options.to, `.restore-${definition.component}-${randomBytes(6).toString("hex")}`);
  let storage: Storage<any> | undefined;
  try {
    storage = await openStorage<any>({
      component: definition.component,
      dataDir: tmpDir,
      url: "",
      migrations: definition.migrations,
    });
    // Rows arrive table by table; references are whole again once the snapshot is in.
    await sql`pragma foreign_keys = OFF`.execute(storage.db);
    await sql`pragma synchronous = OFF`.execute(storage.db);
    const keys = new Map<string, Buffer>();
    const decrypt = (segment: Segment) => {
      const k = segment.header.key;
      let key = keys.get(k.id);
      if (!key) {
        key = unwrapDataKey(options.masterKeys, k);
        keys.set(k.id, key);
      }
      return openSegment(segment, key);
    };
    let head: ChainHead | undefined;
    let rows = 0;
    let changes = 0;
    let lastSeq = 0;
    let lastAt = chosen.last_at;
    let snapshotDone = false;
    let stop = false;
    for (let index = firstIndex; index <= lastListed && !stop; index++) {
      let bytes: Buffer;
      try {
        bytes = await options.source.get(registry, index);
      } catch (cause) {
        if (isEmbassyError(cause, "EMBASSY_NOT_FOUND"))
          throw new EmbassyError("CHAIN_GAP", `${registry} segment ${index} is missing at the embassy`, {
            cause,
          });
        throw cause;
      }
      const segment = decodeSegment(bytes);
      const h = segment.header;
      if (h.registry !== registry)
        throw new EmbassyError("CHAIN_BROKEN", `segment ${index} belongs to ${h.registry}, not ${registry}`);
      if (h.index !== index)
        throw new EmbassyError(
          h.kind === "snapshot" && h.index < index ? "SNAPSHOT_REPLAYED" : "CHAIN_REORDERED",
          `the embassy served segment ${h.index} (${h.kind}${h.snapshot ? ` ${h.snapshot.id}` : ""}) as segment ${index}${h.kind === "snapshot" && h.index < index ? ": an old snapshot replayed" : ""}`,
          { details: { expected: index, got: h.index } },
        );
      if (index === firstIndex) {
        if (h.kind !== "snapshot" || h.snapshot?.part !== 0)
          throw new EmbassyError("SNAPSHOT_INCOMPLETE", `segment ${index} is not the start of a snapshot`);
      } else checkContinuation(head, segment);
      checkAnchor(segment, options.ledgerKey);
      head = headOf(segment);
      if (h.kind === "snapshot" && snapshotDone) {
        // A later snapshot: its content is already in; checking it keeps the chain whole.
        if (h.lastSeq !== lastSeq)
          throw new EmbassyError(
            "CHAIN_GAP",
            `snapshot ${h.snapshot!.id} is at seq ${h.lastSeq}, the chain at ${lastSeq}`,
          );
        continue;
      }
      const plaintext = decrypt(segment);
      if (h.kind === "snapshot") {
        rows += await loadSnapshotPart(storage, plaintext);
        lastSeq = h.lastSeq;
        lastAt = h.lastAt;
        if (h.snapshot!.last) snapshotDone = true;
      } else {
        if (!snapshotDone) throw new EmbassyError("SNAPSHOT_INCOMPLETE", `snapshot ${firstIndex} has no last part`);
        const entries = parseChanges(plaintext);
        const wanted = entries.filter((e) => Date.parse(e.at) <= at);
        if (entries.length !== h.count || Number(entries[entries.length - 1]?.seq) !== h.lastSeq)
          throw new EmbassyError("SEGMENT_TAMPERED", `segment ${index}: its changes do not match its header`);
        await applyChanges(storage, definition, wanted);
        changes += wanted.length;
        if (wanted.length > 0) {
          lastSeq = Number(wanted[wanted.length - 1]!.seq);
          lastAt = wanted[wanted.length - 1]!.at;
        }
        if (wanted.length < entries.length) stop = true;
      }
      options.onProgress?.({ phase: "verify-apply", index, last: lastListed, changes, rows });
    }
    if (!snapshotDone) throw new EmbassyError("SNAPSHOT_INCOMPLETE", `snapshot ${firstIndex} has no last part`);
    const journalMax = await sql<{ seq: number | null }>`select max(seq) as seq from change_journal`.execute(
      storage.db,
    );
    if (Number(journalMax.rows[0]?.seq ?? 0) !== lastSeq)
      throw new EmbassyError(
        "RESTORE_FAILED",
        `the rebuilt journal ends at ${journalMax.rows[0]?.seq}, expected ${lastSeq}`,
      );
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(storage.db);
    await storage.close();
    storage = undefined;
    // Move in place without ever replacing a file: link fails if the target appeared meanwhile.
    const temporary = join(tmpDir, `${definition.component}.sqlite`);
    fsyncFile(temporary);
    try {
      linkSync(temporary, target);
    } catch (cause) {
      throw new EmbassyError("RESTORE_TARGET_EXISTS", `cannot place ${target}: ${(cause as Error).message}`, { cause });
    }
    unlinkSync(temporary);
    fsyncFile(options.to);
    return {
      registry,
      file: target,
      snapshot: { id: firstIndex, seq: Number(chosen.last_seq), at: chosen.last_at },
      segments: head ? head.index - firstIndex + 1 : 0,
      rows,
      changes,
      lastSeq,
      lastAt,
      head: { index: head?.index ?? firstIndex, digest: head?.digest ?? "" },
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (isRiikError(error) && !(error instanceof EmbassyError) && !String(error.code).startsWith("STORAGE"))
      throw new EmbassyError("RESTORE_FAILED", `restore of ${registry} failed: ${error.message}`, {
        cause: error,
      });
    if (!isRiikError(error))
      throw new EmbassyError("RESTORE_FAILED", `restore of ${registry} failed: ${(error as Error).message}`, {
        cause: error,
      });
    throw error;
  } finally {
    await storage?.close().catch(() => undefined);
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseChanges(plaintext: Buffer): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of plaintext.toString("utf8").split("\n")) if (line) out.push(JSON.parse(line) as JournalEntry);
  return out;
}

async function applyChanges(
  storage: Storage<any>,
  definition: RegistryDefinition,
  entries: JournalEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await storage.db.transaction().execute(async (trx) => {
    for (const entry of entries) {
      await definition.applyChange(trx, entry);
      await insertJournal(trx, entry);
    }
  });
}

async function insertJournal(trx: Transaction<any>, entry: JournalEntry): Promise<void> {
  await trx
    .insertInto("change_journal")
    .values({
      seq: Number(entry.seq),
      at: entry.at,
      entity: entry.entity,
      key: entry.key,
      op: entry.op,
      data: entry.data,
    })
    .execute();
}

/** Inserts one snapshot part's rows, batched within SQLite's bound-parameter limit. */
async function loadSnapshotPart(storage: Storage<any>, plaintext: Buffer): Promise<number> {
  let rows = 0;
  await storage.db.transaction().execute(async (trx) => {
    let table = "";
    let batch: Record<string, unknown>[] = [];
    let perBatch = 1000;
    const flush = async () => {
      if (batch.length === 0) return;
      await trx.insertInto(table).values(batch).execute();
      batch = [];
    };
    for (const item of parseSnapshotPart(plaintext)) {
      if ("journal" in item) {
        await flush();
        await insertJournal(trx, item.journal);
        continue;
      }
      if (item.table !== table) {
        await flush();
        table = item.table;
        perBatch = Math.max(1, Math.floor(30_000 / Math.max(1, item.columns.length)));
      }
      const row: Record<string, unknown> = {};
      item.columns.forEach((c, i) => {
        row[c] = item.row[i];
      });
      batch.push(row);
      rows += 1;
      if (batch.length >= perBatch) await flush();
    }
    await flush();
  });
  return rows;
}
