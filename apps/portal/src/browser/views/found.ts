// "Found a company": the applications awaiting the person's signature (they are a founder or
// board member), and the founding application of an OÜ (the e-Business Register's fields: name
// with a live name check, seat address, e-mail, EMTAK activity, founders with their shares,
// board, beneficial owners, representation). Filed over X-Road; each founder then signs it.

import type { ApplicationsResponse } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { errorText, navigate, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { field, flashBox, heading, loading, problem, submitActions, table } from "../widgets.ts";

interface PersonRow {
  personalCode: string;
  givenName: string;
  surname: string;
  /** Founders only: the share's nominal value in euros as typed (e.g. "1,00"). */
  share?: string;
}
type Group = "founders" | "board" | "owners" | "contact";

/** A few EMTAK 2008 codes to pick from; any 5-digit code may be typed. */
const ACTIVITIES: ReadonlyArray<[string, MessageKey]> = [
  ["62011", "found.activity.62011"],
  ["70221", "found.activity.70221"],
  ["47911", "found.activity.47911"],
  ["56101", "found.activity.56101"],
  ["68201", "found.activity.68201"],
  ["73111", "found.activity.73111"],
];

let awaiting: { answer?: ApplicationsResponse; error?: ApiError } = {};
let form = freshForm();
let nameCheck: {
  name: string;
  taken?: boolean;
  reserved?: string | null;
  similar?: Array<{ registryCode: string; name: string }>;
  failed?: boolean;
} = { name: "" };
let nameTimer: ReturnType<typeof setTimeout> | undefined;

function freshForm() {
  const me = state.session?.person;
  const self = (share?: string): PersonRow => ({
    personalCode: me?.personalCode ?? "",
    givenName: me?.givenName ?? "",
    surname: me?.surname ?? "",
    ...(share === undefined ? {} : { share }),
  });
  return {
    name: "",
    seatAddress: "",
    email: "",
    activity: "62011",
    founders: [self("1,00")] as PersonRow[],
    board: [self()] as PersonRow[],
    ownersAreFounders: true,
    owners: [] as PersonRow[],
    /** At most one: the contact person in Estonia a board living abroad must name (Commercial Code § 631). */
    contact: [] as PersonRow[],
    representation: "alone" as "alone" | "jointly",
  };
}

async function loadAwaiting(): Promise<void> {
  try {
    awaiting = { answer: await api<ApplicationsResponse>("/api/founding/applications") };
  } catch (error) {
    if (sessionEnded(error)) return;
    awaiting = { error: error as ApiError };
  }
  if (state.route === "found") render();
}

/** Euros as typed ("12,50", "12.5", "1") to cents; undefined when it is not an amount. */
export function cents(text: string | undefined): number | undefined {
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text ?? "");
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? "0").padEnd(2, "0"));
}

function textInput(
  id: string,
  value: string,
  onInput: (value: string) => void,
  attributes: Record<string, string | boolean | number> = {},
) {
  const input = h("input", { type: "text", id, name: id, value, "data-keep": id, ...attributes });
  input.addEventListener("input", () => onInput(input.value));
  return input;
}

function scheduleNameCheck(name: string): void {
  if (nameTimer) clearTimeout(nameTimer);
  const trimmed = name.trim();
  if (trimmed.length < 2) {
    nameCheck = { name: "" };
    return;
  }
  nameTimer = setTimeout(async () => {
    try {
      const answer = await api<{
        taken: boolean;
        reserved: string | null;
        similar: Array<{ registryCode: string; name: string }>;
      }>(`/api/founding/name-check?name=${encodeURIComponent(trimmed)}`);
      nameCheck = { name: trimmed, ...answer };
    } catch (error) {
      if (sessionEnded(error)) return;
      nameCheck = { name: trimmed, failed: true };
    }
    if (state.route === "found") render();
  }, 350);
}

function nameStatus(): HTMLElement {
  const box = h("div", { id: "name-check", "aria-live": "polite", class: "name-check" });
  if (!nameCheck.name || nameCheck.name !== form.name.trim()) return box;
  if (nameCheck.failed) box.append(h("p", { class: "meta" }, t("found.nameCheckFailed")));
  else if (nameCheck.taken) box.append(h("p", { class: "badge bad" }, t("found.nameTaken")));
  else if (nameCheck.reserved)
    box.append(h("p", { class: "badge bad" }, t("found.nameReserved", { word: nameCheck.reserved })));
  else box.append(h("p", { class: "badge ok" }, t("found.nameFree")));
  if (nameCheck.similar && nameCheck.similar.length > 0)
    box.append(
      h("p", { class: "meta" }, t("found.nameSimilar")),
      h("ul", { class: "plain" }, ...nameCheck.similar.map((s) => h("li", {}, `${s.name} (${s.registryCode})`))),
    );
  return box;
}

const ADD_LABELS: Record<Group, MessageKey> = {
  founders: "found.addFounder",
  board: "found.addBoard",
  owners: "found.addOwner",
  contact: "found.addContact",
};

function peopleFieldset(group: Group, legend: MessageKey): HTMLElement {
  const rows = form[group];
  const withShare = group === "founders";
  const fieldset = h("fieldset", { class: "people" }, h("legend", {}, t(legend)));
  rows.forEach((row, i) => {
    const id = (part: string) => `${group}-${i}-${part}`;
    const cell = (
      part: keyof PersonRow,
      label: MessageKey,
      attributes: Record<string, string | boolean | number> = {},
    ) =>
      h(
        "div",
        { class: "field" },
        h("label", { for: id(part) }, t(label)),
        textInput(
          id(part),
          row[part] ?? "",
          (value) => {
            row[part] = value;
          },
          attributes,
        ),
      );
    fieldset.append(
      h(
        "div",
        { class: "person-row" },
        cell("personalCode", "found.personalCode", {
          inputmode: "numeric",
          pattern: "[1-8][0-9]{10}",
          maxlength: 11,
          autocomplete: "off",
        }),
        cell("givenName", "found.givenName", { maxlength: 100 }),
        cell("surname", "found.surname", { maxlength: 100 }),
        withShare ? cell("share", "found.share", { inputmode: "decimal", maxlength: 13 }) : null,
        rows.length > 1 || group === "contact"
          ? h(
              "button",
              {
                type: "button",
                class: "link",
                "data-keep": id("remove"),
                "aria-label": t("found.removePerson", { n: i + 1 }),
                onclick: (() => {
                  rows.splice(i, 1);
                  render();
                }) as EventListener,
              },
              t("found.remove"),
            )
          : null,
      ),
    );
  });
  if (group === "contact" && rows.length > 0) return fieldset;
  fieldset.append(
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        id: `${group}-add`,
        "data-keep": `${group}-add`,
        onclick: (() => {
          rows.push({ personalCode: "", givenName: "", surname: "", ...(withShare ? { share: "1,00" } : {}) });
          render();
          document.getElementById(`${group}-${rows.length - 1}-personalCode`)?.focus();
        }) as EventListener,
      },
      t(ADD_LABELS[group]),
    ),
  );
  return fieldset;
}

function foundForm(): HTMLElement {
  const errorId = state.flash?.kind === "error" && state.flash.route === "found" ? "flash" : undefined;
  const name = textInput(
    "company-name",
    form.name,
    (value) => {
      form.name = value;
      scheduleNameCheck(value);
    },
    { maxlength: 120, autocomplete: "organization", required: true },
  );
  const activity = textInput(
    "activity",
    form.activity,
    (value) => {
      form.activity = value;
    },
    { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: 5, list: "activities" },
  );
  const activities = h(
    "datalist",
    { id: "activities" },
    ...ACTIVITIES.map(([code, key]) => h("option", { value: code, label: `${code} ${t(key)}` })),
  );
  const owners = h("input", {
    type: "checkbox",
    id: "owners-are-founders",
    "data-keep": "owners-are-founders",
    checked: form.ownersAreFounders,
  });
  owners.addEventListener("change", () => {
    form.ownersAreFounders = owners.checked;
    if (!owners.checked && form.owners.length === 0) form.owners.push({ personalCode: "", givenName: "", surname: "" });
    render();
  });
  const radio = (value: "alone" | "jointly", key: MessageKey) => {
    const id = `representation-${value}`;
    const input = h("input", {
      type: "radio",
      id,
      name: "representation",
      value,
      checked: form.representation === value,
      "data-keep": id,
    });
    input.addEventListener("change", () => {
      form.representation = value;
    });
    return h("div", { class: "choice" }, input, h("label", { for: id }, t(key)));
  };
  const total = form.founders.reduce((sum, f) => sum + (cents(f.share) ?? 0), 0);
  const fee = state.session?.business?.stateFeeCents ?? 0;
  const formElement = h(
    "form",
    {
      class: "card founding",
      novalidate: true,
      "aria-labelledby": "found-form-h",
      ...(errorId ? { "aria-describedby": errorId } : {}),
    },
    h("h2", { id: "found-form-h" }, t("found.form")),
    field("company-name", "found.name", name, t("found.nameHint"), nameStatus()),
    field(
      "seat-address",
      "found.seatAddress",
      textInput(
        "seat-address",
        form.seatAddress,
        (v) => {
          form.seatAddress = v;
        },
        { maxlength: 200, autocomplete: "street-address" },
      ),
      t("found.seatAddressHint"),
    ),
    field(
      "company-email",
      "found.email",
      textInput(
        "company-email",
        form.email,
        (v) => {
          form.email = v;
        },
        { maxlength: 200, autocomplete: "email", inputmode: "email" },
      ),
      t("found.emailHint"),
    ),
    field("activity", "found.activity", activity, t("found.activityHint"), activities),
    peopleFieldset("founders", "found.founders"),
    h("p", { class: "meta", "aria-live": "polite" }, t("found.capital", { amount: moneyText(total) })),
    peopleFieldset("board", "found.board"),
    peopleFieldset("contact", "found.contact"),
    h("div", { class: "choice" }, owners, h("label", { for: "owners-are-founders" }, t("found.ownersAreFounders"))),
    form.ownersAreFounders ? null : peopleFieldset("owners", "found.owners"),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, t("found.representation")),
      radio("alone", "found.representation.alone"),
      radio("jointly", "found.representation.jointly"),
    ),
    h("p", { class: "meta" }, t("found.articles"), " ", t("found.fee", { amount: moneyText(fee) })),
    flashBox(),
    submitActions("found-submit", "found.submit", "found.working"),
  );
  formElement.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit();
  });
  return formElement;
}

const person = (row: PersonRow) => ({
  personalCode: row.personalCode.trim(),
  givenName: row.givenName.trim(),
  surname: row.surname.trim(),
});

async function submit(): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const founders = form.founders.map((row) => {
      const share = cents(row.share);
      if (share === undefined || share < 1) throw new UiError("found.badShare");
      return { ...person(row), shareCents: share };
    });
    const people = [...form.founders, ...form.board, ...(form.ownersAreFounders ? [] : form.owners), ...form.contact];
    if (people.some((row) => !/^[1-8][0-9]{10}$/.test(row.personalCode.trim()))) throw new UiError("found.badCode");
    if (people.some((row) => !row.givenName.trim() || !row.surname.trim())) throw new UiError("found.badName");
    if (!/^[0-9]{5}$/.test(form.activity.trim())) throw new UiError("found.badActivity");
    const application = {
      name: form.name.trim(),
      legalForm: "OÜ",
      seatAddress: form.seatAddress.trim(),
      email: form.email.trim(),
      activity: form.activity.trim(),
      shareCapitalCents: founders.reduce((sum, f) => sum + f.shareCents, 0),
      founders,
      board: form.board.map(person),
      ...(form.contact[0] ? { contactPerson: person(form.contact[0]) } : {}),
      beneficialOwners: (form.ownersAreFounders ? form.founders : form.owners).map(person),
      representation: form.representation,
      articles: "standard",
    };
    const created = await api<{ id: string }>("/api/founding/applications", { method: "POST", body: application });
    state.busy = false;
    form = freshForm();
    awaiting = {};
    nameCheck = { name: "" };
    state.flash = { kind: "info", text: t("found.created"), route: "application" };
    navigate("application", created.id);
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "found" };
    render();
    document.getElementById("flash")?.focus();
  }
}

function awaitingBody(): HTMLElement {
  const body = awaiting.error
    ? problem(awaiting.error)
    : !awaiting.answer
      ? loading()
      : awaiting.answer.applications.length === 0
        ? h("p", {}, t("found.noneAwaiting"))
        : table(
            t("found.awaitingCaption"),
            [t("company.name"), t("found.founders"), t("found.createdAt")],
            awaiting.answer.applications.map((a) => [
              h("a", { href: `#/application/${a.id}` }, a.name),
              h(
                "ul",
                { class: "plain" },
                ...a.founders.map((f) =>
                  h(
                    "li",
                    {},
                    `${f.givenName} ${f.surname} `,
                    h(
                      "span",
                      { class: `badge ${f.signed ? "ok" : "pending"}` },
                      t(f.signed ? "found.signed" : "found.notSigned"),
                    ),
                  ),
                ),
              ),
              dateText(a.createdAt, true),
            ]),
          );
  return h(
    "section",
    { class: "card", "aria-labelledby": "awaiting-h" },
    h("h2", { id: "awaiting-h" }, t("found.awaiting")),
    body,
  );
}

function view(): HTMLElement {
  return h(
    "section",
    { class: "view" },
    heading("found.title"),
    h("p", { class: "lead" }, t("found.intro")),
    awaitingBody(),
    foundForm(),
  );
}

export const foundView: View = {
  title: "found.title",
  personal: true,
  render: view,
  async enter() {
    if (!form.founders[0]?.personalCode) form = freshForm();
    if (!awaiting.answer && !awaiting.error) await loadAwaiting();
  },
  reset() {
    awaiting = {};
    form = freshForm();
    nameCheck = { name: "" };
  },
};

/** After a signature or a registration: the list is read again. */
export function forgetAwaiting(): void {
  awaiting = {};
}
