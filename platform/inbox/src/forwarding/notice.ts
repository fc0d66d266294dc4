// The e-mail notice of a new message: who wrote, the subject and a link to the portal. Never
// the body or the attachments: they may be confidential, and e-mail is not the state's channel.
import type { NoticeSubject } from "../storage/inbox-store.ts";

export interface NoticeOptions {
  /** The From address, e.g. `riik state inbox <noreply@riik.localhost>`. */
  from: string;
  /** The portal's public origin; the link opens the message's page there. */
  portalUrl: string;
}

export interface NoticeMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

/** Where the portal shows a message (its hash route, apps/portal/src/browser/router.ts). */
export function messageLink(portalUrl: string, messageId: string): string {
  return `${portalUrl.replace(/\/+$/, "")}/#/inbox/${encodeURIComponent(messageId)}`;
}

export function noticeMail(message: NoticeSubject & { email: string }, options: NoticeOptions): NoticeMail {
  const link = messageLink(options.portalUrl, message.id);
  return {
    from: options.from,
    to: message.email,
    subject: `Riigipost / State inbox: ${message.subject}`,
    text: [
      "Teie riigipostkasti on saabunud uus teade.",
      "A new message has arrived in your state inbox.",
      "",
      `Saatja / From: ${message.senderClient}`,
      `Teema / Subject: ${message.subject}`,
      "",
      `Lugege seda riigiportaalis / Read it in the state portal: ${link}`,
      "",
      "Teade ise pole selles kirjas: see võib olla konfidentsiaalne.",
      "The message itself is not in this e-mail: it may be confidential.",
      "",
    ].join("\n"),
    // The same Message-ID on a resend (the outbox delivers at least once): a mail client shows one.
    messageId: `<${message.id}@inbox.riik>`,
    // RFC 3834 section 5: an automatic message, which auto-responders must not answer.
    headers: { "Auto-Submitted": "auto-generated" },
  };
}
