// The inbox's API shapes (TypeBox): requests validated, answers serialised, OpenAPI generated.
import { Type } from "typebox";

const NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$";

export const PERSON_CODE = Type.String({
  pattern: "^(EE)?[0-9]{11}$",
  description: "personal code, 11 digits (or EE + 11 digits, as X-Road writes a person)",
});
const MESSAGE_ID = Type.String({ minLength: 1, maxLength: 64, description: "the message's id (a UUID)" });
const SENDER_CLIENT = Type.String({
  description: "X-Road-Client of the call that sent it: INSTANCE/CLASS/MEMBER/SUBSYSTEM",
});

export const ATTACHMENT_IN = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, pattern: "^[^\\u0000-\\u001f\\u007f/\\\\]+$" }),
    mediaType: Type.String({
      maxLength: 127,
      pattern: "^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$",
      description: "e.g. application/pdf; application/x-cdoc2 for an encrypted container, kept as sent",
    }),
    content: Type.String({ minLength: 1, description: "the bytes, base64 (RFC 4648 section 4)" }),
  },
  { additionalProperties: false },
);

export const MESSAGE_IN = Type.Object(
  {
    recipient: PERSON_CODE,
    subject: Type.String({ minLength: 1, maxLength: 200, pattern: NO_CONTROL }),
    body: Type.String({ minLength: 1, maxLength: 100_000, description: "plain text" }),
    attachments: Type.Optional(Type.Array(ATTACHMENT_IN, { maxItems: 10 })),
    idempotencyKey: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: "^[\\x21-\\x7e]+$",
      description: "the sender's key for this message: sent again, the first message is answered",
    }),
  },
  { additionalProperties: false },
);

export const MESSAGE_CREATED = Type.Object(
  { id: Type.String({ description: "the message's id" }) },
  { additionalProperties: false, description: "The message, delivered (or, for a repeated key, the first one)" },
);

/** At most this many messages in one batch (one transaction). */
export const MAX_BATCH = 500;

export const BATCH_IN = Type.Object(
  { messages: Type.Array(MESSAGE_IN, { minItems: 1, maxItems: MAX_BATCH }) },
  { additionalProperties: false },
);

export const BATCH_CREATED = Type.Object(
  {
    messages: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          duplicate: Type.Boolean({ description: "true: the key was used before, this is the first message" }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: "The messages in the order sent" },
);

const SENDER = Type.Object(
  {
    client: SENDER_CLIENT,
    personalCode: Type.Union([Type.String(), Type.Null()], {
      description: "the person who wrote it, when the portal sent it for them",
    }),
  },
  { additionalProperties: false },
);
const ATTACHMENT_SUMMARY = {
  name: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer({ description: "bytes" }),
  sha256: Type.String({ description: "hex SHA-256 of the bytes" }),
};
const SUMMARY = {
  id: Type.String(),
  sender: SENDER,
  subject: Type.String(),
  createdAt: Type.String({ format: "date-time" }),
  readAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
};

export const MESSAGE_SUMMARY = Type.Object(
  { ...SUMMARY, attachments: Type.Array(Type.Object(ATTACHMENT_SUMMARY, { additionalProperties: false })) },
  { additionalProperties: false },
);

export const MESSAGE_PAGE = Type.Object(
  {
    messages: Type.Array(MESSAGE_SUMMARY),
    next: Type.Union([Type.String(), Type.Null()], { description: "the cursor of the next (older) page" }),
    unread: Type.Integer({ description: "the person's unread messages, all pages" }),
  },
  { additionalProperties: false },
);

export const MESSAGE_DETAIL = Type.Object(
  {
    ...SUMMARY,
    recipient: Type.String(),
    body: Type.String(),
    notice: Type.Union(
      [
        Type.Literal("none"),
        Type.Literal("pending"),
        Type.Literal("sent"),
        Type.Literal("refused"),
        Type.Literal("cancelled"),
      ],
      { description: "what became of the e-mail notice" },
    ),
    attachments: Type.Array(
      Type.Object(
        { ...ATTACHMENT_SUMMARY, content: Type.String({ description: "base64" }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PERSON_PARAMS = Type.Object({ code: PERSON_CODE }, { additionalProperties: false });
export const MESSAGE_PARAMS = Type.Object({ code: PERSON_CODE, id: MESSAGE_ID }, { additionalProperties: false });
export const PAGE_QUERY = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "default 20" })),
    before: Type.Optional(Type.String({ maxLength: 20, description: "the `next` of the previous page" })),
  },
  { additionalProperties: false },
);

export const FORWARDING = Type.Object(
  {
    email: Type.Union([Type.String({ format: "email", maxLength: 254 }), Type.Null()], {
      description: "where notices of new messages go; null: none",
    }),
  },
  { additionalProperties: false },
);
