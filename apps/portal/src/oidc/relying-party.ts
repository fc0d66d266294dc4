import * as oidc from "openid-client";
import { PortalError } from "../errors.ts";
import type { RepresenteeEntry, Representees } from "../web/api-types.ts";

/** The portal's registration at the national authentication service (portal.json `auth`). */
export interface RelyingPartyConfig {
  /** The provider's issuer URL (its discovery document is at ISSUER/.well-known/openid-configuration). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The scopes the portal asks for; `openid` first. */
  scope: string;
}

/** What the portal keeps between sending the browser away and its return (OIDC Core 3.1.2.1, RFC 7636). */
export interface AuthorizationRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The party asked to act for (scope `representee.<sub>`, GovSSO Representee 4.2), if any. */
  representee?: string;
}

/** The `representee` claim (GovSSO 4.2): its status and, when current, whom and their name. */
function representeeOf(claim: unknown): LoggedIn["representee"] {
  if (!claim || typeof claim !== "object") return undefined;
  const { status, sub, given_name, family_name, name, type } = claim as Record<string, unknown>;
  if (typeof status !== "string") return undefined;
  const named =
    typeof name === "string" ? name : [given_name, family_name].filter((p) => typeof p === "string").join(" ");
  return {
    status,
    ...(typeof sub === "string" && SUBJECT.test(sub) ? { sub } : {}),
    name: named,
    ...(type === "NATURAL_PERSON" || type === "LEGAL_PERSON" ? { type } : {}),
  };
}

/** The `representee_list` claim read tolerantly (unknown entries left out); undefined when absent. */
export function representeesOf(claim: unknown): Representees | undefined {
  if (!claim || typeof claim !== "object") return undefined;
  const { status, list } = claim as { status?: unknown; list?: unknown };
  if (status === "SERVICE_NOT_AVAILABLE") return { status: "unavailable" };
  if (status !== "REPRESENTEE_LIST_CURRENT" || !Array.isArray(list)) return undefined;
  const entries: RepresenteeEntry[] = [];
  for (const item of list as Array<Record<string, unknown>>) {
    if (!item || typeof item.sub !== "string" || !SUBJECT.test(item.sub)) continue;
    if (item.type !== "NATURAL_PERSON" && item.type !== "LEGAL_PERSON") continue;
    const name =
      item.type === "LEGAL_PERSON"
        ? String(item.name ?? "")
        : [item.given_name, item.family_name].filter((part) => typeof part === "string").join(" ");
    entries.push({ type: item.type, sub: item.sub, name });
  }
  return { status: "current", list: entries };
}

/** What the portal's session gets from a validated ID token. */
export interface LoggedIn {
  subject: string;
  personalCode: string;
  givenName: string;
  surname: string;
  /** The provider's session id (OpenID Connect Back-Channel Logout 1.0, 2.4): the portal's sessions are keyed by it. */
  sid: string;
  acr: string;
  amr: string[];
  /** Kept for RP-initiated logout's id_token_hint. */
  idToken: string;
  /** For extending the session (GovSSO's way): the provider asks the card's status again on refresh. */
  refreshToken?: string;
  /** With scope `representee_list`: whom the person may act for. */
  representees?: Representees;
  /** With scope `representee.<sub>`: the `representee` claim (GovSSO 4.2). */
  representee?: { status: string; sub?: string; name?: string; type?: "NATURAL_PERSON" | "LEGAL_PERSON" };
}

const SUBJECT = /^[A-Z]{2}[0-9A-Za-z]{1,30}$/;

/**
 * The portal as an OpenID Connect relying party of riik's authentication service, through
 * openid-client: discovery, the authorization code flow with PKCE S256, state and nonce,
 * the ID token's validation (signature by the published keys, iss, aud, exp, nonce), and
 * RP-initiated logout. Discovery is lazy and tried again after a failure, so the portal can
 * start before the provider answers.
 */
export class RelyingParty {
  readonly #config: RelyingPartyConfig;
  readonly #redirectUri: string;
  #discovered: Promise<oidc.Configuration> | undefined;

  constructor(config: RelyingPartyConfig, redirectUri: string) {
    this.#config = config;
    this.#redirectUri = redirectUri;
  }

  get clientId(): string {
    return this.#config.clientId;
  }

  /** The provider's metadata and client, discovered once (OpenID Connect Discovery 1.0, 4). */
  async configuration(): Promise<oidc.Configuration> {
    this.#discovered ??= oidc
      .discovery(
        new URL(this.#config.issuer),
        this.#config.clientId,
        undefined,
        oidc.ClientSecretBasic(this.#config.clientSecret),
        // The sandbox's provider is plain http on loopback.
        this.#config.issuer.startsWith("http:") ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((cause: unknown) => {
        this.#discovered = undefined;
        throw new PortalError("PORTAL_AUTH_UNAVAILABLE", "the authentication service cannot be reached", { cause });
      });
    return this.#discovered;
  }

  /** The URL the browser is sent to, and what must be kept to check its return. */
  async authorizationUrl(locale?: string, representee?: string): Promise<{ url: URL; request: AuthorizationRequest }> {
    const config = await this.configuration();
    const request: AuthorizationRequest = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      ...(representee ? { representee } : {}),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#redirectUri,
      // GovSSO 4.2: acting for someone is a new authorization request with `representee.<sub>`.
      scope: representee ? `${this.#config.scope} representee.${representee}` : this.#config.scope,
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
      ...(locale ? { ui_locales: locale } : {}),
    });
    return { url, request };
  }

  /**
   * The browser's return to the redirect URI: the code exchanged (with the PKCE verifier) and
   * the ID token validated against the request this browser started (state, nonce).
   */
  async callback(currentUrl: URL, request: AuthorizationRequest): Promise<LoggedIn> {
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
    } catch (cause) {
      if (cause instanceof oidc.AuthorizationResponseError)
        throw new PortalError("PORTAL_LOGIN_REFUSED", loginRefusal(cause.error, cause.error_description), { cause });
      throw new PortalError("PORTAL_LOGIN_FAILED", "the login's answer from the authentication service is not valid", {
        cause,
      });
    }
    const claims = tokens.claims();
    const idToken = tokens.id_token;
    if (!claims || !idToken)
      throw new PortalError("PORTAL_LOGIN_FAILED", "the authentication service sent no ID token");
    const { sub, sid, given_name, family_name, acr, amr, representee_list, representee } = claims as Record<
      string,
      unknown
    >;
    const representees = representeesOf(representee_list);
    const chosen = representeeOf(representee);
    if (typeof sub !== "string" || !SUBJECT.test(sub) || typeof sid !== "string" || sid === "")
      throw new PortalError("PORTAL_LOGIN_FAILED", "the ID token has no personal subject or no sid");
    return {
      subject: sub,
      personalCode: sub.slice(2),
      givenName: typeof given_name === "string" ? given_name : "",
      surname: typeof family_name === "string" ? family_name : "",
      sid,
      acr: typeof acr === "string" ? acr : "",
      amr: Array.isArray(amr) ? amr.map(String) : [],
      idToken,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      ...(representees ? { representees } : {}),
      ...(chosen ? { representee: chosen } : {}),
    };
  }

  /**
   * Extends the login with its refresh token (OIDC Core 12): the provider answers only while
   * its session lives and the person's card is good. `ended` when it refuses (invalid_grant:
   * logged out, expired, card suspended or revoked); PORTAL_AUTH_UNAVAILABLE when it cannot
   * be asked.
   */
  async refresh(refreshToken: string): Promise<{ ended: true } | { ended: false; refreshToken: string }> {
    const config = await this.configuration();
    try {
      const tokens = await oidc.refreshTokenGrant(config, refreshToken);
      return { ended: false, refreshToken: tokens.refresh_token ?? refreshToken };
    } catch (cause) {
      if (cause instanceof oidc.ResponseBodyError && cause.error === "invalid_grant") return { ended: true };
      throw new PortalError("PORTAL_AUTH_UNAVAILABLE", "the login cannot be checked now; try again shortly", { cause });
    }
  }

  /** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, 2): where the browser goes to end the provider's session. */
  async endSessionUrl(idToken: string | undefined, postLogoutRedirectUri: string): Promise<string | undefined> {
    const config = await this.configuration().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    return oidc
      .buildEndSessionUrl(config, {
        ...(idToken ? { id_token_hint: idToken } : {}),
        client_id: this.#config.clientId,
        post_logout_redirect_uri: postLogoutRedirectUri,
      })
      .toString();
  }
}

/**
 * The refusal as the page shows it: riik's provider names the reason first in
 * `error_description` (`WEBEID_CERTIFICATE_SUSPENDED: …`, `USER_REFUSED: …`), else the OIDC error.
 */
export function loginRefusal(error: string, description: string | undefined): string {
  const named = /^([A-Z][A-Z0-9_]{2,63}):/.exec(description ?? "")?.[1];
  return named ?? error;
}
