// The worked example, part 4: events over X-Road. The register publishes `card.issued` (its
// outbox is written in the card's own transaction, service.ts) and, run as another library's
// register, takes other registers' `card.issued` as notices, each applied exactly once.
import {
  createPublisher,
  createSubscriber,
  type EventHandler,
  type MemberStorage,
  type Publisher,
  type Subscriber,
  type XRoadRestClient,
} from "@riik/kit";
import type { LibraryCardDb } from "./schema.ts";

export const CARD_EVENT_TYPES = { "card.issued": "a library card was issued to a holder (subjects: the holder)" };

export interface CardPublisherOptions {
  /** This register's subsystem. */
  publisher: string;
  /** Through this register's own security server, as `publisher`. */
  xroad: XRoadRestClient;
  /** X-Road-UserId of the pushes: the official accountable for them. */
  userId: string;
  operatorToken?: string;
  maxAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  intervalMs?: number;
  batchSize?: number;
}

export function createCardPublisher(store: MemberStorage<LibraryCardDb>, options: CardPublisherOptions): Publisher {
  return createPublisher({ storage: store, eventTypes: CARD_EVENT_TYPES, ...options });
}

/** A card another register issued becomes a notice here, journalled like every change. */
export const noteCard: EventHandler<LibraryCardDb> = async (event, { trx, change }) => {
  const card = event.data as { cardNumber: string; holderCode: string; library: string };
  const last = await trx
    .selectFrom("card_notice")
    .select((eb) => eb.fn.max("n").as("n"))
    .executeTakeFirst();
  const notice = {
    n: Number(last?.n ?? 0) + 1,
    event_id: event.id,
    card_number: card.cardNumber,
    holder_code: card.holderCode,
    library: card.library,
  };
  await trx.insertInto("card_notice").values(notice).execute();
  change({ entity: "card_notice", key: String(notice.n), op: "upsert", data: notice });
};

export function createCardSubscriber(
  store: MemberStorage<LibraryCardDb>,
  publishers: readonly string[],
  handler: EventHandler<LibraryCardDb> = noteCard,
): Subscriber {
  return createSubscriber({ storage: store, publishers, handlers: { "card.issued": handler } });
}
