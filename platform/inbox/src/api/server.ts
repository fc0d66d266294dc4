// The state inbox's REST API on the kit's member service, two X-Road services on one server:
// `messages` (agencies and the portal deliver a message to a person) and `mailbox` (the portal
// reads the logged-in person's messages and sets their forwarding address). Every mailbox
// answer names its data subjects for the Data Tracker.
import { formatClientId, parseClientId } from "@riik/core";
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  listenOrRelease,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import type { FastifyRequest } from "fastify";
import { INBOX_ERRORS, InboxError } from "../errors.ts";
import { type NoticeDispatcher, startNoticeDispatcher } from "../forwarding/notice-dispatcher.ts";
import {
  DEFAULT_MAX_ATTACHMENT_BYTES,
  type InboxLocation,
  type InboxStore,
  openInboxStore,
  personalCodeOf,
  type Sender,
} from "../storage/inbox-store.ts";
import {
  BATCH_CREATED,
  BATCH_IN,
  FORWARDING,
  MESSAGE_CREATED,
  MESSAGE_DETAIL,
  MESSAGE_IN,
  MESSAGE_PAGE,
  MESSAGE_PARAMS,
  MESSAGE_SUMMARY,
  PAGE_QUERY,
  PERSON_PARAMS,
} from "./schemas.ts";

/**
 * Which X-Road clients may do what. The security server grants the rights (the descriptor's
 * access); the inbox checks again and refuses a client not listed (fail closed: empty lists
 * refuse everyone), so a call that reached it around its security server finds nothing open.
 */
export interface InboxAccess {
  /** Subsystems that deliver messages (`messages`): agencies and the portal. */
  messagesClients: readonly string[];
  /** Subsystems that read a person's inbox (`mailbox`): the portal. */
  mailboxClients: readonly string[];
  /** Of the messages clients, those that write for a person (X-Road-UserId): the portal. */
  personSenderClients: readonly string[];
}

/** Idempotency-Key replays answer as the first time, saying so (as Stripe's API does). */
export const REPLAYED_HEADER = "idempotent-replayed";

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.at(-1) : value;
};

/** The X-Road client of the call (set by the provider's security server), canonical. */
function callingClient(request: FastifyRequest, allowed: readonly string[], service: string): string {
  const value = header(request, "x-road-client");
  let client: string;
  try {
    if (!value) throw new Error("missing");
    const id = parseClientId(value);
    if (id.subsystemCode === undefined) throw new Error("not a subsystem");
    client = formatClientId(id);
  } catch {
    throw new InboxError("SENDER_MISSING", "the call carries no X-Road-Client subsystem: it must come through X-Road");
  }
  if (!allowed.includes(client))
    throw new InboxError("CLIENT_NOT_ALLOWED", `${client} may not use the inbox's ${service} service`);
  return client;
}

/** A person header (X-Road-UserId, or a represented party without a class) as 11 digits; undefined if it names no person. */
function personIn(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const decoded = (() => {
    try {
      return decodeURIComponent(value.trim());
    } catch {
      return "";
    }
  })();
  if (!/^EE[0-9]{11}$/.test(decoded)) return undefined;
  try {
    return personalCodeOf(decoded);
  } catch {
    return undefined;
  }
}

/** The mailbox is read for its person only: the user (X-Road-UserId) or the person they represent (PR-THIRDPARTY 2.2). */
function assertForPerson(request: FastifyRequest, access: InboxAccess, code: string): string {
  callingClient(request, access.mailboxClients, "mailbox");
  const person = personalCodeOf(code);
  const user = personIn(header(request, "x-road-userid"));
  const represented = personIn(header(request, "x-road-represented-party"));
  if (person !== user && person !== represented)
    throw new InboxError(
      "PERSON_NOT_REPRESENTED",
      "the mailbox is read only for its person: X-Road-UserId or X-Road-Represented-Party must name them",
    );
  return person;
}

const PERSON_REFUSED = "REQUEST_INVALID, PERSONAL_CODE_INVALID";
const MAILBOX_FORBIDDEN = "CLIENT_NOT_ALLOWED; PERSON_NOT_REPRESENTED (the call is not for this person)";

export function createInboxService(store: InboxStore, access: InboxAccess): MemberService {
  /** Who sends: the calling client, and the person a person-sender client writes for. */
  const sender = (request: FastifyRequest): Sender => {
    const client = callingClient(request, access.messagesClients, "messages");
    if (!access.personSenderClients.includes(client)) return { client };
    const person = personIn(header(request, "x-road-userid"));
    if (!person)
      throw new InboxError(
        "SENDER_PERSON_MISSING",
        `${client} writes for a person: X-Road-UserId must name them (EE + personal code)`,
      );
    return { client, person };
  };
  const maxAttachmentBytes = store.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  return createMemberService({
    name: "inbox",
    title: "riik state inbox",
    version: "1.0.0",
    description:
      "The state inbox (riigipost) of a riik state: agencies deliver messages to a person by personal code, with attachments (CDOC2 containers pass as they are); the portal shows a person their messages and sets where notices of new ones are e-mailed.",
    errors: INBOX_ERRORS,
    // The attachments as base64 (4/3 of their size) and the message's text.
    bodyLimit: Math.ceil(maxAttachmentBytes / 3) * 4 + 256 * 1024,
    routes(app) {
      // ---- messages (agencies, the portal)
      app.post(
        "/messages",
        {
          schema: {
            operationId: "sendMessage",
            summary: "Deliver a message to a person's state inbox",
            description:
              "The sender is the X-Road client of the call; a person-sender client (the portal) writes for the person X-Road-UserId names. The same idempotencyKey from the same sender answers the first message (header Idempotent-Replayed: true).",
            querystring: NO_QUERY,
            body: MESSAGE_IN,
            response: {
              201: MESSAGE_CREATED,
              ...errorAnswers({
                400: "REQUEST_INVALID, PERSONAL_CODE_INVALID, ATTACHMENT_INVALID, SENDER_MISSING, SENDER_PERSON_MISSING",
                403: "CLIENT_NOT_ALLOWED",
                413: "ATTACHMENT_TOO_LARGE, BODY_TOO_LARGE",
                422: "IDEMPOTENCY_KEY_REUSED (details.id: the first message)",
              }),
            },
          },
        },
        async (request, reply) => {
          const sent = await store.send(sender(request), request.body);
          if (sent.duplicate) reply.header(REPLAYED_HEADER, "true");
          return reply.status(201).send({ id: sent.id });
        },
      );

      app.post(
        "/message-batches",
        {
          schema: {
            operationId: "sendMessages",
            summary:
              "Deliver up to 500 messages in one transaction (all or none), e.g. to every holder of an affected card",
            description:
              "Each message as POST /messages, with its own idempotencyKey; a refusal names the message's details.index.",
            querystring: NO_QUERY,
            body: BATCH_IN,
            response: {
              201: BATCH_CREATED,
              ...errorAnswers({
                400: "REQUEST_INVALID, PERSONAL_CODE_INVALID, ATTACHMENT_INVALID, SENDER_MISSING, SENDER_PERSON_MISSING",
                403: "CLIENT_NOT_ALLOWED",
                413: "ATTACHMENT_TOO_LARGE, BODY_TOO_LARGE",
                422: "IDEMPOTENCY_KEY_REUSED",
              }),
            },
          },
        },
        async (request, reply) => {
          const messages = await store.sendBatch(sender(request), request.body.messages);
          return reply.status(201).send({ messages });
        },
      );

      // ---- mailbox (the portal, for the person logged in)
      app.get(
        "/persons/:code/messages",
        {
          schema: {
            operationId: "listMessages",
            summary: "A person's messages, newest first, a page at a time",
            params: PERSON_PARAMS,
            querystring: PAGE_QUERY,
            response: {
              200: personalAnswer(MESSAGE_PAGE, "The page, the next page's cursor and the unread count"),
              ...errorAnswers({ 400: `${PERSON_REFUSED}, CURSOR_INVALID`, 403: MAILBOX_FORBIDDEN }),
            },
          },
        },
        async (request, reply) => {
          const person = assertForPerson(request, access, request.params.code);
          const page = await store.list(person, {
            ...(request.query.limit ? { limit: request.query.limit } : {}),
            ...(request.query.before ? { before: request.query.before } : {}),
          });
          declareDataSubjects(reply, [
            person,
            ...page.messages.flatMap((m) => (m.sender.personalCode ? [m.sender.personalCode] : [])),
          ]);
          return page;
        },
      );
      app.get(
        "/persons/:code/messages/:id",
        {
          schema: {
            operationId: "getMessage",
            summary: "One of the person's messages with its attachments",
            params: MESSAGE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(MESSAGE_DETAIL, "The message"),
              ...errorAnswers({
                400: PERSON_REFUSED,
                403: MAILBOX_FORBIDDEN,
                404: "MESSAGE_NOT_FOUND (also another person's)",
              }),
            },
          },
        },
        async (request, reply) => {
          const person = assertForPerson(request, access, request.params.code);
          const message = await store.message(person, request.params.id);
          declareDataSubjects(reply, [person, ...(message.sender.personalCode ? [message.sender.personalCode] : [])]);
          return message;
        },
      );
      app.post(
        "/persons/:code/messages/:id/read",
        {
          schema: {
            operationId: "markMessageRead",
            summary: "Mark a message read (the first reading's time stays)",
            params: MESSAGE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(MESSAGE_SUMMARY, "The message, read"),
              ...errorAnswers({ 400: PERSON_REFUSED, 403: MAILBOX_FORBIDDEN, 404: "MESSAGE_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const person = assertForPerson(request, access, request.params.code);
          const message = await store.markRead(person, request.params.id);
          declareDataSubjects(reply, [person, ...(message.sender.personalCode ? [message.sender.personalCode] : [])]);
          return message;
        },
      );
      app.get(
        "/persons/:code/forwarding",
        {
          schema: {
            operationId: "getForwarding",
            summary: "Where notices of the person's new messages are e-mailed",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(FORWARDING, "The address, or null"),
              ...errorAnswers({ 400: PERSON_REFUSED, 403: MAILBOX_FORBIDDEN }),
            },
          },
        },
        async (request, reply) => {
          const person = assertForPerson(request, access, request.params.code);
          const email = await store.forwarding(person);
          declareDataSubjects(reply, [person]);
          return { email };
        },
      );
      app.put(
        "/persons/:code/forwarding",
        {
          schema: {
            operationId: "setForwarding",
            summary: "Set (or with null remove) where notices of new messages are e-mailed",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            body: FORWARDING,
            response: {
              200: personalAnswer(FORWARDING, "The address now"),
              ...errorAnswers({ 400: `${PERSON_REFUSED} (also a malformed address)`, 403: MAILBOX_FORBIDDEN }),
            },
          },
        },
        async (request, reply) => {
          const person = assertForPerson(request, access, request.params.code);
          const email = await store.setForwarding(person, request.body.email);
          declareDataSubjects(reply, [person]);
          return { email };
        },
      );
    },
  });
}

const NO_ACCESS: InboxAccess = { messagesClients: [], mailboxClients: [], personSenderClients: [] };

/** The OpenAPI 3.1 document without a running inbox (for the security server before it starts). */
export function inboxOpenApi(serverUrl?: string): Promise<Record<string, unknown>> {
  return describedOpenApi(
    createInboxService({ maxAttachmentBytes: DEFAULT_MAX_ATTACHMENT_BYTES } as InboxStore, NO_ACCESS),
    serverUrl,
  );
}

export interface InboxServerOptions extends InboxLocation, InboxAccess {
  port: number;
  host?: string;
  /** The SMTP server notices go through: smtp://host:port. */
  smtpUrl: string;
  /** The From address of notices. */
  mailFrom: string;
  /** The portal's public origin, for the link in a notice. */
  portalUrl: string;
  maxAttachmentBytes?: number;
  /** The notice dispatcher's outbox interval and backoff (tests shorten them). */
  noticeIntervalMs?: number;
  noticeBackoff?: { initialMs?: number; maxMs?: number };
}

export interface InboxServer {
  url: string;
  service: MemberService;
  store: InboxStore;
  notices: NoticeDispatcher;
  close(): Promise<void>;
}

/** `riik inbox serve`: opens (and migrates) the store, serves the API and sends the notices. */
export async function startInbox(options: InboxServerOptions): Promise<InboxServer> {
  const store = await openInboxStore(
    {
      dataDir: options.dataDir,
      ...(options.url ? { url: options.url } : {}),
      ...(options.schema ? { schema: options.schema } : {}),
    },
    options.maxAttachmentBytes ? { maxAttachmentBytes: options.maxAttachmentBytes } : {},
  );
  const service = createInboxService(store, options);
  const notices = startNoticeDispatcher({
    store,
    smtpUrl: options.smtpUrl,
    from: options.mailFrom,
    portalUrl: options.portalUrl,
    logger: service.logger,
    ...(options.noticeIntervalMs ? { intervalMs: options.noticeIntervalMs } : {}),
    ...(options.noticeBackoff ? { backoff: options.noticeBackoff } : {}),
  });
  const url = await listenOrRelease(service, options, async () => {
    await notices.stop();
    await store.close();
  });
  service.logger.info({ url }, "state inbox listening");
  return {
    url,
    service,
    store,
    notices,
    close: async () => {
      await service.close();
      await notices.stop();
      await store.close();
    },
  };
}
