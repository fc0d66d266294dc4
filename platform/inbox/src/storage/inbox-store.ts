// The state inbox's store: messages to a person with their attachments, read marks, the
// person's forwarding address, and the e-mail notice of a message written to the kit's event
// outbox in the message's own transaction (forwarding/notice-dispatcher.ts sends it).
import { createHash, randomUUID } from "node:crypto";
import { canonicalJson, parsePersonalCode } from "@riik/core";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { Kysely } from "kysely";
import { InboxError } from "../errors.ts";
import { INBOX_COMPONENT, type InboxDb, inboxMigrations, type MessageRow, type NoticeState } from "./schema.ts";

/** The outbox event that asks for a message's e-mail notice. */
export const NOTICE_EVENT = "inbox.notice";

/** CDOC2's media type; such a container is kept as sent and never opened (the inbox holds no key). */
export const CDOC2_MEDIA_TYPE = "application/x-cdoc2";
/** CDOC2 container prelude: "CDOC" and format version 2 (cdoc2-java-ref-impl, CDOC2 container format 1.1). */
const CDOC2_PRELUDE = Buffer.from([0x43, 0x44, 0x4f, 0x43, 0x02]);

export const DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export interface AttachmentInput {
  name: string;
  mediaType: string;
  /** Base64 (RFC 4648 section 4), as the request carries it. */
  content: string;
}

export interface MessageInput {
  /** The recipient's personal code: 11 digits, or EE + 11 digits. */
  recipient: string;
  subject: string;
  /** Plain text. */
  body: string;
  attachments?: readonly AttachmentInput[];
  idempotencyKey: string;
}

/** Who sends: the X-Road client of the call, and the person for whom a person-sender client writes. */
export interface Sender {
  client: string;
  person?: string;
}

export interface AttachmentSummary {
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
}

export interface MessageSummary {
  id: string;
  sender: { client: string; personalCode: string | null };
  subject: string;
  createdAt: string;
  readAt: string | null;
  attachments: AttachmentSummary[];
}

export interface MessageDetail extends Omit<MessageSummary, "attachments"> {
  recipient: string;
  body: string;
  attachments: Array<AttachmentSummary & { content: string }>;
  /** What became of the e-mail notice. */
  notice: NoticeState;
}

export interface MessagePage {
  messages: MessageSummary[];
  /** The cursor of the next (older) page; null on the last. */
  next: string | null;
  unread: number;
}

/** What the notice dispatcher needs of a message. */
export interface NoticeSubject {
  id: string;
  recipient: string;
  subject: string;
  senderClient: string;
  notice: NoticeState;
  /** The recipient's forwarding address now; null when removed since. */
  email: string | null;
}

/** A message delivered, or for a repeated idempotency key the first one. */
export interface Delivered {
  id: string;
  duplicate: boolean;
}

interface Prepared {
  input: MessageInput;
  recipient: string;
  attachments: Array<{ name: string; mediaType: string; bytes: Buffer; sha256: string }>;
  digest: string;
}

export interface InboxStoreOptions {
  /** The attachments of one message together, decoded; default 5 MiB. */
  maxAttachmentBytes?: number;
}

export interface InboxLocation {
  dataDir: string;
  url?: string;
  schema?: string;
}

/** The 11 digits of a valid personal code, or PERSONAL_CODE_INVALID naming what is wrong. */
export function personalCodeOf(input: string, what = "the personal code"): string {
  try {
    return parsePersonalCode(input).code;
  } catch (error) {
    throw new InboxError("PERSONAL_CODE_INVALID", `${what}: ${(error as Error).message}`, { cause: error });
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes an attachment, refusing what is not canonical base64 and a CDOC2 label on other bytes. */
function decodeAttachment(attachment: AttachmentInput, position: number): Buffer {
  if (!BASE64.test(attachment.content))
    throw new InboxError("ATTACHMENT_INVALID", `attachment ${position} (${attachment.name}): content is not base64`, {
      details: { position },
    });
  const bytes = Buffer.from(attachment.content, "base64");
  if (attachment.mediaType.toLowerCase() === CDOC2_MEDIA_TYPE && !bytes.subarray(0, 5).equals(CDOC2_PRELUDE))
    throw new InboxError(
      "ATTACHMENT_INVALID",
      `attachment ${position} (${attachment.name}) is labelled ${CDOC2_MEDIA_TYPE} but is not a CDOC2 container`,
      { details: { position } },
    );
  return bytes;
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

const summaryOf = (row: MessageRow, attachments: AttachmentSummary[]): MessageSummary => ({
  id: row.id,
  sender: { client: row.sender_client, personalCode: row.sender_person },
  subject: row.subject,
  createdAt: row.created_at,
  readAt: row.read_at,
  attachments,
});

/** A unique-constraint violation on either back end (SQLite's message, PostgreSQL's SQLSTATE 23505). */
function isUniqueViolation(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || /UNIQUE constraint failed/.test(message ?? "");
}

export class InboxStore {
  readonly #maxAttachmentBytes: number;

  constructor(
    readonly store: MemberStorage<InboxDb>,
    options: InboxStoreOptions = {},
  ) {
    this.#maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  }

  get db() {
    return this.store.db;
  }

  get maxAttachmentBytes(): number {
    return this.#maxAttachmentBytes;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * Delivers a message to the recipient's inbox; with a forwarding address, its e-mail notice
   * goes to the outbox in the same transaction. A key the sender used before answers that
   * first message (`duplicate`), or IDEMPOTENCY_KEY_REUSED when the message differs.
   */
  async send(sender: Sender, input: MessageInput, at = new Date()): Promise<Delivered> {
    return (await this.sendBatch(sender, [input], at))[0]!;
  }

  /**
   * Delivers several messages in one transaction (all or none; a refusal names the message's
   * `index`), each as `send` would: for notices to many people at once, such as every holder
   * of an affected card (#18).
   */
  async sendBatch(sender: Sender, inputs: readonly MessageInput[], at = new Date()): Promise<Delivered[]> {
    const senderPerson = sender.person === undefined ? null : personalCodeOf(sender.person, "the sending person");
    const prepared = inputs.map((input, index) => {
      try {
        return this.#prepare(input, senderPerson);
      } catch (error) {
        if (inputs.length === 1 || !(error instanceof InboxError)) throw error;
        throw new InboxError(error.code, `message ${index}: ${error.message}`, {
          cause: error,
          details: { ...error.details, index },
        });
      }
    });
    try {
      return await this.#deliver(sender, senderPerson, prepared, at);
    } catch (error) {
      // The same key sent twice at once: the other transaction won; the second try answers its messages.
      if (!isUniqueViolation(error)) throw error;
      return await this.#deliver(sender, senderPerson, prepared, at);
    }
  }

  #prepare(input: MessageInput, senderPerson: string | null): Prepared {
    const recipient = personalCodeOf(input.recipient, "the recipient");
    const attachments = (input.attachments ?? []).map((a, i) => {
      const bytes = decodeAttachment(a, i);
      return { name: a.name, mediaType: a.mediaType, bytes, sha256: sha256(bytes) };
    });
    const total = attachments.reduce((sum, a) => sum + a.bytes.length, 0);
    if (total > this.#maxAttachmentBytes)
      throw new InboxError(
        "ATTACHMENT_TOO_LARGE",
        `the attachments are ${total} bytes together; the inbox takes at most ${this.#maxAttachmentBytes}`,
        { details: { bytes: total, limit: this.#maxAttachmentBytes } },
      );
    const digest = sha256(
      canonicalJson({
        recipient,
        senderPerson,
        subject: input.subject,
        body: input.body,
        attachments: attachments.map((a) => ({ name: a.name, mediaType: a.mediaType, sha256: a.sha256 })),
      }),
    );
    return { input, recipient, attachments, digest };
  }

  #deliver(sender: Sender, senderPerson: string | null, prepared: readonly Prepared[], at: Date): Promise<Delivered[]> {
    return this.store.write(async (write) => {
      const delivered: Delivered[] = [];
      const inBatch = new Map<string, { id: string; digest: string }>();
      for (const [index, p] of prepared.entries()) {
        const key = p.input.idempotencyKey;
        const earlier = inBatch.get(key) ?? (await this.#byKey(write.trx, sender.client, key));
        if (earlier) {
          if (earlier.digest !== p.digest)
            throw new InboxError(
              "IDEMPOTENCY_KEY_REUSED",
              `${prepared.length > 1 ? `message ${index}: ` : ""}the idempotency key was used for another message by this sender (message ${earlier.id})`,
              { details: { id: earlier.id, ...(prepared.length > 1 ? { index } : {}) } },
            );
          delivered.push({ id: earlier.id, duplicate: true });
          continue;
        }
        const id = randomUUID();
        await this.#insert(write, sender, senderPerson, p, id, at);
        inBatch.set(key, { id, digest: p.digest });
        delivered.push({ id, duplicate: false });
      }
      return delivered;
    }, at);
  }

  async #insert(
    write: MemberWrite<InboxDb>,
    sender: Sender,
    senderPerson: string | null,
    p: Prepared,
    id: string,
    at: Date,
  ): Promise<void> {
    const forwarding = await write.trx
      .selectFrom("forwarding")
      .select("email")
      .where("personal_code", "=", p.recipient)
      .executeTakeFirst();
    const createdAt = at.toISOString();
    await write.trx
      .insertInto("message")
      .values({
        id,
        recipient: p.recipient,
        sender_client: sender.client,
        sender_person: senderPerson,
        subject: p.input.subject,
        body: p.input.body,
        created_at: createdAt,
        read_at: null,
        idempotency_key: p.input.idempotencyKey,
        request_digest: p.digest,
        notice: forwarding ? "pending" : "none",
        noticed_at: null,
      })
      .execute();
    for (const [position, a] of p.attachments.entries())
      await write.trx
        .insertInto("attachment")
        .values({
          message_id: id,
          position,
          name: a.name,
          media_type: a.mediaType,
          size: a.bytes.length,
          sha256: a.sha256,
          content: a.bytes,
        })
        .execute();
    // The journal records that a message came, not what it says (that stays in this store).
    write.change({
      entity: "message",
      key: id,
      op: "upsert",
      data: { recipient: p.recipient, senderClient: sender.client, senderPerson, createdAt },
    });
    if (forwarding) write.emit({ type: NOTICE_EVENT, data: { messageId: id } });
  }

  async #byKey(db: Kysely<InboxDb>, client: string, key: string): Promise<{ id: string; digest: string } | undefined> {
    const row = await db
      .selectFrom("message")
      .select(["id", "request_digest"])
      .where("sender_client", "=", client)
      .where("idempotency_key", "=", key)
      .executeTakeFirst();
    return row ? { id: row.id, digest: row.request_digest } : undefined;
  }

  /** A page of the person's messages, newest first; `before` is the previous page's `next`. */
  async list(person: string, options: { limit?: number; before?: string } = {}): Promise<MessagePage> {
    const code = personalCodeOf(person);
    const limit = options.limit ?? 20;
    let before: number | undefined;
    if (options.before !== undefined) {
      if (!/^[1-9][0-9]{0,15}$/.test(options.before))
        throw new InboxError("CURSOR_INVALID", "the cursor is not one this inbox gave");
      before = Number(options.before);
    }
    let query = this.db.selectFrom("message").selectAll().where("recipient", "=", code);
    if (before !== undefined) query = query.where("seq", "<", before);
    const rows = await query
      .orderBy("seq", "desc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const attachments = await this.#attachmentSummaries(page.map((r) => r.id));
    const { unread } = await this.db
      .selectFrom("message")
      .select((eb) => eb.fn.countAll<number>().as("unread"))
      .where("recipient", "=", code)
      .where("read_at", "is", null)
      .executeTakeFirstOrThrow();
    return {
      messages: page.map((row) => summaryOf(row, attachments.get(row.id) ?? [])),
      next: rows.length > limit ? String(page.at(-1)!.seq) : null,
      unread: Number(unread),
    };
  }

  async #attachmentSummaries(ids: readonly string[]): Promise<Map<string, AttachmentSummary[]>> {
    const byMessage = new Map<string, AttachmentSummary[]>();
    if (ids.length === 0) return byMessage;
    const rows = await this.db
      .selectFrom("attachment")
      .select(["message_id", "name", "media_type", "size", "sha256"])
      .where("message_id", "in", ids)
      .orderBy("message_id")
      .orderBy("position")
      .execute();
    for (const row of rows)
      byMessage.set(row.message_id, [
        ...(byMessage.get(row.message_id) ?? []),
        { name: row.name, mediaType: row.media_type, size: Number(row.size), sha256: row.sha256 },
      ]);
    return byMessage;
  }

  async #row(person: string, id: string): Promise<MessageRow> {
    const code = personalCodeOf(person);
    // Another person's message is not found: whether it exists is not the asker's to know.
    const row = /^[0-9a-f-]{36}$/.test(id)
      ? await this.db
          .selectFrom("message")
          .selectAll()
          .where("id", "=", id)
          .where("recipient", "=", code)
          .executeTakeFirst()
      : undefined;
    if (!row) throw new InboxError("MESSAGE_NOT_FOUND", `no message ${id.slice(0, 40)} in this person's inbox`);
    return row;
  }

  /** One of the person's messages with its attachments (base64). */
  async message(person: string, id: string): Promise<MessageDetail> {
    const row = await this.#row(person, id);
    const attachments = await this.db
      .selectFrom("attachment")
      .selectAll()
      .where("message_id", "=", row.id)
      .orderBy("position")
      .execute();
    return {
      ...summaryOf(row, []),
      recipient: row.recipient,
      body: row.body,
      notice: row.notice,
      attachments: attachments.map((a) => ({
        name: a.name,
        mediaType: a.media_type,
        size: Number(a.size),
        sha256: a.sha256,
        content: Buffer.from(a.content).toString("base64"),
      })),
    };
  }

  /** Marks a message read; the first reading's time stays. */
  async markRead(person: string, id: string, at = new Date()): Promise<MessageSummary> {
    const row = await this.#row(person, id);
    if (row.read_at === null)
      await this.store.write(async ({ trx, change }) => {
        await trx
          .updateTable("message")
          .set({ read_at: at.toISOString() })
          .where("id", "=", row.id)
          .where("read_at", "is", null)
          .execute();
        change({ entity: "message", key: row.id, op: "upsert", data: { readAt: at.toISOString() } });
      }, at);
    const read = await this.#row(person, id);
    return summaryOf(read, (await this.#attachmentSummaries([read.id])).get(read.id) ?? []);
  }

  async forwarding(person: string): Promise<string | null> {
    const code = personalCodeOf(person);
    const row = await this.db
      .selectFrom("forwarding")
      .select("email")
      .where("personal_code", "=", code)
      .executeTakeFirst();
    return row?.email ?? null;
  }

  /** Sets (or with null removes) where the person's notices go. */
  async setForwarding(person: string, email: string | null, at = new Date()): Promise<string | null> {
    const code = personalCodeOf(person);
    await this.store.write(async (write: MemberWrite<InboxDb>) => {
      await write.trx.deleteFrom("forwarding").where("personal_code", "=", code).execute();
      if (email !== null)
        await write.trx
          .insertInto("forwarding")
          .values({ personal_code: code, email, updated_at: at.toISOString() })
          .execute();
      write.change({
        entity: "forwarding",
        key: code,
        op: email === null ? "delete" : "upsert",
        ...(email === null ? {} : { data: { email } }),
      });
    }, at);
    return email;
  }

  /** The message a notice is about, with the recipient's forwarding address as it is now. */
  async noticeSubject(messageId: string): Promise<NoticeSubject | undefined> {
    const row = await this.db
      .selectFrom("message")
      .leftJoin("forwarding", "forwarding.personal_code", "message.recipient")
      .select([
        "message.id",
        "message.recipient",
        "message.subject",
        "message.sender_client",
        "message.notice",
        "forwarding.email",
      ])
      .where("message.id", "=", messageId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      recipient: row.recipient,
      subject: row.subject,
      senderClient: row.sender_client,
      notice: row.notice,
      email: row.email ?? null,
    };
  }

  async setNotice(messageId: string, state: NoticeState, at = new Date()): Promise<void> {
    await this.db
      .updateTable("message")
      .set({ notice: state, noticed_at: at.toISOString() })
      .where("id", "=", messageId)
      .execute();
  }
}

/** Opens (and migrates) the inbox's store. */
export async function openInboxStore(location: InboxLocation, options: InboxStoreOptions = {}): Promise<InboxStore> {
  const storage = await openMemberStorage<InboxDb>({
    component: INBOX_COMPONENT,
    dataDir: location.dataDir,
    url: location.url,
    ...(location.schema ? { schema: location.schema } : {}),
    migrations: inboxMigrations,
  });
  return new InboxStore(storage, options);
}
