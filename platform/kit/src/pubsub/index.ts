// Publish/subscribe over X-Road (README "Publish/subscribe"), shaped like GovStack's
// Information Mediator PubSub: the publisher side, the subscriber side, their tables.
export { defaultSubjects, EVENT_ITEM, type EventItem, eventId, personsAmong } from "./envelope.ts";
export { PUBSUB_ERRORS, PubSubError, type PubSubErrorCode } from "./errors.ts";
export {
  callerOf,
  createPublisher,
  eventsOpenApi,
  INBOX_ANSWER,
  PUBSUB_OPERATOR_PREFIX,
  PUBSUB_PREFIX,
  PULL_ANSWER,
  type Publisher,
  type PublisherOptions,
  SUBSCRIPTION_ITEM,
} from "./publisher.ts";
export {
  type DeliveryOutcome,
  type DeliveryResult,
  exponentialBackoff,
  type PushDispatcher,
  type PushOptions,
  type PushSend,
  type PushTarget,
  startPushDispatcher,
} from "./push.ts";
export {
  type PubSubPublisherDb,
  type PubSubSubscriberDb,
  pubsubPublisherMigration,
  pubsubSubscriberMigration,
} from "./schema.ts";
export {
  createSubscriber,
  type EventHandler,
  PUBSUB_INBOX_PREFIX,
  type PullLoop,
  type PullOptions,
  type Subscriber,
  type SubscriberOptions,
} from "./subscriber.ts";
