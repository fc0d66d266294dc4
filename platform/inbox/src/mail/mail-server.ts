// The sandbox's mail server (`riik mail serve`): an SMTP server (smtp-server) on loopback that
// keeps every message it accepts (mail-store.ts), and an HTTP view of them for people and
// tests: GET /messages?to=ADDR (parsed by mailparser), GET /messages/{id} (the raw message),
// /healthz, /metrics. It relays nothing: it is where the state's notices end in a sandbox.
import { createHttpService } from "@riik/core";
import { NO_QUERY } from "@riik/kit";
import { Counter } from "prom-client";
import { SMTPServer, type SMTPServerError } from "smtp-server";
import { Type } from "typebox";
import { INBOX_ERRORS } from "../errors.ts";
import { MailStore, type MailStoreOptions } from "./mail-store.ts";

/** Loopback only: 127.0.0.0/8, ::1 and their IPv4-mapped form. */
export function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, "");
  return address === "::1" || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(v4);
}

export const LOOPBACK_HOSTS = ["127.0.0.1", "::1", "localhost"];

export interface MailServerOptions extends MailStoreOptions {
  smtpPort: number;
  httpPort: number;
  /** A loopback address (the server refuses to listen elsewhere); default 127.0.0.1. */
  host?: string;
  /** Recipients per message; default 50. */
  maxRecipients?: number;
}

export interface MailServer {
  smtpUrl: string;
  httpUrl: string;
  store: MailStore;
  close(): Promise<void>;
}

const smtpError = (responseCode: number, message: string): SMTPServerError =>
  Object.assign(new Error(message), { responseCode });

const PARSED = Type.Object(
  {
    id: Type.String(),
    envelopeTo: Type.Array(Type.String()),
    from: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    date: Type.Union([Type.String(), Type.Null()]),
    messageId: Type.Union([Type.String(), Type.Null()]),
    text: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    size: Type.Integer(),
  },
  { additionalProperties: false },
);

export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.includes(host))
    throw new TypeError(`the sandbox mail server listens on loopback only, not ${host}`);
  const store = new MailStore(options);
  const maxRecipients = options.maxRecipients ?? 50;
  const http = createHttpService({ name: "mail", errors: INBOX_ERRORS });
  const messages = new Counter({
    name: "riik_mail_messages_total",
    help: "SMTP messages by result (kept, too_large, full, refused_address)",
    labelNames: ["result"],
    registers: [http.metrics],
  });

  const smtp = new SMTPServer({
    name: "mail.riik.localhost",
    banner: "riik sandbox mail server: keeps what it is sent, relays nothing",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    hideSTARTTLS: true,
    size: store.maxMessageBytes,
    maxClients: 20,
    logger: false,
    onConnect(session, callback) {
      if (isLoopback(session.remoteAddress)) return callback();
      messages.inc({ result: "refused_address" });
      return callback(smtpError(554, "this mail server accepts mail from loopback only"));
    },
    onRcptTo(_address, session, callback) {
      // RFC 5321 4.5.3.1.10 and 4.2.5: too many recipients, and no room, are 452 (try later).
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(smtpError(452, "too many recipients"));
      if (store.full) {
        messages.inc({ result: "full" });
        return callback(smtpError(452, `mailbox full: ${store.maxMessages} messages are kept`));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= store.maxMessageBytes) chunks.push(chunk);
      });
      stream.on("end", () => {
        if (stream.sizeExceeded || size > store.maxMessageBytes) {
          messages.inc({ result: "too_large" });
          return callback(smtpError(552, `message larger than ${store.maxMessageBytes} bytes`));
        }
        if (store.full) {
          messages.inc({ result: "full" });
          return callback(smtpError(452, `mailbox full: ${store.maxMessages} messages are kept`));
        }
        try {
          const { mailFrom, rcptTo } = session.envelope;
          const id = store.save(
            { from: mailFrom ? mailFrom.address : null, to: rcptTo.map((r) => r.address) },
            Buffer.concat(chunks),
          );
          messages.inc({ result: "kept" });
          return callback(null, `kept as ${id}`);
        } catch (error) {
          return callback(smtpError(451, `not kept: ${(error as Error).message}`));
        }
      });
      stream.on("error", (error: Error) => callback(smtpError(451, error.message)));
    },
  });
  smtp.on("error", (error) => http.logger.warn({ err: error }, "SMTP connection error"));

  const { app } = http;
  app.get(
    "/messages",
    {
      schema: {
        querystring: Type.Object(
          {
            to: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: "an envelope recipient" })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ messages: Type.Array(PARSED) }, { additionalProperties: false }) },
      },
    },
    async (request) => ({
      messages: await store.list({
        ...(request.query.to ? { to: request.query.to } : {}),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      }),
    }),
  );
  app.get(
    "/messages/:id",
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
        querystring: NO_QUERY,
      },
    },
    async (request, reply) => reply.type("message/rfc822").send(store.raw(request.params.id)),
  );

  await new Promise<void>((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(options.smtpPort, host, () => {
      smtp.off("error", reject);
      resolve();
    });
  });
  let httpUrl: string;
  try {
    httpUrl = (await app.listen({ port: options.httpPort, host })).replace("[::1]", "127.0.0.1");
  } catch (error) {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw error;
  }
  const address = smtp.server.address();
  const smtpPort = typeof address === "object" && address ? address.port : options.smtpPort;
  return {
    smtpUrl: `smtp://${host.includes(":") ? `[${host}]` : host}:${smtpPort}`,
    httpUrl,
    store,
    close: async () => {
      await app.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
