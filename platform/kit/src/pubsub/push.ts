import type { Kysely } from "kysely";
import type { EventOutboxDb } from "../event-outbox.ts";
import { type EventItem, eventId, sharesSubject } from "./envelope.ts";
import type { PubSubPublisherDb, PubSubSubscriptionTable } from "./schema.ts";

/** What the subscriber did with one pushed event (its inbox answers one per event, in order). */
export type DeliveryOutcome = "APPLIED" | "DUPLICATE" | "REJECTED" | "DEFERRED";

export interface DeliveryResult {
  id: string;
  outcome: DeliveryOutcome;
  error?: { code: string; message: string };
}

/** Where a push subscription's events go. */
export interface PushTarget {
  id: string;
  subscriber: string;
  service: string;
  path: string;
}

/** Sends one batch, in sequence order; throws when the call as a whole failed (nothing is known of any event). */
export type PushSend = (target: PushTarget, events: readonly EventItem[]) => Promise<readonly DeliveryResult[]>;

export interface PushOptions {
  db: Kysely<any>;
  publisher: string;
  send: PushSend;
  subjectsOf(type: string, data: unknown): string[];
  /** Rejections of one event before it is a dead letter. */
  maxAttempts: number;
  /** The wait after the n-th failure (n ≥ 1), in ms. */
  backoffMs(failures: number): number;
  batchSize: number;
  intervalMs: number;
  now(): number;
  onError?(error: unknown, subscription?: string): void;
}

export interface PushDispatcher {
  /** Pushes until nothing is due; answers how many events were settled (delivered, parked or dead). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

type Db = Kysely<PubSubPublisherDb & EventOutboxDb>;
const HELD = "held behind an earlier undelivered event of the same subject";

/** Exponential backoff with a ceiling: base, 2·base, 4·base, … max. */
export const exponentialBackoff =
  (baseMs: number, maxMs: number) =>
  (failures: number): number =>
    Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));

/**
 * Push delivery (GovStack IM PubSub 9.2.4, push mode), per subscription: the outbox after the
 * subscription's cursor goes out in sequence order, in batches. A failed call (subscriber
 * down, X-Road refusal) moves nothing: the whole subscription backs off and the same events
 * go again, so an outage never loses or reorders events. An event the subscriber rejects is
 * parked and retried with backoff, and dead after `maxAttempts`; while it is parked (dead
 * too, until an operator re-drives or discards it) every later event naming one of its
 * subjects is parked behind it, and events of other subjects flow on. State lives in the
 * publisher's database, so a restart (kill -9 included) resumes; at worst a batch whose
 * answer was lost goes again and the subscriber answers DUPLICATE.
 */
export function startPushDispatcher(options: PushOptions): PushDispatcher {
  const db = options.db as Db;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;

  const loadEvents = async (where: (q: any) => any, limit: number): Promise<EventItem[]> => {
    const rows = await where(db.selectFrom("event_outbox").select(["seq", "at", "type", "data"]))
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map((row: { seq: number; at: string; type: string; data: string }) => {
      const data = JSON.parse(row.data);
      const sequence = Number(row.seq);
      return {
        id: eventId(options.publisher, sequence),
        sequence,
        publisher: options.publisher,
        type: row.type,
        at: row.at,
        subjects: options.subjectsOf(row.type, data),
        data,
      };
    });
  };

  /** One batch of one subscription; answers the events settled, 0 when nothing was due, -1 on a failed call. */
  const pushOnce = async (sub: PubSubSubscriptionTable): Promise<number> => {
    const now = options.now();
    const parked = await db
      .selectFrom("pubsub_parked")
      .selectAll()
      .where("subscription_id", "=", sub.id)
      .orderBy("seq")
      .execute();
    // Subjects of parked events not due now: everything behind them waits.
    const held = new Set<string>();
    const due: typeof parked = [];
    for (const row of parked) {
      const subjects = JSON.parse(row.subjects) as string[];
      if (row.dead_at !== null || Number(row.next_attempt_ms) > now || sharesSubject(held, subjects)) {
        for (const s of subjects) held.add(s);
      } else if (due.length < options.batchSize) due.push(row);
      else for (const s of subjects) held.add(s);
    }
    const resend =
      due.length === 0
        ? []
        : await loadEvents(
            (q) =>
              q.where(
                "seq",
                "in",
                due.map((r) => Number(r.seq)),
              ),
            due.length,
          );
    const types = JSON.parse(sub.event_types) as string[];
    const room = options.batchSize - resend.length;
    const fresh =
      room <= 0 ? [] : await loadEvents((q) => q.where("seq", ">", sub.cursor).where("type", "in", types), room);
    const toSend: EventItem[] = [...resend];
    const heldBack: EventItem[] = [];
    for (const event of fresh) {
      if (sharesSubject(held, event.subjects)) {
        heldBack.push(event);
        for (const s of event.subjects) held.add(s);
      } else toSend.push(event);
    }
    if (toSend.length === 0 && heldBack.length === 0) return 0;

    let results = new Map<string, DeliveryResult>();
    if (toSend.length > 0) {
      try {
        const answered = await options.send(
          { id: sub.id, subscriber: sub.subscriber, service: sub.push_service ?? "", path: sub.push_path ?? "/" },
          toSend,
        );
        results = new Map(answered.map((r) => [r.id, r]));
        const missing = toSend.find((e) => !results.has(e.id));
        if (missing) throw new Error(`the subscriber's answer has no outcome for event ${missing.id}`);
      } catch (error) {
        options.onError?.(error, sub.id);
        const failures = sub.failures + 1;
        await db
          .updateTable("pubsub_subscription")
          .set({
            failures,
            retry_at_ms: now + options.backoffMs(failures),
            last_error: String((error as Error)?.message ?? error).slice(0, 500),
            updated_at: new Date(now).toISOString(),
          })
          .where("id", "=", sub.id)
          .execute();
        return -1;
      }
    }

    const at = new Date(now).toISOString();
    await db.transaction().execute(async (trx) => {
      // A replay that moved the cursor meanwhile wins: the fresh events are examined again after it.
      const current = await trx
        .selectFrom("pubsub_subscription")
        .select("cursor")
        .where("id", "=", sub.id)
        .executeTakeFirst();
      const replayed = Number(current?.cursor) !== Number(sub.cursor);
      const park = (event: EventItem, attempts: number, error: string | null) =>
        trx
          .insertInto("pubsub_parked")
          .values({
            subscription_id: sub.id,
            seq: event.sequence,
            subjects: JSON.stringify(event.subjects),
            attempts,
            next_attempt_ms: attempts === 0 ? now : now + options.backoffMs(attempts),
            dead_at: attempts >= options.maxAttempts ? at : null,
            last_error: error,
            parked_at: at,
          })
          .execute();
      const describe = (r: DeliveryResult) => (r.error ? `${r.error.code}: ${r.error.message}`.slice(0, 500) : null);
      const parkedBySeq = new Map(due.map((r) => [Number(r.seq), r]));
      for (const event of toSend) {
        const result = results.get(event.id)!;
        const row = parkedBySeq.get(event.sequence);
        if (row) {
          const where = (q: any) => q.where("subscription_id", "=", sub.id).where("seq", "=", event.sequence);
          if (result.outcome === "APPLIED" || result.outcome === "DUPLICATE")
            await where(trx.deleteFrom("pubsub_parked")).execute();
          else if (result.outcome === "REJECTED") {
            const attempts = row.attempts + 1;
            await where(
              trx.updateTable("pubsub_parked").set({
                attempts,
                next_attempt_ms: now + options.backoffMs(attempts),
                dead_at: attempts >= options.maxAttempts ? at : null,
                last_error: describe(result),
              }),
            ).execute();
          }
        } else if (!replayed && result.outcome === "REJECTED") await park(event, 1, describe(result));
        else if (!replayed && result.outcome === "DEFERRED") await park(event, 0, HELD);
      }
      if (!replayed) for (const event of heldBack) await park(event, 0, HELD);
      const examined = fresh.at(-1)?.sequence;
      await trx
        .updateTable("pubsub_subscription")
        .set({
          failures: 0,
          retry_at_ms: 0,
          last_error: null,
          updated_at: at,
          ...(examined !== undefined && !replayed ? { cursor: examined } : {}),
        })
        .where("id", "=", sub.id)
        .execute();
    });
    return toSend.length + heldBack.length;
  };

  const round = async (): Promise<number> => {
    if (stopped) return 0;
    const subs = await db
      .selectFrom("pubsub_subscription")
      .selectAll()
      .where("status", "=", "ACTIVE")
      .where("delivery", "=", "PUSH")
      .where("retry_at_ms", "<=", options.now())
      .execute();
    const settled = await Promise.all(
      subs.map(async (first) => {
        let total = 0;
        let sub: PubSubSubscriptionTable | undefined = first;
        while (sub && !stopped) {
          const n = await pushOnce(sub).catch((error) => {
            options.onError?.(error, first.id);
            return -1;
          });
          if (n <= 0) break;
          total += n;
          sub = await db
            .selectFrom("pubsub_subscription")
            .selectAll()
            .where("id", "=", first.id)
            .where("status", "=", "ACTIVE")
            .executeTakeFirst();
        }
        return total;
      }),
    );
    return settled.reduce((a, b) => a + b, 0);
  };
  const drain = (): Promise<number> => {
    running = running.then(round, round);
    return running;
  };
  const timer = setInterval(() => void drain().catch((error) => options.onError?.(error)), options.intervalMs);
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
