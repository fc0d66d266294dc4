import { randomUUID, timingSafeEqual } from "node:crypto";
import { formatClientId, parseClientId, parseServiceId, type RiikFastify, sha256 } from "@riik/core";
import type { FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { Type } from "typebox";
import { declareDataSubjects, personalAnswer } from "../data-subjects.ts";
import { errorAnswers } from "../error-answer.ts";
import type { EventOutboxDb } from "../event-outbox.ts";
import { createMemberService } from "../member-service.ts";
import type { MemberStorage } from "../member-storage.ts";
import type { XRoadRestClient } from "../xroad-rest-client.ts";
import { defaultSubjects, EVENT_ITEM, type EventItem, eventId, personsAmong } from "./envelope.ts";
import { PUBSUB_ERRORS, PubSubError } from "./errors.ts";
import { type DeliveryResult, exponentialBackoff, type PushDispatcher, startPushDispatcher } from "./push.ts";
import type { PubSubPublisherDb, PubSubSubscriptionTable } from "./schema.ts";

/** Where the publisher's routes are mounted; the X-Road service (`events`) points its URL here. */
export const PUBSUB_PREFIX = "/pubsub";
/** The operator's routes (bearer token), never registered as an X-Road service. */
export const PUBSUB_OPERATOR_PREFIX = "/pubsub-operator";

export interface PublisherOptions {
  /** The member's storage; its migrations include `eventOutboxMigration` and `pubsubPublisherMigration`. */
  storage: MemberStorage<any>;
  /** The publishing subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM: `publisher` of every event, X-Road-Client of pushes. */
  publisher: string;
  /** The event types offered, each with what it means (GovStack: the room's event types). */
  eventTypes: Readonly<Record<string, string>>;
  /** Pushes go through the member's own security server as `publisher`; without it only pull is served. */
  xroad?: XRoadRestClient;
  /**
   * X-Road-UserId of pushes: an inbox is a personal-data service, which needs a user; an
   * automated delivery names the person accountable for it (an official of the publisher).
   */
  userId?: string;
  /** The subjects of an event (ordering and Data Tracker); default its data's `subjects`. */
  subjectsOf?(type: string, data: unknown): string[];
  /** Rejections of an event before it becomes a dead letter; default 8. */
  maxAttempts?: number;
  /** Backoff after failures, doubling from baseMs up to maxMs; default 1 s to 5 min. */
  backoff?: { baseMs: number; maxMs: number };
  /** Events per push call and per pull page at most; default 100. */
  batchSize?: number;
  /** How often due pushes are looked for; default 1000 ms. */
  intervalMs?: number;
  /** The bearer token of the operator routes; without one they refuse every request (fail closed). */
  operatorToken?: string;
  onError?(error: unknown, subscription?: string): void;
  /** The clock (epoch ms); tests move it. */
  now?(): number;
}

export interface Publisher {
  /**
   * Registers the subscriber routes under PUBSUB_PREFIX and the operator routes under
   * PUBSUB_OPERATOR_PREFIX (or where `at` says; `operator: null` leaves them out).
   */
  mount(app: RiikFastify, at?: { events: string; operator: string | null }): void;
  /** Starts pushing on the interval (needs `xroad`). */
  start(): void;
  /** Pushes everything due now; answers how many events were settled. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const CLIENT_ID = Type.String({ pattern: "^[^/]+/[^/]+/[^/]+/[^/]+$", maxLength: 1100 });
const SERVICE_ID = Type.String({ pattern: "^[^/]+/[^/]+/[^/]+/[^/]+/[^/]+$", maxLength: 1400 });
const EVENT_TYPE = Type.String({ pattern: "^[a-z][a-z0-9_.-]{0,99}$" });
const SEQUENCE = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const PUSH_TARGET = Type.Object(
  {
    /** The subscriber's own service that receives the events (GovStack: dstServiceCode). */
    service: SERVICE_ID,
    /** Its path (GovStack: dstOperationId); default "/". */
    path: Type.Optional(Type.String({ pattern: "^/[A-Za-z0-9._~/-]{0,200}$" })),
  },
  { additionalProperties: false },
);
const DELIVERY = Type.Union([Type.Literal("PUSH"), Type.Literal("PULL")]);

export const SUBSCRIPTION_ITEM = Type.Object(
  {
    id: Type.String(),
    subscriber: CLIENT_ID,
    eventTypes: Type.Array(EVENT_TYPE),
    delivery: DELIVERY,
    push: Type.Optional(Type.Object({ service: SERVICE_ID, path: Type.String() })),
    status: Type.Union([Type.Literal("ACTIVE"), Type.Literal("CANCELLED")]),
    /** PUSH: every event up to it was delivered or parked; PULL: the last acknowledged cursor. */
    cursor: SEQUENCE,
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
const NEW_SUBSCRIPTION = Type.Object(
  {
    eventTypes: Type.Array(EVENT_TYPE, { minItems: 1, maxItems: 100, uniqueItems: true }),
    delivery: DELIVERY,
    push: Type.Optional(PUSH_TARGET),
    /** Start after this sequence number (replay of what is kept); default: the newest event, so only new ones. */
    after: Type.Optional(SEQUENCE),
  },
  { additionalProperties: false },
);
const SUBSCRIPTION_CHANGE = Type.Object(
  {
    eventTypes: Type.Optional(NEW_SUBSCRIPTION.properties.eventTypes),
    push: Type.Optional(PUSH_TARGET),
  },
  { additionalProperties: false, minProperties: 1 },
);
const SUBSCRIPTION_PARAMS = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });
const PULL_QUERY = Type.Object(
  { after: SEQUENCE, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);
export const PULL_ANSWER = Type.Object(
  {
    events: Type.Array(EVENT_ITEM),
    /** The cursor to pull after next time: the last event's sequence number, or `after` when there was none. */
    next: SEQUENCE,
  },
  { additionalProperties: false },
);
const REPLAY = Type.Object({ after: SEQUENCE }, { additionalProperties: false });
const NO_QUERY = Type.Object({}, { additionalProperties: false });
const SUBSCRIPTION_STATUS = Type.Object(
  {
    ...SUBSCRIPTION_ITEM.properties,
    failures: Type.Integer(),
    retryAt: Type.Union([Type.String(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    parked: Type.Integer(),
    deadLetters: Type.Integer(),
    /** Events after the cursor not yet examined (of any type): how far behind the subscription is. */
    behind: Type.Integer(),
  },
  { additionalProperties: false },
);
const DEAD_LETTER = Type.Object(
  {
    subscription: Type.String(),
    subscriber: CLIENT_ID,
    sequence: SEQUENCE,
    type: Type.String(),
    subjects: Type.Array(Type.String()),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    deadAt: Type.String(),
  },
  { additionalProperties: false },
);
const DEAD_LETTER_PARAMS = Type.Object({ id: Type.String({ format: "uuid" }), sequence: SEQUENCE });

type Db = Kysely<PubSubPublisherDb & EventOutboxDb>;

/** The caller as its security server authenticated it (X-Road-Client, PR-REST 4.3); a subsystem. */
export function callerOf(request: FastifyRequest): string {
  const header = request.headers["x-road-client"];
  const text = Array.isArray(header) ? header.at(-1) : header;
  if (!text)
    throw new PubSubError(
      "PUBSUB_CLIENT_MISSING",
      "the request names no X-Road-Client: call through a security server",
    );
  let id: ReturnType<typeof parseClientId>;
  try {
    id = parseClientId(text);
  } catch (cause) {
    throw new PubSubError("PUBSUB_CLIENT_MISSING", "X-Road-Client is not an X-Road client id", { cause });
  }
  if (id.subsystemCode === undefined)
    throw new PubSubError("PUBSUB_CLIENT_MISSING", "subscriptions belong to subsystems: X-Road-Client names a member");
  return formatClientId(id);
}

const itemOf = (row: PubSubSubscriptionTable) => ({
  id: row.id,
  subscriber: row.subscriber,
  eventTypes: JSON.parse(row.event_types) as string[],
  delivery: row.delivery,
  ...(row.push_service ? { push: { service: row.push_service, path: row.push_path ?? "/" } } : {}),
  status: row.status,
  cursor: Number(row.cursor),
  createdAt: row.created_at,
});

/**
 * The publishing side of riik's publish/subscribe (README "Publish/subscribe"), shaped like
 * GovStack's Information Mediator PubSub API: event types, subscriptions per subscriber
 * subsystem (the X-Road client of the call), pull with a cursor, push with retries, dead
 * letters and replay. The publisher is its own room: events come from its outbox, written
 * in the same transaction as the change they report.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  // Read when used: a publisher made only to describe its routes (eventsOpenApi) has no storage.
  const db = (): Db => options.storage.db as Db;
  const publisher = formatClientId(parseClientId(options.publisher));
  const types = new Map(Object.entries(options.eventTypes));
  for (const type of types.keys())
    if (!/^[a-z][a-z0-9_.-]{0,99}$/.test(type))
      throw new PubSubError("PUBSUB_ARGUMENT", `event type ${JSON.stringify(type)} is not a dotted name`);
  if (options.xroad && !options.userId)
    throw new PubSubError("PUBSUB_ARGUMENT", "pushes need a userId: the X-Road-UserId of the deliveries");
  const subjectsOf = options.subjectsOf ?? ((_type: string, data: unknown) => defaultSubjects(data));
  const batchSize = options.batchSize ?? 100;
  const now = options.now ?? Date.now;
  const tokenHash = options.operatorToken ? sha256(options.operatorToken) : undefined;

  const eventOf = (row: { seq: number; at: string; type: string; data: string }): EventItem => {
    const data = JSON.parse(row.data);
    const sequence = Number(row.seq);
    return {
      id: eventId(publisher, sequence),
      sequence,
      publisher,
      type: row.type,
      at: row.at,
      subjects: subjectsOf(row.type, data),
      data,
    };
  };
  const newest = async (): Promise<number> => {
    const row = await db()
      .selectFrom("event_outbox")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  };
  const checkTypes = (eventTypes: readonly string[]) => {
    const unknown = eventTypes.filter((t) => !types.has(t));
    if (unknown.length > 0)
      throw new PubSubError("PUBSUB_EVENT_TYPE_UNKNOWN", `${publisher} does not publish ${unknown.join(", ")}`, {
        details: { offered: [...types.keys()] },
      });
  };
  /** A push target must be the subscriber's own service: events go nowhere else. */
  const checkPush = (subscriber: string, push: { service: string } | undefined) => {
    if (!push) return;
    const service = parseServiceId(push.service);
    const owner = formatClientId({
      instance: service.instance,
      memberClass: service.memberClass,
      memberCode: service.memberCode,
      subsystemCode: service.subsystemCode,
    });
    if (owner !== subscriber)
      throw new PubSubError("PUBSUB_DELIVERY_INVALID", `a push target must be a service of ${subscriber} itself`);
  };
  const own = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<PubSubSubscriptionTable> => {
    const row = await db()
      .selectFrom("pubsub_subscription")
      .selectAll()
      .where("id", "=", request.params.id)
      .where("subscriber", "=", callerOf(request))
      .executeTakeFirst();
    if (!row) throw new PubSubError("PUBSUB_SUBSCRIPTION_NOT_FOUND", `no subscription ${request.params.id} of yours`);
    return row;
  };
  const checkCursor = async (after: number) => {
    const last = await newest();
    if (after > last)
      throw new PubSubError("PUBSUB_CURSOR_INVALID", `cursor ${after} is beyond the newest event ${last}`, {
        details: { newest: last },
      });
  };
  /** Replay: the cursor moves back, parked events after it are examined again (dead letters among them re-driven). */
  const replay = async (id: string, after: number) => {
    await checkCursor(after);
    await db()
      .transaction()
      .execute(async (trx) => {
        await trx.deleteFrom("pubsub_parked").where("subscription_id", "=", id).where("seq", ">", after).execute();
        await trx
          .updateTable("pubsub_subscription")
          .set({
            cursor: after,
            failures: 0,
            retry_at_ms: 0,
            last_error: null,
            updated_at: new Date(now()).toISOString(),
          })
          .where("id", "=", id)
          .execute();
      });
  };

  const send = async (
    target: { service: string; path: string },
    events: readonly EventItem[],
  ): Promise<readonly DeliveryResult[]> => {
    const answer = await options.xroad!.call({
      service: target.service,
      path: target.path,
      method: "POST",
      body: { events },
      answer: INBOX_ANSWER,
      userId: options.userId!,
      issue: `event delivery: ${[...new Set(events.map((e) => e.type))].join(", ")}`.slice(0, 200),
    });
    return answer.body.results;
  };
  let push: PushDispatcher | undefined;
  const pushDispatcher = () => {
    push ??= startPushDispatcher({
      db: db(),
      publisher,
      send,
      subjectsOf,
      maxAttempts: options.maxAttempts ?? 8,
      backoffMs: exponentialBackoff(options.backoff?.baseMs ?? 1000, options.backoff?.maxMs ?? 300_000),
      batchSize,
      intervalMs: options.intervalMs ?? 1000,
      now,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    return push;
  };

  const subscriberRoutes = async (app: RiikFastify) => {
    // Every answer of the `events` service (a personal-data service) says whose data it carries: nobody's here.
    const nobody = errorAnswers({
      400: "REQUEST_INVALID, PUBSUB_CLIENT_MISSING",
      404: "PUBSUB_SUBSCRIPTION_NOT_FOUND",
    });
    app.get(
      "/event-types",
      {
        schema: {
          operationId: "listEventTypes",
          querystring: NO_QUERY,
          response: {
            200: Type.Object({
              publisher: CLIENT_ID,
              eventTypes: Type.Array(Type.Object({ type: EVENT_TYPE, description: Type.String() })),
            }),
          },
        },
      },
      async (_request, reply) => {
        declareDataSubjects(reply, []);
        return { publisher, eventTypes: [...types].map(([type, description]) => ({ type, description })) };
      },
    );
    app.post(
      "/subs",
      {
        schema: {
          operationId: "addSub",
          querystring: NO_QUERY,
          body: NEW_SUBSCRIPTION,
          response: {
            201: SUBSCRIPTION_ITEM,
            ...errorAnswers({
              400: "REQUEST_INVALID, PUBSUB_CLIENT_MISSING, PUBSUB_EVENT_TYPE_UNKNOWN, PUBSUB_DELIVERY_INVALID, PUBSUB_CURSOR_INVALID",
            }),
          },
        },
      },
      async (request, reply) => {
        const subscriber = callerOf(request);
        const body = request.body;
        checkTypes(body.eventTypes);
        if ((body.delivery === "PUSH") !== (body.push !== undefined))
          throw new PubSubError("PUBSUB_DELIVERY_INVALID", "PUSH needs a push target and PULL takes none");
        checkPush(subscriber, body.push);
        if (body.after !== undefined) await checkCursor(body.after);
        const at = new Date(now()).toISOString();
        const row: PubSubSubscriptionTable = {
          id: randomUUID(),
          subscriber,
          event_types: JSON.stringify(body.eventTypes),
          delivery: body.delivery,
          push_service: body.push ? body.push.service : null,
          push_path: body.push ? (body.push.path ?? "/") : null,
          status: "ACTIVE",
          cursor: body.after ?? (await newest()),
          failures: 0,
          retry_at_ms: 0,
          last_error: null,
          created_at: at,
          updated_at: at,
        };
        await db().insertInto("pubsub_subscription").values(row).execute();
        declareDataSubjects(reply, []);
        return reply.status(201).send(itemOf(row));
      },
    );
    app.get(
      "/subs",
      {
        schema: {
          operationId: "listSub",
          querystring: NO_QUERY,
          response: { 200: Type.Array(SUBSCRIPTION_ITEM), ...nobody },
        },
      },
      async (request, reply) => {
        const rows = await db()
          .selectFrom("pubsub_subscription")
          .selectAll()
          .where("subscriber", "=", callerOf(request))
          .orderBy("created_at")
          .execute();
        declareDataSubjects(reply, []);
        return rows.map(itemOf);
      },
    );
    app.get(
      "/subs/:id",
      {
        schema: {
          operationId: "getSub",
          params: SUBSCRIPTION_PARAMS,
          querystring: NO_QUERY,
          response: { 200: SUBSCRIPTION_ITEM, ...nobody },
        },
      },
      async (request, reply) => {
        const row = await own(request);
        declareDataSubjects(reply, []);
        return itemOf(row);
      },
    );
    app.patch(
      "/subs/:id",
      {
        schema: {
          operationId: "patchSub",
          params: SUBSCRIPTION_PARAMS,
          querystring: NO_QUERY,
          body: SUBSCRIPTION_CHANGE,
          response: {
            200: SUBSCRIPTION_ITEM,
            ...errorAnswers({
              400: "REQUEST_INVALID, PUBSUB_EVENT_TYPE_UNKNOWN, PUBSUB_DELIVERY_INVALID",
              404: "PUBSUB_SUBSCRIPTION_NOT_FOUND",
            }),
          },
        },
      },
      async (request, reply) => {
        const row = await own(request);
        if (request.body.eventTypes) checkTypes(request.body.eventTypes);
        if (request.body.push && row.delivery !== "PUSH")
          throw new PubSubError("PUBSUB_DELIVERY_INVALID", "a PULL subscription has no push target");
        checkPush(row.subscriber, request.body.push);
        const changed: PubSubSubscriptionTable = {
          ...row,
          ...(request.body.eventTypes ? { event_types: JSON.stringify(request.body.eventTypes) } : {}),
          ...(request.body.push
            ? { push_service: request.body.push.service, push_path: request.body.push.path ?? "/" }
            : {}),
          updated_at: new Date(now()).toISOString(),
        };
        await db()
          .updateTable("pubsub_subscription")
          .set({
            event_types: changed.event_types,
            push_service: changed.push_service,
            push_path: changed.push_path,
            updated_at: changed.updated_at,
          })
          .where("id", "=", row.id)
          .execute();
        declareDataSubjects(reply, []);
        return itemOf(changed);
      },
    );
    app.delete(
      "/subs/:id",
      {
        schema: {
          operationId: "deleteSub",
          params: SUBSCRIPTION_PARAMS,
          querystring: NO_QUERY,
          response: { 200: SUBSCRIPTION_ITEM, ...nobody },
        },
      },
      async (request, reply) => {
        const row = await own(request);
        await db()
          .updateTable("pubsub_subscription")
          .set({ status: "CANCELLED", updated_at: new Date(now()).toISOString() })
          .where("id", "=", row.id)
          .execute();
        declareDataSubjects(reply, []);
        return itemOf({ ...row, status: "CANCELLED" });
      },
    );
    app.get(
      "/subs/:id/events",
      {
        schema: {
          operationId: "pullEvents",
          params: SUBSCRIPTION_PARAMS,
          querystring: PULL_QUERY,
          response: {
            200: personalAnswer(PULL_ANSWER, "The events after the cursor, in order"),
            ...errorAnswers({
              400: "REQUEST_INVALID, PUBSUB_CURSOR_INVALID, PUBSUB_DELIVERY_INVALID",
              404: "PUBSUB_SUBSCRIPTION_NOT_FOUND",
            }),
          },
        },
      },
      async (request, reply) => {
        const row = await own(request);
        if (row.delivery !== "PULL" || row.status !== "ACTIVE")
          throw new PubSubError("PUBSUB_DELIVERY_INVALID", `subscription ${row.id} is not an active PULL subscription`);
        const { after } = request.query;
        await checkCursor(after);
        const rows = await db()
          .selectFrom("event_outbox")
          .select(["seq", "at", "type", "data"])
          .where("seq", ">", after)
          .where("type", "in", JSON.parse(row.event_types) as string[])
          .orderBy("seq")
          .limit(Math.min(request.query.limit ?? batchSize, 500))
          .execute();
        const events = rows.map(eventOf);
        // Pulling after N acknowledges every event up to N (GovStack: confirmEvent).
        if (after > Number(row.cursor))
          await db()
            .updateTable("pubsub_subscription")
            .set({ cursor: after, updated_at: new Date(now()).toISOString() })
            .where("id", "=", row.id)
            .execute();
        declareDataSubjects(
          reply,
          events.flatMap((e) => personsAmong(e.subjects)),
        );
        return { events, next: events.at(-1)?.sequence ?? after };
      },
    );
    app.post(
      "/subs/:id/replay",
      {
        schema: {
          operationId: "replaySub",
          params: SUBSCRIPTION_PARAMS,
          querystring: NO_QUERY,
          body: REPLAY,
          response: {
            200: SUBSCRIPTION_ITEM,
            ...errorAnswers({
              400: "REQUEST_INVALID, PUBSUB_CURSOR_INVALID, PUBSUB_DELIVERY_INVALID",
              404: "PUBSUB_SUBSCRIPTION_NOT_FOUND",
            }),
          },
        },
      },
      async (request, reply) => {
        const row = await own(request);
        if (row.delivery !== "PUSH")
          throw new PubSubError(
            "PUBSUB_DELIVERY_INVALID",
            "a PULL subscriber replays by pulling after an older cursor",
          );
        await replay(row.id, request.body.after);
        declareDataSubjects(reply, []);
        return itemOf({ ...row, cursor: request.body.after });
      },
    );
  };

  const operatorRoutes = async (app: RiikFastify) => {
    app.addHook("onRequest", async (request) => {
      const header = request.headers.authorization ?? "";
      const given = header.startsWith("Bearer ") ? sha256(header.slice(7)) : undefined;
      // Compared as digests in constant time; no token configured refuses everyone.
      if (!tokenHash || !given || !timingSafeEqual(tokenHash, given))
        throw new PubSubError("PUBSUB_OPERATOR_UNAUTHORIZED", "the operator routes need the operator's bearer token");
    });
    const unauthorised = { 401: "PUBSUB_OPERATOR_UNAUTHORIZED" };
    app.get(
      "/subscriptions",
      {
        schema: {
          operationId: "listSubscriptions",
          querystring: NO_QUERY,
          response: { 200: Type.Array(SUBSCRIPTION_STATUS), ...errorAnswers(unauthorised) },
        },
      },
      async () => {
        const [rows, parked, last] = await Promise.all([
          db().selectFrom("pubsub_subscription").selectAll().orderBy("created_at").execute(),
          db()
            .selectFrom("pubsub_parked")
            .select((eb) => ["subscription_id", eb.fn.countAll().as("parked"), eb.fn.count("dead_at").as("dead")])
            .groupBy("subscription_id")
            .execute(),
          newest(),
        ]);
        const counts = new Map(parked.map((p) => [p.subscription_id, p]));
        return rows.map((row) => ({
          ...itemOf(row),
          failures: row.failures,
          retryAt: Number(row.retry_at_ms) > 0 ? new Date(Number(row.retry_at_ms)).toISOString() : null,
          lastError: row.last_error,
          parked: Number(counts.get(row.id)?.parked ?? 0),
          deadLetters: Number(counts.get(row.id)?.dead ?? 0),
          behind: Math.max(0, last - Number(row.cursor)),
        }));
      },
    );
    app.get(
      "/dead-letters",
      {
        schema: {
          operationId: "listDeadLetters",
          querystring: NO_QUERY,
          response: { 200: Type.Array(DEAD_LETTER), ...errorAnswers(unauthorised) },
        },
      },
      async () => {
        const rows = await db()
          .selectFrom("pubsub_parked as p")
          .innerJoin("pubsub_subscription as s", "s.id", "p.subscription_id")
          .innerJoin("event_outbox as e", "e.seq", "p.seq")
          .select([
            "p.subscription_id",
            "s.subscriber",
            "p.seq",
            "e.type",
            "p.subjects",
            "p.attempts",
            "p.last_error",
            "p.dead_at",
          ])
          .where("p.dead_at", "is not", null)
          .orderBy("p.subscription_id")
          .orderBy("p.seq")
          .limit(1000)
          .execute();
        return rows.map((r) => ({
          subscription: r.subscription_id,
          subscriber: r.subscriber,
          sequence: Number(r.seq),
          type: r.type,
          subjects: JSON.parse(r.subjects) as string[],
          attempts: r.attempts,
          lastError: r.last_error,
          deadAt: r.dead_at ?? "",
        }));
      },
    );
    const deadLetter = async (id: string, sequence: number) => {
      const row = await db()
        .selectFrom("pubsub_parked")
        .select("seq")
        .where("subscription_id", "=", id)
        .where("seq", "=", sequence)
        .where("dead_at", "is not", null)
        .executeTakeFirst();
      if (!row)
        throw new PubSubError("PUBSUB_DEAD_LETTER_NOT_FOUND", `no dead letter ${sequence} of subscription ${id}`);
    };
    app.post(
      "/subscriptions/:id/dead-letters/:sequence/redrive",
      {
        schema: {
          operationId: "redriveDeadLetter",
          params: DEAD_LETTER_PARAMS,
          querystring: NO_QUERY,
          response: { 204: Type.Null(), ...errorAnswers({ ...unauthorised, 404: "PUBSUB_DEAD_LETTER_NOT_FOUND" }) },
        },
      },
      async (request, reply) => {
        await deadLetter(request.params.id, request.params.sequence);
        // Its attempts start again; it goes out with the next push.
        await db()
          .updateTable("pubsub_parked")
          .set({ dead_at: null, attempts: 0, next_attempt_ms: 0 })
          .where("subscription_id", "=", request.params.id)
          .where("seq", "=", request.params.sequence)
          .execute();
        await db()
          .updateTable("pubsub_subscription")
          .set({ retry_at_ms: 0 })
          .where("id", "=", request.params.id)
          .execute();
        return reply.status(204).send(null);
      },
    );
    app.delete(
      "/subscriptions/:id/dead-letters/:sequence",
      {
        schema: {
          operationId: "discardDeadLetter",
          params: DEAD_LETTER_PARAMS,
          querystring: NO_QUERY,
          response: { 204: Type.Null(), ...errorAnswers({ ...unauthorised, 404: "PUBSUB_DEAD_LETTER_NOT_FOUND" }) },
        },
      },
      async (request, reply) => {
        await deadLetter(request.params.id, request.params.sequence);
        // Given up: the events of its subjects behind it go on.
        await db()
          .deleteFrom("pubsub_parked")
          .where("subscription_id", "=", request.params.id)
          .where("seq", "=", request.params.sequence)
          .execute();
        request.log.warn(
          { subscription: request.params.id, sequence: request.params.sequence },
          "dead letter discarded by the operator",
        );
        return reply.status(204).send(null);
      },
    );
    app.post(
      "/subscriptions/:id/replay",
      {
        schema: {
          operationId: "replaySubscription",
          params: SUBSCRIPTION_PARAMS,
          querystring: NO_QUERY,
          body: REPLAY,
          response: {
            204: Type.Null(),
            ...errorAnswers({
              ...unauthorised,
              400: "REQUEST_INVALID, PUBSUB_CURSOR_INVALID, PUBSUB_DELIVERY_INVALID",
              404: "PUBSUB_SUBSCRIPTION_NOT_FOUND",
            }),
          },
        },
      },
      async (request, reply) => {
        const row = await db()
          .selectFrom("pubsub_subscription")
          .select(["id", "delivery"])
          .where("id", "=", request.params.id)
          .executeTakeFirst();
        if (!row) throw new PubSubError("PUBSUB_SUBSCRIPTION_NOT_FOUND", `no subscription ${request.params.id}`);
        if (row.delivery !== "PUSH")
          throw new PubSubError(
            "PUBSUB_DELIVERY_INVALID",
            "a PULL subscriber replays by pulling after an older cursor",
          );
        await replay(row.id, request.body.after);
        return reply.status(204).send(null);
      },
    );
  };

  return {
    mount(app, at = { events: PUBSUB_PREFIX, operator: PUBSUB_OPERATOR_PREFIX }) {
      app.register(async (scope) => subscriberRoutes(scope as RiikFastify), { prefix: at.events });
      if (at.operator !== null)
        app.register(async (scope) => operatorRoutes(scope as RiikFastify), { prefix: at.operator });
    },
    start() {
      if (!options.xroad) throw new PubSubError("PUBSUB_ARGUMENT", "pushing needs the xroad client");
      pushDispatcher();
    },
    drain: () => pushDispatcher().drain(),
    stop: async () => {
      await push?.stop();
    },
  };
}

/** What a subscriber's inbox answers: one outcome per event, in the order sent. */
export const INBOX_ANSWER = Type.Object(
  {
    results: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          outcome: Type.Union([
            Type.Literal("APPLIED"),
            Type.Literal("DUPLICATE"),
            Type.Literal("REJECTED"),
            Type.Literal("DEFERRED"),
          ]),
          error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * The OpenAPI 3.1 document of a publisher's `events` service alone, its paths as the
 * subscribers call them (relative to PUBSUB_PREFIX): what the descriptor hands to the
 * security server for that service. No storage is opened.
 */
export async function eventsOpenApi(options: {
  publisher: string;
  eventTypes: Readonly<Record<string, string>>;
  title: string;
  version?: string;
}): Promise<Record<string, unknown>> {
  const publisher = createPublisher({
    storage: {} as MemberStorage<any>,
    publisher: options.publisher,
    eventTypes: options.eventTypes,
  });
  const service = createMemberService({
    name: "events",
    title: options.title,
    version: options.version ?? "1.0.0",
    description: `Events of ${options.publisher}: ${Object.keys(options.eventTypes).join(", ")} (riik publish/subscribe, shaped like GovStack IM PubSub)`,
    errors: PUBSUB_ERRORS,
    routes: (app) => publisher.mount(app, { events: "", operator: null }),
  });
  try {
    return await service.openapi();
  } finally {
    await service.close();
  }
}
