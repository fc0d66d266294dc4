import { type CardFile, createAuthToken, type WebEidAuthToken } from "@riik/pki";
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
}

/** A browser's side of the portal API for the tests: a cookie jar, the Origin header, Web eID login. */
export class Client {
  readonly jar = new Map<string, string>();
  lastSetCookie: string | undefined;

  constructor(
    readonly base: string,
    /** The card `token` and `login` use unless given another. */
    readonly card: CardFile,
  ) {}

  get cookie(): string | undefined {
    return this.jar.size === 0 ? undefined : [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async call(path: string, init: CallInit = {}) {
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    if (init.origin !== null && init.method && init.method !== "GET") headers.origin = init.origin ?? this.base;
    if (this.cookie) headers.cookie = this.cookie;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.raw) headers["content-type"] = init.type ?? "application/vnd.etsi.asic-e+zip";
    const response = await fetch(`${this.base}${path}`, {
      method: init.method ?? "GET",
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.raw ? { body: init.raw as BodyInit } : {}),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      this.lastSetCookie = setCookie;
      const [pair = ""] = setCookie.split(";");
      const at = pair.indexOf("=");
      if (at === pair.length - 1) this.jar.delete(pair.slice(0, at));
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

  async token(card: CardFile = this.card, pin = PIN1, tokenOrigin = this.base): Promise<WebEidAuthToken> {
    const { json } = await this.call("/api/auth/challenge");
    return createAuthToken({ card, pin1: pin, origin: tokenOrigin, nonce: json.nonce });
  }

  async login(card: CardFile = this.card) {
    return this.call("/api/auth/login", { method: "POST", body: await this.token(card) });
  }
}
