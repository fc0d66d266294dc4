import type { ErrorCatalogue } from "@riik/core";
import { RiikError } from "@riik/core";

/** The codes the publish/subscribe routes answer with (add PUBSUB_ERRORS to the member's catalogue). */
export type PubSubErrorCode =
  /** The request did not come through a security server: no X-Road-Client names the caller. */
  | "PUBSUB_CLIENT_MISSING"
  /** No subscription of that id belongs to the caller. */
  | "PUBSUB_SUBSCRIPTION_NOT_FOUND"
  /** A subscription names an event type the publisher does not offer. */
  | "PUBSUB_EVENT_TYPE_UNKNOWN"
  /** Push without a target, a target that is not the subscriber's own service, or pull of a push subscription. */
  | "PUBSUB_DELIVERY_INVALID"
  /** A cursor beyond the publisher's newest event. */
  | "PUBSUB_CURSOR_INVALID"
  /** The operator routes without the operator's bearer token (or with none configured). */
  | "PUBSUB_OPERATOR_UNAUTHORIZED"
  /** No dead letter of that subscription and sequence number. */
  | "PUBSUB_DEAD_LETTER_NOT_FOUND"
  /** An inbox call from a publisher this subscriber does not take events from, or envelopes naming another publisher. */
  | "PUBSUB_PUBLISHER_UNKNOWN"
  /** A programming error in the options given to the publisher or subscriber. */
  | "PUBSUB_ARGUMENT";

export class PubSubError extends RiikError<PubSubErrorCode> {}

export const PUBSUB_ERRORS: ErrorCatalogue<PubSubErrorCode> = {
  PUBSUB_CLIENT_MISSING: { status: 400 },
  PUBSUB_SUBSCRIPTION_NOT_FOUND: { status: 404 },
  PUBSUB_EVENT_TYPE_UNKNOWN: { status: 400 },
  PUBSUB_DELIVERY_INVALID: { status: 400 },
  PUBSUB_CURSOR_INVALID: { status: 400 },
  PUBSUB_OPERATOR_UNAUTHORIZED: { status: 401 },
  PUBSUB_DEAD_LETTER_NOT_FOUND: { status: 404 },
  PUBSUB_PUBLISHER_UNKNOWN: { status: 403 },
  PUBSUB_ARGUMENT: { status: 500 },
};
