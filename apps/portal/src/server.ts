import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import fastifyCookie from "@fastify/cookie";
import { parseContainer } from "@riik/cdoc";
import { createHttpService, type HttpService, isValidPersonalCode, parsePersonalCode } from "@riik/core";
import { trustAnchorOf } from "@riik/xroad";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { FamilyBenefits } from "./benefits/family-benefits.ts";
import type { PortalConfig } from "./config/portal-config.ts";
import { AnchorVerifier, type TrustAnchorSource } from "./datatracker/anchoring.ts";
import { DataTracker } from "./datatracker/usage.ts";
import { EncryptionRecipients } from "./encryption/recipients.ts";
import { EResidencyApplications } from "./eresidency/applications.ts";
import { PORTAL_ERRORS, PortalError } from "./errors.ts";
import { FoundingSigning } from "./founding/founding.ts";
import { type HealthInsurance, type HealthRecord, MyHealth } from "./health/my-health.ts";
import {
  APPLICATION_PAGE,
  AUTH_ACT,
  AUTH_CALLBACK,
  AUTH_START,
  BACKCHANNEL_LOGOUT,
  BENEFIT_CONFIRMATION,
  COMPANY_PAGE,
  CONTAINER_VALIDATE,
  E_RESIDENCY_APPLY,
  E_RESIDENCY_KEYED,
  ENCRYPTED_MESSAGE,
  ENCRYPTION_RECIPIENTS,
  FOUNDER_FINISH,
  FOUNDER_PREPARE,
  FOUNDING_APPLICATION,
  HEALTH_CLOSURE,
  HEALTH_DECLARATION,
  HEALTH_MANDATE_END,
  HEALTH_REOPENING,
  HEALTH_REPRESENTATIVE,
  INBOX_ATTACHMENT,
  INBOX_FORWARDING,
  INBOX_LIST,
  INBOX_MESSAGE,
  INBOX_READ,
  LOGOUT,
  MAX_ENCRYPTED_MESSAGE_BASE64,
  NAME_CHECK,
  NO_INPUT,
  OPERATOR,
  PAGE,
  REGISTRATION,
  SIGN_FINISH,
  SIGN_PREPARE,
  SIGNED_CONTAINER,
  TAX_CONFIRMATION,
  TAX_LINE_CORRECTION,
  TAX_RETURN,
  USAGE_PROOF,
} from "./http/schemas.ts";
import { registerSecurityHeaders } from "./http/security-headers.ts";
import { StateInbox } from "./inbox/state-inbox.ts";
import { LoginRecord } from "./logins/login-record.ts";
import { LogoutTokens } from "./oidc/backchannel-logout.ts";
import { PendingLogins } from "./oidc/pending-logins.ts";
import { RelyingParty } from "./oidc/relying-party.ts";
import { OperatorView } from "./operator/overview.ts";
import { MyProperty, type PropertyResponse } from "./property/my-property.ts";
import { type Asker, BusinessRegisterClient } from "./registry/business.ts";
import { PopulationRegister } from "./registry/population.ts";
import { MemorySessionStore, type Session } from "./session/session-store.ts";
import { SigningService } from "./signing/signing-service.ts";
import { attachment } from "./signing/upload.ts";
import { openPortalStore, type PortalStore } from "./storage/portal-store.ts";
import { IncomeTaxReturns, latestOpenYear, type TaxReturnView } from "./tax/income-tax-return.ts";
import type {
  CompaniesResponse,
  CompanyResponse,
  EncryptedMessagesResponse,
  EncryptionRecipientsResponse,
  HealthPrescriptionsResponse,
  HealthReadsResponse,
  InboxForwarding,
  OffersResponse,
  PaymentsResponse,
  Representees,
  SessionInfo,
} from "./web/api-types.ts";
import { buildWebAssets, type WebAssets } from "./web/bundle.ts";
import { XRoadCalls } from "./xroad/calls.ts";

export interface PortalOptions {
  /** A session's login is extended at the authentication service (refresh) once older than this (default 300 s). */
  sessionRefreshSeconds?: number;
  logger?: Logger;
  /**
   * What Data Tracker proofs are verified against. By default the global configuration of the
   * state whose `stateFile` is configured (riik up's DATA/state.json, verified with
   * DATA/central/anchor.json); without either, no use shows anchored.
   */
  trustAnchor?: TrustAnchorSource;
  /** The PostgreSQL schema of the portal's store (tests isolate themselves this way). */
  storeSchema?: string;
}

export interface Portal extends HttpService {
  readonly config: PortalConfig;
  readonly sessions: MemorySessionStore;
  /** Present when the configuration has a `signing` section. */
  readonly signing: SigningService | undefined;
  /** Starts listening on config.host:config.port (or `port`); returns the URL. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

/** Where the provider sends the browser back (the registered redirect URI's path). */
export const CALLBACK_PATH = "/api/auth/callback";
/** Where the provider posts logout tokens (the registered backchannel_logout_uri's path). */
export const BACKCHANNEL_LOGOUT_PATH = "/api/auth/backchannel-logout";
/** Where the browser lands after RP-initiated logout (a registered post_logout_redirect_uri). */
export const POST_LOGOUT_PATH = "/?logout=done";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * The citizen portal: the web page and its API. The portal keeps no login code: it is an
 * OpenID Connect relying party of the state's authentication service (ID card or app there),
 * and its session rests on the provider's session (`sid`), ended by the provider's
 * back-channel logout. The person's data and its uses are read through the portal's own
 * security server, always as that person.
 */
export async function createPortal(config: PortalConfig, options: PortalOptions = {}): Promise<Portal> {
  const https = config.publicOrigin.startsWith("https:");
  // RFC 6265bis 4.1.3.2: a __Host- cookie is Secure, host-only and Path=/; only possible over https.
  const cookieName = https ? "__Host-riik-portal" : "riik-portal";
  const service = createHttpService({
    name: "portal",
    errors: PORTAL_ERRORS,
    bodyLimit: 64 * 1024,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { app, metrics } = service;
  const assets: WebAssets = await buildWebAssets();
  const relyingParty = new RelyingParty(config.auth, `${config.publicOrigin}${CALLBACK_PATH}`);
  const sessions = new MemorySessionStore({ idleMs: (config.sessionIdleSeconds ?? 900) * 1000 });
  const xroad = new XRoadCalls(config.securityServer);
  const register = new PopulationRegister(xroad, {
    client: config.portalClient,
    service: config.populationService,
    purpose: config.purpose ?? "citizen self-service",
  });
  const loginRecord = config.authenticationsService
    ? new LoginRecord(xroad, {
        client: config.portalClient,
        service: config.authenticationsService,
        purpose: config.purpose ?? "citizen self-service",
      })
    : undefined;
  const stateFile = config.stateFile;
  const trustAnchor =
    options.trustAnchor ??
    (stateFile ? () => trustAnchorOf({ data: dirname(stateFile) }, "Data Tracker proofs") : undefined);
  const anchors = new AnchorVerifier(trustAnchor);
  // Built at start; if the central server is not up yet, the first usage view tries again.
  if (trustAnchor)
    anchors
      .anchor()
      .catch((error: Error) => app.log.warn(`Data Tracker proofs cannot be verified yet: ${error.message}`));
  const tracker = new DataTracker(xroad, {
    client: config.dataTrackerClient,
    providers: config.dataTrackerProviders,
    periodDays: config.usagePeriodDays ?? 365,
    anchors,
  });
  const operator = new OperatorView({
    ...(config.stateFile ? { stateFile: config.stateFile } : {}),
    ...(config.securityServer.ca ? { ca: readFileSync(config.securityServer.ca) } : {}),
  });
  const signing = config.signing
    ? new SigningService({
        tsaUrl: config.signing.tsaUrl,
        ...(config.ocspUrl ? { ocspUrl: config.ocspUrl } : {}),
        level: config.signing.level,
        trustAnchorFiles: config.signing.trustAnchorFiles,
        trustedCaFiles: config.trustedCaFiles,
        maxUploadBytes: config.signing.maxUploadBytes,
      })
    : undefined;
  const business = config.businessRegister
    ? new BusinessRegisterClient(xroad, config.portalClient, config.businessRegister)
    : undefined;
  const founding = business && signing ? new FoundingSigning(signing, business) : undefined;
  // What must outlive a restart (the bounds on anonymous forms) is in the portal's own store.
  const store: PortalStore = await openPortalStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    ...(options.storeSchema ? { schema: options.storeSchema } : {}),
  });
  const eResidency = config.eResidency
    ? new EResidencyApplications(xroad, config.portalClient, config.eResidency, store)
    : undefined;
  const purpose = config.purpose ?? "citizen self-service";
  const inbox = config.inbox ? new StateInbox(xroad, config.portalClient, config.inbox, purpose) : undefined;
  const benefits = config.benefits
    ? new FamilyBenefits(xroad, config.portalClient, config.benefits, purpose)
    : undefined;
  const taxReturns = config.taxReturn
    ? new IncomeTaxReturns(xroad, config.portalClient, config.taxReturn, purpose)
    : undefined;
  const health = config.health ? new MyHealth(xroad, config.portalClient, config.health, purpose) : undefined;
  const property = config.property ? new MyProperty(xroad, config.portalClient, config.property, purpose) : undefined;
  const encryption = config.encryption ? new EncryptionRecipients(config.encryption, config.trustedCaFiles) : undefined;
  const signatures = new Counter({
    name: "riik_portal_signatures_total",
    help: "Signatures completed in the portal, by outcome (ok or the refusal code)",
    labelNames: ["outcome"],
    registers: [metrics],
  });
  const validations = new Counter({
    name: "riik_portal_container_validations_total",
    help: "Containers checked in the portal, by verdict",
    labelNames: ["verdict"],
    registers: [metrics],
  });
  const logins = new Counter({
    name: "riik_portal_logins_total",
    help: "Logins through the authentication service by outcome (ok or the refusal code)",
    labelNames: ["outcome"],
    registers: [metrics],
  });

  await registerSecurityHeaders(app, { https });
  await app.register(fastifyCookie);
  // RFC 6265 4.1: HttpOnly so scripts cannot read the session id, SameSite=Strict so no other
  // site's page can send it, Secure whenever the portal is https.
  const cookieOptions = { path: "/", httpOnly: true, sameSite: "strict", secure: https } as const;

  // Cross-site request forgery: the session cookie is SameSite=Strict, and every request
  // that changes state must also carry this portal's own Origin (Fetch Standard, `Origin`).
  // The back-channel logout endpoint is called by the provider, server to server, with no cookie.
  app.addHook("onRequest", async (request) => {
    if (SAFE_METHODS.has(request.method) || request.url === BACKCHANNEL_LOGOUT_PATH) return;
    const origin = request.headers.origin;
    const sameSite = origin === undefined && request.headers["sec-fetch-site"] === "same-origin";
    if (origin !== config.publicOrigin && !sameSite)
      throw new PortalError("PORTAL_CSRF", `a ${request.method} must come from ${config.publicOrigin}`);
  });

  for (const path of ["/", "/app.js", "/app.css"] as const) {
    app.get(path, { schema: path === "/" ? PAGE : NO_INPUT }, async (request, reply) => {
      const asset = assets[path];
      reply.header("etag", asset.etag).header("cache-control", "no-cache");
      if (request.headers["if-none-match"] === asset.etag) return reply.status(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });
  }
  app.get("/favicon.ico", { schema: NO_INPUT }, async (_request, reply) => reply.status(204).send());

  const sessionOf = (request: FastifyRequest): Session | undefined => sessions.get(request.cookies[cookieName]);
  const setCookie = (reply: FastifyReply, session: Session | undefined) =>
    reply.setCookie(cookieName, session?.id ?? "", { ...cookieOptions, ...(session ? {} : { maxAge: 0 }) });
  const endSession = (id: string | undefined) => {
    sessions.delete(id);
    signing?.store.drop(id);
  };

  // A session ends with its login at the authentication service (GovSSO's session update):
  // once sessionRefreshSeconds have passed, the refresh token is used; the provider refuses
  // it when its session ended or the person's card was suspended or revoked, and the portal's
  // session ends with it. A provider that cannot answer refuses the request (503) but keeps
  // the session, so the person can go on once it is back.
  const refreshMs = (options.sessionRefreshSeconds ?? 300) * 1000;
  // One refresh per session at a time: the page's parallel requests share it, since the
  // provider rotates the refresh token and treats a rotated one used again as theft.
  const refreshing = new WeakMap<Session, Promise<boolean>>();
  const extend = async (login: NonNullable<Session["login"]>): Promise<boolean> => {
    const answer = await relyingParty.refresh(login.refreshToken as string);
    if (answer.ended) return false;
    login.refreshToken = answer.refreshToken;
    login.refreshedAt = Date.now();
    return true;
  };
  app.addHook("preHandler", async (request) => {
    const session = sessionOf(request);
    const login = session?.login;
    if (!session || !login?.refreshToken || Date.now() - login.refreshedAt < refreshMs) return;
    let running = refreshing.get(session);
    if (!running) {
      running = extend(login).finally(() => refreshing.delete(session));
      refreshing.set(session, running);
    }
    if (await running) return;
    endSession(session.id);
    request.log.info({ event: "session-ended" }, "the login ended at the authentication service");
  });

  const personOf = (request: FastifyRequest) => {
    const person = sessionOf(request)?.person;
    if (!person) throw new PortalError("PORTAL_UNAUTHENTICATED", "log in first");
    return person;
  };

  app.get("/api/session", { schema: NO_INPUT }, async (request): Promise<SessionInfo> => {
    const session = sessionOf(request);
    const person = session?.person;
    const representees = session?.login?.representees;
    return {
      authenticated: person !== undefined,
      ...(person ? { person } : {}),
      ...(representees ? { representees } : {}),
      ...(session?.actingFor ? { actingFor: session.actingFor } : {}),
      purpose: config.purpose ?? "citizen self-service",
      operatorTokenRequired: config.operatorToken !== undefined,
      ...(loginRecord ? { loginRecord: true as const } : {}),
      ...(signing ? { signing: { maxUploadBytes: signing.maxUploadBytes } } : {}),
      ...(business ? { business: { stateFeeCents: business.stateFeeCents } } : {}),
      ...(eResidency ? { eResidency: true as const } : {}),
      ...(inbox ? { inbox: true as const } : {}),
      ...(benefits ? { benefits: true as const } : {}),
      ...(taxReturns ? { taxReturn: { year: latestOpenYear() } } : {}),
      ...(health ? { health: true as const } : {}),
      ...(property ? { property: true as const } : {}),
      ...(encryption ? { encryption: true as const } : {}),
    };
  });

  // The login is the authentication service's (OIDC Core 3.1.2.1): the browser goes there with
  // state, nonce and a PKCE S256 challenge kept here under a cookie of its own. SameSite=Lax,
  // since the browser comes back from the provider's site by a top-level redirect.
  const pending = new PendingLogins({ ttlMs: 10 * 60 * 1000 });
  const loginCookie = `${cookieName}-login`;
  const loginCookieOptions = { ...cookieOptions, sameSite: "lax", maxAge: 600 } as const;
  const backToPage = (reply: FastifyReply, query: string) => reply.redirect(`/?${query}#/login`, 303);
  app.get("/api/auth/start", { schema: AUTH_START }, async (request, reply) => {
    const { url, request: started } = await relyingParty.authorizationUrl(request.query.lang);
    reply.setCookie(loginCookie, pending.put(started), loginCookieOptions);
    return reply.header("cache-control", "no-store").redirect(url.toString(), 303);
  });

  // Acting for someone (GovSSO Representee 4.2): a new authorization request with scope
  // `representee.<sub>` (the provider's single sign-on asks no card again); the provider says
  // whether the right holds. `for=self` acts for the person again.
  app.get("/api/auth/act", { schema: AUTH_ACT }, async (request, reply) => {
    personOf(request);
    // A person or a company (a board member for it, the business register's right): the
    // provider's mandates service decides; the portal shows a company's pages while acting for it.
    const target = request.query.for === "self" ? undefined : request.query.for;
    const { url, request: started } = await relyingParty.authorizationUrl(request.query.lang, target);
    reply.setCookie(loginCookie, pending.put(started), loginCookieOptions);
    return reply.header("cache-control", "no-store").redirect(url.toString(), 303);
  });

  app.get(CALLBACK_PATH, { schema: AUTH_CALLBACK }, async (request, reply) => {
    reply.header("cache-control", "no-store").setCookie(loginCookie, "", { ...loginCookieOptions, maxAge: 0 });
    const started = pending.take(request.cookies[loginCookie]);
    if (!started) {
      logins.inc({ outcome: "PORTAL_LOGIN_EXPIRED" });
      return backToPage(reply, "login=PORTAL_LOGIN_EXPIRED");
    }
    try {
      const login = await relyingParty.callback(new URL(request.url, config.publicOrigin), started);
      // Asked to act for someone: only when the provider says the right holds for that party.
      const chosen = login.representee;
      if (
        started.representee &&
        (chosen?.status !== "REQUESTED_REPRESENTEE_CURRENT" || chosen.sub !== started.representee)
      )
        throw new PortalError("PORTAL_LOGIN_REFUSED", chosen?.status ?? "REQUESTED_REPRESENTEE_NOT_ALLOWED");
      // A new session id at login, so an id planted before login is worth nothing (session fixation).
      endSession(sessionOf(request)?.id);
      const fresh = sessions.create({
        person: { personalCode: login.personalCode, givenName: login.givenName, surname: login.surname },
        ...(started.representee && chosen?.sub
          ? {
              actingFor: {
                sub: chosen.sub,
                personalCode: chosen.sub.slice(2),
                name: chosen.name ?? "",
                type: representeeType(chosen.sub, chosen.type, login.representees),
              },
            }
          : {}),
        login: {
          sid: login.sid,
          idToken: login.idToken,
          acr: login.acr,
          amr: login.amr,
          ...(login.refreshToken ? { refreshToken: login.refreshToken } : {}),
          ...(login.representees ? { representees: login.representees } : {}),
          refreshedAt: Date.now(),
        },
      });
      setCookie(reply, fresh);
      logins.inc({ outcome: "ok" });
      request.log.info({ event: "login", personalCode: login.personalCode, acr: login.acr, amr: login.amr }, "login");
      const acting = fresh.actingFor?.type === "LEGAL_PERSON" ? fresh.actingFor.personalCode : undefined;
      return reply.redirect(acting ? `/?from=login#/company/${acting}` : "/?from=login#/data", 303);
    } catch (error) {
      if (!(error instanceof PortalError) || error.code === "PORTAL_AUTH_UNAVAILABLE") throw error;
      const outcome = error.code === "PORTAL_LOGIN_REFUSED" ? error.message : error.code;
      logins.inc({ outcome });
      request.log.info({ event: "login-refused", code: outcome, err: error.cause }, "login refused");
      return backToPage(reply, `login=${encodeURIComponent(outcome)}`);
    }
  });

  // Ends the portal's session and answers where the browser goes for RP-initiated logout, so
  // the authentication service's session ends too ("log out everywhere"); the provider then
  // sends every relying party of that session a back-channel logout.
  app.post("/api/logout", { schema: LOGOUT }, async (request, reply) => {
    const session = sessionOf(request);
    endSession(session?.id);
    setCookie(reply, undefined);
    const logoutUrl = session?.login
      ? await relyingParty.endSessionUrl(session.login.idToken, `${config.publicOrigin}${POST_LOGOUT_PATH}`)
      : undefined;
    return { ok: true, ...(logoutUrl ? { logoutUrl } : {}) };
  });

  // OpenID Connect Back-Channel Logout 1.0, 2.5-2.8: the provider posts a logout token; every
  // portal session of its sid ends. 200 when done, 400 for a token that does not validate.
  let logoutTokens: LogoutTokens | undefined;
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.post(BACKCHANNEL_LOGOUT_PATH, { schema: BACKCHANNEL_LOGOUT }, async (request, reply) => {
    reply.header("cache-control", "no-store");
    if (!logoutTokens) {
      const metadata = (await relyingParty.configuration()).serverMetadata();
      if (!metadata.jwks_uri) throw new PortalError("PORTAL_AUTH_UNAVAILABLE", "the provider publishes no jwks_uri");
      logoutTokens = new LogoutTokens({
        issuer: metadata.issuer,
        jwksUri: metadata.jwks_uri,
        clientId: config.auth.clientId,
      });
    }
    const { sid } = await logoutTokens.validate(request.body.logout_token);
    const ended = sessions.endLogin(sid);
    for (const id of ended) signing?.store.drop(id);
    request.log.info({ event: "backchannel-logout", sessions: ended.length }, "back-channel logout");
    return reply.status(200).send();
  });

  // "My data" of the person, or of whom they act for (the reads then name both: UserId and Represented-Party).
  // While acting for a company the board member's own pages are not shown: the company's are.
  const subjectOf = (request: FastifyRequest) => {
    const person = personOf(request);
    const acting = sessionOf(request)?.actingFor;
    if (acting?.type === "LEGAL_PERSON")
      throw new PortalError(
        "PORTAL_ACTING_FOR_COMPANY",
        `you are acting for the company ${acting.personalCode}; act for yourself to see your own pages`,
      );
    return { code: acting?.personalCode ?? person.personalCode, actor: person.personalCode };
  };
  app.get("/api/me", { schema: NO_INPUT }, async (request) => {
    const { code, actor } = subjectOf(request);
    return register.person(code, actor);
  });
  app.get("/api/me/family", { schema: NO_INPUT }, async (request) => {
    const { code, actor } = subjectOf(request);
    return register.family(code, actor);
  });
  app.get("/api/me/address", { schema: NO_INPUT }, async (request) => {
    const { code, actor } = subjectOf(request);
    return register.address(code, actor);
  });
  app.get("/api/me/logins", { schema: NO_INPUT }, async (request) => {
    if (!loginRecord)
      throw new PortalError(
        "PORTAL_NOT_FOUND",
        "this portal is not configured with the authentication service's login record",
      );
    const { code, actor } = subjectOf(request);
    return loginRecord.of(code, actor);
  });
  app.get("/api/me/usage", { schema: NO_INPUT }, async (request) => {
    const { code, actor } = subjectOf(request);
    return tracker.findUsage(code, { actor });
  });
  app.get("/api/me/usage/proof", { schema: USAGE_PROOF }, async (request, reply) => {
    const { code, actor } = subjectOf(request);
    const { provider, id } = request.query;
    const proof = await tracker.proof(code, provider, id, actor);
    reply.header("content-disposition", `attachment; filename="usage-proof-${id}.json"`);
    return proof;
  });

  // Signing (ASiC-E with XAdES B-LT): prepare on the server, sign in the browser with the card's
  // signing key (PIN2), finish on the server. The state of each step stays in the session.
  const signer = (request: FastifyRequest) => {
    if (!signing) throw new PortalError("PORTAL_SIGNING_UNCONFIGURED", "signing is not configured in this portal");
    const session = sessionOf(request);
    if (!session?.person) throw new PortalError("PORTAL_UNAUTHENTICATED", "log in first");
    return { signing, session, person: session.person };
  };
  // base64 in JSON: a third larger than the files, plus room for names and the certificate.
  const jsonUploadLimit = config.signing ? Math.ceil((config.signing.maxUploadBytes * 4) / 3) + 256 * 1024 : 0;
  app.post(
    "/api/sign/prepare",
    { schema: SIGN_PREPARE, bodyLimit: Math.max(jsonUploadLimit, 64 * 1024) },
    async (request) => {
      const { signing, session, person } = signer(request);
      return signing.prepare(session.id, person, request.body);
    },
  );
  app.post("/api/sign/finish", { schema: SIGN_FINISH }, async (request) => {
    const { signing, session, person } = signer(request);
    try {
      const result = await signing.finish(session.id, person, request.body);
      signatures.inc({ outcome: "ok" });
      request.log.info(
        { event: "signed", personalCode: person.personalCode, container: result.download.name },
        "signed",
      );
      return result;
    } catch (error) {
      signatures.inc({ outcome: (error as { code?: string }).code ?? "error" });
      throw error;
    }
  });
  app.get("/api/sign/containers/:id", { schema: SIGNED_CONTAINER }, async (request, reply) => {
    const { signing, session } = signer(request);
    const { name, bytes } = signing.download(session.id, request.params.id);
    return reply
      .header("content-disposition", attachment(name))
      .type("application/vnd.etsi.asic-e+zip")
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  // A container to check comes as the request body itself (the browser posts the File).
  app.addContentTypeParser(
    ["application/vnd.etsi.asic-e+zip", "application/octet-stream", "application/zip"],
    { parseAs: "buffer", bodyLimit: config.signing?.maxUploadBytes ?? 64 * 1024 },
    (_request, body, done) => done(null, body),
  );
  app.post(
    "/api/containers/validate",
    { schema: CONTAINER_VALIDATE, bodyLimit: config.signing?.maxUploadBytes ?? 64 * 1024 },
    async (request) => {
      const { signing } = signer(request);
      if (!Buffer.isBuffer(request.body))
        throw new PortalError("PORTAL_INPUT", "post the container as application/vnd.etsi.asic-e+zip", {
          details: { fields: ["$"] },
        });
      const report = await signing.validate(new Uint8Array(request.body));
      validations.inc({ verdict: report.verdict });
      return report;
    },
  );

  // ---- the e-Business Register (issue #14): my companies, a company's page, founding an OÜ.
  // Every read is made as the logged-in person (X-Road-UserId); acting for a company, the
  // company is the represented party, and only its page and its applications are shown.
  const businessOf = (request: FastifyRequest) => {
    if (!business)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not reach the e-Business Register", {
        details: { service: "business-register" },
      });
    const person = personOf(request);
    const acting = sessionOf(request)?.actingFor;
    const company = acting?.type === "LEGAL_PERSON" ? acting.personalCode : undefined;
    if (acting && !company)
      throw new PortalError("PORTAL_INPUT", "act for yourself (or for a company) to see companies", {
        details: { fields: ["actingFor"] },
      });
    const asker: Asker = { personalCode: person.personalCode, ...(company ? { company } : {}) };
    return { business, person, company, asker };
  };
  /** The person's own pages of founding: not while acting for someone else. */
  const founder = (request: FastifyRequest) => {
    const context = businessOf(request);
    if (context.company)
      throw new PortalError(
        "PORTAL_ACTING_FOR_COMPANY",
        "founding is done by persons: act for yourself to found a company or sign an application",
      );
    return context;
  };
  app.get("/api/companies", { schema: NO_INPUT }, async (request): Promise<CompaniesResponse> => {
    const { business, asker, company } = businessOf(request);
    const companies = await business.companiesOf({ personalCode: asker.personalCode });
    // Acting for a company: that company only.
    return { companies: company ? companies.filter((c) => c.registryCode === company) : companies };
  });
  app.get("/api/companies/:code", { schema: COMPANY_PAGE }, async (request): Promise<CompanyResponse> => {
    const { business, person, company, asker } = businessOf(request);
    const { code } = request.params;
    if (company && company !== code)
      throw new PortalError("PORTAL_COMPANY_FORBIDDEN", `you are acting for ${company}, not for ${code}`);
    const card = await business.company(code, asker);
    // A company page for the persons on its registry card, or for whom acts for the company.
    if (!company && !card.persons.some((p) => p.personalCode === person.personalCode))
      throw new PortalError("PORTAL_COMPANY_FORBIDDEN", `the registry card of ${code} does not name you`);
    return card;
  });
  app.get("/api/founding/name-check", { schema: NAME_CHECK }, async (request) => {
    const { business, asker } = founder(request);
    return business.nameCheck(request.query.name, asker);
  });
  app.get("/api/founding/applications", { schema: NO_INPUT }, async (request) => {
    const { business, asker } = founder(request);
    return { applications: await business.applicationsOf(asker) };
  });
  app.post("/api/founding/applications", { schema: FOUNDING_APPLICATION }, async (request, reply) => {
    const { business, person, asker } = founder(request);
    // The one who files it is one of its founders; the others sign it in their own sessions.
    if (!request.body.founders.some((f) => f.personalCode === person.personalCode))
      throw new PortalError("PORTAL_INPUT", "you must be one of the founders of the company you found", {
        details: { fields: ["founders"] },
      });
    const created = await business.createApplication(request.body, asker);
    request.log.info({ event: "founding-application", id: created.id }, "founding application filed");
    return reply.status(201).send(created);
  });
  app.get("/api/founding/applications/:id", { schema: APPLICATION_PAGE }, async (request) => {
    const { business, person, asker } = founder(request);
    const application = await business.application(request.params.id, asker);
    const { founders, board } = application.application;
    if (![...founders, ...board].some((p) => p.personalCode === person.personalCode))
      throw new PortalError("PORTAL_NOT_FOUND", "no such application of yours");
    return application;
  });
  const founderSigning = (request: FastifyRequest) => {
    const context = founder(request);
    if (!founding) throw new PortalError("PORTAL_SIGNING_UNCONFIGURED", "signing is not configured in this portal");
    const session = sessionOf(request) as Session;
    return { ...context, founding, session };
  };
  app.post("/api/founding/applications/:id/prepare", { schema: FOUNDER_PREPARE }, async (request) => {
    const { founding, session, person } = founderSigning(request);
    return founding.prepare(session.id, person, request.params.id, request.body.certificate);
  });
  app.post("/api/founding/applications/:id/finish", { schema: FOUNDER_FINISH }, async (request) => {
    const { founding, session, person } = founderSigning(request);
    try {
      const signed = await founding.finish(session.id, person, request.body);
      if (signed.applicationId !== request.params.id)
        throw new PortalError("PORTAL_SIGNATURE_UNKNOWN", "that signature was prepared for another application");
      signatures.inc({ outcome: "ok" });
      request.log.info({ event: "founder-signed", id: signed.applicationId }, "founder signed");
      return signed;
    } catch (error) {
      signatures.inc({ outcome: (error as { code?: string }).code ?? "error" });
      throw error;
    }
  });
  app.post("/api/founding/applications/:id/registration", { schema: REGISTRATION }, async (request, reply) => {
    const { founding, person } = founderSigning(request);
    const registered = await founding.register(person, request.params.id);
    request.log.info({ event: "company-registered", registryCode: registered.registryCode }, "company registered");
    return reply.status(201).send(registered);
  });

  // ---- e-Residency (issue #14): applying needs no login; the number and the access key (in
  // the body, never in a URL) follow the application.
  const eResidencyOf = () => {
    if (!eResidency)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not take e-Residency applications", {
        details: { service: "e-residency" },
      });
    return eResidency;
  };
  app.get("/api/e-residency/pickup-locations", { schema: NO_INPUT }, async () => ({
    locations: await eResidencyOf().pickupLocations(),
  }));
  app.post(
    "/api/e-residency/applications",
    { schema: E_RESIDENCY_APPLY, bodyLimit: 3 * 1024 * 1024 },
    async (request, reply) => {
      const created = await eResidencyOf().apply(request.body, request.socket.remoteAddress ?? "");
      request.log.info({ event: "e-residency-application", number: created.number }, "e-Residency application");
      return reply.status(201).send(created);
    },
  );
  app.post("/api/e-residency/applications/:number/payment", { schema: E_RESIDENCY_KEYED }, async (request) =>
    eResidencyOf().pay(request.params.number, request.body.accessKey),
  );
  app.post("/api/e-residency/applications/:number/status", { schema: E_RESIDENCY_KEYED }, async (request) =>
    eResidencyOf().status(request.params.number, request.body.accessKey),
  );

  // ---- the state inbox and the family benefits (issue #13): read and confirmed as the person
  // logged in (X-Road-UserId), never for a code the browser names; the providers check again.
  const inboxOf = (request: FastifyRequest) => {
    if (!inbox)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not read the state inbox", {
        details: { service: "inbox" },
      });
    return { inbox, ...subjectOf(request) };
  };
  app.get("/api/inbox/messages", { schema: INBOX_LIST }, async (request) => {
    const { inbox, code, actor } = inboxOf(request);
    return inbox.list(code, actor, request.query.before);
  });
  app.get("/api/inbox/messages/:id", { schema: INBOX_MESSAGE }, async (request) => {
    const { inbox, code, actor } = inboxOf(request);
    return inbox.message(code, actor, request.params.id);
  });
  app.post("/api/inbox/messages/:id/read", { schema: INBOX_READ }, async (request) => {
    const { inbox, code, actor } = inboxOf(request);
    return inbox.markRead(code, actor, request.params.id);
  });
  // Notices of new messages by e-mail (eesti.ee's forwarding), through the inbox's real SMTP.
  app.get("/api/inbox/forwarding", { schema: NO_INPUT }, async (request): Promise<InboxForwarding> => {
    const { inbox, code, actor } = inboxOf(request);
    return { email: await inbox.forwarding(code, actor) };
  });
  app.put("/api/inbox/forwarding", { schema: INBOX_FORWARDING }, async (request): Promise<InboxForwarding> => {
    const { inbox, code, actor } = inboxOf(request);
    const email = await inbox.setForwarding(code, actor, request.body.email);
    request.log.info({ event: "inbox-forwarding", set: email !== null }, "inbox forwarding changed");
    return { email };
  });
  // An attachment's bytes, always as a download: what an agency or a person sent is never shown
  // as a page of the portal's origin (a CDOC2 container is opened by the page itself).
  app.get("/api/inbox/messages/:id/attachments/:index", { schema: INBOX_ATTACHMENT }, async (request, reply) => {
    const { inbox, code, actor } = inboxOf(request);
    const found = await inbox.attachment(code, actor, request.params.id, Number(request.params.index));
    reply.header("content-type", "application/octet-stream").header("content-disposition", attachment(found.name));
    return found.content;
  });
  // A parent's own: while acting for a child or a company there are no benefits to confirm.
  const parentOf = (request: FastifyRequest) => {
    if (!benefits)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not reach the Social Insurance Board", {
        details: { service: "benefits" },
      });
    const person = personOf(request);
    if (sessionOf(request)?.actingFor)
      throw new PortalError("PORTAL_ACTING_FOR_SOMEONE", "the family benefits are the parent's own: act for yourself");
    return { benefits, code: person.personalCode };
  };
  app.get("/api/benefits/offers", { schema: NO_INPUT }, async (request): Promise<OffersResponse> => {
    const { benefits, code } = parentOf(request);
    return { offers: await benefits.offers(code) };
  });
  app.post("/api/benefits/offers/:id/confirmation", { schema: BENEFIT_CONFIRMATION }, async (request) => {
    const { benefits, code } = parentOf(request);
    const confirmed = await benefits.confirm(code, request.params.id, request.body);
    request.log.info({ event: "benefit-offer-confirmed", offer: confirmed.id }, "benefit offer confirmed");
    return confirmed;
  });
  app.get("/api/benefits/payments", { schema: NO_INPUT }, async (request): Promise<PaymentsResponse> => {
    const { benefits, code } = parentOf(request);
    const payments = await benefits.payments(code);
    return { payments: payments.sort((a, b) => b.month.localeCompare(a.month)) };
  });

  // ---- the pre-filled income tax return (issue #13): the person's own, never while acting for
  // someone; the Board shows and confirms it for X-Road-UserId only and checks that again.
  const taxpayerOf = (request: FastifyRequest) => {
    if (!taxReturns)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not reach the Tax and Customs Board", {
        details: { service: "tax-return" },
      });
    const person = personOf(request);
    if (sessionOf(request)?.actingFor)
      throw new PortalError("PORTAL_ACTING_FOR_SOMEONE", "the income tax return is the person's own: act for yourself");
    return { taxReturns, code: person.personalCode };
  };
  app.get("/api/tax-return/:year", { schema: TAX_RETURN }, async (request): Promise<TaxReturnView> => {
    const { taxReturns, code } = taxpayerOf(request);
    return taxReturns.get(code, Number(request.params.year));
  });
  app.put("/api/tax-return/:year/lines/:line", { schema: TAX_LINE_CORRECTION }, async (request) => {
    const { taxReturns, code } = taxpayerOf(request);
    const year = Number(request.params.year);
    const corrected = await taxReturns.correct(code, year, request.params.line, request.body.amountCents);
    request.log.info({ event: "tax-return-corrected", year, line: request.params.line }, "tax return line corrected");
    return corrected;
  });
  app.post("/api/tax-return/:year/confirmation", { schema: TAX_CONFIRMATION }, async (request) => {
    const { taxReturns, code } = taxpayerOf(request);
    const year = Number(request.params.year);
    const confirmed = await taxReturns.confirm(code, year, request.body.iban);
    request.log.info({ event: "tax-return-confirmed", year }, "tax return confirmed");
    return confirmed;
  });

  /**
   * The personal code for a page of the person's own (health, property): never while acting for
   * someone, and only when the portal reaches the service (SERVICE names it in the refusal).
   */
  const ownCodeOf = (request: FastifyRequest, reaches: boolean, service: string, what: string) => {
    if (!reaches)
      throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", `this portal does not reach ${what}`, {
        details: { service },
      });
    const person = personOf(request);
    if (sessionOf(request)?.actingFor)
      throw new PortalError("PORTAL_ACTING_FOR_SOMEONE", `your ${service} data is your own: act for yourself`);
    return person.personalCode;
  };

  // ---- "My health" (issue #16): the patient's own; the health system answers X-Road-UserId's own data only.
  const patientOf = (request: FastifyRequest) => ({
    health: health!,
    code: ownCodeOf(request, health !== undefined, "health", "the health information system"),
  });
  /** The patient for a write (closure, declaration, mandate): bounded per person, in the portal's store. */
  const writingPatientOf = async (request: FastifyRequest) => {
    const patient = patientOf(request);
    const bound = { name: "health-write", max: config.health!.writesPerPersonPerHour, windowMs: 3600_000 };
    await store.count(bound, patient.code, Date.now(), "person");
    return patient;
  };
  app.get("/api/health/record", { schema: NO_INPUT }, async (request): Promise<HealthRecord> => {
    const { health, code } = patientOf(request);
    return health.record(code);
  });
  app.get("/api/health/prescriptions", { schema: NO_INPUT }, async (request): Promise<HealthPrescriptionsResponse> => {
    const { health, code } = patientOf(request);
    return { prescriptions: await health.prescriptions(code) };
  });
  app.get("/api/health/insurance", { schema: NO_INPUT }, async (request): Promise<HealthInsurance> => {
    const { health, code } = patientOf(request);
    return health.insurance(code);
  });
  app.get("/api/health/reads", { schema: NO_INPUT }, async (request): Promise<HealthReadsResponse> => {
    const { health, code } = patientOf(request);
    return { reads: await health.reads(code) };
  });
  app.post("/api/health/closures", { schema: HEALTH_CLOSURE }, async (request): Promise<HealthRecord> => {
    const { health, code } = await writingPatientOf(request);
    const closed = await health.close(code, request.body.document);
    request.log.info({ event: "health-closed", whole: request.body.document === undefined }, "health data closed");
    return closed;
  });
  app.post("/api/health/closures/:id/reopening", { schema: HEALTH_REOPENING }, async (request) => {
    const { health, code } = await writingPatientOf(request);
    const reopened = await health.reopen(code, request.params.id);
    request.log.info({ event: "health-reopened" }, "health data reopened");
    return reopened;
  });
  app.put("/api/health/declarations/:kind", { schema: HEALTH_DECLARATION }, async (request) => {
    const { health, code } = await writingPatientOf(request);
    const declared = await health.declare(code, request.params.kind, request.body.choice);
    request.log.info({ event: "health-declared", kind: request.params.kind }, "declaration of intent changed");
    return declared;
  });
  app.post("/api/health/representatives", { schema: HEALTH_REPRESENTATIVE }, async (request) => {
    const { health, code } = await writingPatientOf(request);
    const { personalCode, until } = request.body;
    if (!isValidPersonalCode(personalCode))
      throw new PortalError("PORTAL_INPUT", "that is not a valid personal code", {
        details: { field: "personalCode" },
      });
    const appointed = await health.appoint(code, personalCode, until);
    request.log.info({ event: "health-representative-appointed" }, "health representative appointed");
    return appointed;
  });
  app.post("/api/health/representatives/:id/end", { schema: HEALTH_MANDATE_END }, async (request) => {
    const { health, code } = await writingPatientOf(request);
    const ended = await health.endMandate(code, request.params.id);
    request.log.info({ event: "health-representative-ended" }, "health representative's mandate ended");
    return ended;
  });

  // ---- "My property" (issue #15): the person's register parts, vehicles and driving licence.
  app.get("/api/property", { schema: NO_INPUT }, async (request): Promise<PropertyResponse> => {
    const code = ownCodeOf(request, property !== undefined, "property", "the land and vehicle registers");
    return property!.of(code);
  });

  // ---- Encrypted documents (issue #20): the page encrypts and decrypts itself; the portal only
  // finds the recipients' ID card keys in the certificate directory, for a logged-in person.
  app.get(
    "/api/encryption/recipients",
    { schema: ENCRYPTION_RECIPIENTS },
    async (request): Promise<EncryptionRecipientsResponse> => {
      const person = personOf(request);
      if (!encryption)
        throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not reach the certificate directory", {
          details: { service: "encryption" },
        });
      let code: string;
      try {
        code = parsePersonalCode(request.query.code).code;
      } catch (cause) {
        throw new PortalError("PORTAL_INPUT", `${request.query.code} is not a valid personal code`, {
          cause,
          details: { fields: ["code"] },
        });
      }
      // One person cannot walk the directory through the portal, across restarts too.
      const bound = { name: "encryption-lookup", max: encryption.config.lookupsPerPersonPerHour, windowMs: 3600_000 };
      await store.count(bound, person.personalCode, Date.now(), "person");
      return encryption.lookup(code);
    },
  );
  // The container, already encrypted in the page, to each recipient's state inbox as a message
  // from the person logged in (the inbox records them as its sender); never while acting for
  // someone else, since the message would carry the wrong name.
  app.post(
    "/api/encryption/messages",
    { schema: ENCRYPTED_MESSAGE, bodyLimit: MAX_ENCRYPTED_MESSAGE_BASE64 + 64 * 1024 },
    async (request): Promise<EncryptedMessagesResponse> => {
      const person = personOf(request);
      if (!inbox || !encryption)
        throw new PortalError("PORTAL_SERVICE_UNCONFIGURED", "this portal does not send encrypted documents", {
          details: { service: encryption ? "inbox" : "encryption" },
        });
      if (sessionOf(request)?.actingFor)
        throw new PortalError("PORTAL_ACTING_FOR_SOMEONE", "a message is sent in your own name: act for yourself");
      const { recipients, subject, body, container, idempotencyKey } = request.body;
      const bytes = Buffer.from(container.data, "base64");
      try {
        if (bytes.toString("base64") !== container.data) throw new Error("not canonical base64");
        parseContainer(bytes);
      } catch (cause) {
        throw new PortalError("PORTAL_INPUT", "container.data must be a CDOC2 container, base64", {
          cause,
          details: { fields: ["container"] },
        });
      }
      // No one fills other people's inboxes: sends per person and hour, across restarts too.
      const bound = { name: "encrypted-message", max: encryption.config.sendsPerPersonPerHour, windowMs: 3600_000 };
      await store.count(bound, person.personalCode, Date.now(), "person");
      const messages: EncryptedMessagesResponse["messages"] = [];
      for (const recipient of recipients) {
        const attachments = [{ name: container.name, mediaType: "application/x-cdoc2", content: container.data }];
        const key = `${idempotencyKey}-${recipient}`;
        const sent = await inbox.send(person.personalCode, {
          recipient,
          subject,
          body,
          attachments,
          idempotencyKey: key,
        });
        messages.push({ recipient, id: sent.id });
      }
      request.log.info({ event: "encrypted-message-sent", recipients: recipients.length }, "encrypted container sent");
      return { messages };
    },
  );

  // The operator view: with an operator token configured, the token is required (Bearer,
  // RFC 6750); without one, only clients on this machine are answered.
  const tokenHash = config.operatorToken ? createHash("sha256").update(config.operatorToken).digest() : undefined;
  app.get("/api/operator/overview", { schema: OPERATOR }, async (request) => {
    if (tokenHash) {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
      if (!timingSafeEqual(createHash("sha256").update(presented).digest(), tokenHash))
        throw new PortalError("PORTAL_OPERATOR_FORBIDDEN", "the operator view needs the operator token (Bearer)");
    } else if (!LOOPBACK.has(request.socket.remoteAddress ?? "")) {
      throw new PortalError(
        "PORTAL_OPERATOR_FORBIDDEN",
        "without an operator token the operator view answers loopback clients only",
      );
    }
    return operator.overview();
  });

  let closed = false;
  return {
    ...service,
    config,
    sessions,
    signing,
    async listen(port = config.port) {
      await app.listen({ port, host: config.host });
      const address = app.server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return `http://${host}:${bound}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await xroad.close();
      await operator.close();
      await store.close();
    },
  };
}

/**
 * Whether the party acted for is a person or a company: the `representee` claim's type when
 * the provider sends it, else the login's list, else by the code (a registry code has 8 digits).
 */
function representeeType(
  sub: string,
  claimed: "NATURAL_PERSON" | "LEGAL_PERSON" | undefined,
  listed: Representees | undefined,
): "NATURAL_PERSON" | "LEGAL_PERSON" {
  if (claimed) return claimed;
  const entry = listed?.status === "current" ? listed.list.find((r) => r.sub === sub) : undefined;
  if (entry) return entry.type;
  return /^[A-Z]{2}[0-9]{8}$/.test(sub) ? "LEGAL_PERSON" : "NATURAL_PERSON";
}
