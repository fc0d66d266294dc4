import { fileURLToPath } from "node:url";
import type { RiikFastify } from "@riik/core";
import { bundleBrowserScript, type WebAsset } from "@riik/core/web-assets";
import { Type } from "typebox";
import type { AuthenticationMethod } from "../identity.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The login page of one interaction: the methods offered. For the ID card the page signs the
 * Web eID challenge itself with the card file and PIN1 (login.js, the shared card module of
 * @riik/pki); a token made with `riik id auth-token` can be pasted instead. For the app the
 * person gives their personal code and sees the verification code. The page's script only
 * moves JSON between the person and this service's interaction API.
 */
export function interactionPage(input: {
  uid: string;
  clientId: string;
  origin: string;
  methods: readonly AuthenticationMethod[];
}): string {
  const base = `/interaction/${encodeURIComponent(input.uid)}`;
  const idcard = input.methods.includes("idcard")
    ? `<section id="idcard" aria-labelledby="idcard-title"><h2 id="idcard-title">ID card</h2>
<form id="idcard-form" novalidate>
<p><label for="card-file">ID card file</label> <input type="file" id="card-file" accept=".json,application/json"></p>
<p><label for="pin1">PIN1</label> <input type="password" id="pin1" inputmode="numeric" autocomplete="off" minlength="4" maxlength="12"></p>
<button id="idcard-submit" type="submit">Log in with ID card</button></form>
<details><summary>Paste a Web eID token instead</summary>
<button id="paste-challenge" type="button">Get a challenge</button>
<p id="nonce-help" hidden>Sign it with your card: <code>riik id auth-token --card CARD --origin ${escapeHtml(input.origin)} --nonce <span id="nonce"></span></code>, then paste the token.</p>
<textarea id="token" rows="6" cols="60" aria-label="Web eID token" hidden></textarea>
<button id="send" type="button" hidden>Send token</button></details></section>`
    : "";
  const app = input.methods.includes("app")
    ? `<section id="app" aria-labelledby="app-title"><h2 id="app-title">App</h2>
<form id="app-form" novalidate>
<p><label for="personal-code">Personal code</label> <input id="personal-code" inputmode="numeric" autocomplete="off" maxlength="11"></p>
<button id="app-start" type="submit">Log in with the app</button></form>
<p id="app-code" hidden>Check that your app shows <strong id="verification-code"></strong>, then enter PIN1 there.</p></section>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}section{border-top:1px solid #ccc;padding:.5rem 0}.error{color:#a00}</style></head>
<body data-interaction="${escapeHtml(base)}"><main><h1>Log in to ${escapeHtml(input.clientId)}</h1>
${idcard}${app}<p id="outcome" role="status"></p></main>
<script type="module" src="/interaction/login.js"></script></body></html>`;
}

/**
 * The page's script, bundled once from browser/login.ts on first request and kept in memory
 * (with the shared card module of @riik/pki).
 */
export function loginScriptRoute(app: RiikFastify): void {
  let script: Promise<WebAsset> | undefined;
  const here = fileURLToPath(new URL("browser/login.ts", import.meta.url));
  app.get(
    "/interaction/login.js",
    { schema: { querystring: Type.Object({}, { additionalProperties: false }) } },
    async (request, reply) => {
      script ??= bundleBrowserScript(here, "the login page").catch((error: unknown) => {
        script = undefined;
        throw error;
      });
      const { body, contentType, etag } = await script;
      reply.header("etag", etag).header("cache-control", "no-cache").header("x-content-type-options", "nosniff");
      if (request.headers["if-none-match"] === etag) return reply.status(304).send();
      return reply.type(contentType).send(body);
    },
  );
}

/** A page for an interaction that is gone (expired or finished): start again at the relying party. */
export function expiredPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Login expired</title></head>
<body><h1>This login has expired</h1><p>Go back to the e-service and start the login again.</p></body></html>`;
}

/** oidc-provider's error page (renderError): the OIDC error code and its description, escaped. */
export function errorPage(out: { error?: unknown; error_description?: unknown }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Login error</title></head>
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
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Log out</title></head>
<body><h1>Log out?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Log out of every e-service</button>
<button type="submit" form="op.logoutForm">Stay logged in elsewhere</button></body></html>`;
}

export function loggedOutPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Logged out</title></head>
<body><h1>You have logged out</h1></body></html>`;
}
