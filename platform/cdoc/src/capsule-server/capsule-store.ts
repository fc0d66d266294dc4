// The capsule server's tables: the capsules (as the reference's cdoc2_capsule: transaction id,
// type, recipient, payload, expiry time and whether it was shortened) and, per client address,
// the POST count of the current window (core's ClientBounds), so the bound on senders holds
// across restarts.
import { randomBytes } from "node:crypto";
import {
  ClientBounds,
  type ClientBoundTable,
  type ComponentMigration,
  clientBoundMigration,
  columnTypes,
  openStorage,
  type Storage,
} from "@riik/core";
import type { Kysely } from "kysely";
import { CdocError } from "../errors.ts";
import type { Capsule, CapsuleType } from "./capsule.ts";

export const CAPSULE_COMPONENT = "cdoc_capsules";

interface CapsuleTable {
  transaction_id: string;
  capsule_type: CapsuleType;
  recipient_id: Buffer;
  ephemeral_key_material: Buffer;
  /** Epoch milliseconds. */
  expiry_time: number;
  /** 1 when the requested expiry was shortened to the maximum (x-expiry-time-adjusted). */
  expiry_adjusted: number;
  created_at: number;
}
export interface CapsuleDb {
  capsule: CapsuleTable;
  client_bound: ClientBoundTable;
}

/** The bound's name in `client_bound`. */
const CAPSULE_BOUND = "capsule";

export const capsuleMigrations: Record<string, ComponentMigration> = {
  "001_capsules": {
    async up(db: Kysely<any>, dialect) {
      const { binary } = columnTypes(dialect);
      await db.schema
        .createTable("capsule")
        .addColumn("transaction_id", "varchar(34)", (c) => c.primaryKey())
        .addColumn("capsule_type", "varchar(20)", (c) => c.notNull())
        .addColumn("recipient_id", binary, (c) => c.notNull())
        .addColumn("ephemeral_key_material", binary, (c) => c.notNull())
        .addColumn("expiry_time", "bigint", (c) => c.notNull())
        .addColumn("expiry_adjusted", "integer", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("capsule_expiry").on("capsule").column("expiry_time").execute();
      await db.schema
        .createTable("capsule_rate")
        .addColumn("client", "varchar(64)", (c) => c.primaryKey())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .addColumn("requests", "integer", (c) => c.notNull())
        .execute();
    },
  },
  // capsule_rate (one window per address) becomes core's client_bound; open windows carry over.
  "002_client_bound": {
    async up(db: Kysely<any>, dialect) {
      await clientBoundMigration().up(db, dialect);
      await db
        .insertInto("client_bound")
        .columns(["bound", "client", "window_start", "requests"])
        .expression(
          db
            .selectFrom("capsule_rate")
            .select((eb) => [eb.val(CAPSULE_BOUND).as("bound"), "client", "window_start", "requests"]),
        )
        .execute();
      await db.schema.dropTable("capsule_rate").execute();
    },
  },
};

export interface StoredCapsule extends Capsule {
  transactionId: string;
  expiryTime: Date;
  expiryAdjusted: boolean;
}

export interface RateLimit {
  /** Capsules one address may store per window. */
  max: number;
  windowMs: number;
}

/** The reference's id: "KC" and 16 random bytes in hex (KeyCapsuleDb.generateTransactionId). */
export function newTransactionId(): string {
  return `KC${randomBytes(16).toString("hex")}`;
}

export class CapsuleStore {
  private readonly bounds: ClientBounds;

  private constructor(readonly storage: Storage<CapsuleDb>) {
    this.bounds = new ClientBounds(storage.db);
  }

  static async open(options: { dataDir: string; url?: string | undefined; schema?: string }): Promise<CapsuleStore> {
    const storage = await openStorage<CapsuleDb>({
      component: CAPSULE_COMPONENT,
      dataDir: options.dataDir,
      url: options.url,
      ...(options.schema ? { schema: options.schema } : {}),
      migrations: capsuleMigrations,
    });
    return new CapsuleStore(storage);
  }

  async store(capsule: Capsule, expiry: { time: Date; adjusted: boolean }, now: Date): Promise<StoredCapsule> {
    const transactionId = newTransactionId();
    await this.storage.db
      .insertInto("capsule")
      .values({
        transaction_id: transactionId,
        capsule_type: capsule.type,
        recipient_id: capsule.recipientId,
        ephemeral_key_material: capsule.ephemeralKeyMaterial,
        expiry_time: expiry.time.getTime(),
        expiry_adjusted: expiry.adjusted ? 1 : 0,
        created_at: now.getTime(),
      })
      .execute();
    return { ...capsule, transactionId, expiryTime: expiry.time, expiryAdjusted: expiry.adjusted };
  }

  /** The capsule if it has not expired at `now`; an expired one is as gone as a deleted one. */
  async find(transactionId: string, now: Date): Promise<StoredCapsule | undefined> {
    const row = await this.storage.db
      .selectFrom("capsule")
      .selectAll()
      .where("transaction_id", "=", transactionId)
      .where("expiry_time", ">", now.getTime())
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      transactionId: row.transaction_id,
      type: row.capsule_type,
      recipientId: Buffer.from(row.recipient_id),
      ephemeralKeyMaterial: Buffer.from(row.ephemeral_key_material),
      expiryTime: new Date(Number(row.expiry_time)),
      expiryAdjusted: row.expiry_adjusted === 1,
    };
  }

  /**
   * Counts one POST of `client` in its fixed window (core's ClientBounds: atomic, refused
   * requests count too, so a flood does not reopen early); over the bound CAPSULE_RATE_LIMITED
   * with the seconds until the window ends.
   */
  async countRequest(client: string, limit: RateLimit, now: Date): Promise<void> {
    const admission = await this.bounds.admit({ name: CAPSULE_BOUND, ...limit }, client, now);
    if (!admission.admitted) {
      const { retryAfterSeconds: retryAfter } = admission;
      throw new CdocError(
        "CAPSULE_RATE_LIMITED",
        `more than ${limit.max} capsules from this address in ${limit.windowMs / 1000} s; retry in ${retryAfter} s`,
        { details: { retryAfter } },
      );
    }
  }

  /** Deletes expired capsules and windows that ended; returns how many capsules went. */
  async purge(now: Date, windowMs: number): Promise<number> {
    const deleted = await this.storage.db
      .deleteFrom("capsule")
      .where("expiry_time", "<=", now.getTime())
      .executeTakeFirst();
    await this.bounds.purge({ name: CAPSULE_BOUND, windowMs }, now);
    return Number(deleted.numDeletedRows);
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}
