import { readFileSync } from "node:fs";
import * as x509 from "@peculiar/x509";
import { createHttpService, type ErrorCatalogue, PersonalCodeError, parsePersonalCode } from "@riik/core";
import type { FastifyReply } from "fastify";
import { Counter } from "prom-client";
import { Type } from "typebox";
import { caCertificatePath, type TrustServices } from "./ca/trust-services.ts";
import { PkiError, type PkiErrorCode } from "./errors.ts";
import { issueAppCertificate } from "./identity/app-certificate.ts";
import { incidentReport, listIncidents } from "./incident/incident.ts";
import { RenewalChallenges, renewCard } from "./incident/renewal.ts";
import { OcspResponder, type OcspResponderOptions } from "./ocsp/responder.ts";
import { importAppPublicKey } from "./ra/app-certificate-client.ts";
import { issueRaCard, RA_REVOCATION_REASONS, revokeRaDocument } from "./ra/cards.ts";
import { RegistrationAuthorities, registrationAuthorityActor } from "./ra/registration-authorities.ts";
import { STATUS_CHANGES_PAGE } from "./ra/status-changes.ts";
import { TimeStampAuthority } from "./tsa/authority.ts";

/**
 * Every code the package can raise, with its status. The OCSP and TSA routes answer bad DER
 * with the protocol's own error response; these statuses are for what reaches the handler.
 */
export const PKI_ERRORS: ErrorCatalogue<PkiErrorCode> = {
  PKI_NOT_INITIALISED: { status: 503 },
  PKI_ALREADY_INITIALISED: { status: 409 },
  PKI_KEY_MISSING: { status: 503 },
  PKI_KEY_PASSPHRASE: { status: 503 },
  PKI_UNKNOWN_CA: { status: 404 },
  PKI_CERTIFICATE_UNKNOWN: { status: 404 },
  PKI_CERTIFICATE_AMBIGUOUS: { status: 409 },
  PKI_STATUS_TRANSITION: { status: 409 },
  PKI_ARGUMENT: { status: 400 },
  PKI_RA_UNAUTHORIZED: { status: 401 },
  PKI_RA_QUOTA: { status: 429 },
  PKI_RA_FORBIDDEN: { status: 403 },
  PKI_RA_EXISTS: { status: 409 },
  PKI_RA_UNKNOWN: { status: 404 },
  PKI_RA_UNAVAILABLE: { status: 502 },
  PKI_DER: { status: 400 },
  PKI_INCIDENT_UNKNOWN: { status: 404 },
  PKI_RENEWAL_REFUSED: { status: 401 },
  OCSP_MALFORMED_REQUEST: { status: 400 },
  OCSP_UNAUTHORIZED: { status: 403 },
  OCSP_CONTENT_TYPE: { status: 415 },
  OCSP_RESPONSE_INVALID: { status: 502 },
  OCSP_UNAVAILABLE: { status: 502 },
  TSA_MALFORMED_REQUEST: { status: 400 },
  TSA_BAD_ALGORITHM: { status: 400 },
  TSA_UNACCEPTED_POLICY: { status: 400 },
  TSA_UNACCEPTED_EXTENSION: { status: 400 },
  TSA_CONTENT_TYPE: { status: 415 },
  TSA_TOKEN_INVALID: { status: 502 },
  CARD_FORMAT: { status: 400 },
  CARD_FILE_EXISTS: { status: 409 },
  CARD_FILE_WRITE: { status: 500 },
  CARD_PIN_FORMAT: { status: 400 },
  CARD_WRONG_PIN: { status: 401 },
};

const SERVED_CERTIFICATES = new Set(["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"]);
const BODY_LIMIT = 64 * 1024;

/** Binary bodies keep their own parser; the schema checks what travels beside them. */
const BINARY_POST = {
  headers: Type.Object({ "content-type": Type.Optional(Type.String({ maxLength: 256 })) }),
};

/** RFC 6960 A.1: the GET path is URL-encoded base64 (RFC 4648 4), as long as a POST body may be. */
const OCSP_GET = {
  params: Type.Object({ "*": Type.String({ maxLength: Math.ceil((BODY_LIMIT * 4) / 3) * 3 }) }),
};

/** What a registration authority sends for an app certificate: the person it checked and the app's key. */
const APP_CERTIFICATE = {
  headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 256 })) }),
  body: Type.Object(
    {
      personalCode: Type.String({ minLength: 11, maxLength: 11 }),
      givenName: Type.String({ minLength: 1, maxLength: 200 }),
      surname: Type.String({ minLength: 1, maxLength: 200 }),
      /** The app's public key, SubjectPublicKeyInfo DER in base64 (RFC 5280 4.1.2.7). */
      publicKey: Type.String({ minLength: 1, maxLength: 1024 }),
    },
    { additionalProperties: false },
  ),
};

const BEARER = Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 256 })) });

/** What a registration authority sends for a card: the person it checked (POST /ra/cards). */
const CARD = {
  headers: BEARER,
  body: Type.Object(
    {
      personalCode: Type.String({ minLength: 11, maxLength: 11 }),
      givenName: Type.String({ minLength: 1, maxLength: 200 }),
      surname: Type.String({ minLength: 1, maxLength: 200 }),
      /** An e-resident's digital ID (document N…, subject OU E-RESIDENT) rather than an ID card. */
      eResident: Type.Boolean(),
      validityYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    },
    { additionalProperties: false },
  ),
};

/** Revoking a document the authority asked for (POST /ra/revocations). */
const REVOCATION = {
  headers: BEARER,
  body: Type.Object(
    {
      documentNumber: Type.String({ minLength: 1, maxLength: 32, pattern: "^[A-Z0-9]+$" }),
      reason: Type.Union(RA_REVOCATION_REASONS.map((reason) => Type.Literal(reason))),
    },
    { additionalProperties: false },
  ),
};

const STATUS_CHANGES = {
  headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 256 })) }),
  querystring: Type.Object(
    {
      after: Type.Integer({ minimum: 0, default: 0 }),
      limit: Type.Integer({ minimum: 1, maximum: 1000, default: STATUS_CHANGES_PAGE }),
    },
    { additionalProperties: false },
  ),
};

const CA_FILE = { params: Type.Object({ file: Type.String({ maxLength: 64 }) }) };
const INCIDENT_ID = Type.Object({ id: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,62}$" }) });
const RENEWAL_CHALLENGE = { params: INCIDENT_ID, body: Type.Object({}, { additionalProperties: false }) };
const SPKI_BASE64 = Type.String({ minLength: 16, maxLength: 2048, pattern: "^[A-Za-z0-9+/]+={0,2}$" });
const RENEWAL = {
  params: INCIDENT_ID,
  body: Type.Object(
    {
      /** The Web eID token (web-eid:1.0) made with the suspended authentication key; the validator parses it. */
      authToken: Type.Object({}, { additionalProperties: true }),
      nonce: Type.String({ minLength: 44, maxLength: 256 }),
      authenticationKey: SPKI_BASE64,
      signingKey: SPKI_BASE64,
    },
    { additionalProperties: false },
  ),
};
const NO_PARAMS = { querystring: Type.Object({}, { additionalProperties: false }) };
const INCIDENT = {
  params: INCIDENT_ID,
  querystring: Type.Object({}, { additionalProperties: false }),
};

/** Canonical base64 only: Buffer.from(…, "base64") would skip stray characters and accept garbage. */
function decodeOcspGetPath(encoded: string): Uint8Array {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return new Uint8Array(0);
  }
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return new Uint8Array(0);
  const der = Buffer.from(text, "base64");
  return der.toString("base64") === text ? der : new Uint8Array(0);
}

/** A registration authority's bad personal code is its bad argument (400 PKI_ARGUMENT), checked before issuing. */
function assertPersonalCode(code: string): void {
  try {
    parsePersonalCode(code);
  } catch (cause) {
    if (!(cause instanceof PersonalCodeError)) throw cause;
    throw new PkiError("PKI_ARGUMENT", `personalCode: ${cause.message}`, { cause, details: { reason: cause.code } });
  }
}

export interface TrustServicesServerOptions extends OcspResponderOptions {
  services: TrustServices;
  host?: string;
  port: number;
}

/**
 * `riik pki serve`: the OCSP responder (RFC 6960 Appendix A: POST and GET at /ocsp), the
 * time-stamping authority (RFC 3161 3.4: POST at /tsa) and the CA certificates (RFC 5280
 * 4.2.2.1: DER as application/pkix-cert at the AIA caIssuers URLs /ca/<name>.crt), and for
 * registration authorities app certificates (POST /ra/app-certificates), cards (POST
 * /ra/cards), revocations of their documents (POST /ra/revocations) and the status feed.
 */
export async function startTrustServicesServer(options: TrustServicesServerOptions) {
  const { services } = options;
  const { app, metrics, logger } = createHttpService({ name: "pki", errors: PKI_ERRORS, bodyLimit: BODY_LIMIT });
  const ocsp = new OcspResponder(services, options);
  const tsa = new TimeStampAuthority(services.tsa);
  const authorities = new RegistrationAuthorities(services.registry);
  const ocspAnswers = new Counter({
    name: "riik_ocsp_responses_total",
    help: "OCSP answers by response and certificate status",
    labelNames: ["response", "cert_status"],
    registers: [metrics],
  });
  const tsaAnswers = new Counter({
    name: "riik_tsa_responses_total",
    help: "Time-stamp answers",
    labelNames: ["granted"],
    registers: [metrics],
  });

  app.addContentTypeParser(
    ["application/ocsp-request", "application/timestamp-query"],
    { parseAs: "buffer" },
    (_request, body, done) => done(null, body),
  );

  const answerOcsp = async (der: Uint8Array, reply: FastifyReply) => {
    const answer = await ocsp.respond(der);
    for (const status of answer.certStatuses.length ? answer.certStatuses : ["none"])
      ocspAnswers.inc({ response: answer.status, cert_status: status });
    if (answer.error)
      reply
        .header("x-riik-error", `${answer.error.code}: ${answer.error.message}`)
        .status(answer.status === "unauthorized" ? 403 : 400);
    return reply.type("application/ocsp-response").send(Buffer.from(answer.der));
  };

  // OCSP keeps its reserved share when the service sheds: every signature check in the state
  // waits on it (issue #18, priority classes).
  app.post("/ocsp", { schema: BINARY_POST, config: { priority: "critical" } }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new PkiError("OCSP_CONTENT_TYPE", "POST the DER OCSP request as application/ocsp-request (RFC 6960 A.1)");
    return answerOcsp(request.body, reply);
  });
  // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}
  app.get("/ocsp/*", { schema: OCSP_GET, config: { priority: "critical" } }, async (request, reply) =>
    answerOcsp(decodeOcspGetPath(request.params["*"]), reply),
  );

  app.post("/tsa", { schema: BINARY_POST }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new PkiError(
        "TSA_CONTENT_TYPE",
        "POST the DER time-stamp request as application/timestamp-query (RFC 3161 3.4)",
      );
    const answer = await tsa.respond(request.body);
    tsaAnswers.inc({ granted: String(answer.granted) });
    if (answer.error) reply.header("x-riik-error", `${answer.error.code}: ${answer.error.message}`).status(400);
    return reply.type("application/timestamp-reply").send(Buffer.from(answer.der));
  });

  // A registration authority (the authentication service) asks for an enrolling app's
  // certificate; it holds a bearer token and a quota, never the CA's keys.
  app.post("/ra/app-certificates", { schema: APP_CERTIFICATE }, async (request, reply) => {
    const authority = await authorities.authenticate(request.headers.authorization);
    authorities.assertAllowed(authority, "app-certificates");
    const publicKey = await importAppPublicKey(request.body.publicKey);
    assertPersonalCode(request.body.personalCode);
    await authorities.assertWithinQuota(authority);
    const certificate = await issueAppCertificate(services, {
      ...request.body,
      publicKey,
      actor: registrationAuthorityActor(authority.name),
    });
    request.log.info({ authority: authority.name, serial: certificate.serialNumber }, "app certificate issued");
    return reply.status(201).send({ certificate: certificate.toString("pem") });
  });

  // A registration authority with `cards` (the e-Residency agency) asks for a card for a
  // person it checked: the keys are made here, encrypted under random PINs, and answered once
  // with the PIN envelope; nothing of them is kept or logged.
  app.post("/ra/cards", { schema: CARD }, async (request, reply) => {
    const authority = await authorities.authenticate(request.headers.authorization);
    authorities.assertAllowed(authority, "cards");
    assertPersonalCode(request.body.personalCode);
    await authorities.assertWithinQuota(authority);
    const issued = await issueRaCard(services, authority, request.body);
    request.log.info(
      {
        authority: authority.name,
        documentNumber: issued.documentNumber,
        serials: [issued.authentication.serial, issued.signing.serial],
      },
      "card issued",
    );
    reply.header("cache-control", "no-store");
    return reply.status(201).send(issued);
  });

  app.post("/ra/revocations", { schema: REVOCATION }, async (request) => {
    const authority = await authorities.authenticate(request.headers.authorization);
    authorities.assertAllowed(authority, "cards");
    const revoked = await revokeRaDocument(services, authority, request.body.documentNumber, request.body.reason);
    request.log.info(
      { authority: authority.name, documentNumber: request.body.documentNumber, reason: request.body.reason, revoked },
      "document revoked",
    );
    return { revoked };
  });

  // The registry's status events in order, for the services that follow it (the
  // authentication service ends the sessions of a suspended card at once).
  app.get("/ra/status-changes", { schema: STATUS_CHANGES }, async (request, reply) => {
    await authorities.authenticate(request.headers.authorization);
    const rows = await services.registry.statusChanges(request.query.after, request.query.limit);
    reply.header("cache-control", "no-store");
    return {
      changes: rows.map((row) => ({
        id: Number(row.id),
        issuer: row.issuer,
        serial: row.serial,
        event: row.event,
        at: row.at,
        purpose: row.purpose,
        personalCode: row.personal_code,
      })),
    };
  });

  // The public status of key incidents (issue 18: disclosed at once, progress visible): counts
  // by outcome and by day, never whose certificates.
  app.get("/incidents", { schema: NO_PARAMS }, async (_request, reply) => {
    reply.header("cache-control", "no-cache");
    const rows = await listIncidents(services.registry);
    return {
      incidents: rows.map((row) => ({
        id: row.id,
        title: row.title,
        declaredAt: row.declared_at,
        renewBy: row.renew_by,
        ...(row.closed_at ? { closedAt: row.closed_at } : {}),
      })),
    };
  });
  app.get("/incidents/:id", { schema: INCIDENT }, async (request, reply) => {
    reply.header("cache-control", "no-cache");
    return incidentReport(services.registry, request.params.id);
  });

  // Remote renewal (issue 18): a challenge, then the holder's proof of the suspended key and
  // the new public keys its card made; answered with the new certificates.
  const origin = new URL(services.config.baseUrl).origin;
  const challenges = new RenewalChallenges(services);
  app.post("/incidents/:id/renewal-challenges", { schema: RENEWAL_CHALLENGE }, async (request, reply) => {
    await incidentReport(services.registry, request.params.id);
    const challenge = await challenges.issue();
    reply.header("cache-control", "no-store");
    return reply.status(201).send({ nonce: challenge.value, expiresAt: challenge.expiresAt.toISOString() });
  });
  app.post("/incidents/:id/renewals", { schema: RENEWAL }, async (request, reply) => {
    const { authToken, nonce, authenticationKey, signingKey } = request.body;
    const renewed = await renewCard(
      services,
      request.params.id,
      {
        authToken,
        nonce,
        authenticationKey: Buffer.from(authenticationKey, "base64"),
        signingKey: Buffer.from(signingKey, "base64"),
      },
      { origin, challenges },
    );
    request.log.info({ incident: request.params.id, documentNumber: renewed.documentNumber }, "card renewed");
    reply.header("cache-control", "no-store");
    return reply.status(201).send(renewed);
  });

  app.get("/ca/:file", { schema: CA_FILE }, async (request, reply) => {
    const { file } = request.params;
    const match = /^([a-z-]+)\.(crt|pem)$/.exec(file);
    if (!match || !SERVED_CERTIFICATES.has(match[1]!))
      throw new PkiError("PKI_UNKNOWN_CA", `no CA certificate ${JSON.stringify(file)}; try /ca/root.crt`);
    const pem = readFileSync(caCertificatePath(services.dir, match[1] as "root"), "utf8");
    if (match[2] === "pem") return reply.type("application/x-pem-file").send(pem);
    return reply.type("application/pkix-cert").send(Buffer.from(new x509.X509Certificate(pem).rawData));
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  const url = address.replace("[::1]", "127.0.0.1");
  logger.info({ url, dir: services.dir }, "trust services listening");
  return {
    url,
    app,
    urls: { ocsp: `${url}/ocsp`, tsa: `${url}/tsa`, ca: `${url}/ca/root.crt` },
    close: async () => {
      await app.close();
    },
  };
}
