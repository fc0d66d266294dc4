import {
  type ComponentDescriptor,
  problem,
  refine,
  SERVED_OPTIONS,
  servedFields,
  subsystemIdField,
  TCP_PORT,
} from "@riik/core";
import { type Static, Type } from "typebox";
import { inboxOpenApi } from "./api/server.ts";
import { LOOPBACK_HOSTS } from "./mail/mail-server.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGES } from "./mail/mail-store.ts";
import { DEFAULT_MAX_ATTACHMENT_BYTES } from "./storage/inbox-store.ts";

const DEFAULT_PORT = 8490;

const clients = (what: string) =>
  Type.Array(subsystemIdField(), {
    default: [],
    description: what,
  });
const urlOf = (protocols: readonly string[], what: string) =>
  refine(
    Type.String({ minLength: 1 }),
    (value) => URL.canParse(value) && protocols.includes(new URL(value).protocol),
    `must be ${what}`,
  );

/** `riik inbox serve`: the state inbox's REST API and its e-mail notices. */
export const INBOX_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the inbox's data directory") }),
    ...servedFields(DEFAULT_PORT),
    smtpUrl: urlOf(["smtp:", "smtps:"], "an smtp:// or smtps:// URL"),
    portalUrl: urlOf(["http:", "https:"], "the portal's http(s) origin"),
    mailFrom: Type.String({ minLength: 3, maxLength: 254, default: "riik state inbox <noreply@riik.localhost>" }),
    messagesClients: clients("subsystems that deliver messages (agencies, the portal)"),
    mailboxClients: clients("subsystems that read a person's inbox (the portal)"),
    personSenderClients: clients("of the messages clients, those writing for the person X-Road-UserId names"),
    maxAttachmentBytes: Type.Integer({
      minimum: 1024,
      // Base64 of 7 MiB with the message fits a security server's default 10 MiB body.
      maximum: 7 * 1024 * 1024,
      default: DEFAULT_MAX_ATTACHMENT_BYTES,
      ...problem("must be 1024 to 7340032 bytes"),
    }),
  },
  { additionalProperties: false },
);
export type InboxServeConfig = Static<typeof INBOX_SERVE>;

/** X-Road service codes: both serve the same API; each consumer asks the paths its right covers. */
export const MESSAGES_SERVICE_CODE = "messages";
export const MAILBOX_SERVICE_CODE = "mailbox";

export const inboxDescriptor: ComponentDescriptor<typeof INBOX_SERVE> = {
  name: "inbox",
  description: "serve the state inbox (messages to persons over X-Road, e-mail notices; OpenAPI at /openapi.json)",
  config: INBOX_SERVE,
  command: ["inbox", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database inbox.sqlite)" },
    ...SERVED_OPTIONS,
    { flag: "--smtp-url", field: "smtpUrl", description: "SMTP server for e-mail notices (smtp://host:port)" },
    { flag: "--portal-url", field: "portalUrl", description: "the portal's origin, linked from notices" },
    { flag: "--mail-from", field: "mailFrom", description: "From address of notices" },
    {
      flag: "--messages-client",
      field: "messagesClients",
      kind: "list",
      description: "a subsystem granted the messages service (repeat for more)",
    },
    {
      flag: "--mailbox-client",
      field: "mailboxClients",
      kind: "list",
      description: "a subsystem granted the mailbox service (repeat for more)",
    },
    {
      flag: "--person-sender-client",
      field: "personSenderClients",
      kind: "list",
      description: "a messages client that writes for the person in X-Road-UserId (repeat for more)",
    },
    {
      flag: "--max-attachment-bytes",
      field: "maxAttachmentBytes",
      kind: "count",
      description: "largest total of one message's attachments",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: ["mail"],
  exchange: (config, at) => {
    const service = (code: string, personalData: boolean) => ({
      subsystem: at.subsystem,
      code,
      url: at.url,
      personalData,
      openapi: () => inboxOpenApi(),
    });
    const messages = `${at.subsystem}/${MESSAGES_SERVICE_CODE}`;
    const mailbox = `${at.subsystem}/${MAILBOX_SERVICE_CODE}`;
    return {
      subsystems: [{ id: at.subsystem, description: "state inbox" }],
      services: [
        // Delivering is the sender's own act (the message log records it); reading names the
        // person, so every mailbox answer is a Data Tracker use (X-Riik-Data-Subjects).
        service(MESSAGES_SERVICE_CODE, false),
        service(MAILBOX_SERVICE_CODE, true),
      ],
      access: [
        ...config.messagesClients.map((subject) => ({
          subject,
          service: messages,
          method: "POST",
          paths: ["/messages", "/message-batches"],
        })),
        ...config.mailboxClients.flatMap((subject) => [
          {
            subject,
            service: mailbox,
            method: "GET",
            paths: ["/persons/*/messages", "/persons/*/messages/*", "/persons/*/forwarding"],
          },
          { subject, service: mailbox, method: "POST", paths: ["/persons/*/messages/*/read"] },
          { subject, service: mailbox, method: "PUT", paths: ["/persons/*/forwarding"] },
        ]),
      ],
    };
  },
};

/** `riik mail serve`: the sandbox's mail server, which keeps the notices sent to it. */
export const MAIL_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the directory the messages are kept in") }),
    smtpPort: Type.Integer({ ...TCP_PORT, default: 2525 }),
    httpPort: Type.Integer({ ...TCP_PORT, default: 8025 }),
    host: Type.String({
      default: "127.0.0.1",
      enum: LOOPBACK_HOSTS,
      ...problem(`must be a loopback address (${LOOPBACK_HOSTS.join(", ")})`),
    }),
    maxMessageBytes: Type.Integer({
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      default: DEFAULT_MAX_MESSAGE_BYTES,
      ...problem("must be 1 KiB to 64 MiB"),
    }),
    maxMessages: Type.Integer({ minimum: 1, maximum: 1_000_000, default: DEFAULT_MAX_MESSAGES }),
  },
  { additionalProperties: false },
);
export type MailServeConfig = Static<typeof MAIL_SERVE>;

export const mailDescriptor: ComponentDescriptor<typeof MAIL_SERVE> = {
  name: "mail",
  description: "serve the sandbox mail server: SMTP on loopback, every message kept as an .eml file, an HTTP view",
  config: MAIL_SERVE,
  command: ["mail", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "directory the messages are kept in (0700, files 0600)" },
    { flag: "--smtp-port", field: "smtpPort", kind: "port", description: "SMTP port" },
    { flag: "--http-port", field: "httpPort", kind: "port", description: "HTTP view port (/messages, /healthz)" },
    { flag: "--host", field: "host", description: "loopback address to listen on" },
    { flag: "--max-message-bytes", field: "maxMessageBytes", kind: "count", description: "largest message kept" },
    { flag: "--max-messages", field: "maxMessages", kind: "count", description: "most messages kept" },
  ],
  ports: (config) => ({ smtp: config.smtpPort, http: config.httpPort }),
  dependsOn: [],
};
