// The person's session as the page sees it: logging in, logging out, and a session the
// server says has ended.

import type { LogoutResponse, SessionInfo } from "../web/api-types.ts";
import { ApiError, api } from "./api.ts";
import { navigate, resetViews, state, t } from "./app.ts";

/** The session is no longer authenticated and no view keeps the person's data. */
function forgetPerson(): void {
  state.session = { ...(state.session as SessionInfo), authenticated: false };
  delete state.session.person;
  resetViews();
}

/**
 * Ends the portal's session, then the authentication service's ("log out everywhere"): the
 * browser goes to the provider's logout page, which comes back to /?logout=done.
 */
export async function logout(): Promise<void> {
  let answer: LogoutResponse | undefined;
  try {
    answer = await api<LogoutResponse>("/api/logout", { method: "POST", body: {} });
  } catch {
    // The session is gone either way.
  }
  forgetPerson();
  if (answer?.logoutUrl) {
    location.assign(answer.logoutUrl);
    return;
  }
  state.flash = { kind: "info", text: t("session.loggedOut"), route: "login" };
  navigate("login");
}

/** A refusal because the session is gone: back to the login view with the reason. */
export function sessionEnded(error: unknown): boolean {
  if (error instanceof ApiError && error.code === "PORTAL_UNAUTHENTICATED") {
    forgetPerson();
    state.flash = { kind: "error", text: t("PORTAL_UNAUTHENTICATED"), route: "login" };
    navigate("login");
    return true;
  }
  return false;
}
