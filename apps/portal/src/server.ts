import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import fastifyCookie from "@fastify/cookie";
import { createHttpService, type HttpService } from "@riik/core";
import {
  AuthTokenValidator,
  checkOcsp,
  MemoryNonceStore,
  type NonceStore,
  ocspUrlOf,
  readCertificate,
  WebEidError,
} from "@riik/pki";
import { trustAnchorOf } from "@riik/xroad";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import type { PortalConfig } from "./config/portal-config.ts";
import { AnchorVerifier, type TrustAnchorSource } from "./datatracker/anchoring.ts";
import { DataTracker } from "./datatracker/usage.ts";
import { PORTAL_ERRORS, PortalError } from "./errors.ts";
import {
  CONTAINER_VALIDATE,
  LOGIN,
  LOGOUT,
  NO_INPUT,
  OPERATOR,
  PAGE,
  SIGN_FINISH,
  SIGN_PREPARE,
  SIGNED_CONTAINER,
  USAGE_PROOF,
} from "./http/schemas.ts";
import { registerSecurityHeaders } from "./http/security-headers.ts";
import { OperatorView } from "./operator/overview.ts";
import { PopulationRegister } from "./registry/population.ts";
import { ChallengeStore } from "./session/challenge-store.ts";
import { MemorySessionStore, type Session } from "./session/session-store.ts";
import { SigningService } from "./signing/signing-service.ts";
import { attachment } from "./signing/upload.ts";
import type { SessionInfo } from "./web/api-types.ts";
import { buildWebAssets, type WebAssets } from "./web/bundle.ts";
import { XRoadCalls } from "./xroad/calls.ts";

export interface PortalOptions {
  /** Where challenge nonces are kept; a MemoryNonceStore (5-minute lifetime) by default. */
  nonces?: NonceStore;
  /** A session's card status (OCSP) is asked again on use once older than this (default 300 s). */
  sessionStatusSeconds?: number;
  logger?: Logger;
  /**
   * What Data Tracker proofs are verified against. By default the global configuration of the
   * state whose `stateFile` is configured (riik up's DATA/state.json, verified with
   * DATA/central/anchor.json); without either, no use shows anchored.
   */
  trustAnchor?: TrustAnchorSource;
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

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * The citizen portal: the web page and its API. Login is Web eID (a token made in the
 * browser for a nonce this server issued into the browser's session, validated with chain,
 * OCSP, nonce and origin checks); the person's data and its uses are read through the
 * portal's own security server, always as that person.
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
  const nonces = options.nonces ?? new MemoryNonceStore();
  const validator = new AuthTokenValidator({
    trustedCas: config.trustedCaFiles.map((file) => readCertificate(file)),
    allowedOrigin: config.publicOrigin,
    nonces,
    ocsp: config.ocsp ?? "required",
    ...(config.ocspUrl ? { ocspUrl: config.ocspUrl } : {}),
  });
  const sessions = new MemorySessionStore({ idleMs: (config.sessionIdleSeconds ?? 900) * 1000 });
  const xroad = new XRoadCalls(config.securityServer);
  const register = new PopulationRegister(xroad, {
    client: config.portalClient,
    service: config.populationService,
    purpose: config.purpose ?? "citizen self-service",
  });
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
    help: "Web eID logins by outcome (ok or the refusal code)",
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
  app.addHook("onRequest", async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
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

  // Longer than the nonce's own lifetime, so a late login is told WEBEID_NONCE_EXPIRED.
  const challenges = new ChallengeStore({ ttlMs: 10 * 60 * 1000 });
  const challengeCookie = `${cookieName}-challenge`;
  const sessionOf = (request: FastifyRequest): Session | undefined => sessions.get(request.cookies[cookieName]);
  const setCookie = (reply: FastifyReply, session: Session | undefined) =>
    reply.setCookie(cookieName, session?.id ?? "", { ...cookieOptions, ...(session ? {} : { maxAge: 0 }) });
  // A session ends when its card is suspended or revoked (#10): the authentication
  // certificate's OCSP status (RFC 6960) is asked again on use once the last answer is older
  // than sessionStatusSeconds. A responder that cannot answer refuses the request (503) but
  // keeps the session, so the person can go on once it is back.
  const recheckMs = (options.sessionStatusSeconds ?? 300) * 1000;
  app.addHook("preHandler", async (request) => {
    const id = request.cookies[cookieName];
    const card = sessions.get(id)?.card;
    if (!card || config.ocsp === "off" || Date.now() - card.statusCheckedAt < recheckMs) return;
    const url = config.ocspUrl ?? ocspUrlOf(card.certificate);
    let answer: Awaited<ReturnType<typeof checkOcsp>>;
    try {
      if (!url) throw new Error("the certificate names no OCSP responder");
      answer = await checkOcsp(card.certificate, card.issuer, url);
    } catch (cause) {
      throw new PortalError("PORTAL_UNAVAILABLE", "the card's status cannot be checked now; try again shortly", {
        cause,
      });
    }
    if (answer.status.status === "good") {
      card.statusCheckedAt = Date.now();
      return;
    }
    sessions.delete(id);
    signing?.store.drop(id);
    request.log.info({ event: "session-ended", status: answer.status.status }, "card no longer good");
  });

  const personOf = (request: FastifyRequest) => {
    const person = sessionOf(request)?.person;
    if (!person) throw new PortalError("PORTAL_UNAUTHENTICATED", "log in first");
    return person;
  };

  app.get("/api/session", { schema: NO_INPUT }, async (request): Promise<SessionInfo> => {
    const person = sessionOf(request)?.person;
    return {
      authenticated: person !== undefined,
      ...(person ? { person } : {}),
      purpose: config.purpose ?? "citizen self-service",
      operatorTokenRequired: config.operatorToken !== undefined,
      ...(signing ? { signing: { maxUploadBytes: signing.maxUploadBytes } } : {}),
    };
  });

  // Web eID architecture, "Authentication" step 3: a fresh nonce, kept on the server under a
  // cookie of its own (never the session store, so challenges cannot evict sessions; #10).
  app.get("/api/auth/challenge", { schema: NO_INPUT }, async (request, reply) => {
    const nonce = await nonces.issue();
    const id = challenges.put(request.ip, nonce.value);
    reply.setCookie(challengeCookie, id, cookieOptions);
    return { nonce: nonce.value };
  });

  app.post("/api/auth/login", { schema: LOGIN }, async (request, reply) => {
    // One token per challenge, whatever the outcome: take() removes it.
    const nonce = challenges.take(request.cookies[challengeCookie]);
    if (!nonce) {
      logins.inc({ outcome: "PORTAL_NO_CHALLENGE" });
      throw new PortalError("PORTAL_NO_CHALLENGE", "ask for a challenge (GET /api/auth/challenge) before logging in");
    }
    const session = sessionOf(request);
    const body = request.body as Record<string, unknown> | undefined;
    const token = body && typeof body === "object" && "token" in body ? body.token : body;
    try {
      const person = await validator.validate(token, { nonce, origin: request.headers.origin });
      // A new session id at login, so an id planted before login is worth nothing (session fixation).
      sessions.delete(session?.id);
      signing?.store.drop(session?.id);
      const fresh = sessions.create({
        person: { personalCode: person.personalCode, givenName: person.givenName, surname: person.surname },
        card: { certificate: person.certificate, issuer: person.issuer, statusCheckedAt: Date.now() },
      });
      setCookie(reply, fresh);
      logins.inc({ outcome: "ok" });
      request.log.info({ event: "login", personalCode: person.personalCode, kind: person.kind }, "login");
      return { person: fresh.person };
    } catch (error) {
      const code = error instanceof WebEidError ? error.code : "error";
      logins.inc({ outcome: code });
      request.log.info({ event: "login-refused", code }, "login refused");
      throw error;
    }
  });

  app.post("/api/logout", { schema: LOGOUT }, async (request, reply) => {
    const session = sessionOf(request);
    sessions.delete(session?.id);
    signing?.store.drop(session?.id);
    setCookie(reply, undefined);
    return { ok: true };
  });

  app.get("/api/me", { schema: NO_INPUT }, async (request) => register.person(personOf(request).personalCode));
  app.get("/api/me/family", { schema: NO_INPUT }, async (request) => register.family(personOf(request).personalCode));
  app.get("/api/me/address", { schema: NO_INPUT }, async (request) => register.address(personOf(request).personalCode));
  app.get("/api/me/usage", { schema: NO_INPUT }, async (request) => tracker.findUsage(personOf(request).personalCode));
  app.get("/api/me/usage/proof", { schema: USAGE_PROOF }, async (request, reply) => {
    const person = personOf(request);
    const { provider, id } = request.query;
    const proof = await tracker.proof(person.personalCode, provider, id);
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
    },
  };
}
