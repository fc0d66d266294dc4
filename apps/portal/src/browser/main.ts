// The citizen portal's front end: plain TypeScript and the DOM, bundled by esbuild at server
// start (src/web/bundle.ts). One module per view (views/), the route table (router.ts), the
// frame around the views (shell.ts); this entry asks for the session and wires them.

import type { SessionInfo } from "../web/api-types.ts";
import { isMessageKey } from "../web/i18n.ts";
import { api } from "./api.ts";
import { connect, state, t } from "./app.ts";
import { resetViews, show, startRouting } from "./router.ts";
import { renderPage } from "./shell.ts";

/**
 * What the authentication service sent the browser back with: `?login=CODE` (a refused or
 * failed login, the provider's reason code) or `?logout=done`; shown once on the login view.
 */
function returnedFromAuthentication(): void {
  const url = new URL(location.href);
  const refused = url.searchParams.get("login");
  const loggedOut = url.searchParams.get("logout") === "done";
  if (refused === null && !loggedOut) return;
  if (refused !== null)
    state.flash = {
      kind: "error",
      text: isMessageKey(refused) ? t(refused) : `${t("PORTAL_LOGIN_REFUSED")} (${refused})`,
      route: "login",
    };
  else state.flash = { kind: "info", text: t("session.loggedOut"), route: "login" };
  url.searchParams.delete("login");
  url.searchParams.delete("logout");
  history.replaceState(null, "", url);
}

async function start(): Promise<void> {
  try {
    state.session = await api<SessionInfo>("/api/session");
  } catch {
    state.session = { authenticated: false, purpose: "citizen self-service", operatorTokenRequired: false };
  }
  returnedFromAuthentication();
  connect({ render: renderPage, show, reset: resetViews });
  await startRouting();
}

void start();
