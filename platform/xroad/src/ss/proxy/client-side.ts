import { createHash, randomUUID, type X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { type ClientId, formatClientId, formatServiceId, memberOf, parseClientId } from "@riik/core";
import { Pool } from "undici";
import { verifyBytes } from "../../crypto/keys.ts";
import { XRoadFault } from "../../errors.ts";
import type { GlobalConfIndex, GlobalConfServer } from "../../globalconf/document.ts";
import {
  BODY_HASH_HEADER,
  bodyDigest,
  bodyHash,
  endToEndHeaders,
  type HeaderLines,
  messageIdOf,
  parseR1Request,
  remainderOf,
  requestHashOf,
  requestHead,
  responseHead,
  type SecurityServerId,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  signingInput,
  single,
  TIME_HEADER,
  XROAD_RESPONSE_HEADERS,
} from "../../protocol/message.ts";
import { formatRepresentedParty, representedPartyOf } from "../../protocol/represented-party.ts";
import { readBody, type SsContext } from "../context.ts";
import type { LocalClient } from "../local-conf.ts";
import { listClients } from "../metadata.ts";
import { bodyless, type ExchangeLabel, logFailure, type Outcome, runExchange } from "./exchange.ts";

/** Headers a client may not set: the security servers' own (PR-REST 4.3) and riik's transport headers. */
const CLIENT_DROP: ReadonlySet<string> = new Set([
  ...[...XROAD_RESPONSE_HEADERS].filter((h) => h !== "x-road-client" && h !== "x-road-id"),
  TIME_HEADER,
  BODY_HASH_HEADER,
]);
const RESPONSE_OUT_DROP: ReadonlySet<string> = new Set([TIME_HEADER, BODY_HASH_HEADER]);
const FAULT = "Server.ClientProxy";

class SslFailure extends Error {}

/** The request as parsed: which client calls which service. */
interface Parsed {
  url: string;
  service: ReturnType<typeof parseR1Request>["service"];
  serviceText: string;
  clientText: string;
  /** X-Road-Security-Server, when the client targets one of the provider's servers. */
  target: SecurityServerId | undefined;
  /** X-Road-Represented-Party, canonical (PR-THIRDPARTY 2.2); null when the client acts for itself. */
  representedParty: string | null;
  conf: GlobalConfIndex;
}

/** The request as signed for the provider's security server. */
interface Signed {
  requestId: string;
  target: string;
  method: string;
  headers: HeaderLines;
  head: string;
  body: Buffer;
  bodyHash: string;
  signature: string;
  /** X-Road-Request-Hash the response must carry. */
  expectedHash: string;
}

/** The provider side's answer, its signature checked. */
interface Verified {
  status: number;
  headers: HeaderLines;
  head: string;
  body: Buffer;
  bodyHash: string;
  signature: string;
  signer: string;
  peerOcsp: Uint8Array | null;
}

/**
 * The consumer side (PR-REST 4): information systems call `/r1/{serviceId}[/path]`. Each
 * request goes through named steps: parse, authorise (the information system for its
 * client), read, route (to a provider's security server in good standing), sign with the
 * member's key, forward over mutual TLS 1.3, verify the signed answer, log, respond.
 */
export class ClientProxy {
  readonly #pools = new Map<string, Pool>();
  /** Round-robin position over a provider's security servers. */
  #rr = 0;
  /** This server's own id, parsed once (checked against the global configuration per request). */
  readonly #self: ClientId;

  constructor(readonly ctx: SsContext) {
    this.#self = parseClientId(ctx.config.serverId);
    ctx.globalConf.onChange(() => this.closePools());
  }

  closePools(): void {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    for (const pool of pools) void pool.close().catch(() => undefined);
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const queryId = messageIdOf(req.headersDistinct) ?? randomUUID();
    return runExchange(this.ctx, "client", req, res, queryId, async (label) => {
      const url = req.url ?? "/";
      if (req.method === "GET" && (url === "/listClients" || url.startsWith("/listClients?")))
        return this.#listClients(url, req, res);
      const parsed = this.#parse(req, url, label);
      const local = this.#authorise(req, parsed);
      const body = await readBody(req, this.ctx.config.maxBodyBytes, "Client");
      const server = await this.#route(parsed);
      const signed = await this.#sign(req, parsed, queryId, body);
      const reply = await this.#forward(server, parsed.conf, signed);
      const headers = reply.headers as Record<string, string | string[] | undefined>;
      if (headers["x-road-error"] && !headers[SIGNATURE_HEADER])
        throw providerFault(headers["x-road-error"], reply.body);
      const answer = await this.#verify(parsed, signed, queryId, reply.statusCode, headers, reply.body);
      await this.#log(parsed, local, signed, queryId, answer);
      return this.#respond(res, parsed, answer, signed.method);
    });
  }

  /** The metadata service of the consumer side (PR-META listClients). */
  #listClients(url: string, req: IncomingMessage, res: ServerResponse): Outcome {
    const conf = this.#conf();
    const instance = new URLSearchParams(url.slice("/listClients".length)).get("xRoadInstance");
    const answer = listClients(conf, instance, req.headers.accept);
    res.writeHead(200, { "content-type": answer.contentType, "content-length": Buffer.byteLength(answer.body) });
    res.end(answer.body);
    return { outcome: "ok" };
  }

  /** PR-REST 4.2: the service and the client the information system names. */
  #parse(req: IncomingMessage, url: string, label: ExchangeLabel): Parsed {
    const { service, client, server } = parseR1Request(url, req.headersDistinct);
    const serviceText = formatServiceId(service);
    label.service = serviceText;
    // Checked before a byte leaves: the line is then signed with the other headers (#sign).
    const party = representedPartyOf(req.headersDistinct);
    return {
      url,
      service,
      serviceText,
      clientText: formatClientId(client),
      target: server,
      representedParty: party ? formatRepresentedParty(party) : null,
      conf: this.#conf(),
    };
  }

  /**
   * The client is one of this server's, registered for it in the global configuration, and
   * the information system may call as it (PR-REST 4.7).
   */
  #authorise(req: IncomingMessage, { clientText, conf }: Parsed): LocalClient {
    const local = this.ctx.local.clients.get(clientText);
    if (!local)
      throw new XRoadFault(FAULT, "UnknownMember", `client ${clientText} is not a client of this security server`);
    if (!conf.clients.has(clientText) || !(conf.hostsOf.get(clientText) ?? []).some((s) => this.#isSelf(s, conf)))
      throw new XRoadFault(
        FAULT,
        "UnknownMember",
        `client ${clientText} is not registered for this security server in the global configuration`,
      );
    authenticate(req, local, clientText);
    return local;
  }

  /**
   * A security server of the provider: the one the client names in X-Road-Security-Server
   * (PR-REST 4.3), else round robin; it must be in good standing before a byte is sent to it.
   */
  async #route({ service, conf, target }: Parsed): Promise<GlobalConfServer> {
    const provider = formatClientId({
      instance: service.instance,
      memberClass: service.memberClass,
      memberCode: service.memberCode,
      subsystemCode: service.subsystemCode,
    });
    const servers = conf.hostsOf.get(provider);
    if (!conf.clients.has(provider) || !servers?.length)
      throw new XRoadFault(
        FAULT,
        "UnknownMember",
        `service provider ${provider} is not registered on any security server`,
      );
    const server = target ? targeted(target, servers, conf) : servers[this.#rr++ % servers.length]!;
    for (const certificate of conf.authCertificates.get(server) ?? []) {
      const status = await this.ctx.ocsp.status(certificate, conf.serverCas);
      if (status.status !== "good")
        throw new XRoadFault(
          FAULT,
          "CertValidation",
          `the authentication certificate of security server ${server.serverCode} is not valid: ${status.message}`,
        );
    }
    return server;
  }

  /** The request head and body hash signed with the member's signing key (riik's PR-MESS counterpart, README). */
  async #sign(
    req: IncomingMessage,
    { url, serviceText, clientText }: Parsed,
    queryId: string,
    body: Buffer,
  ): Promise<Signed> {
    const { identity } = this.ctx;
    const requestId = randomUUID();
    const headers = endToEndHeaders(req.headersDistinct, CLIENT_DROP);
    headers["x-road-client"] = [clientText];
    headers["x-road-id"] = [queryId];
    headers["x-road-request-id"] = [requestId];
    headers[TIME_HEADER] = [String(Date.now())];
    const digest = bodyDigest(body);
    const hash = digest.toString("base64");
    headers[BODY_HASH_HEADER] = [hash];
    const target = `/r1/${serviceText}${remainderOf(url.slice(4))}`;
    const method = req.method ?? "GET";
    const head = requestHead(method, target, headers);
    return {
      requestId,
      target,
      method,
      headers,
      head,
      body,
      bodyHash: hash,
      signature: (await identity.signKey.sign(signingInput(head, hash))).toString("base64"),
      expectedHash: requestHashOf(head, body.byteLength === 0 ? undefined : digest),
    };
  }

  /** Over mutual TLS 1.3 to the provider's security server, identified by its registered certificate. */
  async #forward(server: GlobalConfServer, conf: GlobalConfIndex, signed: Signed) {
    const { identity } = this.ctx;
    let reply: Awaited<ReturnType<Pool["request"]>>;
    try {
      reply = await this.#pool(server, conf).request({
        path: signed.target,
        method: signed.method as "GET",
        headers: {
          ...signed.headers,
          [SIGNATURE_HEADER]: signed.signature,
          [SIGNER_HEADER]: identity.signCertificateBase64,
        },
        body: signed.body.length > 0 || !["GET", "HEAD"].includes(signed.method) ? signed.body : null,
      });
    } catch (cause) {
      const ssl = cause instanceof SslFailure || (cause as { cause?: unknown })?.cause instanceof SslFailure;
      throw new XRoadFault(
        FAULT,
        ssl ? "SslAuthenticationFailed" : "NetworkError",
        ssl ? (cause as Error).message : `cannot reach security server ${server.address}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return { statusCode: reply.statusCode, headers: reply.headers, body: Buffer.from(await reply.body.arrayBuffer()) };
  }

  /** The answer is signed by the provider's member and answers this very request. */
  async #verify(
    { service }: Parsed,
    signed: Signed,
    queryId: string,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): Promise<Verified> {
    const { ctx } = this;
    const responseHeaders = endToEndHeaders(headers);
    const signer = await ctx.signers.check(
      typeof headers[SIGNER_HEADER] === "string" ? (headers[SIGNER_HEADER] as string) : undefined,
      memberOf(service),
      ctx,
      FAULT,
    );
    const signature = headers[SIGNATURE_HEADER];
    const hash = bodyHash(body);
    const head = responseHead(status, responseHeaders);
    if (
      typeof signature !== "string" ||
      single(responseHeaders, BODY_HASH_HEADER) !== hash ||
      !verifyBytes(signer.certificate.publicKey, signingInput(head, hash), Buffer.from(signature, "base64"))
    )
      throw new XRoadFault(FAULT, "InvalidSignatureValue", "the response signature does not verify");
    if (
      single(responseHeaders, "x-road-request-hash") !== signed.expectedHash ||
      single(responseHeaders, "x-road-request-id") !== signed.requestId ||
      single(responseHeaders, "x-road-id") !== queryId
    )
      throw new XRoadFault(FAULT, "InconsistentResponse", "the response does not answer this request");
    return {
      status,
      headers: responseHeaders,
      head,
      body,
      bodyHash: hash,
      signature,
      signer: headers[SIGNER_HEADER] as string,
      peerOcsp: signer.status.response ?? null,
    };
  }

  /** The exchange is answered only once its record is durable. */
  async #log(parsed: Parsed, local: LocalClient, signed: Signed, queryId: string, answer: Verified): Promise<void> {
    try {
      await this.ctx.log.append({
        side: "client",
        queryId,
        requestId: signed.requestId,
        clientId: parsed.clientText,
        serviceId: parsed.serviceText,
        createdAt: new Date().toISOString(),
        loggingMode: local.loggingMode,
        requestHead: signed.head,
        requestBody: signed.body,
        requestBodyHash: signed.bodyHash,
        requestSignature: signed.signature,
        requestSigner: this.ctx.identity.signCertificateBase64,
        responseStatus: answer.status,
        responseHead: answer.head,
        responseBody: answer.body,
        responseBodyHash: answer.bodyHash,
        responseSignature: answer.signature,
        responseSigner: answer.signer,
        peerOcsp: answer.peerOcsp,
        representedParty: parsed.representedParty,
      });
    } catch (cause) {
      throw logFailure(FAULT, cause);
    }
  }

  /** Every header line as the provider sent it (PR-REST 4.3 user-defined headers), repeated ones too. */
  #respond(res: ServerResponse, { clientText, serviceText }: Parsed, answer: Verified, method: string): Outcome {
    const toClient: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(answer.headers))
      if (!RESPONSE_OUT_DROP.has(name)) toClient[name] = values;
    toClient["x-road-client"] = [clientText];
    toClient["x-road-service"] = [serviceText];
    if (!bodyless(method, answer.status)) toClient["content-length"] = [String(answer.body.length)];
    res.writeHead(answer.status, toClient);
    res.end(answer.body);
    return { outcome: answer.status < 400 ? "ok" : "provider_error" };
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
          const registered = this.ctx.globalConf.current?.serverByAuthHash.get(hash);
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

  #conf(): GlobalConfIndex {
    const conf = this.ctx.globalConf.current;
    if (!conf) throw new XRoadFault(FAULT, "OutdatedGlobalConf", "no global configuration has been downloaded yet");
    if (conf.expired())
      throw new XRoadFault(
        FAULT,
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
}

/**
 * PR-REST 4.3 X-Road-Security-Server: the named server must exist in the global
 * configuration and serve the provider, else `InvalidSecurityServer` (X-Road's own checks
 * and messages, AbstractClientMessageProcessor).
 */
function targeted(target: SecurityServerId, servers: GlobalConfServer[], conf: GlobalConfIndex): GlobalConfServer {
  const named = `${target.instance}/${target.memberClass}/${target.memberCode}/${target.serverCode}`;
  const matches = (s: GlobalConfServer) =>
    target.instance === conf.instance &&
    s.serverCode === target.serverCode &&
    s.owner.memberClass === target.memberClass &&
    s.owner.memberCode === target.memberCode;
  if (!conf.conf.content.securityServers.some(matches))
    throw new XRoadFault(FAULT, "InvalidSecurityServer", `Could not find security server "${named}"`);
  const server = servers.find(matches);
  if (!server) throw new XRoadFault(FAULT, "InvalidSecurityServer", `Invalid security server "${named}"`);
  return server;
}

/**
 * A refusal of the provider's security server (unsigned: the transport's JSON form, or no
 * body after a HEAD), rebuilt so that this server renders it for its own client (Accept,
 * spelling) with the same type and message (PR-REST 4.6 example 4).
 */
function providerFault(type: string | string[], body: Buffer): XRoadFault {
  let message = "the provider's security server refused the request";
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // A HEAD answer has no body: the type alone is passed on.
  }
  return (
    XRoadFault.ofType(String(type), message) ??
    new XRoadFault(FAULT, "InvalidMessage", `the provider's security server answered an unknown error type ${type}`)
  );
}

/** PR-REST 4.7: no information system may call as a client it is not registered for. */
function authenticate(req: IncomingMessage, local: LocalClient, clientText: string): void {
  const socket = req.socket as TLSSocket;
  if (local.connection === "https") {
    const peer = socket.encrypted ? socket.getPeerX509Certificate?.() : undefined;
    if (!peer)
      throw new XRoadFault(
        FAULT,
        "SslAuthenticationFailed",
        `client ${clientText} specifies HTTPS but the information system did not supply a TLS certificate`,
      );
    if (!local.isCertHashes.has(certHash(peer)))
      throw new XRoadFault(
        FAULT,
        "SslAuthenticationFailed",
        `the information system's TLS certificate is not registered for client ${clientText}`,
      );
    return;
  }
  if (local.allowedAddresses.size > 0) {
    const address = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    if (!local.allowedAddresses.has(address))
      throw new XRoadFault(
        FAULT,
        "SslAuthenticationFailed",
        `the information system at ${address} is not allowed to call as client ${clientText}`,
      );
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
