// Log in: the portal keeps no login code of its own. The button sends the browser to the
// state's authentication service (GET /api/auth/start → OpenID Connect authorization
// request), where the person logs in with the ID card or the app and comes back.

import { state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { flashBox, heading } from "../widgets.ts";

function view(): HTMLElement {
  const title = heading("login.title");
  title.id = "login-title";
  const start = h(
    "a",
    { class: "button primary", href: `/api/auth/start?lang=${state.language}`, id: "login-start" },
    t("login.submit"),
  );
  return h(
    "section",
    { class: "view", "aria-labelledby": "login-title" },
    title,
    h("p", { class: "lead" }, t("login.intro")),
    flashBox(),
    h("div", { class: "actions" }, start),
  );
}

export const loginView: View = { title: "login.title", personal: false, render: view };
