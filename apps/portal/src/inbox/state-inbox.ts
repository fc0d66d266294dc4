import type { InboxConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import { askedBy, type XRoadCalls } from "../xroad/calls.ts";

/** Who sent a message: the agency's X-Road subsystem, and the person when the portal wrote for one. */
export interface MessageSender {
  client: string;
  personalCode: string | null;
}

export interface MessageSummary {
  id: string;
  sender: MessageSender;
  subject: string;
  createdAt: string;
  readAt: string | null;
  attachments: Array<{ name: string; mediaType: string; size: number }>;
}

export interface InboxPage {
  messages: MessageSummary[];
  /** The cursor of the next (older) page. */
  next: string | null;
  /** The person's unread messages on every page. */
  unread: number;
}

export interface InboxMessage extends MessageSummary {
  body: string;
}

/** One attachment's bytes, as the inbox holds them (a CDOC2 container stays encrypted). */
export interface InboxAttachment {
  name: string;
  mediaType: string;
  content: Buffer;
}

/** A message the person logged in writes to another person's inbox (the inbox's `messages` service). */
export interface OutgoingMessage {
  recipient: string;
  subject: string;
  body: string;
  attachments: Array<{ name: string; mediaType: string; content: string }>;
  idempotencyKey: string;
}

/**
 * The person's state inbox (`@riik/inbox`, its `mailbox` service) over X-Road, always as the
 * person logged in (X-Road-UserId; acting for a child, the child is the represented party),
 * so the inbox's Data Tracker records each read and the inbox refuses anyone else's mailbox.
 */
export class StateInbox {
  readonly #xroad: XRoadCalls;
  readonly #options: { client: string; mailbox: string; messages: string; purpose: string };

  constructor(xroad: XRoadCalls, client: string, config: InboxConfig, purpose: string) {
    this.#xroad = xroad;
    this.#options = { client, mailbox: config.mailboxService, messages: config.messagesService, purpose };
  }

  async list(code: string, actor: string, before?: string): Promise<InboxPage> {
    const query = new URLSearchParams({ limit: "50", ...(before ? { before } : {}) });
    const body = record(await this.#call("GET", code, actor, `/messages?${query}`));
    if (!Array.isArray(body.messages)) throw bad("no list of messages");
    return {
      messages: body.messages.slice(0, 100).map(summary),
      next: typeof body.next === "string" ? body.next : null,
      unread: typeof body.unread === "number" ? body.unread : 0,
    };
  }

  async message(code: string, actor: string, id: string): Promise<InboxMessage> {
    const body = record(await this.#call("GET", code, actor, `/messages/${encodeURIComponent(id)}`));
    return { ...summary(body), body: typeof body.body === "string" ? body.body : "" };
  }

  /** The `index`th attachment of a message, its bytes as the inbox keeps them. */
  async attachment(code: string, actor: string, id: string, index: number): Promise<InboxAttachment> {
    const body = record(await this.#call("GET", code, actor, `/messages/${encodeURIComponent(id)}`));
    const found = Array.isArray(body.attachments) ? body.attachments[index] : undefined;
    if (found === undefined)
      throw new PortalError("PORTAL_NOT_FOUND", `the message has no attachment ${index + 1}`, {
        details: { index },
      });
    const a = record(found);
    if (typeof a.content !== "string") throw bad("an attachment without its content");
    return {
      name: text(a.name, 255) || "attachment",
      mediaType: text(a.mediaType, 127),
      content: Buffer.from(a.content, "base64"),
    };
  }

  /**
   * Writes `message` to its recipient's inbox as the person `sender` (X-Road-UserId: the inbox
   * records them as the message's sender); the idempotency key makes a retry answer the first.
   */
  async send(sender: string, message: OutgoingMessage): Promise<{ id: string }> {
    const { body } = await this.#xroad.send<unknown>({
      client: this.#options.client,
      service: this.#options.messages,
      method: "POST",
      path: "/messages",
      body: message,
      ...askedBy(sender),
      issue: this.#options.purpose,
    });
    const id = text(record(body).id, 64);
    if (!id) throw bad("no id for the message sent");
    return { id };
  }

  /** Marks it read at the inbox (the first reading's time stays). */
  async markRead(code: string, actor: string, id: string): Promise<MessageSummary> {
    return summary(await this.#call("POST", code, actor, `/messages/${encodeURIComponent(id)}/read`));
  }

  /** Where the inbox e-mails notices of the person's new messages (null: nowhere). */
  async forwarding(code: string, actor: string): Promise<string | null> {
    return emailOf(await this.#call("GET", code, actor, "/forwarding"));
  }

  /** Sets (or with null removes) the address notices go to; the inbox judges the address. */
  async setForwarding(code: string, actor: string, email: string | null): Promise<string | null> {
    return emailOf(await this.#call("PUT", code, actor, "/forwarding", { email }));
  }

  async #call(
    method: "GET" | "POST" | "PUT",
    code: string,
    actor: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const { body: answer } = await this.#xroad.send<unknown>({
      client: this.#options.client,
      service: this.#options.mailbox,
      method,
      ...(body === undefined ? {} : { body }),
      path: `/persons/EE${code}${path}`,
      ...askedBy(code, actor),
      issue: this.#options.purpose,
    });
    return answer;
  }
}

const bad = (what: string) => new PortalError("PORTAL_BAD_RESPONSE", `the state inbox's answer has ${what}`);

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("no JSON object");
  return value as Record<string, unknown>;
}

const text = (value: unknown, max = 2000): string => (typeof value === "string" ? value.slice(0, max) : "");

function emailOf(answer: unknown): string | null {
  const { email } = record(answer);
  if (email !== null && (typeof email !== "string" || email.length > 254)) throw bad("no forwarding address or null");
  return email;
}

function summary(value: unknown): MessageSummary {
  const m = record(value);
  const id = text(m.id, 64);
  if (!id) throw bad("a message without an id");
  const sender = typeof m.sender === "object" && m.sender !== null ? (m.sender as Record<string, unknown>) : {};
  return {
    id,
    sender: {
      client: text(sender.client, 200),
      personalCode: typeof sender.personalCode === "string" ? sender.personalCode.slice(0, 20) : null,
    },
    subject: text(m.subject, 200),
    createdAt: text(m.createdAt, 40),
    readAt: typeof m.readAt === "string" ? m.readAt.slice(0, 40) : null,
    attachments: (Array.isArray(m.attachments) ? m.attachments.slice(0, 10) : []).map((a) => {
      const attachment = record(a);
      return {
        name: text(attachment.name, 255),
        mediaType: text(attachment.mediaType, 127),
        size: typeof attachment.size === "number" ? attachment.size : 0,
      };
    }),
  };
}
