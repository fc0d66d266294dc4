import { randomBytes } from "node:crypto";
import type * as x509 from "@peculiar/x509";
import { createHttpService, type HttpService } from "@riik/core";
import type { MemberService } from "@riik/kit";
import type { KeyStore, OcspStatusChecker, RegistrationAuthorityAccess } from "@riik/pki";
import type { Kysely } from "kysely";
import type { Provider } from "oidc-provider";
import type { Logger } from "pino";
import { Type } from "typebox";
import { APP_LOGIN_ERRORS, type AppLoginService, type AppSide, appLoginPlugin } from "./app-login/index.ts";
import { Authentications } from "./authentications.ts";
import { createAuthenticationsService } from "./authentications-service.ts";
import { cardStatusChecker } from "./card-status.ts";
import { followCardSuspensions } from "./card-suspensions.ts";
import { RelyingParties } from "./clients.ts";
import { AUTH_ERRORS, AuthError } from "./errors.ts";
import type { AuthenticationMethod } from "./identity.ts";
import { appLoginRoutes } from "./interaction/app.ts";
import { idCardRoutes } from "./interaction/idcard.ts";
import { Interactions } from "./interaction/interactions.ts";
import { expiredPage, interactionPage } from "./interaction/page.ts";
import {
  createMandatesService,
  MANDATE_ERRORS,
  type MandatesService,
  mandateRoutes,
  type PopulationRegisterAccess,
} from "./mandates/index.ts";
import { createProvider } from "./provider.ts";
import { SigningKeys } from "./signing-keys.ts";
import { type AuthTables, WebEidChallenges } from "./storage/index.ts";

export interface AuthServiceOptions {
  /** Public URL of the provider (the `iss` of its tokens); its origin is the Web eID origin. */
  issuer: string;
  db: Kysely<AuthTables>;
  /** Where the token-signing keys are (the pki key store format). */
  keyStore: KeyStore;
  /** Identity-document CAs whose cards may log in; from configuration only. */
  trustedCas: readonly x509.X509Certificate[];
  ocsp?: "required" | "off" | OcspStatusChecker;
  /** A designated OCSP responder instead of the one the card's certificate names. */
  ocspUrl?: string;
  sessionSeconds?: number;
  /** See ProviderSetup.privateNetworkFetch: relying parties on loopback (the sandbox). */
  privateNetworkFetch?: boolean;
  logger?: Logger;
  /** The app login (its `/app` page and API are served here); offered on the login page when given. */
  appLogin?: AppLoginService & AppSide;
  /** The population register over X-Road: parents then act for their minor children. */
  populationRegister?: PopulationRegisterAccess | undefined;
  /**
   * The trust services as a registration authority: their status feed is followed and a
   * suspended or revoked login certificate ends its person's sessions at once (card-suspensions.ts).
   */
  trustServices?: RegistrationAuthorityAccess | undefined;
  /** How often the status feed is read when idle (default 2 s). */
  statusFeedIntervalMs?: number;
}

export interface AuthService extends HttpService {
  readonly clients: RelyingParties;
  readonly keys: SigningKeys;
  readonly authentications: Authentications;
  /** The login record for the exchange layer, on a listener of its own (authentications-service.ts). */
  readonly exchange: MemberService;
  readonly mandates: MandatesService;
  /** Reads the published signing keys again (after `riik auth keys rotate|retire`). */
  reloadKeys(): Promise<void>;
}

/**
 * The national authentication service: oidc-provider mounted in a riik HTTP service
 * (`/healthz`, `/metrics`, JSON logs), the login interaction pages and their ID-card
 * API. The record of authentications is `exchange`, a separate service for the security
 * server (`GET /authentications/{subject}`, read by the portal over X-Road).
 */
export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const service = createHttpService({
    name: "auth",
    errors: { ...AUTH_ERRORS, ...APP_LOGIN_ERRORS, ...MANDATE_ERRORS },
    bodyLimit: 64 * 1024,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { app } = service;
  const { db } = options;
  const clients = new RelyingParties(db);
  const keys = new SigningKeys(db, options.keyStore);
  const authentications = new Authentications(db);
  const methods: AuthenticationMethod[] = options.appLogin ? ["idcard", "app"] : ["idcard"];
  const cookieKeys = await serviceSecret(db, "cookie-keys");
  const origin = new URL(options.issuer).origin;
  const cardStatus = cardStatusChecker({
    trustedCas: options.trustedCas,
    ocsp: options.ocsp ?? "required",
    ...(options.ocspUrl ? { ocspUrl: options.ocspUrl } : {}),
  });

  // Mandates are sealed with the key the provider signs with now (published in its JWKS).
  let signing: Awaited<ReturnType<SigningKeys["published"]>> = [];
  const mandates = createMandatesService({
    db,
    issuer: options.issuer,
    signingKey: async () => signing[0]!,
    ...(options.populationRegister ? { populationRegister: options.populationRegister } : {}),
    logger: app.log,
  });
  app.addHook("onClose", () => mandates.close());

  const build = async () => {
    signing = await keys.published();
    const made = createProvider({
      issuer: options.issuer,
      db,
      clients,
      authentications,
      representation: mandates.representation,
      keys: signing,
      cookieKeys: [cookieKeys],
      cardStatus,
      methods,
      sessionSeconds: options.sessionSeconds ?? 900,
      privateNetworkFetch: options.privateNetworkFetch ?? false,
    });
    // oidc-provider reports failures as events; they go to the service log (no tokens in them).
    made.on("server_error", (_ctx, error) => app.log.error({ err: error }, "oidc-provider server error"));
    made.on("backchannel.error", (_ctx, error, client) =>
      app.log.warn({ err: error, clientId: (client as { clientId?: string }).clientId }, "back-channel logout failed"),
    );
    return made;
  };
  let provider: Provider = await build();
  if (options.trustServices) {
    const suspensions = followCardSuspensions({
      db,
      access: options.trustServices,
      provider: () => provider,
      logger: app.log,
      ...(options.statusFeedIntervalMs ? { intervalMs: options.statusFeedIntervalMs } : {}),
    });
    app.addHook("onClose", () => suspensions.stop());
  }
  const interactions = new Interactions(() => provider, authentications, methods);

  // oidc-provider is a Koa app: it gets the raw request with its body unread.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    scope.route({
      method: ["GET", "POST", "HEAD", "OPTIONS"],
      url: "/*",
      handler: (request, reply) => {
        reply.hijack();
        provider.callback()(request.raw, reply.raw);
      },
    });
  });

  app.get(
    "/interaction/:uid",
    { schema: { params: Type.Object({ uid: Type.String({ minLength: 1, maxLength: 64 }) }) } },
    async (request, reply) => {
      reply.type("text/html; charset=utf-8").header("cache-control", "no-store");
      try {
        const { interaction, methods: offered } = await interactions.details(request, reply);
        return interactionPage({
          uid: interaction.uid,
          clientId: String(interaction.params.client_id),
          origin,
          methods: offered,
        });
      } catch (error) {
        if (error instanceof AuthError && error.code === "AUTH_INTERACTION_UNKNOWN")
          return reply.status(404).send(expiredPage());
        throw error;
      }
    },
  );
  idCardRoutes(app, interactions, {
    trustedCas: options.trustedCas,
    origin,
    ocsp: options.ocsp ?? "required",
    ...(options.ocspUrl ? { ocspUrl: options.ocspUrl } : {}),
    challenges: new WebEidChallenges(db),
  });
  if (options.appLogin) {
    await app.register(appLoginPlugin, { service: options.appLogin });
    appLoginRoutes(app, interactions, options.appLogin, db);
  }

  mandateRoutes(app, mandates.explicit, () => provider);

  return {
    ...service,
    clients,
    keys,
    authentications,
    exchange: createAuthenticationsService(authentications, options.logger),
    mandates,
    async reloadKeys() {
      provider = await build();
    },
  };
}

/** A random secret the service keeps in its storage, made once and shared by every instance. */
async function serviceSecret(db: Kysely<AuthTables>, name: string): Promise<string> {
  await db
    .insertInto("service_secrets")
    .values({ name, value: randomBytes(32).toString("base64url") })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("service_secrets").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return row.value;
}
