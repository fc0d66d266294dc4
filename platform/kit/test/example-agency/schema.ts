// The worked example of ARCHITECTURE.md, part 1 of 3: the schema of a library-card register.
// Tables, migrations and the registry definition the data embassy replicates.
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
  type PubSubPublisherDb,
  type PubSubSubscriberDb,
  pubsubPublisherMigration,
  pubsubSubscriberMigration,
  type RegistryDefinition,
} from "@riik/kit";
import { LibraryCardError } from "./rules.ts";

export interface CardTable {
  card_number: string;
  /** The holder's personal code. */
  holder_code: string;
  library: string;
  /** YYYY-MM-DD. */
  issued: string;
}

/** A card another library register issued, as its `card.issued` event told this one (part 4, events.ts). */
export interface CardNoticeTable {
  /** Running number: a notice applied twice would show as two rows. */
  n: number;
  /** The event's idempotency key, publisher/sequence. */
  event_id: string;
  card_number: string;
  holder_code: string;
  library: string;
}

export interface LibraryCardDb extends ChangeJournalDb, EventOutboxDb, PubSubPublisherDb, PubSubSubscriberDb {
  card: CardTable;
  card_notice: CardNoticeTable;
}

/** A card as the journal, the events and the API carry it. */
export interface Card {
  cardNumber: string;
  holderCode: string;
  library: string;
  issued: string;
}

export const cardOf = (row: CardTable): Card => ({
  cardNumber: row.card_number,
  holderCode: row.holder_code,
  library: row.library,
  issued: row.issued,
});

export const rowOf = (card: Card): CardTable => ({
  card_number: card.cardNumber,
  holder_code: card.holderCode,
  library: card.library,
  issued: card.issued,
});

export const migrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_card": {
    async up(db) {
      await db.schema
        .createTable("card")
        .addColumn("card_number", "text", (c) => c.primaryKey())
        .addColumn("holder_code", "text", (c) => c.notNull())
        .addColumn("library", "text", (c) => c.notNull())
        .addColumn("issued", "text", (c) => c.notNull())
        .addUniqueConstraint("card_holder_library", ["holder_code", "library"])
        .execute();
    },
  },
  // Part 4 (events.ts): it publishes card.issued and takes other registers' card.issued.
  "0004_pubsub_publisher": pubsubPublisherMigration,
  "0005_pubsub_subscriber": pubsubSubscriberMigration,
  "0006_card_notice": {
    async up(db) {
      await db.schema
        .createTable("card_notice")
        .addColumn("n", "integer", (c) => c.primaryKey())
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("card_number", "text", (c) => c.notNull())
        .addColumn("holder_code", "text", (c) => c.notNull())
        .addColumn("library", "text", (c) => c.notNull())
        .execute();
    },
  },
};

export const libraryCardRegistry: RegistryDefinition<LibraryCardDb> = {
  name: "library-cards",
  component: "library_cards",
  migrations,
  tables: [
    {
      name: "card",
      columns: [
        { name: "card_number", type: "text" },
        { name: "holder_code", type: "text" },
        { name: "library", type: "text" },
        { name: "issued", type: "text" },
      ],
      key: ["card_number"],
    },
    {
      name: "card_notice",
      columns: [
        { name: "n", type: "integer" },
        { name: "event_id", type: "text" },
        { name: "card_number", type: "text" },
        { name: "holder_code", type: "text" },
        { name: "library", type: "text" },
      ],
      key: ["n"],
    },
  ],
  async applyChange(trx, entry) {
    if (entry.entity === "card_notice") {
      const notice = JSON.parse(entry.data ?? "null") as CardNoticeTable;
      await trx.insertInto("card_notice").values(notice).execute();
      return;
    }
    if (entry.entity !== "card") throw new LibraryCardError("CHANGE_INVALID", `unknown entity ${entry.entity}`);
    if (entry.op === "delete") {
      await trx.deleteFrom("card").where("card_number", "=", entry.key).execute();
      return;
    }
    const row = rowOf(JSON.parse(entry.data ?? "null") as Card);
    await trx
      .insertInto("card")
      .values(row)
      .onConflict((oc) => oc.column("card_number").doUpdateSet(row))
      .execute();
  },
};
