export {
  createInboxService,
  type InboxAccess,
  type InboxServer,
  type InboxServerOptions,
  inboxOpenApi,
  REPLAYED_HEADER,
  startInbox,
} from "./api/server.ts";
export { INBOX_ERRORS, InboxError, type InboxErrorCode } from "./errors.ts";
export { messageLink, type NoticeMail, type NoticeOptions, noticeMail } from "./forwarding/notice.ts";
export {
  type Backoff,
  type NoticeDispatcher,
  type NoticeDispatcherOptions,
  smtpTransportOptions,
  startNoticeDispatcher,
} from "./forwarding/notice-dispatcher.ts";
export { isLoopback, type MailServer, type MailServerOptions, startMailServer } from "./mail/mail-server.ts";
export { MailStore, type MailStoreOptions, type ParsedMessage } from "./mail/mail-store.ts";
export {
  type AttachmentInput,
  CDOC2_MEDIA_TYPE,
  DEFAULT_MAX_ATTACHMENT_BYTES,
  type Delivered,
  type InboxLocation,
  InboxStore,
  type InboxStoreOptions,
  type MessageDetail,
  type MessageInput,
  type MessagePage,
  type MessageSummary,
  NOTICE_EVENT,
  openInboxStore,
  personalCodeOf,
  type Sender,
} from "./storage/inbox-store.ts";
export { INBOX_COMPONENT, type InboxDb, inboxMigrations, type NoticeState } from "./storage/schema.ts";
