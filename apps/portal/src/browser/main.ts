// The citizen portal's front end: plain TypeScript and the DOM, bundled by esbuild at server
// start (src/web/bundle.ts). One module per view (views/), the route table (router.ts), the
// frame around the views (shell.ts); this entry asks for the session and wires them.

import type { SessionInfo } from "../web/api-types.ts";
import { isMessageKey } from "../web/i18n.ts";
import { api } from "./api.ts";
import { connect, state, t } from "./app.ts";
import { resetViews, show, startRouting } from "./router.ts";
import { renderPage } from "./shell.ts";
import { loadInbox } from "./views/inbox.ts";

/**
 * What the authentication service sent the browser back with: `?from=login` (logged in: a
 * welcome, and focus on the heading as after any change of view), `?login=CODE` (a refused
 * or failed login, the provider's reason code) or `?logout=done`; shown once. Answers
 * whether the page came back from there.
 */
function returnedFromAuthentication(): boolean {
  const url = new URL(location.href);
  const refused = url.searchParams.get("login");
  const loggedOut = url.searchParams.get("logout") === "done";
  const loggedIn = url.searchParams.get("from") === "login";
  if (refused === null && !loggedOut && !loggedIn) return false;
  const person = state.session?.person;
  if (loggedIn && person)
    state.flash = {
      kind: "info",
      text: t("login.welcome", { name: `${person.givenName} ${person.surname}` }),
      route: "data",
    };
  else if (refused !== null)
    state.flash = {
      kind: "error",
      text: isMessageKey(refused) ? t(refused) : `${t("PORTAL_LOGIN_REFUSED")} (${refused})`,
      // A refused "act for" comes back to a person still logged in.
      route: state.session?.authenticated ? "data" : "login",
    };
  else state.flash = { kind: "info", text: t("session.loggedOut"), route: "login" };
  for (const name of ["login", "logout", "from"]) url.searchParams.delete(name);
  history.replaceState(null, "", url);
  return true;
}

async function start(): Promise<void> {
  try {
    state.session = await api<SessionInfo>("/api/session");
  } catch {
    state.session = { authenticated: false, purpose: "citizen self-service", operatorTokenRequired: false };
  }
  const returned = returnedFromAuthentication();
  connect({ render: renderPage, show, reset: resetViews });
  await startRouting(returned);
  // The unread count in the navigation, on whichever page the person lands.
  if (state.route !== "inbox") await loadInbox();
}

void start();
