import type { AuthenticationMethod } from "../identity.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The login page of one interaction: the methods offered, and for the ID card the Web eID
 * exchange (get a challenge, sign it with the card, post the token). A browser with the Web
 * eID extension answers the challenge through it; in the sandbox the token is made from a
 * card file with `riik id auth-token` and pasted. The page's script only moves JSON between
 * the person and this service's interaction API.
 */
export function interactionPage(input: {
  uid: string;
  clientId: string;
  origin: string;
  methods: readonly AuthenticationMethod[];
}): string {
  const base = `/interaction/${encodeURIComponent(input.uid)}`;
  const idcard = input.methods.includes("idcard")
    ? `<section id="idcard"><h2>ID card</h2>
<button id="challenge" type="button">Log in with ID card</button>
<p id="nonce-help" hidden>Sign this challenge with your card: <code>riik id auth-token --card CARD --origin ${escapeHtml(input.origin)} --nonce <span id="nonce"></span></code>, then paste the token.</p>
<textarea id="token" rows="6" cols="80" hidden></textarea>
<button id="send" type="button" hidden>Send token</button></section>`
    : "";
  const app = input.methods.includes("app")
    ? `<section id="app"><h2>App</h2>
<label>Personal code <input id="personal-code" inputmode="numeric" autocomplete="off" maxlength="11"></label>
<button id="app-start" type="button">Log in with the app</button>
<p id="app-code" hidden>Check that your app shows <strong id="verification-code"></strong>, then enter PIN1 there.</p></section>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body data-interaction="${escapeHtml(base)}"><h1>Log in to ${escapeHtml(input.clientId)}</h1>
${idcard}${app}<p id="outcome" role="status"></p>
<script type="module">
const base = document.body.dataset.interaction;
const $ = (id) => document.getElementById(id);
const post = async (path, body) => (await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })).json();
const finish = (answer) => { if (answer.message) $("outcome").textContent = answer.message; if (answer.redirect) location.assign(answer.redirect); };
$("challenge")?.addEventListener("click", async () => {
  const { nonce } = await post("/idcard/challenge");
  $("nonce").textContent = nonce;
  for (const id of ["nonce-help", "token", "send"]) $(id).hidden = false;
});
$("app-start")?.addEventListener("click", async () => {
  const started = await post("/app/start", { personalCode: $("personal-code").value });
  if (!started.verificationCode) return finish(started);
  $("verification-code").textContent = started.verificationCode;
  $("app-code").hidden = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const status = await post("/app/status");
    if (status.outcome !== "running") return finish(status);
  }
});
$("send")?.addEventListener("click", async () => finish(await post("/idcard", { token: JSON.parse($("token").value) })));
</script></body></html>`;
}

/** A page for an interaction that is gone (expired or finished): start again at the relying party. */
export function expiredPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Login expired</title></head>
<body><h1>This login has expired</h1><p>Go back to the e-service and start the login again.</p></body></html>`;
}

/** oidc-provider's error page (renderError): the OIDC error code and its description, escaped. */
export function errorPage(out: { error?: unknown; error_description?: unknown }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Login error</title></head>
<body><h1>The login cannot continue</h1><p><code>${escapeHtml(String(out.error ?? "server_error"))}</code>: ${escapeHtml(String(out.error_description ?? ""))}</p>
<p>Go back to the e-service and start again.</p></body></html>`;
}

/**
 * RP-initiated logout's confirmation (OpenID Connect RP-Initiated Logout 1.0, 3): FORM is
 * oidc-provider's form with its anti-forgery token; "yes" ends the single sign-on session
 * at every relying party (each gets a back-channel logout token), the other button only
 * this one.
 */
export function logoutPage(form: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log out</title></head>
<body><h1>Log out?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Log out of every e-service</button>
<button type="submit" form="op.logoutForm">Stay logged in elsewhere</button></body></html>`;
}

export function loggedOutPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Logged out</title></head>
<body><h1>You have logged out</h1></body></html>`;
}
