// Family benefits (issue #13): the offers the Social Insurance Board made on a birth, without
// an application, each amount with its reason ("why this amount") and the rules it came from;
// the parent confirms which parent receives them and to which account; the payments scheduled
// are listed by month. The Board checks the IBAN and who is a parent; its refusals are told.

import type { BenefitOffer, OffersResponse, PaymentsResponse } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { errorText, render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { flashBox, heading, loading, problem, table } from "../widgets.ts";

let offers: { answer?: OffersResponse; error?: ApiError } = {};
let payments: { answer?: PaymentsResponse; error?: ApiError } = {};
/** What the parent typed per offer, kept across renders (language switch, errors). */
let drafts = new Map<string, { who: "self" | "other"; otherCode: string; iban: string; error?: string }>();

const BENEFIT_KEYS: Record<string, MessageKey> = {
  "childbirth-allowance": "benefits.kind.childbirth-allowance",
  "child-allowance": "benefits.kind.child-allowance",
  "large-family-allowance": "benefits.kind.large-family-allowance",
};
const benefitText = (benefit: string) => (BENEFIT_KEYS[benefit] ? t(BENEFIT_KEYS[benefit]) : benefit);

async function load(): Promise<void> {
  const [o, p] = await Promise.allSettled([
    api<OffersResponse>("/api/benefits/offers"),
    api<PaymentsResponse>("/api/benefits/payments"),
  ]);
  for (const result of [o, p]) if (result.status === "rejected" && sessionEnded(result.reason)) return;
  offers = o.status === "fulfilled" ? { answer: o.value } : { error: o.reason as ApiError };
  payments = p.status === "fulfilled" ? { answer: p.value } : { error: p.reason as ApiError };
  if (state.route === "benefits") render();
}

function draftOf(id: string) {
  let draft = drafts.get(id);
  if (!draft) {
    draft = { who: "self", otherCode: "", iban: "" };
    drafts.set(id, draft);
  }
  return draft;
}

async function confirm(offer: BenefitOffer): Promise<void> {
  if (state.busy) return;
  const draft = draftOf(offer.id);
  const own = state.session?.person?.personalCode ?? "";
  const recipient = draft.who === "self" ? own : draft.otherCode.trim();
  const iban = draft.iban.trim();
  draft.error = undefined;
  if (!/^[1-8][0-9]{10}$/.test(recipient)) draft.error = t("benefits.recipientMissing");
  else if (iban.replace(/\s/g, "").length < 15) draft.error = t("IBAN_INVALID");
  if (draft.error) {
    render();
    document.getElementById(`confirm-error-${offer.id}`)?.focus();
    return;
  }
  state.busy = true;
  state.flash = undefined;
  render();
  try {
    await api<BenefitOffer>(`/api/benefits/offers/${offer.id}/confirmation`, {
      method: "POST",
      body: { recipient, iban },
    });
    drafts.delete(offer.id);
    state.flash = { kind: "info", text: t("benefits.confirmed"), route: "benefits" };
    state.busy = false;
    await load();
    document.getElementById("payments-h")?.focus();
    return;
  } catch (error) {
    if (sessionEnded(error)) return;
    draft.error = errorText(error);
  }
  state.busy = false;
  render();
  document.getElementById(`confirm-error-${offer.id}`)?.focus();
}

function confirmForm(offer: BenefitOffer): HTMLElement {
  const draft = draftOf(offer.id);
  const person = state.session?.person;
  const radio = (value: "self" | "other", label: string) => {
    const id = `recipient-${value}-${offer.id}`;
    const input = h("input", {
      type: "radio",
      id,
      name: `recipient-${offer.id}`,
      value,
      checked: draft.who === value,
      "data-keep": id,
    });
    input.addEventListener("change", () => {
      draft.who = value;
      render();
    });
    return h("div", { class: "choice" }, input, h("label", { for: id }, label));
  };
  const otherCode = h("input", {
    type: "text",
    id: `other-code-${offer.id}`,
    inputmode: "numeric",
    autocomplete: "off",
    value: draft.otherCode,
    disabled: draft.who !== "other",
    "aria-describedby": `other-code-hint-${offer.id}`,
    "data-keep": `other-code-${offer.id}`,
  });
  otherCode.addEventListener("input", () => {
    draft.otherCode = otherCode.value;
  });
  const iban = h("input", {
    type: "text",
    id: `iban-${offer.id}`,
    autocomplete: "off",
    spellcheck: "false",
    value: draft.iban,
    "aria-describedby": `iban-hint-${offer.id}`,
    "aria-invalid": draft.error ? "true" : undefined,
    "data-keep": `iban-${offer.id}`,
  });
  iban.addEventListener("input", () => {
    draft.iban = iban.value;
  });
  const form = h(
    "form",
    { class: "confirm", novalidate: true, "aria-labelledby": `confirm-h-${offer.id}` },
    h("h3", { id: `confirm-h-${offer.id}` }, t("benefits.confirmTitle")),
    h(
      "fieldset",
      {},
      h("legend", {}, t("benefits.recipient")),
      radio("self", t("benefits.recipientSelf", { name: person ? `${person.givenName} ${person.surname}` : "" })),
      radio("other", t("benefits.recipientOther")),
      h(
        "div",
        { class: "field" },
        h("label", { for: `other-code-${offer.id}` }, t("benefits.otherCode")),
        otherCode,
        h("p", { class: "hint", id: `other-code-hint-${offer.id}` }, t("benefits.otherCodeHint")),
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: `iban-${offer.id}` }, t("benefits.iban")),
      iban,
      h("p", { class: "hint", id: `iban-hint-${offer.id}` }, t("benefits.ibanHint")),
    ),
    draft.error
      ? h("p", { class: "flash error", role: "alert", id: `confirm-error-${offer.id}`, tabindex: "-1" }, draft.error)
      : null,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "submit", class: "primary", disabled: state.busy, "data-keep": `confirm-${offer.id}` },
        state.busy ? t("benefits.confirming") : t("benefits.confirm"),
      ),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void confirm(offer);
  });
  return form;
}

function offerCard(offer: BenefitOffer): HTMLElement {
  const total = offer.lines.reduce((sum, line) => sum + line.amountCents, 0);
  const chosen = state.param === offer.id;
  return h(
    "section",
    { class: chosen ? "card chosen" : "card", "aria-labelledby": `offer-h-${offer.id}`, id: `offer-${offer.id}` },
    h("h2", { id: `offer-h-${offer.id}`, tabindex: "-1" }, t("benefits.offerFor", { child: offer.child })),
    h(
      "p",
      {},
      t("benefits.offeredAt", { date: dateText(offer.createdAt) }),
      " ",
      offer.status === "confirmed"
        ? h("strong", {}, t("benefits.status.confirmed", { date: dateText(offer.confirmedAt ?? undefined) }))
        : h("strong", {}, t("benefits.status.offered")),
    ),
    table(
      t("benefits.whyCaption"),
      [t("benefits.benefit"), t("benefits.amount"), t("benefits.why"), t("benefits.rules")],
      offer.lines.map((line) => [
        benefitText(line.benefit),
        moneyText(line.amountCents),
        line.why,
        t("benefits.rulesFrom", { date: dateText(line.rules.effectiveFrom), source: line.rules.source }),
      ]),
    ),
    h("p", {}, t("benefits.total", { amount: moneyText(total) })),
    offer.status === "offered" ? confirmForm(offer) : null,
  );
}

function paymentsSection(): HTMLElement {
  const body = payments.error
    ? problem(payments.error)
    : !payments.answer
      ? loading()
      : payments.answer.payments.length === 0
        ? h("p", {}, t("benefits.noPayments"))
        : table(
            t("benefits.paymentsCaption"),
            [
              t("benefits.month"),
              t("benefits.benefit"),
              t("benefits.amount"),
              t("benefits.why"),
              t("benefits.account"),
            ],
            payments.answer.payments.map((p) => [
              p.month,
              benefitText(p.benefit),
              moneyText(p.amountCents),
              p.why,
              p.iban,
            ]),
          );
  return h(
    "section",
    { class: "card", "aria-labelledby": "payments-h" },
    h("h2", { id: "payments-h", tabindex: "-1" }, t("benefits.payments")),
    body,
  );
}

function benefitsBody(): HTMLElement {
  const list = offers.error
    ? problem(offers.error)
    : !offers.answer
      ? loading()
      : offers.answer.offers.length === 0
        ? h("p", {}, t("benefits.none"))
        : h("div", { class: "stack" }, ...offers.answer.offers.map(offerCard));
  return h(
    "section",
    { class: "view" },
    heading("benefits.title"),
    flashBox(),
    h("p", { class: "lead" }, t("benefits.intro")),
    list,
    paymentsSection(),
  );
}

export const benefitsView: View = {
  title: "benefits.title",
  personal: true,
  render: benefitsBody,
  async enter() {
    // Read again each time: an offer may have come since (the inbox links here).
    await load();
    if (state.param) document.getElementById(`offer-h-${state.param}`)?.focus();
  },
  reset() {
    offers = {};
    payments = {};
    drafts = new Map();
  },
};
