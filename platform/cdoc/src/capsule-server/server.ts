// The two sides of the CDOC2 capsule server, as the reference runs them (cdoc2-capsule-server
// put-server and get-server; API servers 8443 and 8444): senders POST /key-capsules over plain
// TLS; recipients GET /key-capsules/{transactionId} over mutual TLS, and get the capsule only if
// their certificate's key is the capsule's recipient_id.
import type { KeyObject } from "node:crypto";
import type { SecureContextOptions, TLSSocket, TlsOptions } from "node:tls";
import type * as x509 from "@peculiar/x509";
import { createHttpService, type HttpService } from "@riik/core";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { Type } from "typebox";
import { CDOC_ERROR_CATALOGUE, CdocError, type CdocErrorCode } from "../errors.ts";
import { tlsPoint } from "../recipients/ecc-public-key.ts";
import { rsaPublicKeyDer } from "../recipients/rsa-public-key.ts";
import { CAPSULE_BODY, capsuleBody, parseCapsule, TRANSACTION_ID } from "./capsule.ts";
import type { CapsuleStore, RateLimit, StoredCapsule } from "./capsule-store.ts";
import { clientCertificateKey, type ServerTls } from "./tls.ts";

export const X_EXPIRY_TIME = "x-expiry-time";
export const X_EXPIRY_TIME_ADJUSTED = "x-expiry-time-adjusted";

export interface CapsuleServicesOptions {
  store: CapsuleStore;
  tls: ServerTls;
  /** Trust anchors of recipients' client certificates (the ID card issuing CA). */
  clientAnchors: readonly x509.X509Certificate[];
  /** Expiry of a capsule stored without x-expiry-time (the reference: P1095D). */
  defaultExpiryMs: number;
  /** Latest expiry granted; a later request is shortened to it (the reference: P1825D). */
  maxExpiryMs: number;
  rateLimit: RateLimit;
  now?: () => Date;
  logger?: Logger;
}

/** What both sides refuse to speak: anything but TLS 1.3. */
const TLS13 = { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" } as const;
// Two base64 fields of at most 2100 bytes each and the JSON around them.
const BODY_LIMIT = 8 * 1024;

const errorBody = Type.Object({ code: Type.String(), message: Type.String() });

function isRecipient(key: KeyObject, capsule: StoredCapsule): boolean {
  // The reference compares canonical encodings too (GetKeyCapsuleApi.isRecipient).
  try {
    if (capsule.type === "ecc_secp384r1" && key.asymmetricKeyType === "ec")
      return tlsPoint(key).equals(capsule.recipientId);
    if (capsule.type === "rsa" && key.asymmetricKeyType === "rsa")
      return rsaPublicKeyDer(key).equals(capsule.recipientId);
  } catch {
    // A key on another curve is simply not this capsule's recipient.
  }
  return false;
}

export function createCapsuleServices(options: CapsuleServicesOptions): { put: HttpService; get: HttpService } {
  const now = options.now ?? (() => new Date());
  const common = {
    errors: CDOC_ERROR_CATALOGUE,
    bodyLimit: BODY_LIMIT,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const put = createHttpService<CdocErrorCode>({
    ...common,
    name: "cdoc-capsules-put",
    // core's `https` option is typed by a Fastify conditional that resolves to undefined.
    https: { key: options.tls.key, cert: options.tls.cert, ...TLS13 } satisfies SecureContextOptions as never,
  });
  const get = createHttpService<CdocErrorCode>({
    ...common,
    name: "cdoc-capsules-get",
    https: {
      key: options.tls.key,
      cert: options.tls.cert,
      ...TLS13,
      // Ask for the card's certificate, verify it in the route (clientCertificateKey): a missing
      // one is then a 401 answer and an untrusted one a 403, not a failed handshake.
      requestCert: true,
      rejectUnauthorized: false,
      ca: options.clientAnchors.map((anchor) => anchor.toString("pem")),
    } satisfies TlsOptions as never,
  });

  const stored = new Counter({
    name: "riik_cdoc_capsules_stored_total",
    help: "key capsules stored",
    labelNames: ["type"],
    registers: [put.metrics],
  });
  const fetched = new Counter({
    name: "riik_cdoc_capsules_fetched_total",
    help: "key capsule requests by outcome",
    labelNames: ["outcome"],
    registers: [get.metrics],
  });

  put.app.post(
    "/key-capsules",
    {
      schema: {
        operationId: "createCapsule",
        summary: "Add Key Capsule",
        headers: Type.Object({
          [X_EXPIRY_TIME]: Type.Optional(Type.String({ format: "date-time", maxLength: 64 })),
        }),
        querystring: Type.Object({}, { additionalProperties: false }),
        body: CAPSULE_BODY,
      },
      // Counted before the body is validated, so that a flood of malformed requests is bounded too.
      onRequest: async (request, reply) => {
        try {
          await options.store.countRequest(request.ip, options.rateLimit, now());
        } catch (error) {
          if (error instanceof CdocError && error.code === "CAPSULE_RATE_LIMITED")
            reply.header("retry-after", String(error.details?.retryAfter));
          throw error;
        }
      },
    },
    async (request, reply) => {
      const at = now();
      const capsule = parseCapsule(request.body);
      const expiry = expiryOf(request.headers[X_EXPIRY_TIME], at, options);
      const saved = await options.store.store(capsule, expiry, at);
      stored.inc({ type: capsule.type });
      request.log.info({ transactionId: saved.transactionId, type: saved.type }, "capsule stored");
      return reply
        .status(201)
        .header("location", `/key-capsules/${saved.transactionId}`)
        .header(X_EXPIRY_TIME, saved.expiryTime.toISOString())
        .header(X_EXPIRY_TIME_ADJUSTED, String(saved.expiryAdjusted))
        .send();
    },
  );

  get.app.get(
    "/key-capsules/:transactionId",
    {
      schema: {
        operationId: "getCapsuleByTransactionId",
        summary: "Get key capsule for transactionId",
        params: Type.Object({ transactionId: TRANSACTION_ID }),
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: CAPSULE_BODY, 401: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const at = now();
      let key: KeyObject;
      try {
        key = await clientCertificateKey(request.raw.socket as TLSSocket, options.clientAnchors, at);
      } catch (error) {
        fetched.inc({ outcome: error instanceof CdocError ? error.code : "error" });
        throw error;
      }
      const capsule = await options.store.find(request.params.transactionId, at);
      // Absent, expired and another's are one answer: a stranger learns nothing of which ids exist.
      if (!capsule || !isRecipient(key, capsule)) {
        fetched.inc({ outcome: "CAPSULE_NOT_FOUND" });
        request.log.info({ transactionId: request.params.transactionId }, "no capsule for this client");
        throw new CdocError("CAPSULE_NOT_FOUND", `no key capsule ${request.params.transactionId} for this certificate`);
      }
      fetched.inc({ outcome: "found" });
      request.log.info({ transactionId: capsule.transactionId }, "capsule fetched by its recipient");
      return reply
        .header(X_EXPIRY_TIME, capsule.expiryTime.toISOString())
        .header(X_EXPIRY_TIME_ADJUSTED, String(capsule.expiryAdjusted))
        .send(capsuleBody(capsule));
    },
  );
  return { put, get };
}

/** The expiry a POST gets: the requested one, no later than the maximum; the default when none is asked. */
function expiryOf(
  requested: string | undefined,
  at: Date,
  options: Pick<CapsuleServicesOptions, "defaultExpiryMs" | "maxExpiryMs">,
): { time: Date; adjusted: boolean } {
  if (requested === undefined) return { time: new Date(at.getTime() + options.defaultExpiryMs), adjusted: false };
  const time = new Date(requested);
  if (Number.isNaN(time.getTime()) || time.getTime() <= at.getTime()) {
    throw new CdocError("CAPSULE_EXPIRY_INVALID", `${X_EXPIRY_TIME} must be a date-time in the future`);
  }
  const latest = at.getTime() + options.maxExpiryMs;
  return time.getTime() > latest ? { time: new Date(latest), adjusted: true } : { time, adjusted: false };
}
