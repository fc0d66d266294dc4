import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Adapter, AdapterPayload, ResponseType } from "oidc-provider";
import { AuthError } from "./errors.ts";
import type { AssuranceLevel } from "./identity.ts";
import { isAssuranceLevel, REPRESENTEE_SCOPE, SCOPES } from "./scopes.ts";
import type { AuthTables } from "./storage/migrations.ts";

/** How a relying party proves itself at the token endpoint (OIDC Core 9). */
export type ClientAuthentication =
  | { method: "client_secret_basic" }
  | { method: "private_key_jwt"; jwks: { keys: readonly JsonWebKey[] } };

export interface RelyingPartyRequest {
  clientId: string;
  redirectUris: readonly string[];
  postLogoutRedirectUris?: readonly string[];
  /** Where the logout token goes (OpenID Connect Back-Channel Logout 1.0, 2.2). */
  backchannelLogoutUri?: string;
  /** The scopes it may ask for; `representee_list` also allows `representee.<id>`. */
  scopes: readonly string[];
  /** The lowest level of assurance it accepts; logins below it end in `access_denied`. */
  minimumAcr: AssuranceLevel;
  authentication: ClientAuthentication;
}

export interface RelyingParty {
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri?: string;
  scopes: string[];
  minimumAcr: AssuranceLevel;
  method: ClientAuthentication["method"];
  createdAt: Date;
}

/** oidc-provider client metadata (RFC 7591 2, OIDC Registration 2) plus riik's minimum acr. */
interface ClientMetadata extends AdapterPayload {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required: boolean;
  token_endpoint_auth_method: ClientAuthentication["method"];
  jwks?: { keys: readonly JsonWebKey[] };
  scope: string;
  grant_types: string[];
  response_types: ResponseType[];
  riik_minimum_acr: AssuranceLevel;
}

/** Extra client metadata oidc-provider must accept (configuration `extraClientMetadata`). */
export const MINIMUM_ACR_METADATA = "riik_minimum_acr";

const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/**
 * The relying parties an administrator registers (`riik auth client add|list|remove`).
 *
 * The client secret is stored as it is, not hashed: oidc-provider compares it itself in
 * constant time for client_secret_basic and uses it as the HMAC key of client_secret_jwt and
 * HS256 responses, so a hash would not do. It is 256 random bits made here (never chosen by
 * a person), shown once, and kept in the component's owner-only storage; relying parties
 * that can hold a key should register with private_key_jwt, which stores only public keys.
 */
export class RelyingParties {
  readonly #db: Kysely<AuthTables>;

  constructor(db: Kysely<AuthTables>) {
    this.#db = db;
  }

  /** Registers a relying party; answers the generated secret for client_secret_basic. */
  async add(request: RelyingPartyRequest): Promise<{ clientId: string; clientSecret?: string }> {
    const metadata = clientMetadata(request);
    if (request.authentication.method === "client_secret_basic")
      metadata.client_secret = randomBytes(32).toString("base64url");
    const inserted = await this.#db
      .insertInto("clients")
      .values({ client_id: request.clientId, metadata: JSON.stringify(metadata), created_at: Date.now() })
      .onConflict((conflict) => conflict.column("client_id").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0)
      throw new AuthError("AUTH_CLIENT_EXISTS", `client ${request.clientId} exists; remove it first to replace it`);
    return metadata.client_secret
      ? { clientId: request.clientId, clientSecret: metadata.client_secret }
      : { clientId: request.clientId };
  }

  async list(): Promise<RelyingParty[]> {
    const rows = await this.#db.selectFrom("clients").selectAll().orderBy("client_id").execute();
    return rows.map((row) => {
      const metadata = JSON.parse(row.metadata) as ClientMetadata;
      return {
        clientId: row.client_id,
        redirectUris: metadata.redirect_uris,
        postLogoutRedirectUris: metadata.post_logout_redirect_uris,
        ...(metadata.backchannel_logout_uri ? { backchannelLogoutUri: metadata.backchannel_logout_uri } : {}),
        scopes: metadata.scope.split(" "),
        minimumAcr: metadata.riik_minimum_acr,
        method: metadata.token_endpoint_auth_method,
        createdAt: new Date(row.created_at),
      };
    });
  }

  async remove(clientId: string): Promise<void> {
    const removed = await this.#db.deleteFrom("clients").where("client_id", "=", clientId).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new AuthError("AUTH_CLIENT_UNKNOWN", `no client ${clientId}`);
    // Its grants, codes and tokens go too: a removed relying party holds nothing that still works.
    await this.#db.deleteFrom("oidc_models").where("client_id", "=", clientId).execute();
  }

  /** The `Client` model's adapter: clients are read from storage, never registered through OIDC. */
  adapter(): Adapter {
    const db = this.#db;
    const readOnly = async () => {
      throw new AuthError("AUTH_ARGUMENT", "relying parties are registered with `riik auth client add`");
    };
    return {
      async find(id) {
        const row = await db.selectFrom("clients").select("metadata").where("client_id", "=", id).executeTakeFirst();
        return row ? (JSON.parse(row.metadata) as ClientMetadata) : undefined;
      },
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      upsert: readOnly,
      consume: readOnly,
      destroy: readOnly,
      revokeByGrantId: async () => undefined,
    };
  }
}

function clientMetadata(request: RelyingPartyRequest): ClientMetadata {
  const problems: string[] = [];
  if (!CLIENT_ID.test(request.clientId)) problems.push(`clientId must match ${CLIENT_ID}`);
  const uris = (name: string, values: readonly string[] | undefined) => {
    for (const uri of values ?? [])
      if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol))
        problems.push(`${name} ${uri} is not an http(s) URL`);
  };
  if (request.redirectUris.length === 0) problems.push("redirectUris must name at least one URI");
  uris("redirect URI", request.redirectUris);
  uris("post-logout redirect URI", request.postLogoutRedirectUris);
  uris("back-channel logout URI", request.backchannelLogoutUri === undefined ? [] : [request.backchannelLogoutUri]);
  if (!request.scopes.includes("openid")) problems.push("scopes must include openid");
  for (const scope of request.scopes)
    if (!(SCOPES as readonly string[]).includes(scope))
      problems.push(
        REPRESENTEE_SCOPE.test(scope)
          ? `scope ${scope}: allow representee_list instead; it admits every representee.<id>`
          : `unknown scope ${scope} (known: ${SCOPES.join(", ")})`,
      );
  if (!isAssuranceLevel(request.minimumAcr)) problems.push("minimumAcr must be substantial or high");
  const { authentication } = request;
  if (authentication.method === "private_key_jwt" && !(authentication.jwks.keys.length > 0))
    problems.push("private_key_jwt needs a JWKS with at least one public key");
  if (authentication.method === "private_key_jwt")
    for (const key of authentication.jwks.keys)
      if ("d" in key) problems.push("the JWKS holds a private key; register public keys only");
  if (problems.length > 0)
    throw new AuthError("AUTH_ARGUMENT", `bad relying party: ${problems.join("; ")}`, { details: { problems } });
  return {
    client_id: request.clientId,
    redirect_uris: [...request.redirectUris],
    post_logout_redirect_uris: [...(request.postLogoutRedirectUris ?? [])],
    ...(request.backchannelLogoutUri ? { backchannel_logout_uri: request.backchannelLogoutUri } : {}),
    backchannel_logout_session_required: true,
    token_endpoint_auth_method: authentication.method,
    ...(authentication.method === "private_key_jwt" ? { jwks: { keys: [...authentication.jwks.keys] } } : {}),
    scope: [...new Set(request.scopes)].join(" "),
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    [MINIMUM_ACR_METADATA]: request.minimumAcr,
  };
}
