// Apply for e-Residency (no login: the applicant has no Estonian identity yet): personal
// details, citizenship, travel document, photo, reason, pick-up location; then the fee's
// (simulated) payment with its receipt; and "My application" by number and access key. The
// access key is shown once and kept in this tab's sessionStorage, never in a URL.

import type { EResidencyCreated, EResidencyReceipt, EResidencyStatus, PickupLocation } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { errorText, recall, remember, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText, sizeText } from "../format.ts";
import { definitionList, field, fileInput, flashBox, heading, loading, problem, submitActions } from "../widgets.ts";

/** sessionStorage: the last application's number and access key in this tab. */
const KEY_STORE = "riik-e-residency";
const MAX_PHOTO = 2 * 1024 * 1024;

let locations: { list?: PickupLocation[]; error?: ApiError } = {};
const form = {
  givenName: "",
  surname: "",
  dateOfBirth: "",
  sex: "",
  citizenship: "",
  documentNumber: "",
  documentExpires: "",
  email: "",
  reason: "",
  pickupLocation: "",
};
let photoInput: HTMLInputElement | undefined;
let applied: { created: EResidencyCreated; receipt?: EResidencyReceipt } | undefined;
let followed: { status?: EResidencyStatus; error?: ApiError } = {};

function saved(): { number: string; accessKey: string } | undefined {
  try {
    const value = JSON.parse(recall(KEY_STORE, sessionStorage) ?? "null") as { number?: unknown; accessKey?: unknown };
    return typeof value?.number === "string" && typeof value.accessKey === "string"
      ? { number: value.number, accessKey: value.accessKey }
      : undefined;
  } catch {
    return undefined;
  }
}

async function loadLocations(): Promise<void> {
  try {
    locations = { list: (await api<{ locations: PickupLocation[] }>("/api/e-residency/pickup-locations")).locations };
  } catch (error) {
    locations = { error: error as ApiError };
  }
  if (state.route === "e-residency") render();
}

function input(id: keyof typeof form, attributes: Record<string, string | number | boolean> = {}): HTMLInputElement {
  const element = h("input", {
    type: "text",
    id: `er-${id}`,
    name: id,
    value: form[id],
    "data-keep": `er-${id}`,
    ...attributes,
  });
  element.addEventListener("input", () => {
    form[id] = element.value;
  });
  return element;
}

function select(id: keyof typeof form, options: Array<[string, string]>): HTMLSelectElement {
  const element = h(
    "select",
    { id: `er-${id}`, name: id, "data-keep": `er-${id}` },
    h("option", { value: "" }, t("er.choose")),
    ...options.map(([value, label]) => h("option", { value, selected: form[id] === value }, label)),
  );
  element.addEventListener("change", () => {
    form[id] = element.value;
  });
  return element;
}

function applyForm(): HTMLElement {
  photoInput ??= fileInput("er-photo", { name: "photo", accept: "image/jpeg,image/png" });
  const locationField = locations.error
    ? problem(locations.error)
    : !locations.list
      ? loading()
      : field(
          "er-pickupLocation",
          "er.pickupLocation",
          select(
            "pickupLocation",
            locations.list.map((l) => [l.id, l.name]),
          ),
          t("er.pickupLocationHint"),
        );
  const element = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "er-form-h" },
    h("h2", { id: "er-form-h" }, t("er.form")),
    field(
      "er-givenName",
      "er.givenName",
      input("givenName", { autocomplete: "given-name", maxlength: 100 }),
      t("er.nameHint"),
    ),
    field(
      "er-surname",
      "er.surname",
      input("surname", { autocomplete: "family-name", maxlength: 100 }),
      t("er.nameHint"),
    ),
    field(
      "er-dateOfBirth",
      "er.dateOfBirth",
      input("dateOfBirth", { type: "date", autocomplete: "bday" }),
      t("er.dateOfBirthHint"),
    ),
    field(
      "er-sex",
      "er.sex",
      select("sex", [
        ["female", t("data.sex.female")],
        ["male", t("data.sex.male")],
      ]),
      t("er.sexHint"),
    ),
    field(
      "er-citizenship",
      "er.citizenship",
      input("citizenship", { maxlength: 2, pattern: "[A-Za-z]{2}", autocomplete: "country" }),
      t("er.citizenshipHint"),
    ),
    field(
      "er-documentNumber",
      "er.documentNumber",
      input("documentNumber", { maxlength: 20, autocomplete: "off" }),
      t("er.documentNumberHint"),
    ),
    field(
      "er-documentExpires",
      "er.documentExpires",
      input("documentExpires", { type: "date" }),
      t("er.documentExpiresHint"),
    ),
    field(
      "er-email",
      "er.email",
      input("email", { type: "email", autocomplete: "email", maxlength: 200 }),
      t("er.emailHint"),
    ),
    field("er-photo", "er.photo", photoInput, t("er.photoHint", { size: sizeText(MAX_PHOTO) })),
    field("er-reason", "er.reason", input("reason", { maxlength: 1000 }), t("er.reasonHint")),
    locationField,
    flashBox(),
    submitActions("er-submit", "er.submit", "er.working"),
  );
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit();
  });
  return element;
}

async function submit(): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const photo = photoInput?.files?.[0];
    if (!photo) throw new UiError("er.noPhoto");
    if (photo.size > MAX_PHOTO) throw new UiError("er.photoTooLarge", { size: sizeText(MAX_PHOTO) });
    const missing = (Object.keys(form) as Array<keyof typeof form>).filter((key) => form[key].trim() === "");
    if (missing.length > 0) throw new UiError("er.missing");
    const bytes = new Uint8Array(await photo.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const created = await api<EResidencyCreated>("/api/e-residency/applications", {
      method: "POST",
      body: {
        ...form,
        givenName: form.givenName.trim(),
        surname: form.surname.trim(),
        citizenship: form.citizenship.trim().toUpperCase(),
        documentNumber: form.documentNumber.trim().toUpperCase(),
        email: form.email.trim(),
        reason: form.reason.trim(),
        sex: form.sex,
        photo: btoa(binary),
      },
    });
    remember(KEY_STORE, JSON.stringify({ number: created.number, accessKey: created.accessKey }), sessionStorage);
    applied = { created };
    state.busy = false;
    render();
    document.getElementById("er-created-h")?.focus();
  } catch (error) {
    state.busy = false;
    state.flash = { kind: "error", text: errorText(error), route: "e-residency" };
    render();
    document.getElementById("flash")?.focus();
  }
}

async function pay(): Promise<void> {
  if (state.busy || !applied) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const { number, accessKey } = applied.created;
    const receipt = await api<EResidencyReceipt>(
      `/api/e-residency/applications/${encodeURIComponent(number)}/payment`,
      {
        method: "POST",
        body: { accessKey },
      },
    );
    applied = { ...applied, receipt };
    state.busy = false;
    render();
    document.getElementById("er-receipt-h")?.focus();
  } catch (error) {
    state.busy = false;
    state.flash = { kind: "error", text: errorText(error), route: "e-residency" };
    render();
  }
}

function appliedView(done: NonNullable<typeof applied>): HTMLElement {
  const { created, receipt } = done;
  return h(
    "div",
    {},
    h(
      "section",
      { class: "card done", "aria-labelledby": "er-created-h" },
      h("h2", { id: "er-created-h", tabindex: "-1" }, t("er.created")),
      definitionList([
        [t("er.number"), h("strong", { id: "er-number" }, created.number)],
        [t("er.accessKey"), h("code", { id: "er-access-key", class: "hash" }, created.accessKey)],
        [t("er.fee"), moneyText(created.fee.amountCents)],
      ]),
      h("p", { class: "meta" }, t("er.keepKey")),
    ),
    receipt
      ? h(
          "section",
          { class: "card done", "aria-labelledby": "er-receipt-h" },
          h("h2", { id: "er-receipt-h", tabindex: "-1" }, t("er.receipt")),
          definitionList([
            [t("er.receiptId"), h("span", { id: "er-receipt-id" }, receipt.receipt.id)],
            [t("er.feePaid"), moneyText(receipt.receipt.amountCents)],
            [t("application.paidAt"), dateText(receipt.receipt.paidAt, true)],
            [t("er.status"), statusText(receipt.status)],
          ]),
          h(
            "div",
            { class: "actions" },
            h("a", { class: "button primary", href: "#/e-residency-status" }, t("er.follow")),
          ),
        )
      : h(
          "section",
          { class: "card", "aria-labelledby": "er-pay-h" },
          h("h2", { id: "er-pay-h" }, t("er.pay")),
          h("p", {}, t("er.payIntro", { amount: moneyText(created.fee.amountCents) })),
          flashBox(),
          h(
            "div",
            { class: "actions" },
            h(
              "button",
              {
                type: "button",
                class: "primary",
                id: "er-pay",
                disabled: state.busy,
                onclick: (() => void pay()) as EventListener,
              },
              state.busy ? t("er.paying") : t("er.payButton", { amount: moneyText(created.fee.amountCents) }),
            ),
          ),
        ),
  );
}

/** The application's states as the e-Residency agency names them (agencies/e-residency, its STATUS). */
const STATUS_KEYS: Record<string, MessageKey> = {
  "awaiting-payment": "er.status.awaiting-payment",
  "background-check": "er.status.background-check",
  "awaiting-decision": "er.status.awaiting-decision",
  granted: "er.status.granted",
  refused: "er.status.refused",
  "card-ordered": "er.status.card-ordered",
  issued: "er.status.issued",
};
function statusText(status: string): string {
  return STATUS_KEYS[status] ? t(STATUS_KEYS[status]) : status;
}

function applyView(): HTMLElement {
  return h(
    "section",
    { class: "view" },
    heading("er.title"),
    h("p", { class: "lead" }, t("er.intro")),
    applied ? appliedView(applied) : applyForm(),
    applied ? null : h("p", {}, h("a", { href: "#/e-residency-status" }, t("er.followLink"))),
  );
}

export const eResidencyView: View = {
  title: "er.title",
  personal: false,
  render: applyView,
  async enter() {
    if (!applied && !locations.list && !locations.error) await loadLocations();
  },
  reset() {
    applied = undefined;
  },
};

async function follow(number: string, accessKey: string): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const status = await api<EResidencyStatus>(`/api/e-residency/applications/${encodeURIComponent(number)}/status`, {
      method: "POST",
      body: { accessKey },
    });
    remember(KEY_STORE, JSON.stringify({ number, accessKey }), sessionStorage);
    followed = { status };
  } catch (error) {
    followed = { error: error as ApiError };
  }
  state.busy = false;
  render();
  document.getElementById("er-status-h")?.focus();
}

function statusView(): HTMLElement {
  const known = saved();
  const number = h("input", {
    type: "text",
    id: "er-follow-number",
    name: "number",
    value: known?.number ?? "",
    autocomplete: "off",
    "data-keep": "er-follow-number",
  });
  const key = h("input", {
    type: "password",
    id: "er-follow-key",
    name: "accessKey",
    value: known?.accessKey ?? "",
    autocomplete: "off",
    "data-keep": "er-follow-key",
  });
  const formElement = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "er-follow-h" },
    h("h2", { id: "er-follow-h" }, t("er.followTitle")),
    field("er-follow-number", "er.number", number, t("er.numberHint")),
    field("er-follow-key", "er.accessKey", key, t("er.accessKeyHint")),
    submitActions("er-follow-submit", "er.followButton", "app.loading"),
  );
  formElement.addEventListener("submit", (event) => {
    event.preventDefault();
    void follow(number.value.trim(), key.value.trim());
  });
  const status = followed.status;
  const result = followed.error
    ? problem(followed.error)
    : status
      ? h(
          "section",
          { class: "card", "aria-labelledby": "er-status-h" },
          h("h2", { id: "er-status-h", tabindex: "-1" }, t("er.statusOf", { number: status.number })),
          definitionList([
            [t("er.status"), h("strong", { id: "er-status" }, statusText(status.status))],
            [t("er.submittedAt"), dateText(status.submittedAt, true)],
            [t("er.pickupLocation"), status.pickupLocation],
            ...(status.decision
              ? ([
                  [
                    t("er.decision"),
                    status.decision.granted
                      ? t("er.decision.granted")
                      : `${t("er.decision.refused")}${status.decision.reason ? `: ${status.decision.reason}` : ""}`,
                  ],
                  [t("er.decidedAt"), dateText(status.decision.decidedAt, true)],
                ] as Array<[string, string]>)
              : []),
            ...(status.personalCode
              ? ([[t("data.personalCode"), status.personalCode]] as Array<[string, string]>)
              : []),
          ]),
        )
      : null;
  return h("section", { class: "view" }, heading("er.followTitle"), flashBox(), formElement, result);
}

export const eResidencyStatusView: View = {
  title: "er.followTitle",
  personal: false,
  render: statusView,
  reset() {
    followed = {};
  },
};
