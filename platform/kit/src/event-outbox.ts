import { type ComponentMigration, columnTypes, RiikError } from "@riik/core";
import { type Generated, type Kysely, PostgresAdapter, sql, type Transaction } from "kysely";

/**
 * The event outbox (transactional outbox): a life event (a birth, a change of address) is
 * written to this table in the same transaction as the change it reports, so an event is
 * published if and only if its change committed. A dispatcher then delivers the rows in
 * sequence order, at least once: a row is marked delivered only after its delivery
 * succeeded, so a crash between the two delivers it again after a restart. Receivers
 * deduplicate by `seq`.
 */
export interface EventOutboxTable {
  seq: Generated<number>;
  /** ISO-8601 UTC time of the change the event reports. */
  at: string;
  /** What happened, e.g. "address.changed". */
  type: string;
  /** The event's content as JSON text. */
  data: string;
  /** When the dispatcher delivered it; null until then. */
  delivered_at: string | null;
}

export interface EventOutboxDb {
  event_outbox: EventOutboxTable;
}

export interface OutboxEvent {
  type: string;
  data: unknown;
}

/** An event as the dispatcher hands it over. */
export interface DeliveredEvent {
  seq: number;
  at: string;
  type: string;
  data: unknown;
}

export class EventOutboxError extends RiikError<"OUTBOX_OUTSIDE_TRANSACTION" | "OUTBOX_ARGUMENT"> {}

/** Add to a member's migrations to give it an outbox. */
export const eventOutboxMigration: ComponentMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable("event_outbox")
      .addColumn("seq", columnTypes(dialect).serialId, (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("delivered_at", "text")
      .execute();
    // The dispatcher's question, "the oldest undelivered", stays an index range scan.
    await db.schema.createIndex("event_outbox_pending").on("event_outbox").columns(["delivered_at", "seq"]).execute();
  },
};

/** Appends events inside the caller's transaction (a Kysely outside one is refused, as for the journal). */
export async function appendEvents(
  trx: Transaction<any>,
  events: readonly OutboxEvent[],
  at: Date = new Date(),
): Promise<void> {
  if (!trx.isTransaction)
    throw new EventOutboxError("OUTBOX_OUTSIDE_TRANSACTION", "events must be written in the change's own transaction");
  if (events.length === 0) return;
  // Readers follow the outbox by `seq` (pubsub/ cursors), so a row must never become visible
  // after a later one. SQLite has one writer at a time; on PostgreSQL two transactions could
  // commit their serial numbers out of order, so the writers of events take a per-schema lock
  // held to their commit: seq order is then commit order. Events are appended at the end of
  // a write (MemberStorage.write), so the lock is held for little more than the commit.
  if (trx.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.event_outbox'))`.execute(trx);
  const rows = events.map((event) => {
    if (!/^[a-z][a-z0-9_.-]{0,99}$/.test(event.type))
      throw new EventOutboxError(
        "OUTBOX_ARGUMENT",
        `event type ${JSON.stringify(event.type).slice(0, 40)} is not a dotted name`,
      );
    return { at: at.toISOString(), type: event.type, data: JSON.stringify(event.data ?? null), delivered_at: null };
  });
  for (let i = 0; i < rows.length; i += 500)
    await (trx as Transaction<EventOutboxDb>)
      .insertInto("event_outbox")
      .values(rows.slice(i, i + 500))
      .execute();
}

export interface OutboxDispatcherOptions {
  db: Kysely<any>;
  /** Delivers one event; resolving marks it delivered, throwing leaves it (and every later one) for the next round. */
  deliver(event: DeliveredEvent): Promise<void>;
  /** How often undelivered events are looked for; default 1000 ms. */
  intervalMs?: number;
  /** Called when a delivery fails (the event is retried next round) or the outbox cannot be read (no event). */
  onError?(error: unknown, event?: DeliveredEvent): void;
}

export interface OutboxDispatcher {
  /** Delivers everything undelivered now, in order; answers how many were delivered (stops at a failure). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Delivers the outbox in sequence order, one event at a time: a failed delivery stops the
 * round so nothing overtakes it. One dispatcher per outbox: rounds never overlap within it.
 */
export function startOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const db = options.db as Kysely<EventOutboxDb>;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;

  const round = async (): Promise<number> => {
    let delivered = 0;
    while (!stopped) {
      const pending = await db
        .selectFrom("event_outbox")
        .select(["seq", "at", "type", "data"])
        .where("delivered_at", "is", null)
        .orderBy("seq")
        .limit(100)
        .execute();
      if (pending.length === 0) return delivered;
      for (const row of pending) {
        const event: DeliveredEvent = { seq: Number(row.seq), at: row.at, type: row.type, data: JSON.parse(row.data) };
        try {
          await options.deliver(event);
        } catch (error) {
          options.onError?.(error, event);
          return delivered;
        }
        await db
          .updateTable("event_outbox")
          .set({ delivered_at: new Date().toISOString() })
          .where("seq", "=", event.seq)
          .execute();
        delivered += 1;
        if (stopped) return delivered;
      }
    }
    return delivered;
  };
  const drain = (): Promise<number> => {
    running = running.then(round, round);
    return running;
  };
  const timer = setInterval(() => void drain().catch((error) => options.onError?.(error)), options.intervalMs ?? 1000);
  timer.unref();
  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
