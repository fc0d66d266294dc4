import type { Storage } from "@riik/core";
import { type DataKey, generateDataKey, unwrapDataKey } from "../crypto/data-key.ts";
import { type MasterKey, readMasterKeyFile } from "../crypto/master-key.ts";
import type { ShipperConfig } from "./config.ts";
import type { ShipperContext } from "./context.ts";
import { openOutbox, type ShipperDb } from "./outbox.ts";

/**
 * The data keys new segments are sealed under, wrapped by the master key in the outbox: a new
 * one after keyRotationDays or `riik embassy rotate-key`; segments cut before keep theirs.
 */
export class DataKeys {
  private current: DataKey | undefined;
  private checkedAt = 0;

  constructor(
    private readonly context: ShipperContext,
    private readonly master: MasterKey,
  ) {}

  /** The key new segments use now; null before the first segment. */
  get currentId(): string | null {
    return this.current?.id ?? null;
  }

  /** The data key for the next segment; a new one once the current is keyRotationDays old. */
  async forNextSegment(): Promise<DataKey> {
    const { now, config, store } = this.context;
    const maxAge = config.keyRotationDays * 86_400_000;
    // Re-read once a minute so that `riik embassy rotate-key` reaches a running shipper.
    if (this.current && now() - this.checkedAt < 60_000 && now() - Date.parse(this.current.createdAt) < maxAge)
      return this.current;
    this.checkedAt = now();
    const row = await store.db
      .selectFrom("shipper_data_key")
      .selectAll()
      .where("master_id", "=", this.master.id)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    if (row && now() - Date.parse(row.created_at) < maxAge) {
      const key = unwrapDataKey([this.master], { id: row.id, master: row.master_id, wrapped: row.wrapped });
      this.current = { id: row.id, masterId: row.master_id, key, wrapped: row.wrapped, createdAt: row.created_at };
      return this.current;
    }
    return this.rotate();
  }

  /** Key rotation: new segments use a new data key; history keeps its own. */
  async rotate(): Promise<DataKey> {
    this.current = await storeNewDataKey(this.context.store, this.master, new Date(this.context.now()));
    this.context.logger.info({ keyId: this.current.id }, "new data key");
    return this.current;
  }
}

async function storeNewDataKey(store: Storage<ShipperDb>, master: MasterKey, now?: Date): Promise<DataKey> {
  const key = generateDataKey(master, now);
  await store.db
    .insertInto("shipper_data_key")
    .values({ id: key.id, master_id: key.masterId, wrapped: key.wrapped, created_at: key.createdAt })
    .execute();
  return key;
}

/** `riik embassy rotate-key`: a new data key for new segments; a running shipper picks it up within a minute. */
export async function rotateShipperKey(config: ShipperConfig): Promise<string> {
  const master = readMasterKeyFile(config.masterKeyFile);
  const store = await openOutbox(config);
  try {
    return (await storeNewDataKey(store, master)).id;
  } finally {
    await store.close();
  }
}
