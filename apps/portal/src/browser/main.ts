// The citizen portal's front end: plain TypeScript and the DOM, bundled by esbuild at
// server start. Hash routes: #/login, #/data, #/usage, #/sign, #/check, #/operator.

import type { SignatureReport, ValidationReport } from "@riik/signature";
import type { UsageEntry } from "../datatracker/usage.ts";
import type { PersonRef } from "../registry/population.ts";
import type {
  AddressResponse,
  ChallengeResponse,
  FamilyResponse,
  FinishResponse,
  LoginResponse,
  MeResponse,
  OperatorOverview,
  PrepareResponse,
  SessionInfo,
  UsageReport,
} from "../web/api-types.ts";
import { isLanguage, isMessageKey, type Language, type MessageKey, translate } from "../web/i18n.ts";
import { ApiError, api } from "./api.ts";
import {
  base64,
  CardError,
  checkPin2,
  createAuthToken,
  readCardFile,
  signingCertificate,
  signPrepared,
  unlockSigningKey,
} from "./card.ts";
import { append, h, uid } from "./dom.ts";

type Route = "login" | "data" | "usage" | "sign" | "check" | "operator";
const ROUTES: readonly Route[] = ["login", "data", "usage", "sign", "check", "operator"];
/** Views that need a logged-in person. */
const PERSONAL: readonly Route[] = ["data", "usage", "sign", "check"];
const LANGUAGE_KEY = "riik-portal-language";
const TOKEN_KEY = "riik-portal-operator-token";

interface Flash {
  kind: "error" | "info";
  text: string;
  /** The view the message belongs to; it is dropped when the person goes elsewhere. */
  route: Route;
}

const state: {
  language: Language;
  session: SessionInfo | undefined;
  route: Route;
  flash: Flash | undefined;
  busy: boolean;
  /** "Sign documents": what is signed, and the last result. */
  sign: { mode: "files" | "container"; result?: FinishResponse };
  /** "Check a container": the last report and the file's name. */
  check: { report?: ValidationReport; name?: string };
  data: {
    me?: MeResponse;
    family?: FamilyResponse;
    address?: AddressResponse;
    usage?: UsageReport;
    operator?: OperatorOverview;
    errors: Partial<Record<"me" | "family" | "address" | "usage" | "operator", ApiError>>;
  };
} = {
  language: initialLanguage(),
  session: undefined,
  route: "login",
  flash: undefined,
  busy: false,
  sign: { mode: "files" },
  check: {},
  data: { errors: {} },
};

/** A message of the page itself (not from the server or the card), with its values. */
class UiError extends Error {
  readonly key: MessageKey;
  readonly values: Record<string, string | number>;
  constructor(key: MessageKey, values: Record<string, string | number> = {}) {
    super(key);
    this.key = key;
    this.values = values;
  }
}

// File inputs live across renders, so switching the language keeps the chosen files.
let cardInput: HTMLInputElement | undefined;
let signCardInput: HTMLInputElement | undefined;
let signFilesInput: HTMLInputElement | undefined;
let signContainerInput: HTMLInputElement | undefined;
let checkInput: HTMLInputElement | undefined;

function t(key: MessageKey, values?: Record<string, string | number>): string {
  return translate(state.language, key, values);
}

function initialLanguage(): Language {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (isLanguage(fromUrl)) {
    remember(LANGUAGE_KEY, fromUrl, localStorage);
    return fromUrl;
  }
  const stored = recall(LANGUAGE_KEY, localStorage);
  return isLanguage(stored) ? stored : "et";
}

function remember(key: string, value: string | undefined, storage: Storage): void {
  try {
    if (value === undefined) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
}

function recall(key: string, storage: Storage): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function errorText(error: unknown): string {
  if (error instanceof UiError) return t(error.key, error.values);
  if (error instanceof CardError) return t(error.code);
  if (error instanceof ApiError) {
    if (isMessageKey(error.code)) return t(error.code, { type: String(error.details.type ?? error.status) });
    return `${t("error.generic")} (${error.code})`;
  }
  return t("error.generic");
}

function currentRoute(): Route {
  const name = location.hash.replace(/^#\/?/, "") as Route;
  return ROUTES.includes(name) ? name : state.session?.authenticated ? "data" : "login";
}

function navigate(route: Route): void {
  if (location.hash === `#/${route}`) void show(route, true);
  else location.hash = `#/${route}`;
}

async function show(route: Route, focus: boolean): Promise<void> {
  if (PERSONAL.includes(route) && !state.session?.authenticated) route = "login";
  if (route === "login" && state.session?.authenticated) route = "data";
  if (state.flash && state.flash.route !== route) state.flash = undefined;
  state.route = route;
  render(focus);
  if (route === "data" && !state.data.me && !state.data.errors.me) await loadMyData();
  if (route === "usage" && !state.data.usage && !state.data.errors.usage) await loadUsage();
  if (route === "operator" && !state.data.operator && !state.data.errors.operator) await loadOperator();
}

// ---------------------------------------------------------------- rendering

function render(focusHeading = false): void {
  document.documentElement.lang = state.language;
  document.title = `${pageTitle()} — ${t("app.title")}`;
  const active = document.activeElement;
  const keepFocus = active instanceof HTMLElement && active.dataset.keep ? active.dataset.keep : undefined;
  const root = document.getElementById("app") as HTMLElement;
  root.replaceChildren(skipLink(), header(), mainContent(), footer());
  if (focusHeading) (document.querySelector("main h1") as HTMLElement | null)?.focus();
  else if (keepFocus) (document.querySelector(`[data-keep="${keepFocus}"]`) as HTMLElement | null)?.focus();
}

function pageTitle(): string {
  return t(
    (
      {
        login: "login.title",
        data: "data.title",
        usage: "usage.title",
        sign: "sign.title",
        check: "check.title",
        operator: "operator.title",
      } as const
    )[state.route],
  );
}

function skipLink(): HTMLElement {
  return h(
    "a",
    {
      class: "skip",
      href: "#main",
      onclick: ((event: Event) => {
        event.preventDefault();
        document.getElementById("main")?.focus();
      }) as EventListener,
    },
    t("app.skip"),
  );
}

function header(): HTMLElement {
  const person = state.session?.person;
  const other: Language = state.language === "et" ? "en" : "et";
  const nav = h("nav", { "aria-label": t("nav.label") });
  const list = h("ul", { class: "tabs" });
  const link = (route: Route, key: MessageKey) =>
    h(
      "li",
      {},
      h(
        "a",
        { href: `#/${route}`, "aria-current": state.route === route ? "page" : undefined, "data-keep": `nav-${route}` },
        t(key),
      ),
    );
  if (person) append(list, link("data", "nav.data"), link("usage", "nav.usage"));
  if (person && state.session?.signing) append(list, link("sign", "nav.sign"), link("check", "nav.check"));
  else append(list, link("login", "nav.login"));
  append(list, link("operator", "nav.operator"));
  nav.append(list);
  return h(
    "header",
    { class: "site" },
    h(
      "div",
      { class: "bar" },
      h("p", { class: "brand" }, h("span", { class: "mark", "aria-hidden": "true" }), t("app.title")),
      h(
        "div",
        { class: "tools" },
        person
          ? h(
              "p",
              { class: "who" },
              h("span", { class: "muted" }, t("session.as")),
              " ",
              h("strong", {}, `${person.givenName} ${person.surname}`),
            )
          : null,
        h(
          "button",
          {
            type: "button",
            class: "link",
            lang: other,
            "aria-label": t("app.switchLanguageLabel"),
            "data-keep": "language",
            onclick: (() => switchLanguage(other)) as EventListener,
          },
          t("app.switchLanguage"),
        ),
        person
          ? h(
              "button",
              {
                type: "button",
                class: "secondary",
                "data-keep": "logout",
                onclick: (() => void logout()) as EventListener,
              },
              t("session.logout"),
            )
          : null,
      ),
    ),
    nav,
  );
}

function footer(): HTMLElement {
  return h("footer", { class: "site" }, h("p", {}, t("app.footer")));
}

/** A form's submit row: the primary button, disabled and announcing progress while busy. */
function submitActions(keep: string, label: MessageKey, working: MessageKey): HTMLElement {
  return h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "submit",
        class: "primary",
        "aria-busy": state.busy ? "true" : undefined,
        disabled: state.busy,
        "data-keep": keep,
      },
      state.busy ? t(working) : t(label),
    ),
  );
}

function flashBox(): HTMLElement | null {
  if (!state.flash) return null;
  return h(
    "div",
    { class: `flash ${state.flash.kind}`, role: state.flash.kind === "error" ? "alert" : "status", id: "flash" },
    state.flash.text,
  );
}

function mainContent(): HTMLElement {
  const main = h("main", { id: "main", tabindex: "-1" });
  switch (state.route) {
    case "login":
      main.append(loginView());
      break;
    case "data":
      main.append(dataView());
      break;
    case "usage":
      main.append(usageView());
      break;
    case "sign":
      main.append(signView());
      break;
    case "check":
      main.append(checkView());
      break;
    case "operator":
      main.append(operatorView());
      break;
  }
  return main;
}

function heading(key: MessageKey): HTMLElement {
  // data-keep: a re-render after data arrives gives focus back to the new heading.
  return h("h1", { tabindex: "-1", "data-keep": "heading" }, t(key));
}

// ---------------------------------------------------------------- login

function loginView(): HTMLElement {
  const fileId = "card-file";
  const pinId = "pin1";
  const fileHint = uid("hint");
  const pinHint = uid("hint");
  cardInput ??= h("input", {
    type: "file",
    id: fileId,
    name: "card",
    accept: ".json,application/json",
    required: true,
  });
  cardInput.setAttribute("aria-describedby", fileHint);
  const pinError = state.flash?.kind === "error" ? "flash" : undefined;
  const pin = h("input", {
    type: "password",
    id: pinId,
    name: "pin1",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{4,12}",
    minlength: 4,
    maxlength: 12,
    required: true,
    "aria-describedby": [pinHint, pinError].filter(Boolean).join(" "),
    "aria-invalid": pinError ? "true" : undefined,
    "data-keep": "pin1",
  });
  const form = h(
    "form",
    { class: "card login", novalidate: true, "aria-labelledby": "login-title" },
    h(
      "div",
      { class: "field" },
      h("label", { for: fileId }, t("login.cardFile")),
      cardInput,
      h("p", { class: "hint", id: fileHint }, t("login.cardFileHint")),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: pinId }, t("login.pin1")),
      pin,
      h("p", { class: "hint", id: pinHint }, t("login.pin1Hint")),
    ),
    flashBox(),
    submitActions("submit", "login.submit", "login.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void login(pin);
  });
  const title = heading("login.title");
  title.id = "login-title";
  return h("section", { class: "view" }, title, h("p", { class: "lead" }, t("login.intro")), form);
}

async function login(pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin1 = pin.value;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const card = await readCardFile(cardInput?.files?.[0]);
    if (!/^\d{4,12}$/.test(pin1)) throw new CardError("CARD_PIN_FORMAT", "PIN1 must be 4-12 digits");
    const { nonce } = await api<ChallengeResponse>("/api/auth/challenge");
    const token = await createAuthToken(card, pin1, location.origin, nonce);
    const { person } = await api<LoginResponse>("/api/auth/login", { method: "POST", body: token });
    state.busy = false;
    state.session = { ...(state.session as SessionInfo), authenticated: true, person };
    state.data = { errors: {} };
    state.flash = {
      kind: "info",
      text: t("login.welcome", { name: `${person.givenName} ${person.surname}` }),
      route: "data",
    };
    if (cardInput) cardInput.value = "";
    navigate("data");
  } catch (error) {
    state.busy = false;
    state.flash = { kind: "error", text: errorText(error), route: "login" };
    render();
    const field = document.getElementById(
      error instanceof CardError && (error.code === "CARD_NO_FILE" || error.code === "CARD_FORMAT")
        ? "card-file"
        : "pin1",
    ) as HTMLInputElement | null;
    if (field?.id === "pin1" && error instanceof CardError && error.code === "CARD_WRONG_PIN") field.value = "";
    else if (field?.id === "pin1") field.value = pin1;
    field?.focus();
  }
}

async function logout(): Promise<void> {
  try {
    await api("/api/logout", { method: "POST", body: {} });
  } catch {
    // The session is gone either way.
  }
  state.session = { ...(state.session as SessionInfo), authenticated: false };
  delete state.session.person;
  state.data = { errors: {} };
  state.sign = { mode: "files" };
  state.check = {};
  state.flash = { kind: "info", text: t("session.loggedOut"), route: "login" };
  navigate("login");
}

function sessionEnded(error: unknown): boolean {
  if (error instanceof ApiError && error.code === "PORTAL_UNAUTHENTICATED") {
    state.session = { ...(state.session as SessionInfo), authenticated: false };
    delete state.session.person;
    state.data = { errors: {} };
    state.flash = { kind: "error", text: t("PORTAL_UNAUTHENTICATED"), route: "login" };
    navigate("login");
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- my data

async function loadMyData(): Promise<void> {
  const results = await Promise.allSettled([
    api<MeResponse>("/api/me"),
    api<FamilyResponse>("/api/me/family"),
    api<AddressResponse>("/api/me/address"),
  ]);
  const [me, family, address] = results;
  for (const result of results) if (result.status === "rejected" && sessionEnded(result.reason)) return;
  if (me.status === "fulfilled") state.data.me = me.value;
  else state.data.errors.me = me.reason as ApiError;
  if (family.status === "fulfilled") state.data.family = family.value;
  else state.data.errors.family = family.reason as ApiError;
  if (address.status === "fulfilled") state.data.address = address.value;
  else state.data.errors.address = address.reason as ApiError;
  if (state.route === "data") render();
}

function loading(): HTMLElement {
  return h("p", { class: "muted", role: "status" }, t("app.loading"));
}

function problem(error: ApiError): HTMLElement {
  return h("p", { class: "flash error", role: "alert" }, errorText(error));
}

function dateText(value: string | undefined, withTime = false): string {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const locale = state.language === "et" ? "et-EE" : "en-GB";
  return new Intl.DateTimeFormat(
    locale,
    withTime ? { dateStyle: "medium", timeStyle: "medium" } : { dateStyle: "long", timeZone: "UTC" },
  ).format(date);
}

function definitionList(rows: Array<[string, Node | string]>): HTMLElement {
  const dl = h("dl", { class: "facts" });
  for (const [term, value] of rows) dl.append(h("div", {}, h("dt", {}, term), h("dd", {}, value)));
  return dl;
}

function refText(ref: PersonRef): string {
  const name = ref.name ?? [ref.givenName, ref.surname].filter(Boolean).join(" ");
  return [name, ref.personalCode].filter(Boolean).join(", ") || "—";
}

function refList(refs: PersonRef[]): HTMLElement | string {
  if (refs.length === 0) return t("data.none");
  return h("ul", { class: "plain" }, ...refs.map((ref) => h("li", {}, refText(ref))));
}

function dataView(): HTMLElement {
  const { me, family, address, errors } = state.data;
  const purpose = state.session?.purpose ?? "citizen self-service";
  const section = (titleKey: MessageKey, body: Node, exchange?: { xroadId: string }) =>
    h(
      "section",
      { class: "card", "aria-labelledby": `${titleKey}-h` },
      h("h2", { id: `${titleKey}-h` }, t(titleKey)),
      body,
      exchange?.xroadId ? h("p", { class: "meta" }, t("data.exchange", { id: exchange.xroadId })) : null,
    );
  const statusText = (status: string | undefined, died: string | undefined) =>
    status === "alive"
      ? t("data.status.alive")
      : status === "deceased"
        ? `${t("data.status.deceased")}${died ? ` ${dateText(died)}` : ""}`
        : (status ?? "—");
  const sexText = (sex: string | undefined) =>
    sex === "male" || sex === "female" ? t(`data.sex.${sex}`) : (sex ?? "—");
  const personBody = errors.me
    ? problem(errors.me)
    : me
      ? definitionList([
          [t("data.name"), `${me.person.givenName} ${me.person.surname}`],
          [t("data.personalCode"), me.person.personalCode],
          [t("data.birthDate"), dateText(me.person.birthDate)],
          [t("data.sex"), sexText(me.person.sex)],
          [t("data.status"), statusText(me.person.status, me.person.dateOfDeath)],
        ])
      : loading();
  const familyBody = errors.family
    ? problem(errors.family)
    : family
      ? definitionList([
          [t("data.parents"), refList(family.family.parents)],
          [t("data.children"), refList(family.family.children)],
          [t("data.spouse"), family.family.spouse ? refText(family.family.spouse) : t("data.none")],
        ])
      : loading();
  let addressBody: Node;
  if (errors.address) addressBody = problem(errors.address);
  else if (!address) addressBody = loading();
  else if (!address.address) addressBody = h("p", {}, t("data.noAddress"));
  else {
    const a = address.address;
    const street = [a.street, [a.house, a.apartment].filter(Boolean).join("-")].filter(Boolean).join(" ");
    addressBody = h(
      "address",
      {},
      ...[street, a.settlement, a.municipality, [a.county, a.postalCode].filter(Boolean).join(" ")]
        .filter((line) => line)
        .flatMap((line, i) => (i === 0 ? [line as string] : [h("br"), line as string])),
      a.since ? h("span", { class: "meta block" }, t("data.addressSince", { date: dateText(a.since) })) : null,
    );
  }
  return h(
    "section",
    { class: "view" },
    heading("data.title"),
    flashBox(),
    h("p", { class: "lead" }, t("data.intro", { purpose })),
    h(
      "div",
      { class: "grid" },
      section("data.person", personBody, me?.exchange),
      section("data.family", familyBody, family?.exchange),
      section("data.address", addressBody, address?.exchange),
    ),
  );
}

// ---------------------------------------------------------------- who used my data

async function loadUsage(): Promise<void> {
  try {
    state.data.usage = await api<UsageReport>("/api/me/usage");
    delete state.data.errors.usage;
  } catch (error) {
    if (sessionEnded(error)) return;
    state.data.errors.usage = error as ApiError;
  }
  if (state.route === "usage") render();
}

function usageView(): HTMLElement {
  const { usage, errors } = state.data;
  const refresh = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "usage-refresh",
      onclick: (async () => {
        delete state.data.usage;
        delete state.data.errors.usage;
        render();
        await loadUsage();
      }) as EventListener,
    },
    t("usage.refresh"),
  );
  const body: Array<Node | null> = [];
  if (errors.usage) body.push(problem(errors.usage));
  else if (!usage) body.push(loading());
  else {
    body.push(
      h(
        "p",
        { class: "meta", role: "status" },
        `${t("usage.period", { start: dateText(usage.periodStart), end: dateText(usage.periodEnd) })} · ${t("usage.count", { count: usage.usages.length })}`,
      ),
    );
    for (const provider of usage.providers)
      if (!provider.ok)
        body.push(
          h(
            "p",
            { class: "flash error", role: "alert" },
            t("usage.providerFailed", {
              provider: provider.provider,
              message: provider.error?.type ?? provider.error?.code ?? "",
            }),
          ),
        );
    body.push(usage.usages.length === 0 ? h("p", {}, t("usage.empty")) : usageTable(usage.usages));
  }
  return h(
    "section",
    { class: "view" },
    h("div", { class: "title-row" }, heading("usage.title"), refresh),
    flashBox(),
    h("p", { class: "lead" }, t("usage.intro")),
    ...body,
  );
}

function usageTable(usages: UsageEntry[]): HTMLElement {
  const columns: MessageKey[] = ["usage.time", "usage.institution", "usage.user", "usage.purpose", "usage.anchor"];
  const rows = usages.map((u) => {
    const institution = [u.institution.name, u.institution.code].filter(Boolean).join(", ") || u.provider;
    const cell = (key: MessageKey, ...content: Array<Node | string | null>) =>
      h("td", { "data-label": t(key) }, ...content);
    const anchorCell = u.anchor.anchored
      ? h(
          "div",
          { class: "anchor ok" },
          h("span", { class: "badge ok" }, h("span", { "aria-hidden": "true" }, "✓ "), t("usage.anchored")),
          u.anchor.reference ? h("span", { class: "meta block" }, u.anchor.reference) : null,
          anchorDetails(u),
        )
      : u.anchor.claimed
        ? // The provider says anchored, but its proof did not verify against the portal's trust anchor.
          h("div", { class: "anchor" }, h("span", { class: "badge bad" }, t("usage.notVerified")), anchorDetails(u))
        : h("span", { class: "badge pending" }, t("usage.notAnchored"));
    return h(
      "tr",
      { class: "usage" },
      h("th", { scope: "row", "data-label": t("usage.time") }, h("time", { datetime: u.time }, dateText(u.time, true))),
      cell("usage.institution", institution, u.system ? h("span", { class: "meta block" }, u.system) : null),
      cell("usage.user", u.user ?? "—"),
      cell("usage.purpose", u.purpose || "—"),
      cell("usage.anchor", anchorCell),
    );
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "usage-table" },
      h("caption", { class: "visually-hidden" }, t("usage.caption")),
      h("thead", {}, h("tr", {}, ...columns.map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, ...rows),
    ),
  );
}

function anchorDetails(u: UsageEntry): HTMLElement | null {
  const entries = Object.entries(u.anchor.details);
  if (entries.length === 0 && !u.queryId && u.proofId === undefined) return null;
  return h(
    "details",
    {},
    h("summary", {}, t("usage.anchorDetails")),
    h(
      "dl",
      { class: "small" },
      ...(u.queryId ? [h("div", {}, h("dt", {}, "queryId"), h("dd", {}, u.queryId))] : []),
      ...entries.map(([key, value]) => h("div", {}, h("dt", {}, key), h("dd", {}, value))),
    ),
    u.proofId === undefined
      ? null
      : h(
          "p",
          {},
          h(
            "a",
            {
              href: `/api/me/usage/proof?${new URLSearchParams({ provider: u.provider, id: String(u.proofId) })}`,
              download: `usage-proof-${u.proofId}.json`,
            },
            t("usage.proof"),
          ),
        ),
  );
}

// ---------------------------------------------------------------- sign documents

function sizeText(bytes: number): string {
  const locale = state.language === "et" ? "et-EE" : "en-GB";
  const [value, unit] =
    bytes < 1024 ? [bytes, "B"] : bytes < 1024 * 1024 ? [bytes / 1024, "KB"] : [bytes / (1024 * 1024), "MB"];
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit === "B" ? 0 : 1 }).format(value)} ${unit}`;
}

function maxUpload(): number {
  return state.session?.signing?.maxUploadBytes ?? 10 * 1024 * 1024;
}

function fileInput(id: string, attributes: Record<string, string | boolean>): HTMLInputElement {
  const input = h("input", { type: "file", id, ...attributes });
  // Choosing files re-renders, so the list of chosen files and the messages stay current.
  input.addEventListener("change", () => {
    if (state.flash?.route === state.route) state.flash = undefined;
    render();
    document.getElementById(id)?.focus();
  });
  return input;
}

function field(id: string, label: MessageKey, control: HTMLElement, hint: string, extra?: Node | null): HTMLElement {
  const hintId = `${id}-hint`;
  control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, t(label)),
    control,
    h("p", { class: "hint", id: hintId }, hint),
    extra ?? null,
  );
}

function chosenFiles(input: HTMLInputElement | undefined): HTMLElement | null {
  const files = [...(input?.files ?? [])];
  if (files.length === 0) return null;
  return h(
    "ul",
    { class: "plain chosen" },
    ...files.map((f) =>
      h("li", {}, h("span", { class: "file-name" }, f.name), " ", h("span", { class: "meta" }, sizeText(f.size))),
    ),
  );
}

function signView(): HTMLElement {
  const result = state.sign.result;
  const parts: Array<Node | null> = [];
  if (result) parts.push(signResult(result));
  else parts.push(signForm());
  return h("section", { class: "view" }, heading("sign.title"), h("p", { class: "lead" }, t("sign.intro")), ...parts);
}

function signForm(): HTMLElement {
  signFilesInput ??= fileInput("sign-files", { name: "files", multiple: true });
  signContainerInput ??= fileInput("sign-container", {
    name: "container",
    accept: ".asice,.sce,.bdoc,application/vnd.etsi.asic-e+zip",
  });
  signCardInput ??= h("input", { type: "file", id: "sign-card", name: "card", accept: ".json,application/json" });
  const mode = state.sign.mode;
  const radio = (value: "files" | "container", key: MessageKey) => {
    const id = `sign-mode-${value}`;
    const input = h("input", {
      type: "radio",
      id,
      name: "mode",
      value,
      checked: mode === value,
      "data-keep": id,
    });
    input.addEventListener("change", () => {
      state.sign.mode = value;
      state.flash = undefined;
      render();
    });
    return h("div", { class: "choice" }, input, h("label", { for: id }, t(key)));
  };
  const errorId = state.flash?.kind === "error" ? "flash" : undefined;
  const pin = h("input", {
    type: "password",
    id: "pin2",
    name: "pin2",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{5,12}",
    minlength: 5,
    maxlength: 12,
    required: true,
    "aria-invalid": errorId ? "true" : undefined,
    "data-keep": "pin2",
  });
  const size = sizeText(maxUpload());
  const what =
    mode === "files"
      ? field("sign-files", "sign.files", signFilesInput, t("sign.filesHint", { size }), chosenFiles(signFilesInput))
      : field(
          "sign-container",
          "sign.container",
          signContainerInput,
          t("sign.containerHint", { size }),
          chosenFiles(signContainerInput),
        );
  const pinField = field("pin2", "sign.pin2", pin, t("sign.pin2Hint"));
  if (errorId) pin.setAttribute("aria-describedby", `pin2-hint ${errorId}`);
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "sign-form-title" },
    h("h2", { id: "sign-form-title", class: "visually-hidden" }, t("sign.title")),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, t("sign.mode")),
      radio("files", "sign.mode.files"),
      radio("container", "sign.mode.container"),
    ),
    what,
    field("sign-card", "login.cardFile", signCardInput, t("sign.cardHint")),
    pinField,
    flashBox(),
    submitActions("sign-submit", "sign.submit", "sign.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void signDocuments(pin);
  });
  return form;
}

async function signDocuments(pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin2 = pin.value;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const body: Record<string, unknown> = {};
    if (state.sign.mode === "files") {
      const files = [...(signFilesInput?.files ?? [])];
      if (files.length === 0) throw new UiError("sign.noFiles");
      if (files.reduce((n, f) => n + f.size, 0) > maxUpload())
        throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
      body.files = await Promise.all(
        files.map(async (f) => ({
          name: f.name,
          ...(f.type ? { mediaType: f.type } : {}),
          data: base64(await f.arrayBuffer()),
        })),
      );
    } else {
      const file = signContainerInput?.files?.[0];
      if (!file) throw new UiError("sign.noContainer");
      if (file.size > maxUpload()) throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
      body.container = { name: file.name, data: base64(await file.arrayBuffer()) };
    }
    const card = await readCardFile(signCardInput?.files?.[0]);
    body.certificate = signingCertificate(card);
    checkPin2(pin2);
    // PIN2 opens the key here first: a wrong PIN2 is told at once and nothing reaches the server.
    const key = await unlockSigningKey(card, pin2);
    const prepared = await api<PrepareResponse>("/api/sign/prepare", { method: "POST", body });
    const data = Uint8Array.from(atob(prepared.dataToSign), (c) => c.charCodeAt(0));
    const digest = base64(await crypto.subtle.digest(prepared.digestAlgorithm, data));
    if (digest !== prepared.digest) throw new UiError("error.generic");
    const value = await signPrepared(key, data, prepared.digestAlgorithm);
    state.sign.result = await api<FinishResponse>("/api/sign/finish", {
      method: "POST",
      body: { id: prepared.id, signatureValue: base64(value) },
    });
    state.busy = false;
    for (const input of [signFilesInput, signContainerInput]) if (input) input.value = "";
    render();
    (document.getElementById("sign-result-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "sign" };
    render();
    const code = error instanceof CardError ? error.code : error instanceof UiError ? error.key : "";
    const target =
      code === "CARD_NO_FILE" || code === "CARD_FORMAT" || code === "CARD_NO_SIGNING_KEY"
        ? "sign-card"
        : code === "sign.noFiles" || code === "sign.tooLarge"
          ? state.sign.mode === "files"
            ? "sign-files"
            : "sign-container"
          : code === "sign.noContainer"
            ? "sign-container"
            : "pin2";
    const element = document.getElementById(target) as HTMLInputElement | null;
    if (element?.id === "pin2" && code !== "CARD_WRONG_PIN2" && code !== "CARD_PIN2_FORMAT") element.value = pin2;
    element?.focus();
  }
}

function signResult(result: FinishResponse): HTMLElement {
  const again = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "sign-again",
      onclick: (() => {
        delete state.sign.result;
        render();
        document.getElementById("sign-files")?.focus();
      }) as EventListener,
    },
    t("sign.again"),
  );
  return h(
    "div",
    {},
    h(
      "section",
      { class: "card done", "aria-labelledby": "sign-result-h" },
      h("h2", { id: "sign-result-h", tabindex: "-1" }, t("sign.result")),
      h(
        "p",
        { class: "flash info", role: "status" },
        t("sign.done", { name: result.download.name, size: sizeText(result.download.size) }),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "a",
          {
            class: "button primary",
            href: result.download.href,
            download: result.download.name,
            "data-keep": "sign-download",
          },
          t("sign.download", { name: result.download.name }),
        ),
        again,
      ),
    ),
    reportView(result.report, result.download.name),
  );
}

// ---------------------------------------------------------------- check a container

function checkView(): HTMLElement {
  checkInput ??= fileInput("check-file", {
    name: "container",
    accept: ".asice,.sce,.bdoc,application/vnd.etsi.asic-e+zip",
  });
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "check-form-title" },
    h("h2", { id: "check-form-title", class: "visually-hidden" }, t("check.title")),
    field(
      "check-file",
      "check.file",
      checkInput,
      t("check.fileHint", { size: sizeText(maxUpload()) }),
      chosenFiles(checkInput),
    ),
    flashBox(),
    submitActions("check-submit", "check.submit", "check.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void checkContainer();
  });
  return h(
    "section",
    { class: "view" },
    heading("check.title"),
    h("p", { class: "lead" }, t("check.intro")),
    form,
    state.check.report ? reportView(state.check.report, state.check.name ?? "") : null,
  );
}

async function checkContainer(): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  const file = checkInput?.files?.[0];
  try {
    if (!file) throw new UiError("sign.noContainer");
    if (file.size > maxUpload()) throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
    state.busy = true;
    delete state.check.report;
    render();
    state.check.report = await api<ValidationReport>("/api/containers/validate", {
      method: "POST",
      file: { blob: file, contentType: "application/vnd.etsi.asic-e+zip" },
    });
    state.check.name = file.name;
    state.busy = false;
    render();
    (document.getElementById("report-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "check" };
    render();
    document.getElementById("check-file")?.focus();
  }
}

// ---------------------------------------------------------------- validation report

function verdictBadge(verdict: ValidationReport["verdict"]): HTMLElement {
  const kind = verdict === "valid" ? "ok" : verdict === "invalid" ? "bad" : "pending";
  const mark = verdict === "valid" ? "✓ " : verdict === "invalid" ? "✗ " : "? ";
  return h(
    "span",
    { class: `badge ${kind}` },
    h("span", { "aria-hidden": "true" }, mark),
    t(`report.verdict.${verdict}`),
  );
}

function findingList(findings: SignatureReport["findings"]): HTMLElement {
  return h(
    "ul",
    { class: "findings" },
    ...findings.map((f) => {
      const key = `finding.${f.code}`;
      return h(
        "li",
        { class: `finding ${f.severity}`, "data-code": f.code },
        isMessageKey(key) ? t(key) : f.code,
        h("span", { class: "meta block", lang: "en" }, `${f.code}: ${f.message}`),
      );
    }),
  );
}

function statusText(status: SignatureReport["certificateStatus"]): string {
  return status === "not checked" ? t("report.status.notChecked") : t(`report.status.${status}`);
}

function reportView(report: ValidationReport, name: string): HTMLElement {
  const section = h(
    "section",
    { class: "card report", "aria-labelledby": "report-h", "data-verdict": report.verdict },
    h("h2", { id: "report-h", tabindex: "-1" }, `${t("report.title")}${name ? `: ${name}` : ""}`),
    h(
      "p",
      { class: `summary ${report.verdict}`, role: "status" },
      verdictBadge(report.verdict),
      " ",
      t(`report.summary.${report.verdict}`),
    ),
    h("p", { class: "meta" }, t("report.sha256", { hash: report.container.sha256 })),
  );
  if (report.container.findings.length > 0) section.append(findingList(report.container.findings));
  if (report.container.files.length > 0)
    section.append(
      table(
        t("report.files"),
        [t("report.fileName"), t("report.fileType"), t("report.fileSize")],
        report.container.files.map((f) => [f.name, f.mediaType, sizeText(f.size)]),
      ),
    );
  report.signatures.forEach((signature, i) => {
    const id = `signature-${i}-h`;
    const rows: Array<[string, Node | string]> = [
      [t("report.signer"), signature.signer?.name ?? "—"],
      [t("report.personalCode"), signature.signer?.personalCode ?? "—"],
      signature.signingTime
        ? [
            t("report.signingTime"),
            h("time", { datetime: signature.signingTime }, dateText(signature.signingTime, true)),
          ]
        : [t("report.claimedTime"), dateText(signature.claimedSigningTime, true)],
      [t("report.certificateStatus"), statusText(signature.certificateStatus)],
      [t("report.level"), `XAdES ${signature.level}`],
    ];
    if (signature.role) rows.push([t("report.role"), signature.role]);
    rows.push([t("report.verdict"), verdictBadge(signature.verdict)]);
    section.append(
      h(
        "section",
        { class: `signature ${signature.verdict}`, "aria-labelledby": id },
        h("h3", { id }, t("report.signature", { n: i + 1 }), " ", verdictBadge(signature.verdict)),
        definitionList(rows),
        signature.findings.length > 0 ? h("h4", {}, t("report.reasons")) : null,
        signature.findings.length > 0 ? findingList(signature.findings) : null,
      ),
    );
  });
  return section;
}

// ---------------------------------------------------------------- operator

async function loadOperator(): Promise<void> {
  try {
    const token = recall(TOKEN_KEY, sessionStorage) ?? undefined;
    state.data.operator = await api<OperatorOverview>("/api/operator/overview", token ? { token } : {});
    delete state.data.errors.operator;
  } catch (error) {
    state.data.errors.operator = error as ApiError;
  }
  if (state.route === "operator") render();
}

function operatorView(): HTMLElement {
  const { operator, errors } = state.data;
  const parts: Array<Node | null> = [];
  const needsToken = errors.operator?.code === "PORTAL_OPERATOR_FORBIDDEN" || state.session?.operatorTokenRequired;
  if (needsToken) parts.push(tokenForm());
  if (errors.operator) parts.push(problem(errors.operator));
  else if (!operator) parts.push(loading());
  else parts.push(...operatorSections(operator));
  const refresh = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "operator-refresh",
      onclick: (async () => {
        delete state.data.operator;
        delete state.data.errors.operator;
        render();
        await loadOperator();
      }) as EventListener,
    },
    t("operator.refresh"),
  );
  return h(
    "section",
    { class: "view" },
    h("div", { class: "title-row" }, heading("operator.title"), refresh),
    h("p", { class: "lead" }, t("operator.intro")),
    ...parts,
  );
}

function tokenForm(): HTMLElement {
  const id = "operator-token";
  const hint = uid("hint");
  const input = h("input", {
    type: "password",
    id,
    name: "token",
    autocomplete: "off",
    "aria-describedby": hint,
    "data-keep": "operator-token",
  });
  const form = h(
    "form",
    { class: "card inline" },
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, t("operator.token")),
      input,
      h("p", { class: "hint", id: hint }, t("operator.tokenHint")),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("operator.open"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remember(TOKEN_KEY, input.value || undefined, sessionStorage);
    delete state.data.operator;
    delete state.data.errors.operator;
    render();
    void loadOperator();
  });
  return form;
}

function stateBadge(s: "up" | "down" | "unknown"): HTMLElement {
  return h(
    "span",
    { class: `badge ${s === "up" ? "ok" : s === "down" ? "bad" : "pending"}` },
    t(`operator.state.${s}`),
  );
}

function table(caption: string, headers: string[], rows: Array<Array<Node | string>>): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", { scope: "col" }, text)))),
      h(
        "tbody",
        {},
        ...rows.map((cells) =>
          h(
            "tr",
            {},
            ...cells.map((cell, i) =>
              i === 0
                ? h("th", { scope: "row", "data-label": headers[i] ?? "" }, cell)
                : h("td", { "data-label": headers[i] ?? "" }, cell),
            ),
          ),
        ),
      ),
    ),
  );
}

function operatorSections(o: OperatorOverview): Node[] {
  const out: Node[] = [];
  out.push(
    table(
      t("operator.services"),
      [t("operator.service"), t("operator.url"), t("operator.state")],
      o.services.map((s) => [s.name, h("code", {}, s.url), stateBadge(s.state)]),
    ),
  );
  if (o.globalConf)
    out.push(
      h(
        "p",
        { class: "meta" },
        o.globalConf.error
          ? `${o.globalConf.source}: ${o.globalConf.error}`
          : t("operator.globalConf", {
              version: o.globalConf.version ?? "?",
              expires: dateText(o.globalConf.expiresAt, true),
            }),
      ),
    );
  out.push(
    table(
      t("operator.members"),
      [t("operator.member"), t("operator.name"), t("operator.subsystems")],
      o.members.map((m) => [h("code", {}, m.id), m.name, m.subsystems.join(", ") || "—"]),
    ),
  );
  out.push(
    table(
      t("operator.securityServers"),
      [t("operator.server"), t("operator.state"), t("operator.messages"), t("operator.clients")],
      o.securityServers.map((s) => [
        h("span", {}, h("code", {}, s.id), s.address ? h("span", { class: "meta block" }, s.address) : null),
        stateBadge(s.state),
        s.messages
          ? `${s.messages.total} (${Object.entries(s.messages.bySide)
              .map(([side, n]) => `${side} ${n}`)
              .join(", ")})`
          : "—",
        s.clients.join(", ") || "—",
      ]),
    ),
  );
  const ledger = h(
    "section",
    { class: "card", "aria-labelledby": "ledger-h" },
    h("h2", { id: "ledger-h" }, t("operator.ledger")),
  );
  if (!o.ledger) ledger.append(h("p", {}, "—"));
  else if (o.ledger.error || !o.ledger.checkpoint)
    ledger.append(h("p", { class: "flash error" }, `${o.ledger.url}: ${o.ledger.error ?? ""}`));
  else {
    const c = o.ledger.checkpoint;
    ledger.append(
      h("h3", {}, t("operator.checkpoint")),
      definitionList([
        [t("operator.origin"), c.origin],
        [t("operator.size"), String(c.size)],
        [t("operator.root"), h("code", { class: "hash" }, c.rootHash)],
        [t("operator.signers"), c.signers.join(", ")],
      ]),
      h("pre", { class: "note", tabindex: "0", "aria-label": t("operator.checkpoint") }, c.text),
    );
  }
  ledger.append(
    h("h3", {}, t("operator.witnesses")),
    o.witnesses.length === 0
      ? h("p", {}, t("operator.none"))
      : h(
          "ul",
          { class: "plain" },
          ...o.witnesses.map((w) =>
            h(
              "li",
              {},
              h("code", {}, w.name),
              " — ",
              h(
                "span",
                { class: `badge ${w.cosigned ? "ok" : w.cosignature === "invalid" ? "bad" : "pending"}` },
                t(
                  w.cosignature === "verified"
                    ? "operator.cosigned"
                    : w.cosignature === "invalid"
                      ? "operator.cosignatureInvalid"
                      : w.cosignature === "unverified"
                        ? "operator.cosignatureUnverified"
                        : "operator.notCosigned",
                ),
              ),
              w.state ? " " : null,
              w.state ? stateBadge(w.state) : null,
            ),
          ),
        ),
  );
  out.push(ledger);
  out.push(replicationSection(o.replication));
  return out;
}

function replicationSection(replication: OperatorOverview["replication"]): HTMLElement {
  const section = h("section", { class: "replication" });
  // Without a table, a heading of its own names the section; with one, the caption does.
  if (!replication || replication.error) {
    section.append(
      h("h2", {}, t("operator.replication")),
      replication
        ? h("p", { class: "flash error" }, `${replication.url}: ${replication.error}`)
        : h("p", {}, t("operator.replicationNone")),
    );
    return section;
  }
  const locale = state.language === "et" ? "et-EE" : "en-GB";
  const seconds = (n: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n);
  section.append(
    table(
      t("operator.replication"),
      [
        t("operator.registry"),
        t("operator.embassy"),
        t("operator.segments"),
        t("operator.lagSeconds"),
        t("operator.lagSegments"),
        t("operator.lastSnapshot"),
        t("operator.keyId"),
      ],
      replication.deliveries.map((d) => {
        const inSync = d.lagSegments === 0 && d.lagChanges === 0;
        const snapshot = d.lastSnapshot;
        return [
          d.registry,
          h("span", {}, d.embassy, d.lastError ? h("span", { class: "meta block error-text" }, d.lastError) : null),
          h(
            "span",
            { class: "replication-segments" },
            t("operator.segmentsLine", { cut: d.chainIndex, acked: d.ackedIndex }),
            h("span", { class: "meta block" }, t("operator.seqLine", { acked: d.ackedSeq, journal: d.journalSeq })),
            d.ackedAt
              ? h("span", { class: "meta block" }, t("operator.ackedAt", { time: dateText(d.ackedAt, true) }))
              : null,
          ),
          h(
            "span",
            { class: "replication-lag" },
            t("operator.seconds", { n: seconds(d.lagSeconds) }),
            " ",
            h(
              "span",
              { class: `badge ${inSync ? "ok" : "pending"}` },
              t(inSync ? "operator.inSync" : "operator.behind"),
            ),
          ),
          String(d.lagSegments),
          snapshot
            ? h(
                "span",
                {},
                snapshot.at ? dateText(snapshot.at, true) : "—",
                h(
                  "span",
                  { class: "meta block" },
                  t("operator.snapshotLine", { index: snapshot.index, seq: snapshot.seq }),
                  snapshot.complete ? "" : ` (${t("operator.snapshotIncomplete")})`,
                ),
              )
            : "—",
          d.keyId ? h("code", { class: "key-id" }, d.keyId) : "—",
        ];
      }),
    ),
  );
  return section;
}

// ---------------------------------------------------------------- start

function switchLanguage(language: Language): void {
  state.language = language;
  remember(LANGUAGE_KEY, language, localStorage);
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.delete("lang");
    history.replaceState(null, "", url);
  }
  // Messages already shown were written in the old language; drop them rather than mix.
  state.flash = undefined;
  render();
}

async function start(): Promise<void> {
  try {
    state.session = await api<SessionInfo>("/api/session");
  } catch {
    state.session = { authenticated: false, purpose: "citizen self-service", operatorTokenRequired: false };
  }
  window.addEventListener("hashchange", () => void show(currentRoute(), true));
  await show(currentRoute(), false);
}

void start();
