import { type ComponentMigration, columnTypes, openStorage, type Storage } from "@riik/core";
import type { VerifierKey } from "@riik/ledger";
import type { Kysely } from "kysely";
import { EmbassyError, isEmbassyError } from "../errors.ts";
import { type ChainHead, checkAnchor, checkContinuation, HEAD_COLUMNS, headFromRow } from "../format/chain.ts";
import {
  decodeSegment,
  isRegistryName,
  type SegmentColumns,
  segmentColumns,
  withSegmentColumns,
} from "../format/segment.ts";

export interface HeldSegmentRow extends SegmentColumns {
  bytes: Uint8Array;
  size: number;
  received_at: string;
}

export interface EmbassyDb {
  embassy_segment: HeldSegmentRow;
}

export const embassyMigrations: Record<string, ComponentMigration> = {
  "0001_embassy_segment": {
    async up(db, dialect) {
      await withSegmentColumns(db.schema.createTable("embassy_segment"))
        .addColumn("bytes", columnTypes(dialect).binary, (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        // The primary key makes the store append-only per position: a second segment at an
        // index cannot be written, whatever races.
        .addPrimaryKeyConstraint("embassy_segment_pk", ["registry", "idx"])
        .execute();
    },
  },
};

/** Metadata of one held segment: what the embassy's operator can see. */
export type SegmentInfo = Omit<HeldSegmentRow, "bytes">;

export interface RegistryHoldings {
  registry: string;
  segments: number;
  bytes: number;
  head: { index: number; digest: string; lastSeq: number; lastAt: string; receivedAt: string };
  snapshots: Array<{ id: number; seq: number; at: string; parts: number; complete: boolean }>;
}

export interface AppendResult {
  registry: string;
  index: number;
  digest: string;
  lastSeq: number;
  duplicate: boolean;
}

const META = [
  "registry",
  "idx",
  "kind",
  "after_seq",
  "last_seq",
  "count",
  "first_at",
  "last_at",
  "snapshot_id",
  "snapshot_part",
  "snapshot_last",
  "digest",
  "size",
  "received_at",
] as const;

/**
 * The embassy's append-only store. It holds ciphertext and metadata only; it accepts a
 * segment only if it parses, matches its digest, is anchored in the ledger (checked
 * offline with the ledger's verifier key) and continues the registry's chain.
 */
export class EmbassyStore {
  private constructor(
    readonly storage: Storage<EmbassyDb>,
    private readonly ledgerKey: VerifierKey,
  ) {}

  static async open(options: {
    dataDir: string;
    url?: string | undefined;
    schema?: string;
    ledgerKey: VerifierKey;
  }): Promise<EmbassyStore> {
    const storage = await openStorage<EmbassyDb>({
      component: "embassy",
      dataDir: options.dataDir,
      url: options.url,
      ...(options.schema ? { schema: options.schema } : {}),
      migrations: embassyMigrations,
    });
    return new EmbassyStore(storage, options.ledgerKey);
  }

  get db(): Kysely<EmbassyDb> {
    return this.storage.db;
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  async append(bytes: Uint8Array, expectedRegistry?: string): Promise<AppendResult> {
    const segment = decodeSegment(bytes);
    const h = segment.header;
    if (expectedRegistry !== undefined && h.registry !== expectedRegistry)
      throw new EmbassyError("EMBASSY_ARGUMENT", `the segment is for ${h.registry}, posted to ${expectedRegistry}`);
    checkAnchor(segment, this.ledgerKey);
    const result = { registry: h.registry, index: h.index, digest: segment.digest, lastSeq: h.lastSeq };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const head = await headIn(trx, h.registry);
          if (head && h.index <= head.index) {
            const held = await trx
              .selectFrom("embassy_segment")
              .select("digest")
              .where("registry", "=", h.registry)
              .where("idx", "=", h.index)
              .executeTakeFirst();
            // Sent again after a lost acknowledgement: the same segment, nothing to do.
            if (held?.digest === segment.digest) return { ...result, duplicate: true };
            throw new EmbassyError(
              h.kind === "snapshot" ? "SNAPSHOT_REPLAYED" : "CHAIN_FORK",
              `${h.registry} segment ${h.index} differs from the one held at that position`,
              { details: { index: h.index, held: held?.digest, got: segment.digest } },
            );
          }
          checkContinuation(head, segment);
          await trx
            .insertInto("embassy_segment")
            .values({
              ...segmentColumns(segment),
              bytes: Buffer.from(bytes),
              size: bytes.length,
              received_at: new Date().toISOString(),
            })
            .execute();
          return { ...result, duplicate: false };
        });
      } catch (error) {
        // Two concurrent appends of one position: the loser sees the winner on retry.
        if (!isEmbassyError(error) && attempt < 2 && /unique|primary key|duplicate key/i.test(String(error))) continue;
        throw error;
      }
    }
  }

  async head(registry: string): Promise<ChainHead | undefined> {
    return headIn(this.db, registry);
  }

  async list(registry: string, fromIndex = 0, limit = 10_000): Promise<SegmentInfo[]> {
    const rows = await this.db
      .selectFrom("embassy_segment")
      .select(META)
      .where("registry", "=", registry)
      .where("idx", ">=", fromIndex)
      .orderBy("idx")
      .limit(limit)
      .execute();
    return rows.map(normaliseInfo);
  }

  async get(registry: string, index: number): Promise<Buffer> {
    const row = await this.db
      .selectFrom("embassy_segment")
      .select("bytes")
      .where("registry", "=", registry)
      .where("idx", "=", index)
      .executeTakeFirst();
    if (!row) throw new EmbassyError("EMBASSY_NOT_FOUND", `no ${registry} segment ${index} here`);
    return Buffer.from(row.bytes);
  }

  async holdings(): Promise<RegistryHoldings[]> {
    const registries = await this.db
      .selectFrom("embassy_segment")
      .select((eb) => ["registry", eb.fn.countAll<number>().as("segments"), eb.fn.sum<number>("size").as("bytes")])
      .groupBy("registry")
      .orderBy("registry")
      .execute();
    const out: RegistryHoldings[] = [];
    for (const r of registries) {
      const head = await this.db
        .selectFrom("embassy_segment")
        .select(META)
        .where("registry", "=", r.registry)
        .orderBy("idx", "desc")
        .limit(1)
        .executeTakeFirstOrThrow();
      const parts = await this.db
        .selectFrom("embassy_segment")
        .select(["snapshot_id", "last_seq", "last_at", "snapshot_last"])
        .where("registry", "=", r.registry)
        .where("kind", "=", "snapshot")
        .orderBy("idx")
        .execute();
      const snapshots = new Map<number, RegistryHoldings["snapshots"][number]>();
      for (const p of parts) {
        const id = Number(p.snapshot_id);
        const s = snapshots.get(id) ?? { id, seq: Number(p.last_seq), at: p.last_at, parts: 0, complete: false };
        s.parts += 1;
        if (Number(p.snapshot_last) === 1) s.complete = true;
        snapshots.set(id, s);
      }
      out.push({
        registry: r.registry,
        segments: Number(r.segments),
        bytes: Number(r.bytes),
        head: {
          index: Number(head.idx),
          digest: head.digest,
          lastSeq: Number(head.last_seq),
          lastAt: head.last_at,
          receivedAt: head.received_at,
        },
        snapshots: [...snapshots.values()],
      });
    }
    return out;
  }
}

async function headIn(db: Kysely<EmbassyDb>, registry: string): Promise<ChainHead | undefined> {
  if (!isRegistryName(registry))
    throw new EmbassyError("EMBASSY_ARGUMENT", `bad registry name ${JSON.stringify(registry)}`);
  const row = await db
    .selectFrom("embassy_segment")
    .select([...HEAD_COLUMNS])
    .where("registry", "=", registry)
    .orderBy("idx", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? headFromRow(row) : undefined;
}

function normaliseInfo(row: Record<string, unknown>): SegmentInfo {
  const n = (v: unknown) => (v === null ? null : Number(v));
  return {
    registry: row.registry as string,
    idx: Number(row.idx),
    kind: row.kind as SegmentInfo["kind"],
    after_seq: Number(row.after_seq),
    last_seq: Number(row.last_seq),
    count: Number(row.count),
    first_at: row.first_at as string,
    last_at: row.last_at as string,
    snapshot_id: n(row.snapshot_id),
    snapshot_part: n(row.snapshot_part),
    snapshot_last: n(row.snapshot_last),
    digest: row.digest as string,
    size: Number(row.size),
    received_at: row.received_at as string,
  };
}
