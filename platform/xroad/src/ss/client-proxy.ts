import { createHash, randomUUID, type X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { formatClientId, formatServiceId, memberOf, parseClientId } from "@riik/core";
import { Pool } from "undici";
import { signBytes, verifyBytes } from "../crypto/keys.ts";
import { XRoadFault } from "../errors.ts";
import type { GlobalConfIndex, GlobalConfServer } from "../globalconf/document.ts";
import {
  BODY_HASH_HEADER,
  bodyDigest,
  bodyHash,
  endToEndHeaders,
  type HeaderMap,
  ID_TEXT,
  parseR1Request,
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
import { listClients } from "./metadata.ts";

/** Headers a client may not set: the security servers' own (PR-REST 4.3) and riik's transport headers. */
const CLIENT_DROP: ReadonlySet<string> = new Set([
  ...[...XROAD_RESPONSE_HEADERS].filter((h) => h !== "x-road-client" && h !== "x-road-id"),
  TIME_HEADER,
  BODY_HASH_HEADER,
]);
const RESPONSE_OUT_DROP: ReadonlySet<string> = new Set([TIME_HEADER, BODY_HASH_HEADER]);

class SslFailure extends Error {}

/**
 * The consumer side (PR-REST 4): information systems call `/r1/{serviceId}[/path]`; the
 * request is checked, signed with the member's key and sent over mutual TLS 1.3 to the
 * provider's security server; the signed response is checked, logged and returned.
 */
export class ClientProxy {
  readonly #pools = new Map<string, Pool>();
  /** Round-robin position over a provider's security servers. */
  #rr = 0;
  /** This server's own id, parsed once (checked against the global configuration per request). */
  readonly #self: ReturnType<typeof parseClientId>;

  constructor(readonly ctx: SsContext) {
    this.#self = parseClientId(ctx.config.serverId);
    ctx.globalConf.onChange(() => this.closePools());
  }

  closePools(): void {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    for (const pool of pools) void pool.close().catch(() => undefined);
  }

  #pool(server: GlobalConfServer, conf: GlobalConfIndex): Pool {
    let pool = this.#pools.get(server.address);
    if (pool) return pool;
    const { identity } = this.ctx;
    const address = server.address;
    pool = new Pool(address, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
      connect: {
        key: identity.authKeyPem,
        cert: identity.authCertificatePem,
        ca: conf.tlsTrust,
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
        rejectUnauthorized: true,
        // The server is identified by the authentication certificate registered for it in
        // the global configuration, not by a host name.
        checkServerIdentity: (_host: string, cert: { raw: Buffer }) => {
          const hash = createHash("sha256").update(cert.raw).digest("hex");
          const current = this.ctx.globalConf.current;
          const registered = current?.serverByAuthHash.get(hash);
          if (!registered || registered.address !== address)
            return new SslFailure(
              `the security server at ${address} presented an authentication certificate that is not registered for it`,
            );
          return undefined;
        },
      } as Pool.Options["connect"],
    });
    this.#pools.set(address, pool);
    return pool;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { ctx } = this;
    const rawId = req.headers["x-road-id"];
    const queryId = typeof rawId === "string" && ID_TEXT.test(rawId) ? rawId : randomUUID();
    let serviceLabel = "unknown";
    try {
      const url = req.url ?? "/";
      if (req.method === "GET" && (url === "/listClients" || url.startsWith("/listClients?"))) {
        const conf = this.#conf();
        const instance = new URLSearchParams(url.slice("/listClients".length)).get("xRoadInstance");
        const answer = listClients(conf, instance, req.headers.accept);
        res.writeHead(200, { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.body) });
        res.end(answer.body);
        return;
      }
      const { service, client } = parseR1Request(url, req.headers);
      const serviceText = formatServiceId(service);
      serviceLabel = serviceText;
      const conf = this.#conf();
      const clientText = formatClientId(client);
      const local = ctx.local.clients.get(clientText);
      if (!local)
        throw new XRoadFault(
          "Server.ClientProxy",
          "UnknownMember",
          `client ${clientText} is not a client of this security server`,
        );
      if (!conf.clients.has(clientText) || !(conf.hostsOf.get(clientText) ?? []).some((s) => this.#isSelf(s, conf)))
        throw new XRoadFault(
          "Server.ClientProxy",
          "UnknownMember",
          `client ${clientText} is not registered for this security server in the global configuration`,
        );
      this.#authenticate(req, local, clientText);
      const body = await readBody(req, ctx.config.maxBodyBytes, "Client");
      const provider = formatClientId({
        instance: service.instance,
        memberClass: service.memberClass,
        memberCode: service.memberCode,
        subsystemCode: service.subsystemCode,
      });
      const servers = conf.hostsOf.get(provider);
      if (!conf.clients.has(provider) || !servers?.length)
        throw new XRoadFault(
          "Server.ClientProxy",
          "UnknownMember",
          `service provider ${provider} is not registered on any security server`,
        );
      const server = servers[this.#rr++ % servers.length]!;
      // The provider's server must be in good standing before a byte is sent to it.
      for (const certificate of conf.authCertificates.get(server) ?? []) {
        const status = await ctx.ocsp.status(certificate, conf.serverCas);
        if (status.status !== "good")
          throw new XRoadFault(
            "Server.ClientProxy",
            "CertValidation",
            `the authentication certificate of security server ${server.serverCode} is not valid: ${status.message}`,
          );
      }

      const requestId = randomUUID();
      const out: HeaderMap = endToEndHeaders(req.headers, CLIENT_DROP);
      out["x-road-client"] = clientText;
      out["x-road-id"] = queryId;
      out["x-road-request-id"] = requestId;
      out[TIME_HEADER] = String(Date.now());
      const requestBodyDigest = bodyDigest(body);
      const requestBodyHash = requestBodyDigest.toString("base64");
      out[BODY_HASH_HEADER] = requestBodyHash;
      const target = `/r1/${serviceText}${remainderOf(url.slice(4))}`;
      const method = req.method ?? "GET";
      const head = requestHead(method, target, out);
      const signature = signBytes(ctx.identity.signKey, signingInput(head, requestBodyHash)).toString("base64");
      const expectedHash = requestHashOf(head, body.byteLength === 0 ? undefined : requestBodyDigest);

      let reply: Awaited<ReturnType<Pool["request"]>>;
      try {
        reply = await this.#pool(server, conf).request({
          path: target,
          method: method as "GET",
          headers: { ...out, [SIGNATURE_HEADER]: signature, [SIGNER_HEADER]: ctx.identity.signCertificateBase64 },
          body: body.length > 0 || !["GET", "HEAD"].includes(method) ? body : null,
        });
      } catch (cause) {
        const ssl = cause instanceof SslFailure || (cause as { cause?: unknown })?.cause instanceof SslFailure;
        throw new XRoadFault(
          "Server.ClientProxy",
          ssl ? "SslAuthenticationFailed" : "NetworkError",
          ssl
            ? (cause as Error).message
            : `cannot reach security server ${server.address}: ${(cause as Error).message}`,
          { cause },
        );
      }
      const responseBody = Buffer.from(await reply.body.arrayBuffer());
      const headers = reply.headers as Record<string, string | string[] | undefined>;
      if (headers["x-road-error"] && !headers[SIGNATURE_HEADER]) {
        // PR-REST 4.6: the provider side's X-Road errors reach the client unchanged.
        res.writeHead(reply.statusCode, endToEndHeaders(headers));
        res.end(responseBody);
        this.#count(serviceLabel, `fault`, started, String(headers["x-road-error"]));
        return;
      }
      const responseHeaders = endToEndHeaders(headers);
      const signer = await ctx.signers.check(
        typeof headers[SIGNER_HEADER] === "string" ? (headers[SIGNER_HEADER] as string) : undefined,
        memberOf(service),
        ctx,
        "Server.ClientProxy",
      );
      const responseSignature = headers[SIGNATURE_HEADER];
      const responseBodyHash = bodyHash(responseBody);
      const rHead = responseHead(reply.statusCode, responseHeaders);
      if (
        typeof responseSignature !== "string" ||
        responseHeaders[BODY_HASH_HEADER] !== responseBodyHash ||
        !verifyBytes(
          signer.certificate.publicKey,
          signingInput(rHead, responseBodyHash),
          Buffer.from(responseSignature, "base64"),
        )
      )
        throw new XRoadFault("Server.ClientProxy", "InvalidSignatureValue", "the response signature does not verify");
      if (
        responseHeaders["x-road-request-hash"] !== expectedHash ||
        responseHeaders["x-road-request-id"] !== requestId ||
        responseHeaders["x-road-id"] !== queryId
      )
        throw new XRoadFault("Server.ClientProxy", "InconsistentResponse", "the response does not answer this request");

      try {
        await ctx.log.append({
          side: "client",
          queryId,
          requestId,
          clientId: clientText,
          serviceId: serviceText,
          createdAt: new Date().toISOString(),
          loggingMode: local.loggingMode,
          requestHead: head,
          requestBody: body,
          requestBodyHash,
          requestSignature: signature,
          requestSigner: ctx.identity.signCertificateBase64,
          responseStatus: reply.statusCode,
          responseHead: rHead,
          responseBody,
          responseBodyHash,
          responseSignature,
          responseSigner: headers[SIGNER_HEADER] as string,
          peerOcsp: signer.status.response ?? null,
        });
      } catch (cause) {
        throw new XRoadFault(
          "Server.ClientProxy",
          "DatabaseError",
          `the message log cannot be written: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
      const toClient: Record<string, string> = {};
      for (const [name, value] of Object.entries(responseHeaders))
        if (!RESPONSE_OUT_DROP.has(name)) toClient[name] = value;
      toClient["x-road-client"] = clientText;
      toClient["x-road-service"] = serviceText;
      toClient["content-length"] = String(responseBody.length);
      res.writeHead(reply.statusCode, toClient);
      res.end(responseBody);
      this.#count(serviceLabel, reply.statusCode < 400 ? "ok" : "provider_error", started);
    } catch (error) {
      const fault =
        error instanceof XRoadFault
          ? error
          : new XRoadFault("Server.ClientProxy", "InternalError", `internal error: ${(error as Error).message}`, {
              cause: error,
            });
      if (fault.type.endsWith("InternalError")) ctx.logger.error({ err: error, queryId }, "client proxy failed");
      sendFault(res, fault, queryId);
      this.#count(serviceLabel, "fault", started, fault.type);
    }
  }

  #count(service: string, outcome: string, started: number, type?: string): void {
    const { metrics } = this.ctx;
    metrics.requests.inc({ side: "client", service, outcome });
    metrics.duration.observe({ side: "client", service }, (performance.now() - started) / 1000);
    if (type) metrics.errors.inc({ side: "client", type });
  }

  #conf(): GlobalConfIndex {
    const conf = this.ctx.globalConf.current;
    if (!conf)
      throw new XRoadFault(
        "Server.ClientProxy",
        "OutdatedGlobalConf",
        "no global configuration has been downloaded yet",
      );
    if (conf.expired())
      throw new XRoadFault(
        "Server.ClientProxy",
        "OutdatedGlobalConf",
        `the global configuration expired at ${conf.conf.content.expiresAt}; the central server cannot be reached`,
      );
    return conf;
  }

  #isSelf(server: GlobalConfServer, conf: GlobalConfIndex): boolean {
    const self = this.#self;
    return (
      server.serverCode === self.subsystemCode &&
      server.owner.memberClass === self.memberClass &&
      server.owner.memberCode === self.memberCode &&
      conf.instance === self.instance
    );
  }

  /** PR-REST 4.7: no information system may call as a client it is not registered for. */
  #authenticate(
    req: IncomingMessage,
    local: { connection: string; allowedAddresses: Set<string>; isCertHashes: Set<string> },
    clientText: string,
  ): void {
    const socket = req.socket as TLSSocket;
    if (local.connection === "https") {
      const peer = socket.encrypted ? socket.getPeerX509Certificate?.() : undefined;
      if (!peer)
        throw new XRoadFault(
          "Server.ClientProxy",
          "SslAuthenticationFailed",
          `client ${clientText} specifies HTTPS but the information system did not supply a TLS certificate`,
        );
      if (!local.isCertHashes.has(certHash(peer)))
        throw new XRoadFault(
          "Server.ClientProxy",
          "SslAuthenticationFailed",
          `the information system's TLS certificate is not registered for client ${clientText}`,
        );
      return;
    }
    if (local.allowedAddresses.size > 0) {
      const address = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
      if (!local.allowedAddresses.has(address))
        throw new XRoadFault(
          "Server.ClientProxy",
          "SslAuthenticationFailed",
          `the information system at ${address} is not allowed to call as client ${clientText}`,
        );
    }
  }
}

const certHashes = new WeakMap<X509Certificate, string>();
function certHash(certificate: X509Certificate): string {
  let hash = certHashes.get(certificate);
  if (!hash) {
    hash = createHash("sha256").update(certificate.raw).digest("hex");
    certHashes.set(certificate, hash);
  }
  return hash;
}
