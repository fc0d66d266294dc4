// A founding application (#/application/ID): the document every founder signs (the register's
// application.json), who has signed, the founder's own signature with their card file and
// PIN2 (the portal's signing flow: prepare on the server, sign here, finish there; the
// container goes to the register), and registration with the state fee's receipt once every
// founder has signed.

import {
  base64,
  CardError,
  checkPin2,
  readCardFile,
  signingCertificate,
  signPrepared,
  unlockSigningKey,
} from "@riik/pki/browser";
import type {
  ApplicationResponse,
  FounderSignature,
  PrepareResponse,
  RegistrationResponse,
} from "../../web/api-types.ts";
import { type ApiError, api } from "../api.ts";
import { errorText, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { definitionList, field, flashBox, heading, loading, problem, submitActions } from "../widgets.ts";
import { forgetCompanies } from "./companies.ts";
import { forgetAwaiting } from "./found.ts";

let current: { id?: string; answer?: ApplicationResponse; error?: ApiError; registered?: RegistrationResponse } = {};
let cardInput: HTMLInputElement | undefined;

async function load(id: string): Promise<void> {
  try {
    current = { id, answer: await api<ApplicationResponse>(`/api/founding/applications/${encodeURIComponent(id)}`) };
  } catch (error) {
    if (sessionEnded(error)) return;
    current = { id, error: error as ApiError };
  }
  if (state.route === "application" && state.param === id) render();
}

function signForm(id: string): HTMLElement {
  cardInput ??= h("input", { type: "file", id: "founder-card", name: "card", accept: ".json,application/json" });
  const pin = h("input", {
    type: "password",
    id: "founder-pin2",
    name: "pin2",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{5,12}",
    minlength: 5,
    maxlength: 12,
    required: true,
    "data-keep": "founder-pin2",
  });
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "founder-sign-h" },
    h("h2", { id: "founder-sign-h" }, t("application.signTitle")),
    h("p", {}, t("application.signIntro")),
    field("founder-card", "login.cardFile", cardInput, t("sign.cardHint")),
    field("founder-pin2", "sign.pin2", pin, t("sign.pin2Hint")),
    submitActions("founder-sign-submit", "application.sign", "sign.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void sign(id, pin);
  });
  return form;
}

async function sign(id: string, pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin2 = pin.value;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const card = await readCardFile(cardInput?.files?.[0]);
    const certificate = signingCertificate(card);
    checkPin2(pin2);
    // PIN2 opens the key here first: a wrong PIN2 is told at once and nothing reaches the server.
    const key = await unlockSigningKey(card, pin2);
    const path = `/api/founding/applications/${encodeURIComponent(id)}`;
    const prepared = await api<PrepareResponse>(`${path}/prepare`, { method: "POST", body: { certificate } });
    const data = Uint8Array.from(atob(prepared.dataToSign), (c) => c.charCodeAt(0));
    const digest = base64(await crypto.subtle.digest(prepared.digestAlgorithm, data));
    if (digest !== prepared.digest) throw new UiError("error.generic");
    const value = await signPrepared(key, data, prepared.digestAlgorithm);
    const signed = await api<FounderSignature>(`${path}/finish`, {
      method: "POST",
      body: { id: prepared.id, signatureValue: base64(value) },
    });
    state.busy = false;
    state.flash = {
      kind: "info",
      text:
        signed.missing.length === 0
          ? t("application.allSigned")
          : t("application.signed", { n: signed.missing.length }),
      route: "application",
    };
    forgetAwaiting();
    await load(id);
    render();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "application" };
    render();
    const code = error instanceof CardError ? error.code : "";
    const target =
      code === "CARD_NO_FILE" || code === "CARD_FORMAT" || code === "CARD_NO_SIGNING_KEY"
        ? "founder-card"
        : "founder-pin2";
    document.getElementById(target)?.focus();
  }
}

async function registerCompany(id: string): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const registered = await api<RegistrationResponse>(
      `/api/founding/applications/${encodeURIComponent(id)}/registration`,
      { method: "POST", body: {} },
    );
    state.busy = false;
    current = { ...current, registered };
    forgetCompanies();
    forgetAwaiting();
    render();
    document.getElementById("registered-h")?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "application" };
    render();
  }
}

function registeredCard(done: RegistrationResponse): HTMLElement {
  return h(
    "section",
    { class: "card done", "aria-labelledby": "registered-h" },
    h("h2", { id: "registered-h", tabindex: "-1" }, t("application.registered")),
    h(
      "p",
      { class: "flash info", role: "status" },
      t("application.registeredText", { name: done.name, code: done.registryCode }),
    ),
    definitionList([
      [t("application.receipt"), done.receipt.id],
      [t("application.feePaid"), moneyText(done.receipt.amountCents)],
      [t("application.paidAt"), dateText(done.receipt.paidAt, true)],
    ]),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button primary", href: `#/company/${done.registryCode}` }, t("application.toCompany")),
    ),
  );
}

function view(): HTMLElement {
  const id = state.param ?? "";
  const parts: Array<Node | null> = [];
  if (current.registered) parts.push(registeredCard(current.registered));
  else if (current.id === id && current.error) parts.push(problem(current.error));
  else if (current.id !== id || !current.answer) parts.push(loading());
  else {
    const { application, signedBy, status, registryCode, document, sha256 } = current.answer;
    const me = state.session?.person?.personalCode;
    const isFounder = application.founders.some((f) => f.personalCode === me);
    const missing = application.founders.filter((f) => !signedBy.includes(f.personalCode));
    parts.push(
      h(
        "section",
        { class: "card", "aria-labelledby": "application-h" },
        h("h2", { id: "application-h" }, application.name),
        definitionList([
          [t("company.address"), application.seatAddress],
          [t("company.email"), application.email],
          [t("company.activity"), application.activity],
          [t("company.capital"), moneyText(application.shareCapitalCents)],
          [
            t("found.founders"),
            h(
              "ul",
              { class: "plain" },
              ...application.founders.map((f) =>
                h(
                  "li",
                  {},
                  `${f.givenName} ${f.surname}, ${f.personalCode} — ${moneyText(f.shareCents)} `,
                  h(
                    "span",
                    { class: `badge ${signedBy.includes(f.personalCode) ? "ok" : "pending"}` },
                    t(signedBy.includes(f.personalCode) ? "found.signed" : "found.notSigned"),
                  ),
                ),
              ),
            ),
          ],
          [t("found.board"), application.board.map((p) => `${p.givenName} ${p.surname}`).join(", ")],
          [
            t("found.representation"),
            t(application.representation === "alone" ? "found.representation.alone" : "found.representation.jointly"),
          ],
          [t("application.status"), registryCode ? t("application.statusRegistered", { code: registryCode }) : status],
        ]),
        h(
          "details",
          {},
          h("summary", {}, t("application.document")),
          h("p", { class: "meta" }, t("application.sha256", { hash: sha256 })),
          h("pre", { class: "note" }, document),
        ),
      ),
    );
    if (status === "open" && isFounder && me && !signedBy.includes(me)) parts.push(signForm(id));
    if (status === "open" && missing.length === 0 && isFounder)
      parts.push(
        h(
          "section",
          { class: "card", "aria-labelledby": "register-h" },
          h("h2", { id: "register-h" }, t("application.registerTitle")),
          h(
            "p",
            {},
            t("application.registerIntro", { amount: moneyText(state.session?.business?.stateFeeCents ?? 0) }),
          ),
          h(
            "div",
            { class: "actions" },
            h(
              "button",
              {
                type: "button",
                class: "primary",
                id: "register-company",
                disabled: state.busy,
                "aria-busy": state.busy ? "true" : undefined,
                onclick: (() => void registerCompany(id)) as EventListener,
              },
              state.busy ? t("application.registering") : t("application.register"),
            ),
          ),
        ),
      );
    else if (status === "open" && missing.length > 0 && (!me || signedBy.includes(me) || !isFounder))
      parts.push(
        h(
          "p",
          { class: "meta" },
          t("application.waiting", { names: missing.map((f) => `${f.givenName} ${f.surname}`).join(", ") }),
        ),
      );
  }
  return h("section", { class: "view" }, heading("application.title"), flashBox(), ...parts);
}

export const applicationView: View = {
  title: "application.title",
  personal: true,
  render: view,
  async enter() {
    const id = state.param;
    if (current.registered && current.id !== id) current = {};
    if (id && (current.id !== id || (!current.answer && !current.error))) await load(id);
  },
  reset() {
    current = {};
    if (cardInput) cardInput.value = "";
  },
};
