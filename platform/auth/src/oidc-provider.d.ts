// oidc-provider ships no type declarations and @types/oidc-provider is not installed; this is
// the part of its v9 API the service uses, written from its lib/ sources (provider.js,
// helpers/keystore.js, helpers/interaction_policy/, adapters/memory_adapter.js).
declare module "oidc-provider" {
  import type { KeyObject } from "node:crypto";
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** What a model stores; the adapter keeps it as JSON and indexes the named fields. */
  export interface AdapterPayload {
    [key: string]: unknown;
    grantId?: string;
    userCode?: string;
    uid?: string;
    jti?: string;
    /** Epoch seconds at which a code or token was consumed. */
    consumed?: number;
  }

  /** lib/adapters/memory_adapter.js: one instance per model name. */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** A signing key whose private half stays outside the library (features.externalSigningSupport). */
  export class ExternalSigningKey {
    kid: string | undefined;
    alg: string | undefined;
    /** The public key. */
    keyObject(): KeyObject;
    /** The JWS signature of `data` (for ECDSA the raw r ‖ s of RFC 7518 3.4). */
    sign(data: Uint8Array): Promise<Uint8Array>;
  }

  export interface Session {
    accountId?: string;
    uid: string;
    jti: string;
    grantIdFor(clientId: string): string | undefined;
  }

  export interface ClientRecord {
    clientId: string;
    scope?: string;
    [metadata: string]: unknown;
  }

  export class Grant {
    constructor(init: { accountId: string; clientId: string });
    readonly jti: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: readonly string[]): void;
    save(ttl?: number): Promise<string>;
  }

  export interface GrantModel {
    new (init: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  /** The part of Koa's context (with `ctx.oidc`) that configuration callbacks read. */
  export interface KoaContextWithOIDC {
    method: string;
    type: string;
    body: unknown;
    query: Record<string, string | string[] | undefined>;
    oidc: {
      body?: Record<string, unknown>;
      params?: Record<string, unknown>;
      client?: ClientRecord;
      session?: Session;
      result?: InteractionResults;
      provider: Provider;
      route?: string;
      account?: { accountId: string };
      claims?: Record<string, unknown>;
      entities: Record<string, unknown>;
    };
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: readonly string[]; remember?: boolean; ts?: number };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export interface Interaction {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string; uid: string };
    grantId?: string;
    returnTo: string;
    exp: number;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    proxy: boolean;
    readonly issuer: string;
    readonly Grant: GrantModel;
    readonly Client: { find(id: string): Promise<ClientRecord | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResults): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export class Check {
    constructor(reason: string, description: string, check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>);
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
  }

  export interface Prompt {
    name: string;
    checks: Check[] & { add(check: Check, index?: number): void };
  }

  export const interactionPolicy: {
    base(): Prompt[] & { get(name: string): Prompt | undefined };
    Check: typeof Check;
  };

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    statusCode: number;
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidScope: new (description: string, scope: string) => OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    InvalidClientMetadata: new (description: string) => OIDCProviderError;
  };

  export default Provider;
}
