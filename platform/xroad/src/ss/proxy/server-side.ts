import type { X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { type ClientId, formatClientId, formatServiceId, memberOf } from "@riik/core";
import type { Pool } from "undici";
import { verifyBytes } from "../../crypto/keys.ts";
import { checkPersonalRequest, subjectsOf, TRACKER_REQUEST_HEADERS, useRows } from "../../datatracker/capture.ts";
import type { NewUseRow } from "../../datatracker/record.ts";
import { XRoadFault } from "../../errors.ts";
import { certificateHash, type GlobalConfIndex, type GlobalConfServer } from "../../globalconf/document.ts";
import {
  BODY_HASH_HEADER,
  bodyDigest,
  bodyHash,
  endToEndHeaders,
  folded,
  type HeaderLines,
  messageIdOf,
  normaliseServicePath,
  parseR1Request,
  readSignedHeaders,
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
import {
  formatRepresentedParty,
  type RepresentedParty,
  representedPartyOf,
  representedPerson,
} from "../../protocol/represented-party.ts";
import { readBody, type SsContext } from "../context.ts";
import { informationSystemPool, type ServiceConnection } from "../information-system-tls.ts";
import { DATA_TRACKER_SERVICE, type LocalClient, type LocalService } from "../local-conf.ts";
import { answerMetadata, METADATA_SERVICES } from "../metadata.ts";
import { bodyless, type ExchangeLabel, logFailure, type Outcome, runExchange } from "./exchange.ts";

const PROVIDER_DROP: ReadonlySet<string> = new Set([...XROAD_RESPONSE_HEADERS, TIME_HEADER, BODY_HASH_HEADER]);
/** X-Road-Security-Server is for the security servers only (PR-REST 4.3): checked here, never forwarded. */
const TO_PROVIDER_DROP: ReadonlySet<string> = new Set([
  TIME_HEADER,
  BODY_HASH_HEADER,
  "x-road-security-server",
  ...TRACKER_REQUEST_HEADERS,
]);
const FAULT = "Server.ServerProxy";
const peers = new WeakMap<object, { certificate: X509Certificate; hash: string }>();

/** The request as parsed, from a security server registered for its client. */
interface Parsed {
  url: string;
  conf: GlobalConfIndex;
  service: ReturnType<typeof parseR1Request>["service"];
  client: ClientId;
  serviceText: string;
  clientText: string;
  memberText: string;
}

/** The request whose signature, freshness and access were checked. */
interface Authorised {
  requestId: string;
  method: string;
  headers: HeaderLines;
  head: string;
  body: Buffer;
  bodyDigest: Buffer;
  bodyHash: string;
  signature: string;
  signer: string;
  peerOcsp: Uint8Array | null;
  providerText: string;
  provider: LocalClient;
  /** X-Road-Represented-Party as the client's member signed it; undefined when none. */
  represented: RepresentedParty | undefined;
}

/** What answers the request: the provider's service, the Data Tracker or the metadata services. */
interface Answer {
  status: number;
  headers: HeaderLines;
  body: Buffer;
  /** Data Tracker uses of a personal-data exchange, committed with its log record. */
  uses: NewUseRow[];
}

/** The answer as signed for the client's security server. */
interface Signed {
  headers: HeaderLines;
  head: string;
  bodyHash: string;
  signature: string;
}

/**
 * The provider side: requests from other security servers arrive over mutual TLS 1.3 and go
 * through named steps: parse (the sending server must hold an authentication certificate
 * registered for it, valid by OCSP, and be registered for the client), authorise (a fresh,
 * unseen, valid signature of the client's member; a provider of this server), forward (to
 * the service once an access right covers the client, method and path; Data Tracker and
 * metadata answered here), track (the uses of a personal-data exchange), sign (bound to the
 * request by X-Road-Request-Hash), log, respond.
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

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const queryId = messageIdOf(req.headersDistinct) ?? "";
    return runExchange(this.ctx, "server", req, res, queryId, async (label) => {
      const parsed = await this.#parse(req, label);
      const request = await this.#authorise(req, parsed);
      const answer = await this.#forward(parsed, request, queryId);
      const signed = await this.#sign(parsed, request, queryId, answer);
      await this.#log(parsed, request, queryId, answer, signed);
      return this.#respond(res, answer, signed, request.method);
    });
  }

  /** The sending security server, in good standing and registered for the client it names. */
  async #parse(req: IncomingMessage, label: ExchangeLabel): Promise<Parsed> {
    const { ctx } = this;
    const conf = ctx.globalConf.current;
    if (!conf || conf.expired())
      throw new XRoadFault(FAULT, "OutdatedGlobalConf", "the provider's global configuration is outdated");
    const peer = this.#peer(req);
    const peerServer = conf.serverByAuthHash.get(peer.hash);
    if (!peerServer)
      throw new XRoadFault(
        FAULT,
        "SslAuthenticationFailed",
        "the client's security server presented an authentication certificate that is not registered",
      );
    const peerStatus = await ctx.ocsp.status(peer.certificate, conf.serverCas);
    if (peerStatus.status !== "good")
      throw new XRoadFault(
        FAULT,
        "CertValidation",
        `the authentication certificate of security server ${peerServer.serverCode} is not valid: ${peerStatus.message}`,
      );
    const url = req.url ?? "/";
    const { service, client, server } = parseR1Request(url, req.headersDistinct);
    // PR-REST 4.3 X-Road-Security-Server: a request for another server is not served here
    // (X-Road's ServerMessageProcessor.verifySecurityServer).
    if (server && !this.#isSelf(server, conf))
      throw new XRoadFault(
        FAULT,
        "InvalidSecurityServer",
        `Invalid security server identifier '${server.instance}/${server.memberClass}/${server.memberCode}/${server.serverCode}' expected '${ctx.config.serverId}'`,
      );
    const serviceText = formatServiceId(service);
    label.service = serviceText;
    const parsed: Parsed = {
      url,
      conf,
      service,
      client,
      serviceText,
      clientText: formatClientId(client),
      memberText: formatClientId(memberOf(client)),
    };
    registeredFor(peerServer, parsed);
    return parsed;
  }

  /** The client member's signature over the request, within the clock window and never seen before; a provider of this server. */
  async #authorise(req: IncomingMessage, { url, conf, service, client, memberText }: Parsed): Promise<Authorised> {
    const { ctx } = this;
    const body = await readBody(req, ctx.config.maxBodyBytes, FAULT);
    const headers = endToEndHeaders(req.headersDistinct);
    const { requestId, time, signature, signer: signerText } = readSignedHeaders(req.headers, FAULT);
    const skewMs = conf.conf.content.settings.maxClockSkewSeconds * 1000;
    if (Math.abs(Date.now() - time) > skewMs)
      throw new XRoadFault(FAULT, "InvalidMessage", "the message was signed outside the accepted time window");
    const signer = await ctx.signers.check(signerText, client, ctx, FAULT);
    const digest = bodyDigest(body);
    const hash = digest.toString("base64");
    const method = req.method ?? "GET";
    const head = requestHead(method, url, headers);
    if (
      single(headers, BODY_HASH_HEADER) !== hash ||
      !verifyBytes(signer.certificate.publicKey, signingInput(head, hash), Buffer.from(signature, "base64"))
    )
      throw new XRoadFault(FAULT, "InvalidSignatureValue", "the request signature does not verify");
    let fresh: boolean;
    try {
      fresh = await ctx.replay.remember(`${memberText}|${requestId}`, time, skewMs);
    } catch (cause) {
      throw new XRoadFault(FAULT, "DatabaseError", `the replay guard cannot be written: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!fresh) throw new XRoadFault(FAULT, "InvalidMessage", `request ${requestId} was already received (replay)`);
    // Read from the headers the signature was just verified over: the party the provider's
    // information system receives, the log and the Data Tracker record is the one signed.
    const represented = representedPartyOf(headers);

    const providerText = formatClientId({
      instance: service.instance,
      memberClass: service.memberClass,
      memberCode: service.memberCode,
      subsystemCode: service.subsystemCode,
    });
    const provider = ctx.local.clients.get(providerText);
    if (!provider || !(conf.hostsOf.get(providerText) ?? []).includes(conf.serverByAuthHash.get(this.#selfHash)!))
      throw new XRoadFault(FAULT, "UnknownMember", `${providerText} is not a client of this security server`);
    return {
      requestId,
      method,
      headers,
      head,
      body,
      bodyDigest: digest,
      bodyHash: hash,
      signature,
      signer: signerText!,
      peerOcsp: signer.status.response ?? null,
      providerText,
      provider,
      represented,
    };
  }

  /** The answer: the Data Tracker usage protocol, a metadata service, or the provider's service under an access right. */
  async #forward(
    { url, conf, service, client, serviceText, clientText }: Parsed,
    { method, headers, body, providerText, represented }: Authorised,
    queryId: string,
  ): Promise<Answer> {
    const { ctx } = this;
    // Normalised once: the access check, the Data Tracker and the provider see this same path.
    const { path, query } = normaliseServicePath(remainderOf(url.slice(4)));
    if (service.serviceCode === DATA_TRACKER_SERVICE && ctx.local.hasPersonalData(providerText)) {
      // The Data Tracker usage protocol, answered here (README, Data Tracker).
      const tracker = await ctx.tracker.answer(providerText, client, method, path + query, folded(headers), conf);
      return {
        status: tracker.status,
        headers: { "content-type": [tracker.contentType] },
        body: tracker.body,
        uses: [],
      };
    }
    if (METADATA_SERVICES.has(service.serviceCode)) {
      const meta = answerMetadata(
        method,
        service.serviceCode,
        providerText,
        new URLSearchParams(query),
        client,
        ctx.local,
        conf,
      );
      return { status: meta.status, headers: { "content-type": [meta.contentType] }, body: meta.body, uses: [] };
    }
    const local = ctx.local.service(providerText, service.serviceCode);
    if (!local) throw new XRoadFault(FAULT, "UnknownService", `service ${serviceText} is not provided here`);
    const pathOnly = path || "/";
    if (!ctx.local.allowed(providerText, service.serviceCode, client, method, pathOnly, conf))
      throw new XRoadFault(
        FAULT,
        "AccessDenied",
        `request is not allowed: ${clientText} has no access right to ${method} ${pathOnly} of ${serviceText}`,
      );
    const personal = local.personalData;
    const useContext = personal
      ? checkPersonalRequest(folded(headers), providerText, client, ctx.local, conf)
      : undefined;
    const answer: Answer = {
      ...(await this.#callProvider(providerText, local, method, path + query, headers, body)),
      uses: [],
    };
    if (personal && useContext) {
      // Track: a successful response that does not say whose data it carries never leaves
      // (fail closed); an error answer passes unchanged, recorded for the person the path names.
      const subjects = subjectsOf(personal, pathOnly, answer.status, folded(answer.headers));
      delete answer.headers[personal.subjectsHeader];
      answer.uses = useRows(subjects, useContext, {
        provider: providerText,
        service: local,
        serviceId: serviceText,
        clientId: clientText,
        queryId,
        representedParty: represented ? formatRepresentedParty(represented) : null,
        representedPerson: represented ? representedPerson(represented) : undefined,
      });
    }
    return answer;
  }

  /** The answer signed with the provider member's key, bound to the request by X-Road-Request-Hash. */
  async #sign(
    { clientText, serviceText }: Parsed,
    request: Authorised,
    queryId: string,
    answer: Answer,
  ): Promise<Signed> {
    const headers = endToEndHeaders(answer.headers, PROVIDER_DROP);
    headers["x-road-client"] = [clientText];
    headers["x-road-service"] = [serviceText];
    headers["x-road-id"] = [queryId];
    headers["x-road-request-id"] = [request.requestId];
    headers["x-road-request-hash"] = [
      requestHashOf(request.head, request.body.byteLength === 0 ? undefined : request.bodyDigest),
    ];
    headers[TIME_HEADER] = [String(Date.now())];
    const hash = bodyHash(answer.body);
    headers[BODY_HASH_HEADER] = [hash];
    const head = responseHead(answer.status, headers);
    const signature = (await this.ctx.identity.signKey.sign(signingInput(head, hash))).toString("base64");
    return { headers, head, bodyHash: hash, signature };
  }

  /** The record and its Data Tracker uses in one commit; the answer leaves only once both are durable. */
  async #log(
    { clientText, serviceText }: Parsed,
    request: Authorised,
    queryId: string,
    answer: Answer,
    signed: Signed,
  ): Promise<void> {
    try {
      await this.ctx.log.append(
        {
          side: "server",
          queryId,
          requestId: request.requestId,
          clientId: clientText,
          serviceId: serviceText,
          createdAt: new Date().toISOString(),
          loggingMode: request.provider.loggingMode,
          requestHead: request.head,
          requestBody: request.body,
          requestBodyHash: request.bodyHash,
          requestSignature: request.signature,
          requestSigner: request.signer,
          responseStatus: answer.status,
          responseHead: signed.head,
          responseBody: answer.body,
          responseBodyHash: signed.bodyHash,
          responseSignature: signed.signature,
          responseSigner: this.ctx.identity.signCertificateBase64,
          peerOcsp: request.peerOcsp,
          representedParty: request.represented ? formatRepresentedParty(request.represented) : null,
        },
        answer.uses,
      );
    } catch (cause) {
      throw logFailure(FAULT, cause);
    }
  }

  #respond(res: ServerResponse, answer: Answer, signed: Signed, method: string): Outcome {
    res.writeHead(answer.status, {
      ...signed.headers,
      [SIGNATURE_HEADER]: signed.signature,
      [SIGNER_HEADER]: this.ctx.identity.signCertificateBase64,
      ...(bodyless(method, answer.status) ? {} : { "content-length": String(answer.body.length) }),
    });
    res.end(answer.body);
    return { outcome: answer.status < 400 ? "ok" : "provider_error" };
  }

  /** One pool per information system, connection type and provider (whose IS certificates are pinned). */
  #pool(origin: string, provider: string, connection: ServiceConnection): Pool {
    const key = `${connection} ${provider} ${origin}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = informationSystemPool(
        origin,
        connection,
        this.ctx.identity,
        () => this.ctx.local.clients.get(provider)?.isCertHashes,
      );
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async #callProvider(
    provider: string,
    service: LocalService,
    method: string,
    pathAndQuery: string,
    headers: HeaderLines,
    body: Buffer,
  ): Promise<{ status: number; headers: HeaderLines; body: Buffer }> {
    // Appended to the base path as is: a URL parser would resolve dot segments again.
    const target = new URL(service.url);
    const requestPath = `${target.pathname.replace(/\/$/, "")}${pathAndQuery}`;
    const forwarded: HeaderLines = {};
    for (const [name, value] of Object.entries(headers)) if (!TO_PROVIDER_DROP.has(name)) forwarded[name] = value;
    try {
      // PR-REST 4.4: redirects are passed on, never followed.
      const reply = await this.#pool(target.origin, provider, service.connection).request({
        path: requestPath.startsWith("/") ? requestPath : `/${requestPath}`,
        method: method as "GET",
        headers: forwarded,
        body: body.length > 0 || !["GET", "HEAD"].includes(method) ? body : null,
        headersTimeout: service.timeoutMs,
        bodyTimeout: service.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of reply.body) {
        size += (chunk as Buffer).length;
        if (size > this.ctx.config.maxBodyBytes) {
          reply.body.destroy();
          throw new XRoadFault(
            FAULT,
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
        FAULT,
        timeout ? "ServiceFailed" : "NetworkError",
        `${timeout ? "the service did not answer in time" : "cannot reach the service"} at ${target.origin}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** This server, as the global configuration registers its authentication certificate. */
  #isSelf(server: SecurityServerId, conf: GlobalConfIndex): boolean {
    const self = conf.serverByAuthHash.get(this.#selfHash);
    return (
      self !== undefined &&
      server.instance === conf.instance &&
      server.serverCode === self.serverCode &&
      server.memberClass === self.owner.memberClass &&
      server.memberCode === self.owner.memberCode
    );
  }

  #peer(req: IncomingMessage): { certificate: X509Certificate; hash: string } {
    const socket = req.socket as TLSSocket;
    let peer = peers.get(socket);
    if (!peer) {
      const certificate = socket.getPeerX509Certificate?.();
      if (!certificate)
        throw new XRoadFault(FAULT, "SslAuthenticationFailed", "the client's security server presented no certificate");
      peer = { certificate, hash: certificateHash(certificate) };
      peers.set(socket, peer);
    }
    return peer;
  }
}

/** The sending server must be registered for the client or its member. */
function registeredFor(peerServer: GlobalConfServer, { clientText, memberText }: Parsed): void {
  if (!peerServer.clients.includes(clientText) && !peerServer.clients.includes(memberText))
    throw new XRoadFault(
      FAULT,
      "SslAuthenticationFailed",
      `security server ${peerServer.serverCode} is not registered for client ${clientText}`,
    );
}
