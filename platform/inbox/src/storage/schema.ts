// The inbox's tables and migrations: messages with their attachments, each person's e-mail
// forwarding address, the change journal and the outbox of e-mail notices.

import { columnTypes } from "@riik/core";
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
} from "@riik/kit";
import type { Generated, Selectable } from "kysely";

/** What became of a message's e-mail notice. */
export type NoticeState =
  /** The person had no forwarding address when the message came. */
  | "none"
  /** In the outbox, not yet accepted by the SMTP server. */
  | "pending"
  | "sent"
  /** The SMTP server refused the address for good (a 5xx reply): not retried. */
  | "refused"
  /** The person removed the forwarding address before the notice went out. */
  | "cancelled";

export interface MessageTable {
  /** Order of arrival: the mailbox's paging cursor. */
  seq: Generated<number>;
  /** The message's public id (a UUID). */
  id: string;
  /** The recipient's personal code (11 digits). */
  recipient: string;
  /** X-Road-Client of the call that sent it: the agency's (or the portal's) subsystem. */
  sender_client: string;
  /** The person who wrote it, when a person-sender client (the portal) sent it for them. */
  sender_person: string | null;
  subject: string;
  body: string;
  created_at: string;
  read_at: string | null;
  idempotency_key: string;
  /** SHA-256 of the canonical request: the same key with another message is refused. */
  request_digest: string;
  notice: NoticeState;
  noticed_at: string | null;
}

export interface AttachmentTable {
  message_id: string;
  position: number;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  /** The bytes as sent: a CDOC2 container stays encrypted, the inbox holds no key. */
  content: Uint8Array;
}

export interface ForwardingTable {
  personal_code: string;
  email: string;
  updated_at: string;
}

export interface InboxDb extends ChangeJournalDb, EventOutboxDb {
  message: MessageTable;
  attachment: AttachmentTable;
  forwarding: ForwardingTable;
}

export const INBOX_COMPONENT = "inbox";

export const inboxMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_inbox": {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable("message")
        .addColumn("seq", types.serialId, (c) => c.primaryKey())
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("recipient", "text", (c) => c.notNull())
        .addColumn("sender_client", "text", (c) => c.notNull())
        .addColumn("sender_person", "text")
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("read_at", "text")
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("request_digest", "text", (c) => c.notNull())
        .addColumn("notice", "text", (c) => c.notNull())
        .addColumn("noticed_at", "text")
        .execute();
      // One message per sender and key, whatever races: the second insert fails and reads the first.
      await db.schema
        .createIndex("message_idempotency")
        .unique()
        .on("message")
        .columns(["sender_client", "idempotency_key"])
        .execute();
      await db.schema.createIndex("message_recipient").on("message").columns(["recipient", "seq"]).execute();
      await db.schema
        .createTable("attachment")
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("media_type", "text", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("sha256", "text", (c) => c.notNull())
        .addColumn("content", types.binary, (c) => c.notNull())
        .addPrimaryKeyConstraint("attachment_pk", ["message_id", "position"])
        .execute();
      await db.schema
        .createTable("forwarding")
        .addColumn("personal_code", "text", (c) => c.primaryKey())
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
  },
};

export type MessageRow = Selectable<MessageTable>;
