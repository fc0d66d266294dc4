// The state inbox (riigipost, issue #13): the person's messages from the agencies, newest
// first, read from @riik/inbox over X-Road as the person logged in; the unread count shows in
// the navigation. Opening a message (#/inbox/ID) shows its text and marks it read there. The
// person chooses where the inbox e-mails notices of new messages (eesti.ee's forwarding).

import type { InboxForwarding, InboxMessage, InboxPage, MessageSummary } from "../../web/api-types.ts";
import { type ApiError, api } from "../api.ts";
import { render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, sizeText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import {
  definitionList,
  field,
  flashAction,
  flashBox,
  heading,
  loading,
  problem,
  submitActions,
  table,
} from "../widgets.ts";
import { openInPage } from "./encryption.ts";

let page: { answer?: InboxPage; error?: ApiError } = {};
let opened = new Map<string, { message?: InboxMessage; error?: ApiError }>();
/** Where notices go, as the inbox last said, and the address being typed. */
let forwarding: { answer?: InboxForwarding; error?: ApiError; draft?: string } = {};

/** The offer a Board notice names ("… (offer UUID)"), to link it to the benefits page. */
const OFFER_IN_TEXT = /\boffer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/;

/** Reads the list again; the navigation's unread count comes with it. */
export async function loadInbox(): Promise<void> {
  if (!state.session?.inbox || !state.session.authenticated) return;
  try {
    const answer = await api<InboxPage>("/api/inbox/messages");
    page = { answer };
    state.unread = answer.unread;
  } catch (error) {
    if (sessionEnded(error)) return;
    page = { error: error as ApiError };
  }
  render();
}

async function loadForwarding(): Promise<void> {
  try {
    forwarding = { answer: await api<InboxForwarding>("/api/inbox/forwarding") };
  } catch (error) {
    if (sessionEnded(error)) return;
    forwarding = { error: error as ApiError };
  }
  if (state.route === "inbox") render();
}

/** Saves the address (or none); the inbox's answer is what is shown after. */
const saveForwarding = (email: string | null) =>
  flashAction("inbox", async () => {
    forwarding = { answer: await api<InboxForwarding>("/api/inbox/forwarding", { method: "PUT", body: { email } }) };
    return email ? t("inbox.forwardingSaved", { email }) : t("inbox.forwardingRemoved");
  });

/** "Notices by e-mail": where the inbox tells of a new message, set or removed here. */
function forwardingBody(): HTMLElement {
  if (forwarding.error) return h("section", { class: "card" }, problem(forwarding.error));
  const now = forwarding.answer?.email;
  const input = h("input", {
    type: "email",
    id: "forwarding-email",
    name: "email",
    autocomplete: "email",
    maxlength: "254",
    value: forwarding.draft ?? now ?? "",
    "data-keep": "forwarding-email",
  });
  input.addEventListener("input", () => {
    forwarding.draft = input.value;
  });
  const form = h(
    "form",
    { class: "confirm", novalidate: true, "aria-labelledby": "forwarding-h" },
    h("h2", { id: "forwarding-h" }, t("inbox.forwarding")),
    h("p", { id: "forwarding-now" }, now ? t("inbox.forwardingTo", { email: now }) : t("inbox.forwardingNone")),
    field("forwarding-email", "inbox.forwardingEmail", input, t("inbox.forwardingHint")),
    submitActions("forwarding-save", "inbox.forwardingSave", "inbox.forwardingSaving"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = (forwarding.draft ?? now ?? "").trim();
    void saveForwarding(email === "" ? null : email);
  });
  return h("section", { class: "card" }, form);
}

function senderText(message: MessageSummary): string {
  return message.sender.personalCode
    ? `${message.sender.client} (${message.sender.personalCode})`
    : message.sender.client;
}

function listBody(): HTMLElement {
  if (page.error) return problem(page.error);
  if (!page.answer) return loading();
  if (page.answer.messages.length === 0) return h("p", {}, t("inbox.none"));
  return table(
    t("inbox.caption", { unread: page.answer.unread }),
    [t("inbox.subject"), t("inbox.sender"), t("inbox.received"), t("inbox.state")],
    page.answer.messages.map((m) => [
      h("a", { href: `#/inbox/${encodeURIComponent(m.id)}`, class: m.readAt ? undefined : "unread" }, m.subject || "—"),
      senderText(m),
      dateText(m.createdAt, true),
      m.readAt ? t("inbox.read") : h("strong", {}, t("inbox.unread")),
    ]),
  );
}

async function open(id: string): Promise<void> {
  let entry: { message?: InboxMessage; error?: ApiError };
  try {
    const message = await api<InboxMessage>(`/api/inbox/messages/${encodeURIComponent(id)}`);
    // Opened is read: the inbox keeps the first reading's time.
    if (!message.readAt) {
      const read = await api<MessageSummary>(`/api/inbox/messages/${encodeURIComponent(id)}/read`, {
        method: "POST",
        body: {},
      });
      message.readAt = read.readAt;
    }
    entry = { message };
  } catch (error) {
    if (sessionEnded(error)) return;
    entry = { error: error as ApiError };
  }
  opened.set(id, entry);
  if (entry.message) await loadInbox();
  else render();
}

function messageBody(id: string): HTMLElement {
  const entry = opened.get(id);
  if (entry?.error) return problem(entry.error);
  const message = entry?.message;
  if (!message) return loading();
  const offer = OFFER_IN_TEXT.exec(message.body)?.[1];
  return h(
    "article",
    { class: "card", "aria-labelledby": "message-h" },
    h("h2", { id: "message-h" }, message.subject || "—"),
    definitionList([
      [t("inbox.sender"), senderText(message)],
      [t("inbox.received"), dateText(message.createdAt, true)],
      [t("inbox.readAt"), dateText(message.readAt ?? undefined, true)],
      ...(message.attachments.length > 0
        ? ([
            [
              t("inbox.attachments"),
              h(
                "ul",
                { class: "plain" },
                ...message.attachments.map((a, index) => attachmentItem(message.id, a, index)),
              ),
            ],
          ] as Array<[string, Node]>)
        : []),
    ]),
    h("p", { class: "message-text", id: "message-text" }, message.body),
    offer && state.session?.benefits
      ? h(
          "div",
          { class: "actions" },
          h("a", { class: "button primary", href: `#/benefits/${offer}`, id: "open-offer" }, t("inbox.openOffer")),
        )
      : null,
  );
}

/** An attachment: a download, and a CDOC2 container also opened here with the ID card. */
function attachmentItem(id: string, a: MessageSummary["attachments"][number], index: number): HTMLElement {
  const href = `/api/inbox/messages/${encodeURIComponent(id)}/attachments/${index}`;
  const encrypted = a.mediaType === "application/x-cdoc2";
  return h(
    "li",
    {},
    h("a", { href, download: a.name, class: "file-name" }, a.name),
    " ",
    h("span", { class: "meta" }, `${a.mediaType}, ${sizeText(a.size)}`),
    encrypted && state.session?.encryption
      ? h(
          "button",
          {
            type: "button",
            class: "secondary",
            id: `open-attachment-${index}`,
            onclick: (() => void openAttachment(href, a.name)) as EventListener,
          },
          t("inbox.openEncrypted"),
        )
      : null,
  );
}

async function openAttachment(href: string, name: string): Promise<void> {
  try {
    const response = await fetch(href, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    openInPage(name, new Uint8Array(await response.arrayBuffer()));
  } catch {
    state.flash = { kind: "error", text: t("error.generic"), route: "inbox" };
    render();
  }
}

function inboxBody(): HTMLElement {
  const id = state.param;
  return h(
    "section",
    { class: "view" },
    heading("inbox.title"),
    flashBox(),
    id ? h("p", {}, h("a", { href: "#/inbox" }, t("inbox.back"))) : h("p", { class: "lead" }, t("inbox.intro")),
    id ? messageBody(id) : h("section", { class: "card" }, listBody()),
    id || (!forwarding.answer && !forwarding.error) ? null : forwardingBody(),
  );
}

export const inboxView: View = {
  title: "inbox.title",
  personal: true,
  render: inboxBody,
  async enter() {
    const id = state.param;
    if (id && !opened.get(id)?.message) await open(id);
    else if (!id) await Promise.all([loadInbox(), loadForwarding()]);
  },
  reset() {
    page = {};
    opened = new Map();
    forwarding = {};
    state.unread = undefined;
  },
};
