// Hash routes to views, in one table: #/login, #/data, #/usage, #/sign, #/check, #/operator,
// #/companies, #/company/CODE, #/found, #/application/ID, #/e-residency, #/e-residency-status,
// #/inbox[/ID], #/benefits[/OFFER], #/tax-return[/YEAR], #/health, #/property, #/encrypt, #/decrypt.

import { actingForCompany, type Route, render, state, type View } from "./app.ts";
import { applicationView } from "./views/application.ts";
import { benefitsView } from "./views/benefits.ts";
import { checkView } from "./views/check.ts";
import { companiesView, companyView } from "./views/companies.ts";
import { dataView } from "./views/data.ts";
import { eResidencyStatusView, eResidencyView } from "./views/e-residency.ts";
import { decryptView, encryptView } from "./views/encryption.ts";
import { foundView } from "./views/found.ts";
import { healthView } from "./views/health.ts";
import { inboxView } from "./views/inbox.ts";
import { loginView } from "./views/login.ts";
import { operatorView } from "./views/operator.ts";
import { propertyView } from "./views/property.ts";
import { signView } from "./views/sign.ts";
import { taxReturnView } from "./views/tax-return.ts";
import { usageView } from "./views/usage.ts";

export const VIEWS: Readonly<Record<Route, View>> = {
  login: loginView,
  data: dataView,
  usage: usageView,
  sign: signView,
  check: checkView,
  operator: operatorView,
  companies: companiesView,
  company: companyView,
  found: foundView,
  application: applicationView,
  "e-residency": eResidencyView,
  "e-residency-status": eResidencyStatusView,
  inbox: inboxView,
  benefits: benefitsView,
  "tax-return": taxReturnView,
  health: healthView,
  property: propertyView,
  encrypt: encryptView,
  decrypt: decryptView,
};

/** A person's own pages: not shown while they act for a company (the company's are). */
const OWN_PAGES: ReadonlySet<Route> = new Set([
  "data",
  "usage",
  "found",
  "application",
  "inbox",
  "benefits",
  "tax-return",
  "health",
  "property",
]);

/** The route in the address (and its parameter); without one, the person's data or the login. */
export function currentRoute(): Route {
  const [name = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  state.param = rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined;
  if (Object.hasOwn(VIEWS, name)) return name as Route;
  return state.session?.authenticated ? "data" : "login";
}

/** Where a logged-in person lands: their data, or the company they act for. */
function home(): Route {
  const company = actingForCompany();
  if (company) state.param = company;
  return company ? "company" : "data";
}

/** Shows a view: a personal one only to a logged-in person, the login only to someone who is not. */
export async function show(route: Route, focus: boolean): Promise<void> {
  if (VIEWS[route].personal && !state.session?.authenticated) route = "login";
  if (route === "login" && state.session?.authenticated) route = home();
  if (OWN_PAGES.has(route) && actingForCompany()) route = home();
  if (state.flash && state.flash.route !== route) state.flash = undefined;
  state.route = route;
  render(focus);
  await VIEWS[route].enter?.();
}

export function resetViews(): void {
  for (const view of Object.values(VIEWS)) view.reset?.();
}

/** Follows the address from now on, starting with the view it names now (its heading focused with `focus`). */
export async function startRouting(focus = false): Promise<void> {
  window.addEventListener("hashchange", () => void show(currentRoute(), true));
  await show(currentRoute(), focus);
}
