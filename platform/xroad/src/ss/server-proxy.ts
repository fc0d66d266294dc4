import type { X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { formatClientId, formatServiceId, memberOf } from "@riik/core";
import { Pool } from "undici";
import { signBytes, verifyBytes } from "../crypto/keys.ts";
import { checkPersonalRequest, subjectsOf, TRACKER_REQUEST_HEADERS, useRows } from "../datatracker/capture.ts";
import { XRoadFault } from "../errors.ts";
import { certificateHash, type GlobalConfIndex } from "../globalconf/document.ts";
import {
  BODY_HASH_HEADER,
  bodyDigest,
  bodyHash,
  endToEndHeaders,
  type HeaderMap,
  normaliseServicePath,
  parseR1Request,
  readSignedHeaders,
  remainderOf,
  requestHashOf,
  requestHead,
  responseHead,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  signingInput,
  TIME_HEADER,
  XROAD_RESPONSE_HEADERS,
} from "../protocol/message.ts";
import { readBody, type SsContext, sendFault } from "./context.ts";
import { DATA_TRACKER_SERVICE } from "./local-conf.ts";
import { answerMetadata, METADATA_SERVICES } from "./metadata.ts";

const PROVIDER_DROP: ReadonlySet<string> = new Set([...XROAD_RESPONSE_HEADERS, TIME_HEADER, BODY_HASH_HEADER]);
const TO_PROVIDER_DROP: ReadonlySet<string> = new Set([TIME_HEADER, BODY_HASH_HEADER, ...TRACKER_REQUEST_HEADERS]);
const peers = new WeakMap<object, { certificate: X509Certificate; hash: string }>();

/**
 * The provider side: requests from other security servers arrive over mutual TLS 1.3;
 * the sending server must hold an authentication certificate registered for it and valid
 * by OCSP, the request must carry a fresh, unseen, valid signature of the client's member,
 * and an access right must cover the client, the method and the path. The provider's
 * answer is signed, bound to the request by X-Road-Request-Hash, logged and returned.
 */
export class ServerProxy {
  readonly #pools = new Map<string, Pool>();
  readonly #selfHash: string;

  constructor(readonly ctx: SsContext) {
    this.#selfHash = certificateHash(ctx.identity.authCertificate);
  }

  closePools(): void {
    for (const pool of this.#pools.values()) void pool.close().catch(() => undefined);
    this.#pools.clear();
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { ctx } = this;
    const queryId = typeof req.headers["x-road-id"] === "string" ? req.headers["x-road-id"] : "";
    let serviceLabel = "unknown";
    try {
      const conf = ctx.globalConf.current;
      if (!conf || conf.expired())
        throw new XRoadFault(
          "Server.ServerProxy",
          "OutdatedGlobalConf",
          "the provider's global configuration is outdated",
        );
      const peer = this.#peer(req);
      const peerServer = conf.serverByAuthHash.get(peer.hash);
      if (!peerServer)
        throw new XRoadFault(
          "Server.ServerProxy",
          "SslAuthenticationFailed",
          "the client's security server presented an authentication certificate that is not registered",
        );
      const peerStatus = await ctx.ocsp.status(peer.certificate, conf.serverCas);
      if (peerStatus.status !== "good")
        throw new XRoadFault(
          "Server.ServerProxy",
          "CertValidation",
          `the authentication certificate of security server ${peerServer.serverCode} is not valid: ${peerStatus.message}`,
        );

      const url = req.url ?? "/";
      const { service, client } = parseR1Request(url, req.headers);
      const serviceText = formatServiceId(service);
      serviceLabel = serviceText;
      const clientText = formatClientId(client);
      const memberText = formatClientId(memberOf(client));
      if (!peerServer.clients.includes(clientText) && !peerServer.clients.includes(memberText))
        throw new XRoadFault(
          "Server.ServerProxy",
          "SslAuthenticationFailed",
          `security server ${peerServer.serverCode} is not registered for client ${clientText}`,
        );

      const body = await readBody(req, ctx.config.maxBodyBytes, "Server.ServerProxy");
      const headers = endToEndHeaders(req.headers);
      const { requestId, time, signature, signer: signerText } = readSignedHeaders(req.headers, "Server.ServerProxy");
      const skewMs = conf.conf.content.settings.maxClockSkewSeconds * 1000;
      if (Math.abs(Date.now() - time) > skewMs)
        throw new XRoadFault(
          "Server.ServerProxy",
          "InvalidMessage",
          "the message was signed outside the accepted time window",
        );
      const signer = await ctx.signers.check(signerText, client, ctx, "Server.ServerProxy");
      const requestBodyDigest = bodyDigest(body);
      const requestBodyHash = requestBodyDigest.toString("base64");
      const method = req.method ?? "GET";
      const head = requestHead(method, url, headers);
      if (
        headers[BODY_HASH_HEADER] !== requestBodyHash ||
        !verifyBytes(
          signer.certificate.publicKey,
          signingInput(head, requestBodyHash),
          Buffer.from(signature, "base64"),
        )
      )
        throw new XRoadFault("Server.ServerProxy", "InvalidSignatureValue", "the request signature does not verify");
      let fresh: boolean;
      try {
        fresh = await ctx.replay.remember(`${memberText}|${requestId}`, time, skewMs);
      } catch (cause) {
        throw new XRoadFault(
          "Server.ServerProxy",
          "DatabaseError",
          `the replay guard cannot be written: ${(cause as Error).message}`,
          { cause },
        );
      }
      if (!fresh)
        throw new XRoadFault(
          "Server.ServerProxy",
          "InvalidMessage",
          `request ${requestId} was already received (replay)`,
        );

      const providerText = formatClientId({
        instance: service.instance,
        memberClass: service.memberClass,
        memberCode: service.memberCode,
        subsystemCode: service.subsystemCode,
      });
      const provider = ctx.local.clients.get(providerText);
      if (!provider || !(conf.hostsOf.get(providerText) ?? []).includes(conf.serverByAuthHash.get(this.#selfHash)!))
        throw new XRoadFault(
          "Server.ServerProxy",
          "UnknownMember",
          `${providerText} is not a client of this security server`,
        );

      // Normalised once: the access check, the Data Tracker and the provider see this same path.
      const { path, query } = normaliseServicePath(remainderOf(url.slice(4)));
      let answer: { status: number; headers: HeaderMap; body: Buffer };
      let uses: Array<Record<string, unknown>> = [];
      if (service.serviceCode === DATA_TRACKER_SERVICE && ctx.local.hasPersonalData(providerText)) {
        // The Data Tracker usage protocol, answered here (README, Data Tracker).
        const tracker = await ctx.tracker.answer(providerText, client, method, path + query, headers, conf);
        answer = { status: tracker.status, headers: { "content-type": tracker.contentType }, body: tracker.body };
      } else if (METADATA_SERVICES.has(service.serviceCode)) {
        const meta = answerMetadata(
          service.serviceCode,
          providerText,
          new URLSearchParams(query),
          client,
          ctx.local,
          conf,
        );
        answer = { status: meta.status, headers: { "content-type": meta.contentType }, body: meta.body };
      } else {
        const local = ctx.local.service(providerText, service.serviceCode);
        if (!local)
          throw new XRoadFault("Server.ServerProxy", "UnknownService", `service ${serviceText} is not provided here`);
        const pathOnly = path || "/";
        if (!ctx.local.allowed(providerText, service.serviceCode, client, method, pathOnly, conf))
          throw new XRoadFault(
            "Server.ServerProxy",
            "AccessDenied",
            `request is not allowed: ${clientText} has no access right to ${method} ${pathOnly} of ${serviceText}`,
          );
        const personal = local.personalData;
        const useContext = personal ? checkPersonalRequest(headers, providerText, client, ctx.local, conf) : undefined;
        answer = await this.#callProvider(local.url, local.timeoutMs, method, path + query, headers, body);
        if (personal && useContext) {
          // Fail closed: a successful response that does not say whose data it carries never
          // leaves; an error answer passes unchanged, recorded for the person the path names.
          const subjects = subjectsOf(personal, pathOnly, answer.status, answer.headers);
          delete answer.headers[personal.subjectsHeader];
          uses = useRows(subjects, useContext, {
            provider: providerText,
            service: local,
            serviceId: serviceText,
            clientId: clientText,
            queryId,
          });
        }
      }

      const out: HeaderMap = endToEndHeaders(answer.headers, PROVIDER_DROP);
      out["x-road-client"] = clientText;
      out["x-road-service"] = serviceText;
      out["x-road-id"] = queryId;
      out["x-road-request-id"] = requestId;
      out["x-road-request-hash"] = requestHashOf(head, body.byteLength === 0 ? undefined : requestBodyDigest);
      out[TIME_HEADER] = String(Date.now());
      const responseBodyHash = bodyHash(answer.body);
      out[BODY_HASH_HEADER] = responseBodyHash;
      const rHead = responseHead(answer.status, out);
      const responseSignature = signBytes(ctx.identity.signKey, signingInput(rHead, responseBodyHash)).toString(
        "base64",
      );
      try {
        await ctx.log.append(
          {
            side: "server",
            queryId,
            requestId,
            clientId: clientText,
            serviceId: serviceText,
            createdAt: new Date().toISOString(),
            loggingMode: provider.loggingMode,
            requestHead: head,
            requestBody: body,
            requestBodyHash,
            requestSignature: signature,
            requestSigner: signerText!,
            responseStatus: answer.status,
            responseHead: rHead,
            responseBody: answer.body,
            responseBodyHash,
            responseSignature,
            responseSigner: ctx.identity.signCertificateBase64,
            peerOcsp: signer.status.response ?? null,
          },
          uses,
        );
      } catch (cause) {
        throw new XRoadFault(
          "Server.ServerProxy",
          "DatabaseError",
          `the message log cannot be written: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
      res.writeHead(answer.status, {
        ...out,
        [SIGNATURE_HEADER]: responseSignature,
        [SIGNER_HEADER]: ctx.identity.signCertificateBase64,
        "content-length": String(answer.body.length),
      });
      res.end(answer.body);
      this.#count(serviceLabel, answer.status < 400 ? "ok" : "provider_error", started);
    } catch (error) {
      const fault =
        error instanceof XRoadFault
          ? error
          : new XRoadFault("Server.ServerProxy", "InternalError", `internal error: ${(error as Error).message}`, {
              cause: error,
            });
      if (fault.type.endsWith("InternalError")) ctx.logger.error({ err: error, queryId }, "server proxy failed");
      sendFault(res, fault, queryId);
      this.#count(serviceLabel, "fault", started, fault.type);
    }
  }

  async #callProvider(
    base: string,
    timeoutMs: number,
    method: string,
    pathAndQuery: string,
    headers: HeaderMap,
    body: Buffer,
  ): Promise<{ status: number; headers: HeaderMap; body: Buffer }> {
    // Appended to the base path as is: a URL parser would resolve dot segments again.
    const target = new URL(base);
    const requestPath = `${target.pathname.replace(/\/$/, "")}${pathAndQuery}`;
    const forwarded: HeaderMap = {};
    for (const [name, value] of Object.entries(headers)) if (!TO_PROVIDER_DROP.has(name)) forwarded[name] = value;
    try {
      // PR-REST 4.4: redirects are passed on, never followed.
      const reply = await this.#pool(target.origin).request({
        path: requestPath.startsWith("/") ? requestPath : `/${requestPath}`,
        method: method as "GET",
        headers: forwarded,
        body: body.length > 0 || !["GET", "HEAD"].includes(method) ? body : null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of reply.body) {
        size += (chunk as Buffer).length;
        if (size > this.ctx.config.maxBodyBytes) {
          reply.body.destroy();
          throw new XRoadFault(
            "Server.ServerProxy",
            "ServiceFailed",
            `the provider's response is larger than ${this.ctx.config.maxBodyBytes} bytes`,
          );
        }
        chunks.push(chunk as Buffer);
      }
      return {
        status: reply.statusCode,
        headers: endToEndHeaders(reply.headers as Record<string, string | string[]>),
        body: Buffer.concat(chunks, size),
      };
    } catch (cause) {
      if (cause instanceof XRoadFault) throw cause;
      const timeout = /timeout/i.test((cause as Error).name + (cause as Error).message);
      throw new XRoadFault(
        "Server.ServerProxy",
        timeout ? "ServiceFailed" : "NetworkError",
        `${timeout ? "the service did not answer in time" : "cannot reach the service"} at ${target.origin}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  #peer(req: IncomingMessage): { certificate: X509Certificate; hash: string } {
    const socket = req.socket as TLSSocket;
    let peer = peers.get(socket);
    if (!peer) {
      const certificate = socket.getPeerX509Certificate?.();
      if (!certificate)
        throw new XRoadFault(
          "Server.ServerProxy",
          "SslAuthenticationFailed",
          "the client's security server presented no certificate",
        );
      peer = { certificate, hash: certificateHash(certificate) };
      peers.set(socket, peer);
    }
    return peer;
  }

  #count(service: string, outcome: string, started: number, type?: string): void {
    const { metrics } = this.ctx;
    metrics.requests.inc({ side: "server", service, outcome });
    metrics.duration.observe({ side: "server", service }, (performance.now() - started) / 1000);
    if (type) metrics.errors.inc({ side: "server", type });
  }
}

export type { GlobalConfIndex };
