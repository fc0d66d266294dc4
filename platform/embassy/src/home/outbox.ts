import { createHash } from "node:crypto";
import {
  type ComponentMigration,
  canonicalJson,
  columnTypes,
  type JournalEntry,
  openStorage,
  type Storage,
} from "@riik/core";
import { type ChainHead, HEAD_COLUMNS, headFromRow } from "../format/chain.ts";
import { type SegmentColumns, withSegmentColumns } from "../format/segment.ts";
import type { ShipperConfig } from "./config.ts";

/** The shipper's store at home (component embassy_shipper): the chain, data keys, deliveries. */
export interface ShipperDb {
  shipper_segment: SegmentColumns & {
    header: Uint8Array;
    ciphertext: Uint8Array;
    /** The ledger signature (JSON) once anchored; segments are sent only after. */
    signature: string | null;
    /** SHA-256 of the journal entry at last_seq: detects a registry whose journal was replaced. */
    entry_hash: string | null;
    created_at: string;
  };
  shipper_data_key: { id: string; master_id: string; wrapped: string; created_at: string };
  shipper_delivery: { embassy: string; registry: string; idx: number; last_seq: number; acked_at: string };
}

export const shipperMigrations: Record<string, ComponentMigration> = {
  "0001_shipper": {
    async up(db, dialect) {
      const binary = columnTypes(dialect).binary;
      await withSegmentColumns(db.schema.createTable("shipper_segment"))
        .addColumn("header", binary, (c) => c.notNull())
        .addColumn("ciphertext", binary, (c) => c.notNull())
        .addColumn("signature", "text")
        .addColumn("entry_hash", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("shipper_segment_pk", ["registry", "idx"])
        .execute();
      await db.schema
        .createTable("shipper_data_key")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("master_id", "text", (c) => c.notNull())
        .addColumn("wrapped", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("shipper_delivery")
        .addColumn("embassy", "text", (c) => c.notNull())
        .addColumn("registry", "text", (c) => c.notNull())
        .addColumn("idx", "bigint", (c) => c.notNull())
        .addColumn("last_seq", "bigint", (c) => c.notNull())
        .addColumn("acked_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("shipper_delivery_pk", ["embassy", "registry"])
        .execute();
    },
  },
};

export function entryHash(entry: JournalEntry): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        seq: Number(entry.seq),
        at: entry.at,
        entity: entry.entity,
        key: entry.key,
        op: entry.op,
        data: entry.data,
      }),
    )
    .digest("hex");
}

/** The shipper's store (component embassy_shipper) in its home directory or database. */
export function openOutbox(config: ShipperConfig): Promise<Storage<ShipperDb>> {
  return openStorage<ShipperDb>({
    component: "embassy_shipper",
    dataDir: config.home,
    url: config.databaseUrl,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    migrations: shipperMigrations,
  });
}

/** The newest element of a registry's chain at home, with the hash of its journal entry. */
export interface OutboxHead extends ChainHead {
  readonly entryHash: string | null;
}

export async function outboxHead(store: Storage<ShipperDb>, registry: string): Promise<OutboxHead | undefined> {
  const row = await store.db
    .selectFrom("shipper_segment")
    .select([...HEAD_COLUMNS, "entry_hash"])
    .where("registry", "=", registry)
    .orderBy("idx", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { ...headFromRow(row), entryHash: row.entry_hash } : undefined;
}
