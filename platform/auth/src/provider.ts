import * as x509 from "@peculiar/x509";
import type { Kysely } from "kysely";
import {
  type ExternalSigningKey,
  errors,
  type Grant,
  interactionPolicy,
  type KoaContextWithOIDC,
  Provider,
} from "oidc-provider";
import type { Authentications } from "./authentications.ts";
import type { CardStatus } from "./card-status.ts";
import { MINIMUM_ACR_METADATA, type RelyingParties } from "./clients.ts";
import type { AssuranceLevel, AuthenticationMethod } from "./identity.ts";
import { errorPage, loggedOutPage, logoutPage } from "./interaction/page.ts";
import type { Representation } from "./mandates/representation.ts";
import {
  ACR_VALUES,
  isAssuranceLevel,
  METHOD_ACR,
  offeredMethods,
  REPRESENTEE_SCOPE,
  requiredAcr,
  SCOPE_CLAIMS,
  SCOPES,
  unknownScopes,
} from "./scopes.ts";
import { type AuthTables, StorageAdapter } from "./storage/index.ts";

export interface ProviderSetup {
  /** The issuer URL (OIDC Discovery 3): also the origin Web eID tokens are signed for. */
  issuer: string;
  db: Kysely<AuthTables>;
  clients: RelyingParties;
  authentications: Authentications;
  /** Whether a session's login certificate is still good; a session whose card is not ends. */
  cardStatus: CardStatus;
  /** Published keys, the signing one first. */
  keys: readonly ExternalSigningKey[];
  /** HMAC keys of the provider's cookies, newest first. */
  cookieKeys: readonly string[];
  /** The login methods this service has (the app login only when its plugin is wired). */
  methods: readonly AuthenticationMethod[];
  /** Idle lifetime of the single sign-on session, seconds (GovSSO: 15 minutes). */
  sessionSeconds: number;
  /**
   * Lets the provider's outgoing requests (back-channel logout, a client's jwks_uri) reach
   * loopback and private addresses, which oidc-provider refuses against SSRF: for a sandbox
   * state whose relying parties all run on loopback. Off by default.
   */
  privateNetworkFetch?: boolean;
  /**
   * The mandates service: `representee_list` and `representee.<id>` (GovSSO) are answered
   * from it; without it `representee_list` is SERVICE_NOT_AVAILABLE.
   */
  representation?: Representation;
}

/**
 * The authorization parameter that carries the `representee.<id>` of a request from the
 * authorization endpoint to the grant: oidc-provider keeps only configured scopes in
 * `params.scope`, so the id is copied from the request's scope as sent into this declared
 * extra parameter (its value from the relying party is always overwritten), which the
 * interaction keeps until the login resumes.
 */
export const REPRESENTEE_PARAM = "riik_representee";

/** The scope of the request as sent (oidc-provider narrows `params.scope` to configured scopes). */
function sentScope(ctx: KoaContextWithOIDC): string | undefined {
  const sent = ctx.method === "POST" ? ctx.oidc.body?.scope : ctx.query.scope;
  return typeof sent === "string" ? sent : undefined;
}

/** The one `representee.<id>` of SCOPES, if any; two or more is `invalid_scope` (GovSSO 3.2.2: one at once). */
export function representeeScope(scopes: readonly string[]): string | undefined {
  const asked = scopes.filter((scope) => REPRESENTEE_SCOPE.test(scope));
  if (asked.length > 1) throw new errors.InvalidScope("only one representee may be asked for at once", asked.join(" "));
  return asked[0];
}

/** The minimum acr a relying party registered, `high` when it names none (fail closed). */
export function clientMinimumAcr(client: InstanceType<Provider["Client"]> | undefined): AssuranceLevel {
  const value = client?.metadata()[MINIMUM_ACR_METADATA];
  return isAssuranceLevel(value) ? value : "high";
}

/** The scopes of an authorization request, as sent. */
export function requestedScopes(params: Record<string, unknown> | undefined): string[] {
  return typeof params?.scope === "string" ? params.scope.split(" ").filter(Boolean) : [];
}

/**
 * Refuses, inside the authorization request (so the error is redirected to the relying
 * party, RFC 6749 4.1.2.1), what oidc-provider would let pass: a scope it does not know
 * (it drops those silently) is `invalid_scope`, a representation scope the client may not
 * use too, and a request no offered login method can satisfy at the client's minimum acr
 * is `access_denied` (OIDC Core 5.5.1.1: an unmet essential acr is a failed authentication).
 */
/** A session whose account was refused (its card is no longer good) logs in again. */
const cardCheck = new interactionPolicy.Check(
  "riik_card_status",
  "the certificate of the session's login is no longer valid",
  (ctx) => Boolean(ctx.oidc.session?.accountId) && !ctx.oidc.account,
);

function requestCheck(methods: readonly AuthenticationMethod[]) {
  return new interactionPolicy.Check("riik_request", "the request is one this service can serve", (ctx) => {
    const { params, client } = ctx.oidc;
    // oidc-provider narrows `params.scope` to the configured scopes before the interaction
    // checks run (shared/check_resource.js); the request as sent is in the query or the body.
    const scopes = requestedScopes({ scope: sentScope(ctx) ?? params?.scope });
    const unknown = unknownScopes(scopes);
    if (unknown.length > 0) throw new errors.InvalidScope(`unknown scope ${unknown.join(" ")}`, unknown.join(" "));
    const allowed = new Set(client?.scope?.split(" ") ?? []);
    const representation = scopes.find((scope) => REPRESENTEE_SCOPE.test(scope));
    if (representation && !allowed.has("representee_list"))
      throw new errors.InvalidScope("the client may not ask to act for others", representation);
    const minimum = requiredAcr(clientMinimumAcr(client), params?.acr_values);
    if (offeredMethods(scopes, minimum, methods).length === 0)
      throw new errors.AccessDenied(`no login method offered here reaches acr ${minimum}`);
    return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  });
}

function html(ctx: KoaContextWithOIDC, body: string): void {
  ctx.type = "html";
  ctx.body = body;
}

/**
 * Grants what the relying party asked for within what it is registered for: the service is
 * the state's own login, so there is no consent screen (as in TARA and GovSSO); the client's
 * `scope` metadata already limits the scopes it may ask for. The grant holds at most one
 * `representee.<id>`, the one this request asked for (a request without one acts for the
 * person themselves again); a representee the mandates service confirms is recorded with
 * the session's authentication.
 */
function grantLoader(setup: ProviderSetup) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider, result } = ctx.oidc;
    if (!client || !session?.accountId) return undefined;
    const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    const grant =
      (grantId ? await provider.Grant.find(grantId) : undefined) ??
      new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
    const allowed = new Set(client.scope?.split(" ") ?? []);
    const chosen = ctx.oidc.params?.[REPRESENTEE_PARAM];
    const representee =
      typeof chosen === "string" && REPRESENTEE_SCOPE.test(`representee.${chosen}`) && allowed.has("representee_list")
        ? chosen
        : undefined;
    const kept = grant
      .getOIDCScope()
      .split(" ")
      .filter((scope) => scope && !REPRESENTEE_SCOPE.test(scope));
    const scopes = requestedScopes(ctx.oidc.params).filter((scope) => allowed.has(scope));
    if (grant.openid) grant.openid.scope = kept.join(" ");
    grant.addOIDCScope([...scopes, ...(representee ? [`representee.${representee}`] : [])].join(" "));
    await grant.save();
    if (representee && setup.representation && representee !== session.accountId) {
      const right = await setup.representation.representee(session.accountId, representee);
      const method = session.amr?.[0];
      if (right.status === "REQUESTED_REPRESENTEE_CURRENT" && (method === "idcard" || method === "app"))
        await setup.authentications.recordRepresentation({
          subject: session.accountId,
          clientId: client.clientId,
          method,
          acr: isAssuranceLevel(session.acr) ? session.acr : METHOD_ACR[method],
          representee,
        });
    }
    return grant;
  };
}

/** The `representee.<id>` a grant holds (the last authorization request's), as its id. */
function grantedRepresentee(grant: Grant | undefined): string | undefined {
  const scope = grant
    ?.getOIDCScope()
    .split(" ")
    .find((value) => REPRESENTEE_SCOPE.test(value));
  return scope?.slice("representee.".length);
}

/**
 * The representation claims of GovSSO (Representee 4.1, 4.2): `representee_list` when the
 * token's scope has it, `representee` when the grant holds a `representee.<id>` other than
 * the person themselves (4: omitted for oneself). Asked afresh for every token and userinfo,
 * so a revoked mandate or a child's 18th birthday shows at the next refresh.
 */
async function representationClaims(
  setup: ProviderSetup,
  ctx: KoaContextWithOIDC,
  subject: string,
  scope: string,
): Promise<Record<string, unknown>> {
  const claims: Record<string, unknown> = {};
  if (scope.split(" ").includes("representee_list"))
    claims.representee_list = setup.representation
      ? await setup.representation.list(subject)
      : { status: "SERVICE_NOT_AVAILABLE" };
  const representee = grantedRepresentee(ctx.oidc.grant);
  if (representee && representee !== subject)
    claims.representee = setup.representation
      ? await setup.representation.representee(subject, representee)
      : { status: "SERVICE_NOT_AVAILABLE" };
  return claims;
}

/**
 * The OpenID Connect provider, configured (not subclassed) as oidc-provider intends: the
 * authorization code flow with PKCE required (RFC 7636; S256 only), client_secret_basic and
 * private_key_jwt (OIDC Core 9), userinfo, RP-initiated logout 1.0, back-channel logout 1.0
 * (`sid` in the ID token and the logout token), refresh tokens for extending a session, and
 * every model in core storage through StorageAdapter.
 */
export function createProvider(setup: ProviderSetup): Provider {
  const policy = interactionPolicy.base();
  policy.get("login")?.checks.add(requestCheck(setup.methods), 0);
  policy.get("login")?.checks.add(cardCheck);
  const provider = new Provider(setup.issuer, {
    adapter: (model: string) => (model === "Client" ? setup.clients.adapter() : new StorageAdapter(setup.db, model)),
    jwks: { keys: [...setup.keys] },
    cookies: { keys: [...setup.cookieKeys] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => html(ctx, logoutPage(form)),
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => html(ctx, loggedOutPage()),
      },
      backchannelLogout: { enabled: true },
      externalSigningSupport: { enabled: true, ack: "experimental-01" },
    },
    clientAuthMethods: ["client_secret_basic", "private_key_jwt"],
    pkce: { required: () => true },
    responseTypes: ["code"],
    scopes: [...SCOPES],
    claims: {
      iss: null,
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).filter(([, claims]) => claims.length > 0)),
    },
    acrValues: [...ACR_VALUES],
    extraParams: {
      // Copies the request's `representee.<id>` (as sent) into REPRESENTEE_PARAM, or clears it.
      [REPRESENTEE_PARAM]: async (ctx: KoaContextWithOIDC) => {
        const scope = representeeScope(requestedScopes({ scope: sentScope(ctx) }));
        ctx.oidc.params![REPRESENTEE_PARAM] = scope?.slice("representee.".length);
      },
    },
    // TARA puts the person's names and birth date in the ID token itself.
    conformIdTokenClaims: false,
    extraClientMetadata: {
      properties: [MINIMUM_ACR_METADATA],
      validator(_ctx: unknown, key: string, value: unknown) {
        if (key === MINIMUM_ACR_METADATA && !isAssuranceLevel(value))
          throw new errors.InvalidClientMetadata(`${MINIMUM_ACR_METADATA} must be one of ${ACR_VALUES.join(", ")}`);
      },
    },
    async findAccount(ctx: KoaContextWithOIDC, subject: string) {
      const account = await setup.authentications.account(subject);
      if (!account) return undefined;
      // A refresh and a single sign-on reuse only while the card is good (the code exchange
      // follows the login's own check within a minute): without the account a refresh is
      // invalid_grant and the session must log in again.
      const reuse =
        ctx.oidc.route === "authorization" ||
        (ctx.oidc.route === "token" && ctx.oidc.params?.grant_type === "refresh_token");
      if (reuse && (!account.certificate || !(await setup.cardStatus(new x509.X509Certificate(account.certificate)))))
        return undefined;
      return {
        accountId: subject,
        claims: async (_use: string, scope: string) => ({
          sub: subject,
          given_name: account.given_name,
          family_name: account.family_name,
          ...(account.birthdate ? { birthdate: account.birthdate } : {}),
          ...(await representationClaims(setup, ctx, subject, scope)),
        }),
      };
    },
    interactions: {
      policy,
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    loadExistingGrant: grantLoader(setup),
    // GovSSO extends a session with the refresh token; no offline_access needed.
    issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed("refresh_token"),
    ttl: {
      Session: setup.sessionSeconds,
      Interaction: 600,
      Grant: setup.sessionSeconds,
      AuthorizationCode: 60,
      AccessToken: setup.sessionSeconds,
      IdToken: setup.sessionSeconds,
      RefreshToken: setup.sessionSeconds,
    },
    rotateRefreshToken: true,
    renderError: async (ctx: KoaContextWithOIDC, out: { error?: unknown; error_description?: unknown }) =>
      html(ctx, errorPage(out)),
    ...(setup.privateNetworkFetch
      ? {
          fetch: (url: string | URL | Request, init?: RequestInit) =>
            fetch(url, { ...init, dispatcher: undefined } as RequestInit),
        }
      : {}),
  });
  return provider;
}
