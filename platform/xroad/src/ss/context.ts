import { X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ClientId, formatClientId, memberOf } from "@riik/core";
import type { Logger } from "pino";
import { Counter, Histogram, type Registry } from "prom-client";
import { trustedPath } from "../crypto/trust-path.ts";
import type { DataTrackerService } from "../datatracker/protocol.ts";
import { type ErrorTypeSpelling, type FaultPrefix, XRoadFault } from "../errors.ts";
import { certificateHash } from "../globalconf/document.ts";
import type { MessageLog } from "../messagelog/log.ts";
import { errorResponse } from "../protocol/error-response.ts";
import type { SecurityServerConfig, SecurityServerIdentity } from "./config.ts";
import type { GlobalConfClient } from "./globalconf-client.ts";
import type { LocalConf } from "./local-conf.ts";
import type { CertificateStatus, OcspCache } from "./ocsp-cache.ts";
import type { WireSettings } from "./wire-settings.ts";

/** Everything both proxies share. */
export interface SsContext {
  config: SecurityServerConfig;
  /** Where X-Road releases differ on the wire, which one this server speaks (ss.json `wire`). */
  wire: WireSettings;
  identity: SecurityServerIdentity;
  globalConf: GlobalConfClient;
  local: LocalConf;
  ocsp: OcspCache;
  log: MessageLog;
  logger: Logger;
  metrics: SsMetrics;
  signers: SignerCache;
  replay: ReplayGuard;
  /** The Data Tracker usage protocol over this server's use records. */
  tracker: DataTrackerService;
}

export function createMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: "riik_xroad_messages_total",
      help: "X-Road messages by side (client = consumer proxy, server = provider proxy), service and outcome",
      labelNames: ["side", "service", "outcome"],
      registers: [registry],
    }),
    errors: new Counter({
      name: "riik_xroad_errors_total",
      help: "X-Road errors by side and X-Road error type",
      labelNames: ["side", "type"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "riik_xroad_message_duration_seconds",
      help: "Time from request received to response sent, by side and service",
      labelNames: ["side", "service"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
export type SsMetrics = ReturnType<typeof createMetrics>;

/** The member a signing certificate speaks for (riik's seal profile: serialNumber=INSTANCE/CLASS/MEMBER). */
export function memberOfCertificate(certificate: X509Certificate): string | undefined {
  return /^serialNumber=(.+)$/m.exec(certificate.subject)?.[1];
}

/**
 * Signing certificates seen in messages, parsed once. Each use checks the issuer against
 * the current global configuration, the validity period, the member it names, and OCSP.
 */
export class SignerCache {
  readonly #parsed = new Map<
    string,
    { certificate: X509Certificate; member: string | undefined; issuerOk?: { version: number; ok: boolean } }
  >();

  async check(
    base64: string | undefined,
    expected: ClientId,
    ctx: SsContext,
    prefix: FaultPrefix,
  ): Promise<{ certificate: X509Certificate; status: CertificateStatus }> {
    if (!base64) throw new XRoadFault(prefix, "MissingSignature", "the message carries no signer certificate");
    let entry = this.#parsed.get(base64);
    if (!entry) {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(Buffer.from(base64, "base64"));
      } catch (cause) {
        throw new XRoadFault(prefix, "IncorrectCertificate", "the signer certificate is not X.509", { cause });
      }
      entry = { certificate, member: memberOfCertificate(certificate) };
      if (this.#parsed.size > 10_000) this.#parsed.clear();
      this.#parsed.set(base64, entry);
    }
    const conf = ctx.globalConf.current!;
    const version = conf.conf.content.version;
    if (entry.issuerOk?.version !== version) {
      // Issued by a server CA (@riik/pki's one trust path), once per configuration version;
      // the validity period is checked on every use below, so a path refused only for the
      // time still counts as issued here.
      const path = await trustedPath(entry.certificate, conf.serverCas, new Date());
      entry.issuerOk = { version, ok: path.ok || path.reason === "EXPIRED" || path.reason === "NOT_YET_VALID" };
    }
    if (!entry.issuerOk.ok)
      throw new XRoadFault(
        prefix,
        "CertValidation",
        "the signer certificate is not issued by a CA of the global configuration",
      );
    const now = Date.now();
    if (Date.parse(entry.certificate.validFrom) > now || Date.parse(entry.certificate.validTo) < now)
      throw new XRoadFault(prefix, "CertValidation", "the signer certificate is not valid now");
    const member = formatClientId(memberOf(expected));
    if (entry.member !== member)
      throw new XRoadFault(
        prefix,
        "IncorrectCertificate",
        `the message is signed for ${entry.member ?? "no member"}, not for ${member}`,
      );
    const status = await ctx.ocsp.status(entry.certificate, conf.serverCas);
    if (status.status !== "good")
      throw new XRoadFault(
        prefix,
        "CertValidation",
        `the signer certificate of ${member} is not valid: ${status.message}`,
      );
    return { certificate: entry.certificate, status };
  }
}

/**
 * Request ids seen within the accepted clock window, kept in the security server's own
 * store (table replay_guard, written with the message log) so that neither a restart nor a
 * second instance on the same database accepts a captured message again. A message signed
 * at `signedAt` is only accepted while |now − signedAt| ≤ window, so its id is kept until
 * then and pruned after: the table holds about one window of traffic. Ids arriving together
 * are committed together (one transaction, one fsync on SQLite).
 */
export class ReplayGuard {
  #queue: Array<{
    id: string;
    signedAt: number;
    windowMs: number;
    resolve: (fresh: boolean) => void;
    reject: (e: unknown) => void;
  }> = [];
  #flushing = false;
  #prunedAt = 0;
  constructor(
    readonly store: Pick<MessageLog, "rememberRequests">,
    readonly now: () => number = Date.now,
  ) {}

  /** True when new (and now remembered); false when seen before. The primary key decides, also between instances. */
  remember(id: string, signedAt: number, windowMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id, signedAt, windowMs, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, 1000);
        const now = this.now();
        const windowMs = Math.max(...batch.map((b) => b.windowMs));
        const prune = now - this.#prunedAt > windowMs / 2;
        if (prune) this.#prunedAt = now;
        try {
          const fresh = await this.store.rememberRequests(batch, prune ? now - windowMs : undefined);
          for (const [i, b] of batch.entries()) b.resolve(fresh[i] === true);
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}

/** How a refusal is rendered for whoever receives it (PR-REST 4.6). */
export interface FaultForm {
  /** The receiver's Accept header: JSON unless it prefers XML. */
  accept: string | undefined;
  spelling: ErrorTypeSpelling;
  /** The request was HEAD: the status and headers only (RFC 9110 9.3.2), no Content-Length invented. */
  head: boolean;
}

/** PR-REST 4.6: the X-Road error response; once the answer has begun, the connection is cut instead. */
export function sendFault(res: ServerResponse, fault: XRoadFault, detail: string, form: FaultForm): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = errorResponse(fault, detail, form.accept, form.spelling);
  if (form.head) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Reads a body of at most `limit` bytes. A larger one is read to the end and dropped (so
 * the client still gets the answer rather than a reset), up to a hard stop at 4× the limit.
 */
export function readBody(req: IncomingMessage, limit: number, prefix: FaultPrefix): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > limit * 4) req.destroy();
    });
    req.on("end", () => {
      if (tooLarge)
        reject(
          new XRoadFault(
            prefix === "Server.ServerProxy" ? prefix : "Client",
            prefix === "Server.ServerProxy" ? "InvalidMessage" : "BadRequest",
            `the request body is larger than the limit of ${limit} bytes`,
          ),
        );
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on("error", (error) =>
      reject(new XRoadFault(prefix, "NetworkError", `reading the request failed: ${error.message}`)),
    );
  });
}

export const hashOfPeer = certificateHash;
