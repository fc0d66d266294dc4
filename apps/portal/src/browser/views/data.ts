// "My data": the person, their family and their address from the population register, each
// with the X-Road exchange it came through.

import type { PersonRef } from "../../registry/population.ts";
import type { AddressResponse, FamilyResponse, LoginsResponse, MeResponse } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { definitionList, flashBox, heading, loading, problem } from "../widgets.ts";

let data: {
  me?: MeResponse;
  family?: FamilyResponse;
  address?: AddressResponse;
  logins?: LoginsResponse;
  errors: Partial<Record<"me" | "family" | "address" | "logins", ApiError>>;
} = { errors: {} };

async function load(): Promise<void> {
  const results = await Promise.allSettled([
    api<MeResponse>("/api/me"),
    api<FamilyResponse>("/api/me/family"),
    api<AddressResponse>("/api/me/address"),
    state.session?.loginRecord ? api<LoginsResponse>("/api/me/logins") : Promise.resolve(undefined),
  ]);
  const [me, family, address, logins] = results;
  for (const result of results) if (result.status === "rejected" && sessionEnded(result.reason)) return;
  if (me.status === "fulfilled") data.me = me.value;
  else data.errors.me = me.reason as ApiError;
  if (family.status === "fulfilled") data.family = family.value;
  else data.errors.family = family.reason as ApiError;
  if (address.status === "fulfilled") data.address = address.value;
  else data.errors.address = address.reason as ApiError;
  if (logins.status === "fulfilled") data.logins = logins.value ?? undefined;
  else data.errors.logins = logins.reason as ApiError;
  if (state.route === "data") render();
}

function refText(ref: PersonRef): string {
  const name = ref.name ?? [ref.givenName, ref.surname].filter(Boolean).join(" ");
  return [name, ref.personalCode].filter(Boolean).join(", ") || "—";
}

function refList(refs: PersonRef[]): HTMLElement | string {
  if (refs.length === 0) return t("data.none");
  return h("ul", { class: "plain" }, ...refs.map((ref) => h("li", {}, refText(ref))));
}

function view(): HTMLElement {
  const { me, family, address, logins, errors } = data;
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
  // Whom the person may act for (the auth service's representee_list claim, GovSSO 4.1).
  // Acting for one of them is a new authorization request (GovSSO 4.2) through /api/auth/act.
  const representees = state.session?.representees;
  const actingFor = state.session?.actingFor;
  const act = (target: string, label: string) =>
    h(
      "a",
      { class: "button secondary", href: `/api/auth/act?for=${encodeURIComponent(target)}&lang=${state.language}` },
      label,
    );
  const representeesBody =
    representees?.status === "unavailable"
      ? h("p", {}, t("data.representeesUnavailable"))
      : representees && representees.list.length > 0
        ? h(
            "ul",
            { class: "plain" },
            ...representees.list.map((r) =>
              h(
                "li",
                {},
                [r.name, r.sub].filter(Boolean).join(", "),
                " ",
                // A person's data, or a company's page (the board member's right from the business register).
                actingFor?.sub === r.sub ? null : act(r.sub, t("data.actFor", { name: r.name || r.sub })),
              ),
            ),
          )
        : h("p", {}, t("data.none"));
  // Every login the authentication service recorded (issue 12), read from it over X-Road.
  const methodText = (method: string) => (method === "idcard" || method === "app" ? t(`data.login.${method}`) : method);
  const loginsBody = errors.logins
    ? problem(errors.logins)
    : logins
      ? logins.logins.length === 0
        ? h("p", {}, t("data.none"))
        : h(
            "ul",
            { class: "plain" },
            ...logins.logins.map((login) =>
              h(
                "li",
                {},
                t("data.loginLine", {
                  time: dateText(login.at, true),
                  service: login.clientId,
                  method: methodText(login.method),
                  acr: login.acr,
                }),
                login.representee ? ` (${t("data.loginActing", { who: login.representee })})` : null,
              ),
            ),
          )
      : loading();
  const actingBanner = actingFor
    ? h(
        "p",
        { class: "flash info", role: "status" },
        t("data.actingFor", { name: [actingFor.name, actingFor.personalCode].filter(Boolean).join(", ") }),
        " ",
        act("self", t("data.actForSelf")),
      )
    : null;
  return h(
    "section",
    { class: "view" },
    heading("data.title"),
    actingBanner,
    flashBox(),
    h("p", { class: "lead" }, t("data.intro", { purpose })),
    h(
      "div",
      { class: "grid" },
      section("data.person", personBody, me?.exchange),
      section("data.family", familyBody, family?.exchange),
      section("data.address", addressBody, address?.exchange),
      ...(representees ? [section("data.representees", representeesBody)] : []),
      ...(state.session?.loginRecord ? [section("data.logins", loginsBody, logins?.exchange)] : []),
    ),
  );
}

export const dataView: View = {
  title: "data.title",
  personal: true,
  render: view,
  async enter() {
    if (!data.me && !data.errors.me) await load();
  },
  reset() {
    data = { errors: {} };
  },
};
