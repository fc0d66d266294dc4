// Hash routes to views, in one table: #/login, #/data, #/usage, #/sign, #/check, #/operator.

import { type Route, render, state, type View } from "./app.ts";
import { checkView } from "./views/check.ts";
import { dataView } from "./views/data.ts";
import { loginView } from "./views/login.ts";
import { operatorView } from "./views/operator.ts";
import { signView } from "./views/sign.ts";
import { usageView } from "./views/usage.ts";

export const VIEWS: Readonly<Record<Route, View>> = {
  login: loginView,
  data: dataView,
  usage: usageView,
  sign: signView,
  check: checkView,
  operator: operatorView,
};

/** The route in the address; without one, the person's data or the login. */
export function currentRoute(): Route {
  const name = location.hash.replace(/^#\/?/, "");
  if (Object.hasOwn(VIEWS, name)) return name as Route;
  return state.session?.authenticated ? "data" : "login";
}

/** Shows a view: a personal one only to a logged-in person, the login only to someone who is not. */
export async function show(route: Route, focus: boolean): Promise<void> {
  if (VIEWS[route].personal && !state.session?.authenticated) route = "login";
  if (route === "login" && state.session?.authenticated) route = "data";
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
