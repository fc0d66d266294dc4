import { type CardFile, createAuthToken } from "@riik/pki";
import { PIN1 } from "./helpers.ts";

export interface CallInit {
  method?: string;
  /** A JSON body. */
  body?: unknown;
  /** A raw body, sent as `type` (an ASiC-E container by default). */
  raw?: Uint8Array;
  type?: string;
  /** The Origin of a state-changing request; the portal's own by default, null for none. */
  origin?: string | null;
  headers?: Record<string, string>;
  /** "manual" to see a redirect instead of following it. */
  redirect?: RequestRedirect;
}

export interface CallResult {
  status: number;
  headers: Headers;
  json: any;
  text: string;
  bytes: Uint8Array;
}

/**
 * A browser's side of the portal API for the tests: a cookie jar (one per host, as browsers
 * keep cookies: the portal and the auth service share 127.0.0.1), the Origin header, and the
 * login through the state's authentication service.
 */
export class Client {
  readonly jar = new Map<string, string>();
  lastSetCookie: string | undefined;

  constructor(
    readonly base: string,
    /** The card `login` uses unless given another. */
    readonly card: CardFile,
  ) {}

  get cookie(): string | undefined {
    return this.jar.size === 0 ? undefined : [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** A request to the portal (PATH) or to any absolute URL (the auth service), with this browser's cookies. */
  async call(path: string, init: CallInit = {}): Promise<CallResult> {
    const url = /^https?:/.test(path) ? path : `${this.base}${path}`;
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    if (init.origin !== null && init.method && init.method !== "GET") headers.origin = init.origin ?? this.base;
    if (this.cookie) headers.cookie = this.cookie;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.raw) headers["content-type"] = init.type ?? "application/vnd.etsi.asic-e+zip";
    const response = await fetch(url, {
      method: init.method ?? "GET",
      headers,
      redirect: init.redirect ?? "follow",
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.raw ? { body: init.raw as BodyInit } : {}),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      this.lastSetCookie = setCookie;
      const [pair = ""] = setCookie.split(";");
      const at = pair.indexOf("=");
      if (at === pair.length - 1 || /max-age=0|expires=Thu, 01 Jan 1970/i.test(setCookie))
        this.jar.delete(pair.slice(0, at));
      else this.jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text, bytes };
  }

  /** Follows redirects by hand from URL (keeping cookies) until one leads to the portal or none is left. */
  async follow(url: string): Promise<{ at: URL; result: CallResult }> {
    let at = new URL(url);
    let result = await this.call(at.toString(), { redirect: "manual" });
    while (result.status >= 300 && result.status < 400) {
      at = new URL(result.headers.get("location") ?? "", at);
      if (at.origin === new URL(this.base).origin) break;
      result = await this.call(at.toString(), { redirect: "manual" });
    }
    return { at, result };
  }

  /**
   * Logs in as a browser does, through the auth service: the portal's /api/auth/start, the
   * provider's login page (or its single sign-on), the ID card's Web eID token for the page's
   * challenge, and back to the portal's callback. Answers GET /api/session afterwards (200
   * with the person when logged in) and, for a refused login, the code the portal came back with.
   */
  async login(card: CardFile = this.card, pin = PIN1): Promise<CallResult & { refusal?: string }> {
    return this.#authorize("/api/auth/start", card, pin);
  }

  /**
   * Acts for SUB (or for oneself again with "self") as the page's button does: a new
   * authorization request through the provider's single sign-on, back to the callback.
   */
  async actFor(sub: string): Promise<CallResult & { refusal?: string }> {
    return this.#authorize(`/api/auth/act?for=${encodeURIComponent(sub)}`, this.card, PIN1);
  }

  async #authorize(path: string, card: CardFile, pin: string): Promise<CallResult & { refusal?: string }> {
    const start = await this.call(path, { redirect: "manual" });
    if (start.status !== 303) return start;
    let { at } = await this.follow(start.headers.get("location") ?? "");
    const uid = /^\/interaction\/([^/]+)$/.exec(at.pathname)?.[1];
    if (uid) {
      const provider = at.origin;
      const base = `${provider}/interaction/${uid}`;
      const { json } = await this.call(`${base}/idcard/challenge`, { method: "POST", origin: provider, body: {} });
      const token = await createAuthToken({ card, pin1: pin, origin: provider, nonce: json.nonce });
      const answer = await this.call(`${base}/idcard`, { method: "POST", origin: provider, body: { token } });
      ({ at } = await this.follow(answer.json.redirect));
    }
    const back = await this.call(`${at.pathname}${at.search}`, { redirect: "manual" });
    const refusal = new URL(back.headers.get("location") ?? "/", this.base).searchParams.get("login") ?? undefined;
    const session = await this.call("/api/session");
    if (refusal) return { ...session, status: 401, refusal };
    return session;
  }

  /**
   * Logs out everywhere as the page does: POST /api/logout, then the provider's RP-initiated
   * logout page answered "log out of every e-service" (its form, with its xsrf token), and the
   * way back to the portal. Answers the last response at the provider.
   */
  async logoutEverywhere(): Promise<{ logoutUrl: string; confirmed: CallResult }> {
    const { json } = await this.call("/api/logout", { method: "POST", body: {} });
    const logoutUrl = String(json.logoutUrl);
    const page = await this.call(logoutUrl, { redirect: "manual" });
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(page.text)?.[1];
    if (!action) throw new Error(`no logout form at ${logoutUrl}: ${page.status} ${page.text.slice(0, 300)}`);
    const form = new URLSearchParams();
    for (const [, name, value] of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      form.set(String(name), String(value));
    form.set("logout", "yes");
    const provider = new URL(logoutUrl).origin;
    const confirmed = await this.call(new URL(action, provider).toString(), {
      method: "POST",
      origin: provider,
      raw: new TextEncoder().encode(form.toString()),
      type: "application/x-www-form-urlencoded",
      redirect: "manual",
    });
    return { logoutUrl, confirmed };
  }
}
