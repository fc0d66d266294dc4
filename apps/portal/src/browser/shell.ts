// The frame around every view: the skip link, the header with the navigation, the language
// switch and logout, the view itself in <main>, and the footer. Drawn anew on every change.

import type { Language, MessageKey } from "../web/i18n.ts";
import { actingForCompany, type Route, state, switchLanguage, t } from "./app.ts";
import { append, h } from "./dom.ts";
import { VIEWS } from "./router.ts";
import { logout } from "./session.ts";

export function renderPage(focusHeading: boolean): void {
  document.documentElement.lang = state.language;
  document.title = `${t(VIEWS[state.route].title)} — ${t("app.title")}`;
  const active = document.activeElement;
  const keepFocus = active instanceof HTMLElement && active.dataset.keep ? active.dataset.keep : undefined;
  const root = document.getElementById("app") as HTMLElement;
  root.replaceChildren(
    skipLink(),
    header(),
    h("main", { id: "main", tabindex: "-1" }, VIEWS[state.route].render()),
    footer(),
  );
  if (focusHeading) (document.querySelector("main h1") as HTMLElement | null)?.focus();
  else if (keepFocus) (document.querySelector(`[data-keep="${keepFocus}"]`) as HTMLElement | null)?.focus();
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
  const link = (route: Route, key: MessageKey, param?: string) =>
    h(
      "li",
      {},
      h(
        "a",
        {
          href: param ? `#/${route}/${param}` : `#/${route}`,
          "aria-current": state.route === route ? "page" : undefined,
          "data-keep": `nav-${route}`,
        },
        t(key),
      ),
    );
  // The inbox's link says how many messages are unread (read with the list, see views/inbox.ts).
  const inboxLink = () => {
    const item = link("inbox", "nav.inbox");
    const anchor = item.firstElementChild as HTMLElement;
    anchor.id = "nav-inbox";
    if (state.unread) anchor.textContent = t("nav.inboxUnread", { count: state.unread });
    return item;
  };
  const company = actingForCompany();
  const business = state.session?.business;
  // Acting for a company: its page only; the board member's own pages wait until they act for themselves.
  if (person && company) append(list, link("company", "nav.company", company));
  else if (person) append(list, link("data", "nav.data"), link("usage", "nav.usage"));
  if (person && !company && state.session?.inbox) append(list, inboxLink());
  if (person && !company && state.session?.benefits) append(list, link("benefits", "nav.benefits"));
  if (person && !company && state.session?.taxReturn) append(list, link("tax-return", "nav.taxReturn"));
  if (person && !company && state.session?.health) append(list, link("health", "nav.health"));
  if (person && !company && state.session?.property) append(list, link("property", "nav.property"));
  if (person && business && !company) append(list, link("companies", "nav.companies"), link("found", "nav.found"));
  if (person && state.session?.signing) append(list, link("sign", "nav.sign"), link("check", "nav.check"));
  if (person && state.session?.encryption) append(list, link("encrypt", "nav.encrypt"));
  if (state.session?.encryption) append(list, link("decrypt", "nav.decrypt"));
  if (!person) append(list, link("login", "nav.login"));
  if (!person && state.session?.eResidency)
    append(list, link("e-residency", "nav.eResidency"), link("e-residency-status", "nav.eResidencyStatus"));
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
