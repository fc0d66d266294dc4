import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type Server, STATUS_CODES } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { canonicalJson, createHttpService, LoadGate, loadLimits, openStorage, type Storage } from "@riik/core";
import { Counter, Gauge } from "prom-client";
import { signBytes } from "../crypto/keys.ts";
import { DataTrackerService } from "../datatracker/protocol.ts";
import { DataUseStore } from "../datatracker/store.ts";
import { type ErrorTypeSpelling, XROAD_ERRORS, XRoadError, XRoadFault } from "../errors.ts";
import { readAnchor } from "../globalconf/document.ts";
import { type Anchor, CompositeAnchor, LedgerAnchor, TsaAnchor } from "../messagelog/anchor.ts";
import { MessageLog } from "../messagelog/log.ts";
import { errorResponse } from "../protocol/error-response.ts";
import { adminApi } from "./admin/api.ts";
import { loadIdentity, openSigningKey, readSecurityServerConfig, type SecurityServerConfig } from "./config.ts";
import { createMetrics, ReplayGuard, SignerCache, type SsContext } from "./context.ts";
import { GlobalConfClient } from "./globalconf-client.ts";
import { LocalConf } from "./local-conf.ts";
import { OcspCache } from "./ocsp-cache.ts";
import { ClientProxy } from "./proxy/client-side.ts";
import { ServerProxy } from "./proxy/server-side.ts";
import { shedding } from "./proxy/shedding.ts";
import { securityServerMigrations } from "./storage/migrations.ts";
import type { SsDb } from "./storage/schema.ts";
import { readWireSettings } from "./wire-settings.ts";

export function openSecurityServerStorage(config: SecurityServerConfig): Promise<Storage<SsDb>> {
  return openStorage<SsDb>({
    component: "xroad_ss",
    dataDir: config.dataDir,
    url: config.databaseUrl,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    migrations: securityServerMigrations,
  });
}

/**
 * `riik ss register`: submits the authentication certificate to the central server with
 * proof of possession of its key; an administrator approves it there.
 */
export async function submitRegistration(
  configPath: string,
  centralUrl?: string,
): Promise<{ id: number; status: string }> {
  const config = readSecurityServerConfig(configPath);
  const identity = loadIdentity(config);
  const anchor = readAnchor(config.anchor);
  const base = centralUrl ?? new URL(anchor.sources[0]!.url).origin;
  const request = {
    serverId: config.serverId,
    address: config.address,
    authCertificate: identity.authCertificate.raw.toString("base64"),
    submittedAt: new Date().toISOString(),
  };
  const proof = signBytes(identity.authKey, canonicalJson(request)).toString("base64");
  const reply = await fetch(`${base}/managementservice/auth-cert-registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...request, proof }),
  });
  const body = (await reply.json()) as { id: number; status: string; message?: string };
  if (!reply.ok) throw new XRoadError("XROAD_ARGUMENT", `the central server refused the registration: ${body.message}`);
  return body;
}

/**
 * `riik ss serve`: the consumer proxy for information systems (HTTP and HTTPS), the
 * provider proxy for other security servers (mutual TLS 1.3), and the administration API
 * with /healthz, /metrics and the evidence download.
 */
export async function startSecurityServer(options: { configPath: string; databaseUrl?: string }) {
  const config = readSecurityServerConfig(options.configPath);
  if (options.databaseUrl) config.databaseUrl = options.databaseUrl;
  const wire = readWireSettings(config);
  const identity = { ...loadIdentity(config), signKey: await openSigningKey(config) };
  const anchor = readAnchor(config.anchor);
  const {
    app: admin,
    metrics,
    logger,
  } = createHttpService({ name: "xroad-ss", errors: XROAD_ERRORS, bodyLimit: 4 * 1024 * 1024 });
  const storage = await openSecurityServerStorage(config);
  const local = new LocalConf(storage);
  await local.reload();
  const globalConf = new GlobalConfClient(anchor, config.files.globalConfCopy, logger);
  const ocsp = new OcspCache();
  let anchorImpl: Anchor | undefined;
  const configureFromGlobalConf = () => {
    const conf = globalConf.current?.conf.content;
    if (!conf) return;
    ocsp.freshnessMs = conf.settings.ocspFreshnessSeconds * 1000;
    const anchors: Anchor[] = [];
    if (conf.trust.tsa[0]) anchors.push(new TsaAnchor(conf.trust.tsa[0].url));
    if (conf.trust.ledger) anchors.push(new LedgerAnchor(conf.trust.ledger.url));
    anchorImpl = anchors.length === 0 ? undefined : anchors.length === 1 ? anchors[0] : new CompositeAnchor(anchors);
  };
  const log = new MessageLog(storage, config.serverId, () => anchorImpl, logger);
  const replay = new ReplayGuard(log);
  log.archiveDir = config.archiveDir;
  const uses = new DataUseStore(storage, config.serverId, () => anchorImpl);
  const ctx: SsContext = {
    config,
    wire,
    identity,
    globalConf,
    local,
    ocsp,
    log,
    logger,
    metrics: createMetrics(metrics),
    signers: new SignerCache(),
    replay,
    tracker: new DataTrackerService(uses, local),
  };
  try {
    await globalConf.refresh();
  } catch (error) {
    logger.warn(
      { err: (error as Error).message },
      "no global configuration yet; requests fail until one is downloaded",
    );
  }
  configureFromGlobalConf();
  const clientProxy = new ClientProxy(ctx);
  const serverProxy = new ServerProxy(ctx);

  // Issue #18: the consumer side's bound on exchanges in flight (RIIK_MAX_IN_FLIGHT, …).
  const gate = new LoadGate(loadLimits());
  const shed = new Counter({
    name: "riik_xroad_shed_total",
    help: "Consumer-side requests answered 503 because the exchanges in flight were at their bound",
    registers: [metrics],
  });
  new Gauge({
    name: "riik_xroad_client_in_flight",
    help: "Consumer-side exchanges in flight",
    registers: [metrics],
    collect() {
      this.set(gate.inFlight);
    },
  });
  const serveClient = shedding(
    gate,
    wire.errorTypes,
    () => shed.inc(),
    (req, res) => clientProxy.handle(req, res),
  );
  const clientHttp = createHttpServer({ keepAliveTimeout: 30_000 }, serveClient);
  const clientHttps = createHttpsServer(
    {
      key: identity.internalKeyPem,
      cert: identity.internalCertificatePem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      keepAliveTimeout: 30_000,
    },
    serveClient,
  );
  for (const server of [clientHttp, clientHttps])
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) =>
      refuseUnparsed(error, socket, wire.errorTypes),
    );
  const serverTlsOptions = () => ({
    key: identity.authKeyPem,
    cert: identity.authCertificatePem,
    ca: globalConf.current?.tlsTrust ?? [],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.3" as const,
    maxVersion: "TLSv1.3" as const,
  });
  const serverHttps = createHttpsServer(
    { ...serverTlsOptions(), keepAliveTimeout: 30_000 },
    (req, res) => void serverProxy.handle(req, res),
  );
  globalConf.onChange(() => {
    configureFromGlobalConf();
    serverHttps.setSecureContext(serverTlsOptions());
  });
  globalConf.start(config.globalConfRefreshSeconds);
  log.start(config.anchorIntervalSeconds, { days: config.retentionDays, archiveDir: config.archiveDir });
  // Data Tracker uses are anchored in their own chain of batches, on the message log's schedule.
  let useAnchoring: Promise<unknown> = Promise.resolve();
  const anchorUses = (): Promise<number[]> => {
    const run = useAnchoring.then(async () => {
      const batches: number[] = [];
      for (let b = await uses.anchorPending(); b !== undefined; b = await uses.anchorPending()) batches.push(b);
      return batches;
    });
    useAnchoring = run.catch(() => undefined);
    return run;
  };
  const useTimer = setInterval(
    () =>
      void anchorUses().catch((error) =>
        logger.warn({ err: (error as Error).message }, "Data Tracker anchoring failed; will retry"),
      ),
    config.anchorIntervalSeconds * 1000,
  );
  useTimer.unref();
  const localReload = setInterval(() => void local.reload().catch(() => undefined), 5000);
  localReload.unref();

  new Gauge({
    name: "riik_xroad_globalconf_expires_seconds",
    help: "Seconds until the global configuration copy expires (negative: expired)",
    registers: [metrics],
    collect() {
      const conf = globalConf.current;
      this.set(conf ? (conf.expiresAt - Date.now()) / 1000 : -1);
    },
  });

  await admin.register(adminApi, {
    config,
    adminToken: identity.adminToken,
    globalConf,
    local,
    ocsp,
    log,
    uses,
    anchorUses,
    closePools: () => clientProxy.closePools(),
  });

  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, config.host, () => resolve((server.address() as AddressInfo).port));
    });
  const ports = {
    client: await listen(clientHttp, config.ports.client),
    clientTls: await listen(clientHttps, config.ports.clientTls),
    server: await listen(serverHttps, config.ports.server),
    admin: 0,
  };
  const adminAddress = await admin.listen({ host: config.host, port: config.ports.admin });
  ports.admin = Number(new URL(adminAddress).port);
  logger.info({ serverId: config.serverId, ports, storage: storage.location }, "security server listening");

  return {
    ports,
    urls: {
      client: `http://${config.host}:${ports.client}`,
      clientTls: `https://${config.host}:${ports.clientTls}`,
      server: `https://${config.host}:${ports.server}`,
      admin: `http://${config.host}:${ports.admin}`,
    },
    ctx,
    close: async () => {
      globalConf.stop();
      clearInterval(localReload);
      clearInterval(useTimer);
      for (const server of [clientHttp, clientHttps, serverHttps]) {
        server.close();
        server.closeAllConnections();
      }
      clientProxy.closePools();
      serverProxy.closePools();
      await admin.close();
      await log.stop();
      await useAnchoring;
      await storage.close();
      identity.signKey.close();
    },
  };
}

/**
 * A request Node's HTTP parser refused before any handler saw it (a request line or header
 * section over 16 KiB, raw non-ASCII bytes in the target, malformed syntax) is still answered
 * as X-Road answers a request that does not follow the protocol (PR-REST 4.6 category 3):
 * 400 `Client.BadRequest` with `X-Road-Error` and the error body, JSON (its Accept header
 * could not be read), its detail a fresh id; then the connection closes, as it must once
 * the byte stream cannot be trusted to frame the next request.
 */
function refuseUnparsed(error: NodeJS.ErrnoException, socket: Socket, spelling: ErrorTypeSpelling): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const why =
    error.code === "HPE_HEADER_OVERFLOW"
      ? "the request line and headers are larger than 16 KiB"
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? "the request was not received in time"
        : `the request is not valid HTTP/1.1 (${error.code ?? error.message})`;
  const fault = new XRoadFault("Client", "BadRequest", `${why}; see the X-Road Message Protocol for REST (r1)`);
  const { status, headers, body } = errorResponse(fault, randomUUID(), undefined, spelling);
  const lines = Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines}\r\n${body}`);
}
