// The sandbox mail server's store: every message accepted kept whole as an .eml file (0600) in
// one owner-only directory (0700), bounded in size per message and in count.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { simpleParser } from "mailparser";
import { InboxError } from "../errors.ts";

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_MESSAGES = 1000;

/** A kept message's id: its arrival time (ms, 13 digits) and 48 random bits, so ids sort by arrival. */
const MESSAGE_ID = /^[0-9]{13}-[0-9a-f]{12}$/;

export interface MailStoreOptions {
  dir: string;
  maxMessageBytes?: number;
  maxMessages?: number;
}

export interface KeptMessage {
  id: string;
  /** The envelope recipients (RCPT TO), as Delivered-To lines record them (RFC 9228). */
  envelopeTo: string[];
  size: number;
}

/** A kept message as the HTTP view shows it, parsed by mailparser. */
export interface ParsedMessage {
  id: string;
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string;
  date: string | null;
  messageId: string | null;
  text: string;
  headers: Record<string, string>;
  size: number;
}

/** Delivered-To header lines at the top of a kept file, one per envelope recipient. */
function envelopeOf(raw: Buffer): string[] {
  const head = raw.subarray(0, 64 * 1024).toString("latin1");
  const end = head.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? head : head.slice(0, end)).split(/\r?\n/);
  return lines.flatMap((line) => {
    const match = /^Delivered-To: (.+)$/i.exec(line);
    return match ? [match[1]!.trim().toLowerCase()] : [];
  });
}

export class MailStore {
  readonly dir: string;
  readonly maxMessageBytes: number;
  readonly maxMessages: number;
  readonly #index = new Map<string, KeptMessage>();

  constructor(options: MailStoreOptions) {
    this.dir = options.dir;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
    privateDirectory(this.dir);
    // What earlier runs kept (a crash leaves at most a .tmp file, which is not a message).
    for (const name of readdirSync(this.dir).sort()) {
      const id = name.replace(/\.eml$/, "");
      if (!name.endsWith(".eml") || !MESSAGE_ID.test(id)) continue;
      const raw = readFileSync(join(this.dir, name));
      this.#index.set(id, { id, envelopeTo: envelopeOf(raw), size: raw.length });
    }
  }

  get count(): number {
    return this.#index.size;
  }

  get full(): boolean {
    return this.#index.size >= this.maxMessages;
  }

  /** Keeps a message with its envelope on top (Return-Path, Delivered-To); answers its id. */
  save(envelope: { from: string | null; to: readonly string[] }, data: Buffer): string {
    const id = `${String(Date.now()).padStart(13, "0")}-${randomBytes(6).toString("hex")}`;
    const to = envelope.to.map((address) => address.toLowerCase());
    const trace = [`Return-Path: <${envelope.from ?? ""}>`, ...to.map((address) => `Delivered-To: ${address}`)];
    const raw = Buffer.concat([Buffer.from(`${trace.join("\r\n")}\r\n`, "utf8"), data]);
    writeFileAtomic(join(this.dir, `${id}.eml`), raw);
    this.#index.set(id, { id, envelopeTo: to, size: raw.length });
    return id;
  }

  /** The kept file as it is. */
  raw(id: string): Buffer {
    if (!MESSAGE_ID.test(id) || !this.#index.has(id))
      throw new InboxError("MAIL_MESSAGE_NOT_FOUND", `no message ${id.slice(0, 40)} is kept here`);
    return readFileSync(join(this.dir, `${id}.eml`));
  }

  /** Messages to `to` (an envelope recipient, any case), or all; newest first. */
  async list(options: { to?: string; limit?: number } = {}): Promise<ParsedMessage[]> {
    const to = options.to?.toLowerCase();
    const kept = [...this.#index.values()]
      .filter((message) => to === undefined || message.envelopeTo.includes(to))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, options.limit ?? 100);
    return Promise.all(kept.map((message) => this.parsed(message)));
  }

  async parsed(message: KeptMessage): Promise<ParsedMessage> {
    const mail = await simpleParser(this.raw(message.id), { skipHtmlToText: true, skipImageLinks: true });
    const text = (address: typeof mail.from | typeof mail.to): string =>
      address === undefined ? "" : Array.isArray(address) ? address.map((a) => a.text).join(", ") : address.text;
    const headers: Record<string, string> = {};
    for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(":") + 1).trim();
    return {
      id: message.id,
      envelopeTo: message.envelopeTo,
      from: text(mail.from),
      to: text(mail.to),
      subject: mail.subject ?? "",
      date: mail.date ? mail.date.toISOString() : null,
      messageId: mail.messageId ?? null,
      text: mail.text ?? "",
      headers,
      size: message.size,
    };
  }
}
