// Sends the e-mail notices the inbox writes to its outbox (kit event outbox, at least once, in
// order, surviving a restart) through an SMTP server with nodemailer. A failure the server may
// get over (connection refused, a 4xx reply) is retried with exponential backoff; a 5xx reply
// refuses the address for good (RFC 5321 4.2.1): that notice is marked refused and the queue
// moves on, so one bad address never holds back everyone else's notices.
import { type OutboxDispatcher, startOutboxDispatcher } from "@riik/kit";
import nodemailer from "nodemailer";
import type { Logger } from "pino";
import { type InboxStore, NOTICE_EVENT } from "../storage/inbox-store.ts";
import { type NoticeOptions, noticeMail } from "./notice.ts";

export interface Backoff {
  /** The wait after the first failure; doubled after each further one. Default 1 s. */
  initialMs: number;
  /** The longest wait. Default 5 min. */
  maxMs: number;
}

export interface NoticeDispatcherOptions extends NoticeOptions {
  store: InboxStore;
  /** smtp://[user:password@]host:port (smtps:// for implicit TLS). */
  smtpUrl: string;
  /** How often the outbox is looked at; default 1000 ms. */
  intervalMs?: number;
  backoff?: Partial<Backoff>;
  logger?: Pick<Logger, "warn" | "info">;
}

export interface NoticeDispatcher extends OutboxDispatcher {
  /** Failures in a row since the last notice accepted (0 when the SMTP server is taking them). */
  readonly failures: number;
}

/** Thrown while waiting out a backoff: the outbox round stops without asking the SMTP server. */
class BackingOff extends Error {}

/** Nodemailer's SMTP options from a URL, with timeouts that keep a hung server from holding the queue long. */
export function smtpTransportOptions(smtpUrl: string) {
  const url = new URL(smtpUrl);
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:")
    throw new TypeError(`the SMTP URL must be smtp:// or smtps://, got ${url.protocol}`);
  const secure = url.protocol === "smtps:";
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

export function startNoticeDispatcher(options: NoticeDispatcherOptions): NoticeDispatcher {
  const { store, logger } = options;
  const backoff: Backoff = { initialMs: 1000, maxMs: 5 * 60_000, ...options.backoff };
  const transport = nodemailer.createTransport(smtpTransportOptions(options.smtpUrl));
  let failures = 0;
  let retryAt = 0;

  const dispatcher = startOutboxDispatcher({
    db: store.db,
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
    async deliver(event) {
      if (event.type !== NOTICE_EVENT) return;
      const { messageId } = event.data as { messageId: string };
      const message = await store.noticeSubject(messageId);
      // Sent before a crash, before the outbox row was marked: not again.
      if (message?.notice !== "pending") return;
      if (message.email === null) {
        await store.setNotice(messageId, "cancelled");
        return;
      }
      if (Date.now() < retryAt) throw new BackingOff();
      try {
        await transport.sendMail(noticeMail({ ...message, email: message.email }, options));
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500 && code < 600) {
          logger?.warn({ messageId, responseCode: code }, "the SMTP server refused a notice's address for good");
          await store.setNotice(messageId, "refused");
          return;
        }
        failures += 1;
        retryAt = Date.now() + Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
        throw error;
      }
      failures = 0;
      retryAt = 0;
      await store.setNotice(messageId, "sent");
    },
    onError(error) {
      if (error instanceof BackingOff) return;
      logger?.warn(
        { err: { message: (error as Error).message, code: (error as { code?: string }).code }, failures },
        "an e-mail notice was not sent; retried later",
      );
    },
  });
  return {
    drain: dispatcher.drain,
    get failures() {
      return failures;
    },
    async stop() {
      await dispatcher.stop();
      transport.close();
    },
  };
}
