import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { after } from "node:test";
import { openStorage, type Storage } from "@riik/core";
import { type DialectTarget, freePort } from "@riik/core/testing";
import {
  type CardFile,
  createAuthToken,
  FileKeyStore,
  issueCard,
  RegistrationAuthorities,
  readCertificate,
  requestAppCertificate,
  type TrustServices,
} from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import * as client from "openid-client";
import {
  AUTH_STORE_MIGRATIONS,
  type AuthService,
  type AuthStoreTables,
  createAppLoginService,
  createAuthService,
} from "../src/index.ts";

/** Trust services (CA, OCSP) on loopback, shared by a test file. */
export const startTrust = startTestTrustServices;

let cards = 0;
/** A new ID card for a fresh valid personal code (PIN1 1234). */
export function newCard(
  services: TrustServices,
  code = ["38001085718", "49403136526", "37605030299", "60001019906"][cards++ % 4]!,
): Promise<CardFile> {
  return issueCard(services, {
    personalCode: code,
    givenName: "Mari-Liis",
    surname: "Männik",
    pin1: "1234",
    pin2: "12345",
  });
}

export interface RunningAuth {
  service: AuthService;
  storage: Storage<AuthStoreTables>;
  issuer: string;
  close(): Promise<void>;
}

/** The auth service on loopback over storage at LOCATION (same data across restarts). */
export async function startAuth(
  target: DialectTarget,
  trust: { dir: string; url: string; services: TrustServices },
  keysDir: string,
  port?: number,
  options: { appLogin?: boolean; followCardStatus?: boolean } = {},
): Promise<RunningAuth> {
  const where = target.location("auth");
  const storage = await openStorage<AuthStoreTables>({
    component: "auth",
    migrations: AUTH_STORE_MIGRATIONS,
    ...where,
  });
  const listenPort = port ?? (await freePort());
  const issuer = `http://127.0.0.1:${listenPort}`;
  const trustedCas = [readCertificate(`${trust.dir}/ca/esteid.crt`)];
  // App certificates come as they do in production: asked of the trust services over HTTP
  // by this service as a registration authority, which also follows their status feed.
  const authority =
    options.appLogin || options.followCardStatus
      ? {
          url: trust.url,
          ...(await new RegistrationAuthorities(trust.services.registry).add(`auth-${randomBytes(4).toString("hex")}`)),
        }
      : undefined;
  const appLogin =
    authority && options.appLogin
      ? createAppLoginService({
          db: storage.db,
          anchors: trustedCas,
          issueCertificate: (request) => requestAppCertificate(authority, request),
        })
      : undefined;
  const service = await createAuthService({
    issuer,
    db: storage.db,
    keyStore: FileKeyStore.open(keysDir, { create: true }),
    trustedCas,
    ...(appLogin ? { appLogin } : {}),
    ocsp: "required",
    privateNetworkFetch: true,
    ...(authority && options.followCardStatus ? { trustServices: authority, statusFeedIntervalMs: 100 } : {}),
  });
  await service.app.listen({ port: listenPort, host: "127.0.0.1" });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await service.app.close();
    await storage.close();
  };
  after(close);
  return { service, storage, issuer, close };
}

/** A relying party's loopback endpoint that collects back-channel logout tokens. */
export async function startRelyingParty(): Promise<{ url: string; logoutTokens: string[] }> {
  const logoutTokens: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (request.url === "/backchannel-logout") {
        const token = new URLSearchParams(body).get("logout_token");
        if (token) logoutTokens.push(token);
      }
      response.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}`, logoutTokens };
}

/** A browser: cookies kept per host, redirects followed by hand so each step can be seen. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects while they stay at ORIGIN; answers the first response that leaves it or is not a redirect. */
  async follow(url: string | URL, origin: string, init: RequestInit = {}): Promise<{ response: Response; url: URL }> {
    let response = await this.fetch(url, init);
    let at = new URL(url);
    while (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get("location")!, at);
      if (next.origin !== origin) return { response, url: at };
      at = next;
      response = await this.fetch(next);
    }
    return { response, url: at };
  }
}

export interface LoginRequest {
  config: client.Configuration;
  scope?: string;
  extra?: Record<string, string>;
}

export interface StartedLogin {
  browser: Browser;
  verifier: string;
  state: string;
  nonce: string;
  /** The last response at the provider: the login page, or the redirect back to the relying party. */
  response: Response;
  /** The interaction's uid when the provider showed a login page. */
  uid?: string;
}

/** Starts a login as a relying party does (PKCE S256, state, nonce) and follows it to the login page. */
export async function startLogin(request: LoginRequest, browser = new Browser()): Promise<StartedLogin> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(request.config, {
    redirect_uri: `${request.config.clientMetadata().redirect_uris}`.split(",")[0]!,
    scope: request.scope ?? "openid idcard",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...request.extra,
  });
  const issuer = new URL(request.config.serverMetadata().issuer).origin;
  const { response, url: at } = await browser.follow(url, issuer);
  const uid = /^\/interaction\/([^/]+)$/.exec(at.pathname)?.[1];
  return { browser, verifier, state, nonce, response, ...(uid ? { uid } : {}) };
}

/** Answers the login page's Web eID challenge with CARD; answers the interaction API's JSON. */
export async function loginWithCard(
  login: StartedLogin,
  issuer: string,
  card: CardFile,
): Promise<{ outcome: string; redirect: string; code?: string }> {
  const base = `${issuer}/interaction/${login.uid}`;
  const challenge = await login.browser.fetch(`${base}/idcard/challenge`, { method: "POST" });
  const { nonce } = (await challenge.json()) as { nonce: string };
  const token = await createAuthToken({ card, pin1: "1234", origin: issuer, nonce });
  const answer = await login.browser.fetch(`${base}/idcard`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: issuer },
    body: JSON.stringify({ token }),
  });
  return (await answer.json()) as { outcome: string; redirect: string; code?: string };
}
