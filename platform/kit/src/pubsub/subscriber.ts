import { type Change, formatClientId, parseClientId, type RiikFastify, recordChanges } from "@riik/core";
import type { ControlledTransaction, Kysely, Transaction } from "kysely";
import { Type } from "typebox";
import { declareDataSubjects, personalAnswer } from "../data-subjects.ts";
import { errorAnswers, NO_QUERY } from "../error-answer.ts";
import { appendEvents, type OutboxEvent } from "../event-outbox.ts";
import type { MemberStorage, MemberWrite } from "../member-storage.ts";
import type { XRoadRestClient } from "../xroad-rest-client.ts";
import { EVENT_ITEM, type EventItem, eventId, personsAmong, sharesSubject } from "./envelope.ts";
import { PubSubError } from "./errors.ts";
import { callerOf, INBOX_ANSWER, PULL_ANSWER } from "./publisher.ts";
import type { DeliveryResult } from "./push.ts";
import type { PubSubSubscriberDb } from "./schema.ts";

/** Where the inbox is mounted; the subscriber's X-Road service (e.g. `events-inbox`) points its URL here. */
export const PUBSUB_INBOX_PREFIX = "/pubsub-inbox";

/**
 * Applies one event: what it writes through `write` (its rows, `change` for the journal,
 * `emit` for its own outbox) commits together with the record that the event was applied,
 * or not at all. Throwing rejects the event (the publisher retries it, later a dead letter).
 */
export type EventHandler<DB> = (event: EventItem, write: MemberWrite<DB>) => Promise<void>;

export interface SubscriberOptions<DB> {
  /** The member's storage; its migrations include `pubsubSubscriberMigration` (and the journal, the outbox if handlers emit). */
  storage: MemberStorage<DB>;
  /** The publishers (subsystems) whose events the inbox takes; any other caller is refused. */
  publishers: readonly string[];
  /** A handler per event type; an event of a type without one is rejected. */
  handlers: Readonly<Record<string, EventHandler<DB>>>;
}

export interface PullOptions {
  /** Through the member's own security server, as the subscribing subsystem. */
  xroad: XRoadRestClient;
  /** The publisher's events service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  service: string;
  /** The PULL subscription's id at the publisher. */
  subscription: string;
  /** X-Road-UserId and X-Road-Issue of the pulls (the events service is a personal-data service). */
  userId: string;
  issue?: string;
  limit?: number;
  /** How often to pull when the last pull found nothing; default 1000 ms. */
  intervalMs?: number;
  onError?(error: unknown): void;
}

export interface PullLoop {
  /** Pulls and applies until the publisher has nothing more, or an event is rejected; answers the events applied. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export interface Subscriber {
  /** Registers the inbox (POST PUBSUB_INBOX_PREFIX) that publishers push to. */
  mount(app: RiikFastify): void;
  /** Applies events of one publisher in order, each at most once; in the same transaction the pull cursor moves. */
  apply(publisher: string, events: readonly EventItem[], cursor?: string): Promise<DeliveryResult[]>;
  /** The pull loop with a durable cursor, the alternative to push. */
  startPull(options: PullOptions): PullLoop;
}

const INBOX_BODY = Type.Object(
  { events: Type.Array(EVENT_ITEM, { minItems: 1, maxItems: 500 }) },
  {
    additionalProperties: false,
  },
);

/**
 * The subscribing side: every event applied exactly once, by its idempotency key (publisher
 * and sequence number), recorded in `pubsub_applied` in the same transaction as the
 * handler's effect. Events of one batch are applied in order, each in a savepoint of one
 * transaction (one commit per batch); a rejected event defers the later events of its
 * subjects, so the subscriber never applies a subject's events out of order.
 */
export function createSubscriber<DB>(options: SubscriberOptions<DB>): Subscriber {
  const db = options.storage.db as unknown as Kysely<PubSubSubscriberDb>;
  const publishers = new Set(options.publishers.map((p) => formatClientId(parseClientId(p))));

  const apply = async (publisher: string, events: readonly EventItem[], cursor?: string) => {
    const results: DeliveryResult[] = [];
    const failedSubjects = new Set<string>();
    const at = new Date();
    const trx: ControlledTransaction<PubSubSubscriberDb> = await db.startTransaction().execute();
    try {
      let contiguous: number | undefined;
      let gap = false;
      for (const event of events) {
        if (sharesSubject(failedSubjects, event.subjects)) {
          // Deferred, it holds back its other subjects too: nothing overtakes it.
          for (const s of event.subjects) failedSubjects.add(s);
          results.push({ id: event.id, outcome: "DEFERRED" });
          gap = true;
          continue;
        }
        const point = await trx.savepoint("event").execute();
        try {
          const inserted = await point
            .insertInto("pubsub_applied")
            .values({ publisher, seq: event.sequence, type: event.type, applied_at: at.toISOString() })
            .onConflict((oc) => oc.columns(["publisher", "seq"]).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
            await point.releaseSavepoint("event").execute();
            results.push({ id: event.id, outcome: "DUPLICATE" });
          } else {
            const handler = options.handlers[event.type];
            if (!handler) throw new PubSubError("PUBSUB_ARGUMENT", `no handler for events of type ${event.type}`);
            const changes: Change[] = [];
            const emitted: OutboxEvent[] = [];
            const write: MemberWrite<DB> = {
              trx: point as unknown as Transaction<DB>,
              change: (c) => changes.push(c),
              emit: (e) => emitted.push(e),
            };
            await handler(event, write);
            await recordChanges(point, changes, at);
            await appendEvents(point, emitted, at);
            await point.releaseSavepoint("event").execute();
            results.push({ id: event.id, outcome: "APPLIED" });
          }
          if (!gap) contiguous = event.sequence;
        } catch (error) {
          await point.rollbackToSavepoint("event").execute();
          const e = error as { code?: unknown; message?: unknown };
          results.push({
            id: event.id,
            outcome: "REJECTED",
            error: {
              code: typeof e?.code === "string" ? e.code.slice(0, 100) : "HANDLER_FAILED",
              message: String(e?.message ?? error).slice(0, 300),
            },
          });
          for (const s of event.subjects) failedSubjects.add(s);
          gap = true;
        }
      }
      if (cursor !== undefined && contiguous !== undefined)
        await trx
          .insertInto("pubsub_cursor")
          .values({ publisher, subscription: cursor, seq: contiguous, updated_at: at.toISOString() })
          .onConflict((oc) =>
            oc.columns(["publisher", "subscription"]).doUpdateSet({ seq: contiguous, updated_at: at.toISOString() }),
          )
          .execute();
      await trx.commit().execute();
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    }
    return results;
  };

  const mount = (app: RiikFastify) => {
    app.register(
      async (scope) => {
        (scope as RiikFastify).post(
          "/",
          {
            schema: {
              operationId: "receiveEvents",
              querystring: NO_QUERY,
              body: INBOX_BODY,
              response: {
                200: personalAnswer(INBOX_ANSWER, "One outcome per event, in the order sent"),
                ...errorAnswers({ 400: "REQUEST_INVALID, PUBSUB_CLIENT_MISSING", 403: "PUBSUB_PUBLISHER_UNKNOWN" }),
              },
            },
          },
          async (request, reply) => {
            const caller = callerOf(request);
            if (!publishers.has(caller))
              throw new PubSubError(
                "PUBSUB_PUBLISHER_UNKNOWN",
                `${caller} is not a publisher this inbox takes events from`,
              );
            const { events } = request.body;
            const foreign = events.find((e) => e.publisher !== caller || e.id !== eventId(caller, e.sequence));
            if (foreign)
              throw new PubSubError("PUBSUB_PUBLISHER_UNKNOWN", `event ${foreign.id} is not ${caller}'s to deliver`);
            const results = await apply(caller, events);
            // The persons whose events this subscriber received: its security server records one use each.
            declareDataSubjects(
              reply,
              events.flatMap((e) => personsAmong(e.subjects)),
            );
            return { results };
          },
        );
      },
      { prefix: PUBSUB_INBOX_PREFIX },
    );
  };

  const startPull = (pull: PullOptions): PullLoop => {
    const service = pull.service;
    const publisher = (() => {
      const [instance, memberClass, memberCode, subsystemCode] = service.split("/");
      return formatClientId(parseClientId([instance, memberClass, memberCode, subsystemCode].join("/")));
    })();
    let running: Promise<number> = Promise.resolve(0);
    let stopped = false;
    const round = async (): Promise<number> => {
      let applied = 0;
      while (!stopped) {
        const row = await db
          .selectFrom("pubsub_cursor")
          .select("seq")
          .where("publisher", "=", publisher)
          .where("subscription", "=", pull.subscription)
          .executeTakeFirst();
        const after = Number(row?.seq ?? 0);
        const answer = await pull.xroad.call({
          service,
          path: `/subs/${encodeURIComponent(pull.subscription)}/events?after=${after}&limit=${pull.limit ?? 100}`,
          answer: PULL_ANSWER,
          userId: pull.userId,
          issue: pull.issue ?? "event delivery (pull)",
        });
        const { events } = answer.body;
        if (events.length === 0) return applied;
        if (events.some((e) => e.publisher !== publisher || e.sequence <= after))
          throw new PubSubError(
            "PUBSUB_PUBLISHER_UNKNOWN",
            `${publisher} answered events that are not its own, or old`,
          );
        const results = await apply(publisher, events, pull.subscription);
        applied += results.filter((r) => r.outcome === "APPLIED").length;
        const refused = results.find((r) => r.outcome === "REJECTED");
        if (refused) {
          pull.onError?.(new PubSubError("PUBSUB_ARGUMENT", `event ${refused.id} rejected: ${refused.error?.message}`));
          return applied;
        }
      }
      return applied;
    };
    const drain = () => {
      running = running.then(round, round);
      return running;
    };
    const timer = setInterval(() => void drain().catch((error) => pull.onError?.(error)), pull.intervalMs ?? 1000);
    timer.unref();
    return {
      drain,
      async stop() {
        stopped = true;
        clearInterval(timer);
        await running.catch(() => undefined);
      },
    };
  };

  return { mount, apply, startPull };
}
