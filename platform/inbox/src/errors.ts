import { type ErrorCatalogue, RiikError } from "@riik/core";

export type InboxErrorCode =
  /** The recipient (or a path's person) is not a valid Estonian personal code (EVS 585: date, check digit). */
  | "PERSONAL_CODE_INVALID"
  /** The call carries no X-Road-Client (it did not come through the security server). */
  | "SENDER_MISSING"
  /** The X-Road client may not use this service (the inbox's own list, beside the security server's rights). */
  | "CLIENT_NOT_ALLOWED"
  /** A person-sender client (the portal) sent without X-Road-UserId naming the person who writes. */
  | "SENDER_PERSON_MISSING"
  /** The portal asked about a person who is neither its user (X-Road-UserId) nor the party it represents. */
  | "PERSON_NOT_REPRESENTED"
  /** An attachment's content is not base64, or is empty, or a CDOC2 container is not one. */
  | "ATTACHMENT_INVALID"
  /** The attachments together are larger than the inbox takes. */
  | "ATTACHMENT_TOO_LARGE"
  /** The same idempotency key from the same sender with another message (draft-ietf-httpapi-idempotency-key-header 2.7). */
  | "IDEMPOTENCY_KEY_REUSED"
  /** No such message in this person's inbox (also when it is another person's). */
  | "MESSAGE_NOT_FOUND"
  | "CURSOR_INVALID"
  /** The mail server's own codes (riik mail serve). */
  | "MAIL_MESSAGE_NOT_FOUND"
  | "MAIL_CONFIG";

export class InboxError extends RiikError<InboxErrorCode> {}

/** HTTP statuses of the inbox's codes (the service base adds REQUEST_INVALID and the rest). */
export const INBOX_ERRORS: ErrorCatalogue<InboxErrorCode> = {
  PERSONAL_CODE_INVALID: { status: 400 },
  SENDER_MISSING: { status: 400 },
  CLIENT_NOT_ALLOWED: { status: 403 },
  SENDER_PERSON_MISSING: { status: 400 },
  PERSON_NOT_REPRESENTED: { status: 403 },
  ATTACHMENT_INVALID: { status: 400 },
  ATTACHMENT_TOO_LARGE: { status: 413 },
  IDEMPOTENCY_KEY_REUSED: { status: 422 },
  MESSAGE_NOT_FOUND: { status: 404 },
  CURSOR_INVALID: { status: 400 },
  MAIL_MESSAGE_NOT_FOUND: { status: 404 },
  MAIL_CONFIG: { status: 500 },
};
