import { type JournalEntry, readChanges } from "@riik/core";
import { EmbassyError } from "../errors.ts";
import { GENESIS, type SegmentHeaderInput, sealSegment, segmentColumns } from "../format/segment.ts";
import { dumpSnapshot } from "../registry/snapshot.ts";
import type { ShipperContext } from "./context.ts";
import type { DataKeys } from "./data-keys.ts";
import type { EmbassyClient } from "./embassy-client.ts";
import type { HomeRegistry } from "./home-registry.ts";
import { checkJournal } from "./journal-check.ts";
import { entryHash, type OutboxHead, outboxHead } from "./outbox.ts";

/**
 * Cuts one registry's journal into its chain in the outbox: changes segments by the time and
 * size rules, and periodic snapshots, each encrypted, chained and stored in one transaction.
 */
export class Cutter {
  private lastSnapshotAt: number;
  private changesSinceSnapshot: number;
  /** PostgreSQL: when each hole in the journal's seqs was first seen. */
  private readonly gapSince = new Map<number, number>();

  private constructor(
    private readonly context: ShipperContext,
    readonly registry: HomeRegistry,
    private readonly keys: DataKeys,
    private readonly embassies: ReadonlyMap<string, EmbassyClient>,
    /** The newest chain element; moves only after its row is committed. */
    public head: OutboxHead | undefined,
    lastSnapshotAt: number,
    changesSinceSnapshot: number,
  ) {
    this.lastSnapshotAt = lastSnapshotAt;
    this.changesSinceSnapshot = changesSinceSnapshot;
  }

  /** Resumes the registry's chain where the outbox has it. */
  static async resume(
    context: ShipperContext,
    registry: HomeRegistry,
    keys: DataKeys,
    embassies: ReadonlyMap<string, EmbassyClient>,
  ): Promise<Cutter> {
    const { store } = context;
    const lastSnapshot = await store.db
      .selectFrom("shipper_segment")
      .select(["created_at", "idx"])
      .where("registry", "=", registry.name)
      .where("kind", "=", "snapshot")
      .orderBy("idx", "desc")
      .limit(1)
      .executeTakeFirst();
    const since = await store.db
      .selectFrom("shipper_segment")
      .select((eb) => eb.fn.sum<number>("count").as("n"))
      .where("registry", "=", registry.name)
      .where("kind", "=", "changes")
      .where("idx", ">", lastSnapshot?.idx ?? -1)
      .executeTakeFirst();
    return new Cutter(
      context,
      registry,
      keys,
      embassies,
      await outboxHead(store, registry.name),
      lastSnapshot ? Date.parse(lastSnapshot.created_at) : 0,
      Number(since?.n ?? 0),
    );
  }

  /** One pass of the cut loop; true when it did work (poll again at once). */
  async cutOnce(): Promise<boolean> {
    const { config, now, logger } = this.context;
    await this.registry.reopenIfReplaced(logger);
    if (!this.head) {
      // A chain starts with a snapshot, so an embassy never needs history from before it.
      await this.snapshot();
      return true;
    }
    if (!(await this.followJournal())) return false;
    const head = this.head!;
    const { maxChanges, maxBytes, maxDelayMs } = config.segments;
    const rows = (await readChanges(this.registry.storage.db, head.lastSeq, maxChanges)) as JournalEntry[];
    const entries: JournalEntry[] = [];
    let expected = head.lastSeq + 1;
    let bytes = 0;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) {
        // PostgreSQL hands out seqs before commit: a hole may still fill. Wait for it up to
        // gapTimeoutMs; after that it was a rolled-back transaction.
        const since = this.gapSince.get(expected) ?? now();
        this.gapSince.set(expected, since);
        if (now() - since < config.gapTimeoutMs) break;
        this.gapSince.delete(expected);
      }
      entries.push(row);
      expected = seq + 1;
      bytes += (row.data?.length ?? 0) + row.key.length + 64;
      if (bytes >= maxBytes) break;
    }
    const full = entries.length >= maxChanges || bytes >= maxBytes;
    const oldest = entries[0] ? Date.parse(entries[0].at) : now();
    if (entries.length > 0 && (full || now() - oldest >= maxDelayMs)) {
      await this.cutChanges(entries);
      if (this.snapshotDue()) await this.snapshot();
      return true;
    }
    if (this.snapshotDue() && entries.length === 0 && this.changesSinceSnapshot > 0) {
      await this.snapshot();
      return true;
    }
    return false;
  }

  /** A consistent snapshot of the registry at its journal head, after segments up to it; its chain index. */
  async snapshot(): Promise<number> {
    const { config, now, logger } = this.context;
    const registry = this.registry;
    if (this.head && !(await this.followJournal()))
      throw new EmbassyError("JOURNAL_REGRESSED", registry.paused ?? "paused");
    let id = -1;
    let part = 0;
    let position = { seq: 0, at: "" };
    let hash: string | null = null;
    await dumpSnapshot(
      registry.snapshotStorage,
      registry.definition.tables,
      async (pos, trx) => {
        position = pos;
        // Close the chain up to the snapshot's seq first, from the same consistent view.
        let after = this.head?.lastSeq ?? pos.seq;
        while (after < pos.seq) {
          const rows = (await trx
            .selectFrom("change_journal")
            .selectAll()
            .where("seq", ">", after)
            .where("seq", "<=", pos.seq)
            .orderBy("seq")
            .limit(config.segments.maxChanges)
            .execute()) as JournalEntry[];
          if (rows.length === 0) break;
          await this.cutChanges(rows);
          after = Number(rows[rows.length - 1]!.seq);
        }
        if (pos.seq > 0) {
          const row = (await trx
            .selectFrom("change_journal")
            .selectAll()
            .where("seq", "=", pos.seq)
            .executeTakeFirst()) as JournalEntry | undefined;
          hash = row ? entryHash(row) : null;
        }
      },
      async ({ plaintext, rows, last }) => {
        const index = this.head ? this.head.index + 1 : 0;
        if (part === 0) id = index;
        await this.append(
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
      config.snapshots.partBytes,
    );
    this.lastSnapshotAt = now();
    this.changesSinceSnapshot = 0;
    logger.info({ registry: registry.name, id, seq: position.seq, parts: part }, "snapshot cut");
    return id;
  }

  /** Whether the chain may go on from the journal (see checkJournal); the head follows a rewind. */
  private async followJournal(): Promise<boolean> {
    const outcome = await checkJournal(this.context, this.registry, this.head!, this.embassies);
    if (outcome === "rewound") this.head = await outboxHead(this.context.store, this.registry.name);
    return outcome !== "paused";
  }

  private snapshotDue(): boolean {
    const { intervalMs, everyChanges } = this.context.config.snapshots;
    return this.changesSinceSnapshot >= everyChanges || this.context.now() - this.lastSnapshotAt >= intervalMs;
  }

  private async cutChanges(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = entries.map((e) =>
      JSON.stringify({ seq: Number(e.seq), at: e.at, entity: e.entity, key: e.key, op: e.op, data: e.data }),
    );
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    await this.append(
      {
        kind: "changes",
        afterSeq: this.head?.lastSeq ?? 0,
        lastSeq: Number(last.seq),
        count: entries.length,
        firstAt: first.at,
        lastAt: last.at,
      },
      Buffer.from(`${lines.join("\n")}\n`),
      entryHash(last),
    );
    this.changesSinceSnapshot += entries.length;
  }

  /** Seals and stores the next chain element; the in-memory head moves only after the commit. */
  private async append(
    input: Omit<SegmentHeaderInput, "registry" | "index" | "previous" | "createdAt">,
    plaintext: Buffer,
    hash: string | null,
  ): Promise<void> {
    const { store, now, metrics, events } = this.context;
    const name = this.registry.name;
    const index = this.head ? this.head.index + 1 : 0;
    const segment = sealSegment(
      {
        ...input,
        registry: name,
        index,
        previous: this.head?.digest ?? GENESIS,
        createdAt: new Date(now()).toISOString(),
      },
      plaintext,
      await this.keys.forNextSegment(),
    );
    const h = segment.header;
    await store.db
      .insertInto("shipper_segment")
      .values({
        ...segmentColumns(segment),
        header: segment.headerBytes,
        ciphertext: segment.ciphertext,
        signature: null,
        entry_hash: hash,
        created_at: h.createdAt,
      })
      .execute();
    this.head = {
      index,
      digest: segment.digest,
      lastSeq: h.lastSeq,
      kind: h.kind,
      entryHash: hash,
      ...(h.snapshot ? { snapshot: h.snapshot } : {}),
    };
    metrics.cut.inc({ registry: name, kind: h.kind });
    events.emit("cut", { registry: name, index, kind: h.kind, lastSeq: h.lastSeq });
  }
}
