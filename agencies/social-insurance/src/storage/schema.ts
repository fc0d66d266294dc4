// The Board's tables: a family benefit case per mother (the family the population register's
// birth names), its children, the offers made on births and the payments scheduled.
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
  type PubSubSubscriberDb,
  pubsubSubscriberMigration,
} from "@riik/kit";

export interface FamilyCaseTable {
  mother_code: string;
  father_code: string | null;
  /** The parent the family's benefits are paid to, once a parent has confirmed an offer. */
  recipient_code: string | null;
  iban: string | null;
  confirmed_at: string | null;
}

export interface FamilyChildTable {
  child_code: string;
  mother_code: string;
  /** YYYY-MM-DD when the register reported a death. */
  died_on: string | null;
  /** The month the child's allowance ended and the notice went out. */
  ended_month: string | null;
}

export interface OfferTable {
  id: string;
  mother_code: string;
  /** The child whose birth made the offer: one offer per birth of a child. */
  child_code: string;
  /** The BenefitLine[] offered, as JSON: the reasons shown to the parent. */
  lines: string;
  /** offered | confirmed. */
  status: string;
  created_at: string;
  confirmed_at: string | null;
  confirmed_by: string | null;
}

export interface PaymentTable {
  /** benefit:child-or-family:month of the case: a line is scheduled once, whatever retries. */
  line_key: string;
  mother_code: string;
  recipient_code: string;
  iban: string;
  child_code: string | null;
  benefit: string;
  /** YYYY-MM it is for. */
  month: string;
  amount_cents: number;
  why: string;
  rules_from: string;
  scheduled_at: string;
}

/** A birth taken from the register's event, waiting for the family to be read before its offer. */
export interface PendingBirthTable {
  child_code: string;
  mother_code: string;
  recorded_at: string;
}

export interface SocialInsuranceDb extends ChangeJournalDb, EventOutboxDb, PubSubSubscriberDb {
  pending_birth: PendingBirthTable;
  family_case: FamilyCaseTable;
  family_child: FamilyChildTable;
  offer: OfferTable;
  payment: PaymentTable;
}

export const SOCIAL_INSURANCE_COMPONENT = "social_insurance";

export const socialInsuranceMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_benefits": {
    async up(db) {
      await db.schema
        .createTable("family_case")
        .addColumn("mother_code", "text", (c) => c.primaryKey())
        .addColumn("father_code", "text")
        .addColumn("recipient_code", "text")
        .addColumn("iban", "text")
        .addColumn("confirmed_at", "text")
        .execute();
      await db.schema
        .createTable("family_child")
        .addColumn("child_code", "text", (c) => c.primaryKey())
        .addColumn("mother_code", "text", (c) => c.notNull())
        .addColumn("died_on", "text")
        .addColumn("ended_month", "text")
        .execute();
      await db.schema.createIndex("family_child_mother").on("family_child").column("mother_code").execute();
      await db.schema
        .createTable("offer")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("mother_code", "text", (c) => c.notNull())
        .addColumn("child_code", "text", (c) => c.notNull().unique())
        .addColumn("lines", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("confirmed_at", "text")
        .addColumn("confirmed_by", "text")
        .execute();
      await db.schema.createIndex("offer_mother").on("offer").column("mother_code").execute();
      await db.schema
        .createTable("payment")
        .addColumn("line_key", "text", (c) => c.primaryKey())
        .addColumn("mother_code", "text", (c) => c.notNull())
        .addColumn("recipient_code", "text", (c) => c.notNull())
        .addColumn("iban", "text", (c) => c.notNull())
        .addColumn("child_code", "text")
        .addColumn("benefit", "text", (c) => c.notNull())
        .addColumn("month", "text", (c) => c.notNull())
        .addColumn("amount_cents", "bigint", (c) => c.notNull())
        .addColumn("why", "text", (c) => c.notNull())
        .addColumn("rules_from", "text", (c) => c.notNull())
        .addColumn("scheduled_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("payment_recipient").on("payment").columns(["recipient_code", "month"]).execute();
    },
  },
  // The event's transaction only records the birth; the family is read over X-Road outside
  // any transaction and the offer made then (board.ts, makeOffer).
  "0004_pending_births": {
    async up(db) {
      await db.schema
        .createTable("pending_birth")
        .addColumn("child_code", "text", (c) => c.primaryKey())
        .addColumn("mother_code", "text", (c) => c.notNull())
        .addColumn("recorded_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  // Births and deaths arrive over X-Road, each applied once (the kit's subscriber).
  "0005_pubsub": pubsubSubscriberMigration,
};
