import { EventEmitter } from "node:events";
import { statSync } from "node:fs";
import { createHttpService, openStorage, type RiikFastify, readChanges, type Storage } from "@riik/core";
import { CheckpointMonitor, LedgerClient, type LedgerSignature } from "@riik/ledger";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { type DataKey, generateDataKey, unwrapDataKey } from "../crypto/data-key.ts";
import { type MasterKey, readMasterKeyFile } from "../crypto/master-key.ts";
import { EMBASSY_ERRORS, EmbassyError, isEmbassyError } from "../errors.ts";
import { type ChainHead, HEAD_COLUMNS, headFromRow } from "../format/chain.ts";
import {
  encodeSegmentParts,
  GENESIS,
  type Segment,
  type SegmentHeaderInput,
  type SegmentKind,
  sealSegment,
} from "../format/segment.ts";
import { NO_QUERY } from "../node/schemas.ts";
import { type JournalEntry, loadRegistry, type RegistryDefinition } from "../registry/registry.ts";
import { dumpSnapshot } from "../registry/snapshot.ts";
import type { ShipperConfig } from "./config.ts";
import { EmbassyClient } from "./embassy-client.ts";
import { entryHash, type ShipperDb, shipperMigrations } from "./outbox.ts";

interface Head extends ChainHead {
  entryHash: string | null;
}

interface ShippedRegistry {
  definition: RegistryDefinition;
  storage: Storage<any>;
  /** A second connection for snapshots, so that a long dump does not stall journal reading. */
  snapshotStorage: Storage<any>;
  head: Head | undefined;
  lastSnapshotAt: number;
  changesSinceSnapshot: number;
  gapSince: Map<number, number>;
  paused?: string;
  open: () => Promise<Storage<any>>;
  /** SQLite: the database file's inode, to notice a file replaced by a restore. */
  inode?: number;
}

/** Replication status of one registry at one embassy (`riik embassy status`, /v1/status, /metrics). */
export interface DeliveryStatus {
  embassy: string;
  registry: string;
  /** Journal head at home. */
  journalSeq: number;
  /** Chain head at home (cut segments). */
  chainIndex: number;
  ackedIndex: number;
  ackedSeq: number;
  ackedAt: string | null;
  lagChanges: number;
  lagSegments: number;
  /** Age of the oldest change at home that the embassy does not hold; 0 when it holds all. */
  lagSeconds: number;
  /** The data key new segments are sealed under (rotation shows as a new id). */
  keyId: string | null;
  lastError: string | null;
}

export interface ShipperOptions {
  logger?: Logger;
  /** Override for tests: the status port from the config otherwise. */
  statusPort?: number;
  /** The clock for cut delays, snapshot intervals, gap timeouts and key ages (tests inject one). */
  now?: () => number;
}

/** What the shipper reports as it goes, so that callers wait on progress instead of polling. */
export interface ShipperEvents {
  cut: [{ registry: string; index: number; kind: SegmentKind; lastSeq: number }];
  anchored: [{ segments: number }];
  delivered: [{ embassy: string; registry: string; index: number; lastSeq: number }];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shipper at home. Three kinds of loop, each restartable at any point:
 * - cut (per registry): journal -> segments (time and size rules) and periodic snapshots,
 *   encrypted and chained, written to the outbox in one transaction each;
 * - anchor: outbox digests -> ledger signatures, in batches;
 * - send (per embassy and registry): anchored segments, in chain order, from the position
 *   the embassy itself reports, so a crash on either side neither loses nor duplicates.
 */
export class Shipper {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly app: RiikFastify;
  readonly events = new EventEmitter<ShipperEvents>();
  private readonly now: () => number;
  private readonly registries = new Map<string, ShippedRegistry>();
  private readonly clients = new Map<string, EmbassyClient>();
  private readonly status = new Map<string, DeliveryStatus>();
  private readonly ledger: LedgerClient;
  private dataKey: DataKey | undefined;
  private dataKeyCheckedAt = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly gauges;
  statusUrl: string | undefined;

  private constructor(
    readonly config: ShipperConfig,
    readonly store: Storage<ShipperDb>,
    private readonly master: MasterKey,
    options: ShipperOptions,
  ) {
    this.now = options.now ?? Date.now;
    const service = createHttpService({
      name: "embassy-shipper",
      errors: EMBASSY_ERRORS,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.app = service.app;
    this.metrics = service.metrics;
    this.logger = service.logger;
    this.ledger = new LedgerClient({
      url: config.ledgerUrl,
      monitor: new CheckpointMonitor({ logKey: config.ledgerKey }),
    });
    for (const e of config.embassies) this.clients.set(e.name, new EmbassyClient(e.url, config.tls));
    const labels = ["embassy", "registry"];
    const registers = [this.metrics];
    this.gauges = {
      lagSeconds: new Gauge({
        name: "riik_embassy_lag_seconds",
        help: "Age of the oldest change an embassy does not hold",
        labelNames: labels,
        registers,
      }),
      lagSegments: new Gauge({
        name: "riik_embassy_lag_segments",
        help: "Segments cut at home that an embassy does not hold",
        labelNames: labels,
        registers,
      }),
      lagChanges: new Gauge({
        name: "riik_embassy_lag_changes",
        help: "Journal changes at home that an embassy does not hold",
        labelNames: labels,
        registers,
      }),
      ackedSeq: new Gauge({
        name: "riik_embassy_acked_seq",
        help: "Last journal seq an embassy acknowledged",
        labelNames: labels,
        registers,
      }),
      journalSeq: new Gauge({
        name: "riik_embassy_journal_seq",
        help: "Journal head at home",
        labelNames: ["registry"],
        registers,
      }),
      shipped: new Counter({
        name: "riik_embassy_segments_shipped_total",
        help: "Segments acknowledged by an embassy",
        labelNames: labels,
        registers,
      }),
      bytes: new Counter({
        name: "riik_embassy_bytes_shipped_total",
        help: "Segment bytes acknowledged by an embassy",
        labelNames: labels,
        registers,
      }),
      cut: new Counter({
        name: "riik_embassy_segments_cut_total",
        help: "Segments and snapshot parts cut",
        labelNames: ["registry", "kind"],
        registers,
      }),
      refused: new Counter({
        name: "riik_embassy_segments_refused_total",
        help: "Segments an embassy refused, by code",
        labelNames: ["embassy", "code"],
        registers,
      }),
    };
    this.app.get("/v1/status", { schema: { querystring: NO_QUERY } }, async () => ({ deliveries: this.deliveries() }));
  }

  static async open(config: ShipperConfig, options: ShipperOptions = {}): Promise<Shipper> {
    const master = readMasterKeyFile(config.masterKeyFile);
    const store = await openStorage<ShipperDb>({
      component: "embassy_shipper",
      dataDir: config.home,
      url: config.databaseUrl,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      migrations: shipperMigrations,
    });
    const shipper = new Shipper(config, store, master, options);
    try {
      for (const r of config.registries) {
        const definition = await loadRegistry(r.name, r.module);
        const open = () =>
          openStorage<any>({
            component: definition.component,
            dataDir: r.dataDir,
            url: r.databaseUrl,
            ...(r.schema ? { schema: r.schema } : {}),
            migrations: definition.migrations,
          });
        const storage = await open();
        const snapshotStorage = await open();
        const head = await shipper.loadHead(r.name);
        const lastSnapshot = await store.db
          .selectFrom("shipper_segment")
          .select(["created_at", "idx"])
          .where("registry", "=", r.name)
          .where("kind", "=", "snapshot")
          .orderBy("idx", "desc")
          .limit(1)
          .executeTakeFirst();
        const since = await store.db
          .selectFrom("shipper_segment")
          .select((eb) => eb.fn.sum<number>("count").as("n"))
          .where("registry", "=", r.name)
          .where("kind", "=", "changes")
          .where("idx", ">", lastSnapshot?.idx ?? -1)
          .executeTakeFirst();
        shipper.registries.set(r.name, {
          definition,
          storage,
          snapshotStorage,
          open,
          ...(storage.dialect === "sqlite" ? { inode: statSync(storage.location).ino } : {}),
          head,
          lastSnapshotAt: lastSnapshot ? Date.parse(lastSnapshot.created_at) : 0,
          changesSinceSnapshot: Number(since?.n ?? 0),
          gapSince: new Map(),
        });
      }
    } catch (error) {
      await shipper.close();
      throw error;
    }
    return shipper;
  }

  /** Starts the loops (and the status server when configured). */
  async start(options: { statusPort?: number } = {}): Promise<void> {
    this.running = true;
    const port = options.statusPort ?? this.config.status?.port;
    if (port !== undefined) {
      const host = this.config.status?.host ?? "127.0.0.1";
      await this.app.listen({ port, host });
      const address = this.app.server.address();
      this.statusUrl = `http://${host}:${typeof address === "object" && address ? address.port : port}`;
    }
    const loop = (name: string, body: () => Promise<boolean>) =>
      (async () => {
        let failures = 0;
        while (this.running) {
          try {
            const busy = await body();
            failures = 0;
            if (!busy) await sleep(this.config.pollMs);
          } catch (error) {
            failures += 1;
            this.logger.warn({ loop: name, err: (error as Error).message }, "shipper loop failed; retrying");
            await sleep(Math.min(10_000, this.config.pollMs * 2 ** Math.min(failures, 6)));
          }
        }
      })();
    for (const name of this.registries.keys()) this.loops.push(loop(`cut ${name}`, () => this.cutOnce(name)));
    this.loops.push(loop("anchor", () => this.anchorOnce()));
    for (const e of this.config.embassies)
      for (const registry of this.registries.keys()) this.loops.push(this.sendLoop(e.name, registry));
    this.loops.push(
      loop("status", async () => {
        await this.refreshStatus();
        return false;
      }),
    );
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
    this.loops = [];
    await this.app.close().catch(() => undefined);
    for (const client of this.clients.values()) await client.close().catch(() => undefined);
    for (const r of this.registries.values()) {
      await r.storage.close().catch(() => undefined);
      await r.snapshotStorage.close().catch(() => undefined);
    }
    await this.store.close();
  }

  deliveries(): DeliveryStatus[] {
    return [...this.status.values()];
  }

  // --- keys -------------------------------------------------------------------------

  /** The data key for new segments; a new one after keyRotationDays (old ones stay valid). */
  private async currentDataKey(): Promise<DataKey> {
    const maxAge = this.config.keyRotationDays * 86_400_000;
    // Re-read once a minute so that `riik embassy rotate-key` reaches a running shipper.
    if (
      this.dataKey &&
      this.now() - this.dataKeyCheckedAt < 60_000 &&
      this.now() - Date.parse(this.dataKey.createdAt) < maxAge
    )
      return this.dataKey;
    this.dataKeyCheckedAt = this.now();
    const row = await this.store.db
      .selectFrom("shipper_data_key")
      .selectAll()
      .where("master_id", "=", this.master.id)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    if (row && this.now() - Date.parse(row.created_at) < maxAge) {
      const key = unwrapDataKey([this.master], { id: row.id, master: row.master_id, wrapped: row.wrapped });
      this.dataKey = { id: row.id, masterId: row.master_id, key, wrapped: row.wrapped, createdAt: row.created_at };
    } else await this.rotateDataKey();
    return this.dataKey!;
  }

  /** Key rotation: new segments use a new data key; history keeps its own. */
  async rotateDataKey(): Promise<string> {
    const key = generateDataKey(this.master, new Date(this.now()));
    await this.store.db
      .insertInto("shipper_data_key")
      .values({ id: key.id, master_id: key.masterId, wrapped: key.wrapped, created_at: key.createdAt })
      .execute();
    this.dataKey = key;
    this.logger.info({ keyId: key.id }, "new data key");
    return key.id;
  }

  // --- cutting ----------------------------------------------------------------------

  private async loadHead(registry: string): Promise<Head | undefined> {
    const row = await this.store.db
      .selectFrom("shipper_segment")
      .select([...HEAD_COLUMNS, "entry_hash"])
      .where("registry", "=", registry)
      .orderBy("idx", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? { ...headFromRow(row), entryHash: row.entry_hash } : undefined;
  }

  /** Seals and stores the next chain element; the in-memory head moves only after the commit. */
  private async append(
    reg: ShippedRegistry,
    input: Omit<SegmentHeaderInput, "registry" | "index" | "previous" | "createdAt">,
    plaintext: Buffer,
    hash: string | null,
  ): Promise<Segment> {
    const name = reg.definition.name;
    const index = reg.head ? reg.head.index + 1 : 0;
    const segment = sealSegment(
      {
        ...input,
        registry: name,
        index,
        previous: reg.head?.digest ?? GENESIS,
        createdAt: new Date(this.now()).toISOString(),
      },
      plaintext,
      await this.currentDataKey(),
    );
    const h = segment.header;
    await this.store.db
      .insertInto("shipper_segment")
      .values({
        registry: name,
        idx: index,
        kind: h.kind,
        after_seq: h.afterSeq,
        last_seq: h.lastSeq,
        count: h.count,
        first_at: h.firstAt,
        last_at: h.lastAt,
        snapshot_id: h.snapshot?.id ?? null,
        snapshot_part: h.snapshot?.part ?? null,
        snapshot_last: h.snapshot ? (h.snapshot.last ? 1 : 0) : null,
        digest: segment.digest,
        header: segment.headerBytes,
        ciphertext: segment.ciphertext,
        signature: null,
        entry_hash: hash,
        created_at: h.createdAt,
      })
      .execute();
    reg.head = {
      index,
      digest: segment.digest,
      lastSeq: h.lastSeq,
      kind: h.kind,
      entryHash: hash,
      ...(h.snapshot ? { snapshot: h.snapshot } : {}),
    };
    this.gauges.cut.inc({ registry: name, kind: h.kind });
    this.events.emit("cut", { registry: name, index, kind: h.kind, lastSeq: h.lastSeq });
    return segment;
  }

  private async cutChanges(reg: ShippedRegistry, entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = entries.map((e) =>
      JSON.stringify({ seq: Number(e.seq), at: e.at, entity: e.entity, key: e.key, op: e.op, data: e.data }),
    );
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    await this.append(
      reg,
      {
        kind: "changes",
        afterSeq: reg.head?.lastSeq ?? 0,
        lastSeq: Number(last.seq),
        count: entries.length,
        firstAt: first.at,
        lastAt: last.at,
      },
      Buffer.from(`${lines.join("\n")}\n`),
      entryHash(last),
    );
    reg.changesSinceSnapshot += entries.length;
  }

  /** One pass of the cut loop for a registry; true when it did work (poll again at once). */
  async cutOnce(name: string): Promise<boolean> {
    const reg = this.registries.get(name)!;
    await this.reopenIfReplaced(reg);
    if (!reg.head) {
      // A chain starts with a snapshot, so an embassy never needs history from before it.
      await this.snapshot(name);
      return true;
    }
    if (!(await this.checkJournal(reg))) return false;
    const { maxChanges, maxBytes, maxDelayMs } = this.config.segments;
    const rows = (await readChanges(reg.storage.db, reg.head.lastSeq, maxChanges)) as JournalEntry[];
    const entries: JournalEntry[] = [];
    let expected = reg.head.lastSeq + 1;
    let bytes = 0;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) {
        // PostgreSQL hands out seqs before commit: a hole may still fill. Wait for it up to
        // gapTimeoutMs; after that it was a rolled-back transaction.
        const since = reg.gapSince.get(expected) ?? this.now();
        reg.gapSince.set(expected, since);
        if (this.now() - since < this.config.gapTimeoutMs) break;
        reg.gapSince.delete(expected);
      }
      entries.push(row);
      expected = seq + 1;
      bytes += (row.data?.length ?? 0) + row.key.length + 64;
      if (bytes >= maxBytes) break;
    }
    const full = entries.length >= maxChanges || bytes >= maxBytes;
    const oldest = entries[0] ? Date.parse(entries[0].at) : this.now();
    if (entries.length > 0 && (full || this.now() - oldest >= maxDelayMs)) {
      await this.cutChanges(reg, entries);
      if (this.snapshotDue(reg)) await this.snapshot(name);
      return true;
    }
    if (this.snapshotDue(reg) && entries.length === 0 && reg.changesSinceSnapshot > 0) {
      await this.snapshot(name);
      return true;
    }
    return false;
  }

  /**
   * A registry restored from an embassy is a new SQLite file: connections to the old one
   * would go on reading destroyed data. Wait while the file is missing (never create it).
   */
  private async reopenIfReplaced(reg: ShippedRegistry): Promise<void> {
    if (reg.inode === undefined) return;
    let inode: number;
    try {
      inode = statSync(reg.storage.location).ino;
    } catch {
      reg.paused = `the database of ${reg.definition.name} (${reg.storage.location}) is missing`;
      throw new EmbassyError("JOURNAL_REGRESSED", reg.paused);
    }
    if (inode === reg.inode) return;
    await reg.storage.close().catch(() => undefined);
    await reg.snapshotStorage.close().catch(() => undefined);
    reg.storage = await reg.open();
    reg.snapshotStorage = await reg.open();
    reg.inode = inode;
    reg.paused = undefined;
    this.logger.warn({ registry: reg.definition.name }, "the registry's database file was replaced; reopened");
  }

  private snapshotDue(reg: ShippedRegistry): boolean {
    const { intervalMs, everyChanges } = this.config.snapshots;
    return reg.changesSinceSnapshot >= everyChanges || this.now() - reg.lastSnapshotAt >= intervalMs;
  }

  /** A consistent snapshot of the registry at its journal head, after segments up to it. */
  async snapshot(name: string): Promise<number> {
    const reg = this.registries.get(name)!;
    if (reg.head && !(await this.checkJournal(reg)))
      throw new EmbassyError("JOURNAL_REGRESSED", reg.paused ?? "paused");
    let id = -1;
    let part = 0;
    let position = { seq: 0, at: "" };
    let hash: string | null = null;
    await dumpSnapshot(
      reg.snapshotStorage,
      async (pos, trx) => {
        position = pos;
        // Close the chain up to the snapshot's seq first, from the same consistent view.
        let after = reg.head?.lastSeq ?? pos.seq;
        while (after < pos.seq) {
          const rows = (await trx
            .selectFrom("change_journal")
            .selectAll()
            .where("seq", ">", after)
            .where("seq", "<=", pos.seq)
            .orderBy("seq")
            .limit(this.config.segments.maxChanges)
            .execute()) as JournalEntry[];
          if (rows.length === 0) break;
          await this.cutChanges(reg, rows);
          after = Number(rows[rows.length - 1]!.seq);
        }
        if (pos.seq > 0) {
          const row = (await (trx as Transaction<any>)
            .selectFrom("change_journal")
            .selectAll()
            .where("seq", "=", pos.seq)
            .executeTakeFirst()) as JournalEntry | undefined;
          hash = row ? entryHash(row) : null;
        }
      },
      async ({ plaintext, rows, last }) => {
        const index = reg.head ? reg.head.index + 1 : 0;
        if (part === 0) id = index;
        await this.append(
          reg,
          {
            kind: "snapshot",
            afterSeq: position.seq,
            lastSeq: position.seq,
            count: rows,
            firstAt: position.at,
            lastAt: position.at,
            snapshot: { id, part, last },
          },
          plaintext,
          hash,
        );
        part += 1;
      },
      this.config.snapshots.partBytes,
    );
    reg.lastSnapshotAt = this.now();
    reg.changesSinceSnapshot = 0;
    this.logger.info({ registry: name, id, seq: position.seq, parts: part }, "snapshot cut");
    return id;
  }

  /**
   * The journal entry at the chain's last seq must still be the one shipped. If not, the
   * registry's data was replaced (a restore from an embassy): the chain continues from the
   * newest element the journal still matches, dropping cut segments no embassy holds.
   */
  private async checkJournal(reg: ShippedRegistry): Promise<boolean> {
    const head = reg.head!;
    if (!head.entryHash || head.lastSeq === 0) return true;
    const matches = async (seq: number, hash: string) => {
      const row = (await reg.storage.db
        .selectFrom("change_journal")
        .selectAll()
        .where("seq", "=", seq)
        .executeTakeFirst()) as JournalEntry | undefined;
      return row !== undefined && entryHash(row) === hash;
    };
    if (await matches(head.lastSeq, head.entryHash)) {
      reg.paused = undefined;
      return true;
    }
    const name = reg.definition.name;
    const candidates = await this.store.db
      .selectFrom("shipper_segment")
      .select(["idx", "last_seq", "entry_hash"])
      .where("registry", "=", name)
      .where("entry_hash", "is not", null)
      .orderBy("idx", "desc")
      .execute();
    let keep: number | undefined;
    for (const c of candidates) {
      // The last element of a complete snapshot or a changes segment; never inside a snapshot.
      if (await matches(Number(c.last_seq), c.entry_hash!)) {
        keep = Number(c.idx);
        const row = await this.store.db
          .selectFrom("shipper_segment")
          .select(["kind", "snapshot_last"])
          .where("registry", "=", name)
          .where("idx", "=", keep)
          .executeTakeFirstOrThrow();
        if (row.kind === "changes" || Number(row.snapshot_last) === 1) break;
        keep = undefined;
      }
    }
    let held = -1;
    for (const [embassy, client] of this.clients) {
      try {
        held = Math.max(held, (await client.head(name))?.index ?? -1);
      } catch (error) {
        reg.paused = `the journal of ${name} changed under the shipper and embassy ${embassy} cannot be asked what it holds: ${(error as Error).message}`;
        this.logger.error({ registry: name }, reg.paused);
        return false;
      }
    }
    if (keep === undefined || held > keep) {
      reg.paused = `the journal of ${name} no longer matches the chain (embassies hold up to segment ${held}, the journal matches ${keep ?? "none"}); shipping of ${name} is paused`;
      this.logger.error({ registry: name }, reg.paused);
      return false;
    }
    await this.store.db.deleteFrom("shipper_segment").where("registry", "=", name).where("idx", ">", keep).execute();
    reg.head = await this.loadHead(name);
    this.logger.warn(
      { registry: name, from: keep },
      "the registry was restored; the chain continues from the restored position",
    );
    return true;
  }

  // --- anchoring --------------------------------------------------------------------

  async anchorOnce(): Promise<boolean> {
    const rows = await this.store.db
      .selectFrom("shipper_segment")
      .select(["registry", "idx", "digest"])
      .where("signature", "is", null)
      .orderBy("created_at")
      .limit(2000)
      .execute();
    if (rows.length === 0) return false;
    let signatures: LedgerSignature[];
    try {
      signatures = await this.ledger.aggregate(
        rows.map((r) => ({ algorithm: "SHA-256", digest: Buffer.from(r.digest, "hex") })),
      );
    } catch (cause) {
      throw new EmbassyError(
        "LEDGER_UNAVAILABLE",
        `cannot anchor at ${this.config.ledgerUrl}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    await this.store.db.transaction().execute(async (trx) => {
      for (const [i, r] of rows.entries())
        await trx
          .updateTable("shipper_segment")
          .set({ signature: JSON.stringify(signatures[i]) })
          .where("registry", "=", r.registry)
          .where("idx", "=", r.idx)
          .execute();
    });
    this.events.emit("anchored", { segments: rows.length });
    return true;
  }

  // --- sending ----------------------------------------------------------------------

  private sendLoop(embassy: string, registry: string): Promise<void> {
    const client = this.clients.get(embassy)!;
    const key = `${embassy}\u0000${registry}`;
    return (async () => {
      let position: number | undefined;
      let failures = 0;
      while (this.running) {
        try {
          // Where to resume is what the embassy says it holds, not what we remember.
          position ??= (await client.head(registry))?.index ?? -1;
          const rows = await this.store.db
            .selectFrom("shipper_segment")
            .selectAll()
            .where("registry", "=", registry)
            .where("idx", ">", position)
            .orderBy("idx")
            .limit(16)
            .execute();
          // Only anchored segments, and only the unbroken run after the embassy's head.
          const sendable: typeof rows = [];
          for (const row of rows) {
            if (row.signature === null || Number(row.idx) !== position + 1 + sendable.length) break;
            sendable.push(row);
          }
          if (sendable.length === 0) {
            await sleep(this.config.pollMs);
            continue;
          }
          for (const row of sendable) {
            const bytes = encodeSegmentParts(Buffer.from(row.header), row.signature!, Buffer.from(row.ciphertext));
            const result = await client.post(registry, bytes);
            position = Number(row.idx);
            await this.recordDelivery(embassy, registry, position, Number(row.last_seq));
            if (!result.duplicate) {
              this.gauges.shipped.inc({ embassy, registry });
              this.gauges.bytes.inc({ embassy, registry }, bytes.length);
            }
          }
          failures = 0;
          const s = this.status.get(key);
          if (s) s.lastError = null;
        } catch (error) {
          failures += 1;
          const code = isEmbassyError(error) ? error.code : "ERROR";
          if (code !== "EMBASSY_UNREACHABLE") this.gauges.refused.inc({ embassy, code });
          const s = this.status.get(key);
          if (s) s.lastError = `${code}: ${(error as Error).message}`;
          this.logger.warn(
            { embassy, registry, code, err: (error as Error).message },
            "send failed; asking the embassy where it stands",
          );
          position = undefined;
          await sleep(Math.min(10_000, this.config.pollMs * 2 ** Math.min(failures, 6)));
        }
      }
    })();
  }

  private async recordDelivery(embassy: string, registry: string, idx: number, lastSeq: number): Promise<void> {
    const values = { embassy, registry, idx, last_seq: lastSeq, acked_at: new Date(this.now()).toISOString() };
    await this.store.db
      .insertInto("shipper_delivery")
      .values(values)
      .onConflict((oc) =>
        oc.columns(["embassy", "registry"]).doUpdateSet({ idx, last_seq: lastSeq, acked_at: values.acked_at }),
      )
      .execute();
    this.events.emit("delivered", { embassy, registry, index: idx, lastSeq });
  }

  // --- status -----------------------------------------------------------------------

  async refreshStatus(): Promise<DeliveryStatus[]> {
    const deliveries = await this.store.db.selectFrom("shipper_delivery").selectAll().execute();
    for (const [name, reg] of this.registries) {
      const journal = (await reg.storage.db
        .selectFrom("change_journal")
        .select(["seq", "at"])
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst()) as { seq: number; at: string } | undefined;
      const journalSeq = Number(journal?.seq ?? 0);
      this.gauges.journalSeq.set({ registry: name }, journalSeq);
      for (const e of this.config.embassies) {
        const d = deliveries.find((x) => x.embassy === e.name && x.registry === name);
        const ackedSeq = Number(d?.last_seq ?? 0);
        const ackedIndex = d ? Number(d.idx) : -1;
        let lagSeconds = 0;
        if (ackedSeq < journalSeq || !d) {
          const next = (await reg.storage.db
            .selectFrom("change_journal")
            .select("at")
            .where("seq", ">", d ? ackedSeq : 0)
            .orderBy("seq")
            .limit(1)
            .executeTakeFirst()) as { at: string } | undefined;
          if (next) lagSeconds = Math.max(0, (this.now() - Date.parse(next.at)) / 1000);
        }
        const key = `${e.name}\u0000${name}`;
        const chainIndex = reg.head?.index ?? -1;
        const status: DeliveryStatus = {
          embassy: e.name,
          registry: name,
          journalSeq,
          chainIndex,
          ackedIndex,
          ackedSeq,
          ackedAt: d?.acked_at ?? null,
          lagChanges: Math.max(0, journalSeq - ackedSeq),
          lagSegments: Math.max(0, chainIndex - ackedIndex),
          lagSeconds,
          keyId: this.dataKey?.id ?? null,
          lastError: reg.paused ?? this.status.get(key)?.lastError ?? null,
        };
        this.status.set(key, status);
        const labels = { embassy: e.name, registry: name };
        this.gauges.lagSeconds.set(labels, status.lagSeconds);
        this.gauges.lagSegments.set(labels, status.lagSegments);
        this.gauges.lagChanges.set(labels, status.lagChanges);
        this.gauges.ackedSeq.set(labels, ackedSeq);
      }
    }
    return this.deliveries();
  }

  /** For tests and the drill: the shipper's own database. */
  get db(): Kysely<ShipperDb> {
    return this.store.db;
  }
}

/** `riik embassy rotate-key`: a new data key for new segments; a running shipper picks it up within a minute. */
export async function rotateShipperKey(config: ShipperConfig): Promise<string> {
  const master = readMasterKeyFile(config.masterKeyFile);
  const store = await openStorage<ShipperDb>({
    component: "embassy_shipper",
    dataDir: config.home,
    url: config.databaseUrl,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    migrations: shipperMigrations,
  });
  try {
    const key = generateDataKey(master);
    await store.db
      .insertInto("shipper_data_key")
      .values({ id: key.id, master_id: key.masterId, wrapped: key.wrapped, created_at: key.createdAt })
      .execute();
    return key.id;
  } finally {
    await store.close();
  }
}
