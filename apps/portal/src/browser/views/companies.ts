// "My companies": the companies whose registry card names the person (the e-Business Register
// over X-Road), each with its page, and acting for a company through the authentication
// service (GovSSO representee, the board member's representation right). A company's page is
// its registry card: name, code, address, capital, board, shareholders, status.

import type { CompaniesResponse, CompanyPerson, CompanyResponse } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { actingForCompany, render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { definitionList, flashBox, heading, loading, problem, table } from "../widgets.ts";

let mine: { answer?: CompaniesResponse; error?: ApiError } = {};
let pages = new Map<string, { answer?: CompanyResponse; error?: ApiError }>();

/** A link that starts acting for `sub` at the authentication service (or for oneself with `self`). */
export function actLink(target: string, label: string, id?: string): HTMLElement {
  return h(
    "a",
    {
      class: "button secondary",
      href: `/api/auth/act?for=${encodeURIComponent(target)}&lang=${state.language}`,
      ...(id ? { id } : {}),
    },
    label,
  );
}

/** Whether the authentication service said the person may act for the company `code`. */
function mayActFor(code: string): boolean {
  const list = state.session?.representees;
  return list?.status === "current" && list.list.some((r) => r.type === "LEGAL_PERSON" && r.sub === `EE${code}`);
}

/** The banner shown while acting for a company, with the way back. */
export function actingBanner(): HTMLElement | null {
  const acting = state.session?.actingFor;
  if (acting?.type !== "LEGAL_PERSON") return null;
  return h(
    "p",
    { class: "flash info", role: "status" },
    t("company.actingFor", { name: `${acting.name} (${acting.personalCode})` }),
    " ",
    actLink("self", t("data.actForSelf")),
  );
}

const ROLE_KEYS: Record<string, MessageKey> = {
  board: "company.role.board",
  shareholder: "company.role.shareholder",
  beneficial_owner: "company.role.beneficial_owner",
  contact: "company.role.contact",
  founder: "company.role.founder",
};
const roleText = (role: string) => (ROLE_KEYS[role] ? t(ROLE_KEYS[role]) : role);
const statusText = (status: string | undefined) =>
  status === "registered"
    ? t("company.status.registered")
    : status === "deleted"
      ? t("company.status.deleted")
      : (status ?? "—");

async function loadMine(): Promise<void> {
  try {
    mine = { answer: await api<CompaniesResponse>("/api/companies") };
  } catch (error) {
    if (sessionEnded(error)) return;
    mine = { error: error as ApiError };
  }
  if (state.route === "companies") render();
}

function companiesBody(): HTMLElement {
  const acting = actingForCompany();
  const body = mine.error
    ? problem(mine.error)
    : !mine.answer
      ? loading()
      : mine.answer.companies.length === 0
        ? h("p", {}, t("companies.none"))
        : table(
            t("companies.caption"),
            [t("company.name"), t("company.registryCode"), t("companies.roles"), t("companies.actions")],
            mine.answer.companies.map((c) => [
              h("a", { href: `#/company/${c.registryCode}` }, c.name),
              c.registryCode,
              c.roles.map(roleText).join(", ") || "—",
              acting === c.registryCode || !mayActFor(c.registryCode)
                ? ""
                : actLink(`EE${c.registryCode}`, t("companies.actFor", { name: c.name }), `act-${c.registryCode}`),
            ]),
          );
  return h(
    "section",
    { class: "view" },
    heading("companies.title"),
    actingBanner(),
    flashBox(),
    h("p", { class: "lead" }, t("companies.intro")),
    h("section", { class: "card" }, body),
    acting
      ? null
      : h("div", { class: "actions" }, h("a", { class: "button primary", href: "#/found" }, t("found.title"))),
  );
}

export const companiesView: View = {
  title: "companies.title",
  personal: true,
  render: companiesBody,
  async enter() {
    if (!mine.answer && !mine.error) await loadMine();
  },
  reset() {
    mine = {};
    pages = new Map();
  },
};

async function loadCompany(code: string): Promise<void> {
  let entry: { answer?: CompanyResponse; error?: ApiError };
  try {
    entry = { answer: await api<CompanyResponse>(`/api/companies/${encodeURIComponent(code)}`) };
  } catch (error) {
    if (sessionEnded(error)) return;
    entry = { error: error as ApiError };
  }
  pages.set(code, entry);
  if (state.route === "company" && state.param === code) render();
}

function peopleList(persons: CompanyPerson[], role: string, withShare = false): HTMLElement | string {
  const chosen = persons.filter((p) => p.role === role);
  if (chosen.length === 0) return t("data.none");
  return h(
    "ul",
    { class: "plain" },
    ...chosen.map((p) =>
      h(
        "li",
        {},
        `${p.givenName} ${p.surname}, ${p.personalCode}`,
        withShare && p.shareCents !== null ? ` — ${moneyText(p.shareCents)}` : "",
      ),
    ),
  );
}

function companyBody(): HTMLElement {
  const code = state.param ?? "";
  const entry = pages.get(code);
  let body: Node;
  if (!/^[0-9]{8}$/.test(code)) body = h("p", { class: "flash error", role: "alert" }, t("company.badCode"));
  else if (entry?.error) body = problem(entry.error);
  else if (!entry?.answer) body = loading();
  else {
    const { company, persons } = entry.answer;
    body = h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card", "aria-labelledby": "company-card-h" },
        h("h2", { id: "company-card-h" }, t("company.card")),
        definitionList([
          [t("company.name"), company.name],
          [t("company.registryCode"), company.registryCode],
          [t("company.legalForm"), company.legalForm],
          [t("company.status"), statusText(company.status)],
          [t("company.registered"), dateText(company.registered)],
          [t("company.address"), company.seatAddress],
          [t("company.capital"), moneyText(company.shareCapitalCents)],
          [t("company.email"), company.email],
          [t("company.activity"), company.activity],
        ]),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "company-people-h" },
        h("h2", { id: "company-people-h" }, t("company.people")),
        definitionList([
          [t("company.board"), peopleList(persons, "board")],
          [t("company.shareholders"), peopleList(persons, "shareholder", true)],
          [t("company.beneficialOwners"), peopleList(persons, "beneficial_owner")],
        ]),
      ),
    );
  }
  const acting = actingForCompany();
  const actHere =
    entry?.answer && acting !== code && mayActFor(code)
      ? h(
          "div",
          { class: "actions" },
          actLink(`EE${code}`, t("companies.actFor", { name: entry.answer.company.name }), "act-company"),
        )
      : null;
  return h("section", { class: "view" }, heading("company.title"), actingBanner(), flashBox(), body, actHere);
}

export const companyView: View = {
  title: "company.title",
  personal: true,
  render: companyBody,
  async enter() {
    const code = state.param;
    if (code && /^[0-9]{8}$/.test(code) && !pages.get(code)?.answer) await loadCompany(code);
  },
  reset() {
    pages = new Map();
  },
};

/** After founding a company: the lists are read again. */
export function forgetCompanies(): void {
  mine = {};
  pages = new Map();
}
