import type { ComponentMigration } from "@riik/core";

/** A subscription as the publisher keeps it (GovStack IM PubSub `SubscriptionItem`). */
export interface PubSubSubscriptionTable {
  id: string;
  /** The subscriber: the X-Road client that subscribed, INSTANCE/CLASS/MEMBER/SUBSYSTEM. */
  subscriber: string;
  /** JSON array of the event types subscribed to. */
  event_types: string;
  delivery: "PUSH" | "PULL";
  /** PUSH: the subscriber's service id and the path events are posted to. */
  push_service: string | null;
  push_path: string | null;
  status: "ACTIVE" | "CANCELLED";
  /** PUSH: every event up to it was delivered or parked; PULL: the subscriber's last acknowledged cursor. */
  cursor: number;
  /** PUSH: consecutive failed calls (subscriber unreachable, refused); the backoff grows with it. */
  failures: number;
  /** PUSH: epoch ms before which the subscription is not called again. */
  retry_at_ms: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * An event of a PUSH subscription that did not go out with the stream: rejected by the
 * subscriber (retried with backoff, dead after the maximum of attempts), or held behind an
 * earlier parked event of the same subject (ordering per subject).
 */
export interface PubSubParkedTable {
  subscription_id: string;
  seq: number;
  /** JSON array: the event's subjects, which the rows behind it are held by. */
  subjects: string;
  /** Deliveries the subscriber rejected. */
  attempts: number;
  next_attempt_ms: number;
  /** Set when attempts reached the maximum: a dead letter, shown to operators, re-drivable. */
  dead_at: string | null;
  last_error: string | null;
  parked_at: string;
}

export interface PubSubPublisherDb {
  pubsub_subscription: PubSubSubscriptionTable;
  pubsub_parked: PubSubParkedTable;
}

/** Events a subscriber applied, by idempotency key, written in the transaction of the handler's effect. */
export interface PubSubAppliedTable {
  publisher: string;
  seq: number;
  type: string;
  applied_at: string;
}

/** A pulling subscriber's durable cursor per publisher subscription. */
export interface PubSubCursorTable {
  publisher: string;
  subscription: string;
  seq: number;
  updated_at: string;
}

export interface PubSubSubscriberDb {
  pubsub_applied: PubSubAppliedTable;
  pubsub_cursor: PubSubCursorTable;
}

/** Add after `eventOutboxMigration` to a publishing member's migrations. */
export const pubsubPublisherMigration: ComponentMigration = {
  async up(db) {
    await db.schema
      .createTable("pubsub_subscription")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("subscriber", "text", (c) => c.notNull())
      .addColumn("event_types", "text", (c) => c.notNull())
      .addColumn("delivery", "text", (c) => c.notNull())
      .addColumn("push_service", "text")
      .addColumn("push_path", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("cursor", "bigint", (c) => c.notNull())
      .addColumn("failures", "integer", (c) => c.notNull())
      .addColumn("retry_at_ms", "bigint", (c) => c.notNull())
      .addColumn("last_error", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("pubsub_subscription_subscriber")
      .on("pubsub_subscription")
      .columns(["subscriber", "status"])
      .execute();
    await db.schema
      .createTable("pubsub_parked")
      .addColumn("subscription_id", "text", (c) => c.notNull().references("pubsub_subscription.id"))
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("subjects", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("next_attempt_ms", "bigint", (c) => c.notNull())
      .addColumn("dead_at", "text")
      .addColumn("last_error", "text")
      .addColumn("parked_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("pubsub_parked_pk", ["subscription_id", "seq"])
      .execute();
  },
};

/** Add to a subscribing member's migrations (with `changeJournalMigration`). */
export const pubsubSubscriberMigration: ComponentMigration = {
  async up(db) {
    await db.schema
      .createTable("pubsub_applied")
      .addColumn("publisher", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("pubsub_applied_pk", ["publisher", "seq"])
      .execute();
    await db.schema
      .createTable("pubsub_cursor")
      .addColumn("publisher", "text", (c) => c.notNull())
      .addColumn("subscription", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("pubsub_cursor_pk", ["publisher", "subscription"])
      .execute();
  },
};
