import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { PortalError } from "../errors.ts";

/** The event a logout token carries (OpenID Connect Back-Channel Logout 1.0, 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

export interface LogoutTokenCheck {
  issuer: string;
  /** The provider's JWKS (its discovery document's `jwks_uri`). */
  jwksUri: string;
  clientId: string;
  /** The signature algorithms accepted (the client's `id_token_signed_response_alg`, RS256 by default). */
  algorithms?: string[];
  /** How old a logout token may be; its jti is remembered this long so a replay is refused. */
  maxAgeSeconds?: number;
  now?: () => number;
}

/**
 * Validates logout tokens as OpenID Connect Back-Channel Logout 1.0, 2.6 says: a JWT signed
 * with one of the provider's published keys (jose), `iss` the provider, `aud` this client,
 * `iat` present and recent, a `jti`, `events` with the back-channel-logout member, a `sid`
 * (the portal registers with backchannel_logout_session_required), and no `nonce`; a `jti`
 * seen before is refused (2.6 step 6). Any failure is PORTAL_LOGOUT_TOKEN, which the
 * endpoint answers with 400 (2.8).
 */
export class LogoutTokens {
  readonly #check: LogoutTokenCheck;
  readonly #keys: ReturnType<typeof createRemoteJWKSet>;
  readonly #seen = new Map<string, number>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(check: LogoutTokenCheck) {
    this.#check = check;
    this.#keys = createRemoteJWKSet(new URL(check.jwksUri));
    this.#maxAgeMs = (check.maxAgeSeconds ?? 300) * 1000;
    this.#now = check.now ?? Date.now;
  }

  /** The logout token's `sid` (and `sub`), once every check passed; its jti is then used up. */
  async validate(token: string): Promise<{ sid: string; sub?: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#check.issuer,
        audience: this.#check.clientId,
        algorithms: this.#check.algorithms ?? ["RS256"],
        requiredClaims: ["iat", "jti"],
        maxTokenAge: this.#maxAgeMs / 1000,
        currentDate: new Date(this.#now()),
      }));
    } catch (cause) {
      const reason = cause instanceof joseErrors.JOSEError ? cause.code : "not a JWT";
      throw new PortalError("PORTAL_LOGOUT_TOKEN", `the logout token is not valid (${reason})`, { cause });
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events && typeof events === "object" ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (!event || typeof event !== "object" || Array.isArray(event))
      throw new PortalError("PORTAL_LOGOUT_TOKEN", "the logout token has no back-channel logout event");
    if ("nonce" in payload) throw new PortalError("PORTAL_LOGOUT_TOKEN", "a logout token must not have a nonce");
    const sid = payload.sid;
    if (typeof sid !== "string" || sid === "")
      throw new PortalError("PORTAL_LOGOUT_TOKEN", "the logout token has no sid");
    const jti = String(payload.jti);
    const now = this.#now();
    for (const [seen, until] of this.#seen) if (until <= now) this.#seen.delete(seen);
    if (this.#seen.has(jti)) throw new PortalError("PORTAL_LOGOUT_TOKEN", "this logout token was used already");
    this.#seen.set(jti, (payload.iat as number) * 1000 + this.#maxAgeMs);
    return { sid, ...(typeof payload.sub === "string" ? { sub: payload.sub } : {}) };
  }
}
