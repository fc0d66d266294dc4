import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  canonicalJson,
  constantTimeEqual,
  createHttpService,
  openStorage,
  type RiikFastify,
  type Storage,
} from "@riik/core";
import type { FastifyRequest } from "fastify";
import { Gauge } from "prom-client";
import { parseCertificateText, signBytes } from "../crypto/keys.ts";
import { DataTrackerService } from "../datatracker/protocol.ts";
import { DataUseStore } from "../datatracker/store.ts";
import { XROAD_ERRORS, XRoadError } from "../errors.ts";
import { buildEvidence } from "../evidence/evidence.ts";
import { readAnchor } from "../globalconf/document.ts";
import { type Anchor, CompositeAnchor, LedgerAnchor, TsaAnchor } from "../messagelog/anchor.ts";
import { MessageLog } from "../messagelog/log.ts";
import {
  ACCESS_BODY,
  ACCESS_QUERY,
  ADD_CLIENT_BODY,
  CERTIFICATE_BODY,
  CLIENT_PARAMS,
  HIDE_GRANT_BODY,
  LOCAL_GROUP_BODY,
  NO_QUERY,
  QUERY_ID_QUERY,
  READER_BODY,
  SERVICE_BODY,
  SERVICE_PARAMS,
  SUBJECT_PARAMS,
  UPDATE_CLIENT_BODY,
} from "./admin-schemas.ts";
import { ClientProxy } from "./client-proxy.ts";
import { loadIdentity, readSecurityServerConfig, type SecurityServerConfig } from "./config.ts";
import { createMetrics, ReplayGuard, SignerCache, type SsContext } from "./context.ts";
import { GlobalConfClient } from "./globalconf-client.ts";
import { LocalConf, type SsDb } from "./local-conf.ts";
import { securityServerMigrations } from "./migrations.ts";
import { OcspCache } from "./ocsp-cache.ts";
import { ServerProxy } from "./server-proxy.ts";

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
  const identity = loadIdentity(config);
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

  const serveClient = (req: Parameters<ClientProxy["handle"]>[0], res: Parameters<ClientProxy["handle"]>[1]) =>
    void clientProxy.handle(req, res);
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

  // Administration: the operator's API, bearer token from the configuration directory.
  const authorise = async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (!constantTimeEqual(given, identity.adminToken))
      throw new XRoadError("XROAD_UNAUTHORISED", "the administration API needs the administrator's bearer token");
  };
  // #10 A client, or a subject of a right, must be in the global configuration (downloaded
  // again once when it is not, so a registration made a moment ago is seen).
  const requireKnown = async (subjects: readonly string[]) => {
    for (const subject of subjects) {
      if (globalConf.current?.knows(subject)) continue;
      await globalConf.refresh().catch(() => undefined);
      if (!globalConf.current?.knows(subject))
        throw new XRoadError("XROAD_NOT_FOUND", `${subject} is not in the global configuration`);
    }
  };
  const changed = async () => {
    await local.reload();
    return { ok: true };
  };
  // Path parameters arrive decoded once (a client id's own %2F stays); never decode again.
  admin.get("/status", { schema: { querystring: NO_QUERY } }, async () => {
    const conf = globalConf.current;
    return {
      serverId: config.serverId,
      globalConf: conf
        ? { version: conf.conf.content.version, expiresAt: conf.conf.content.expiresAt, expired: conf.expired() }
        : null,
      lastGlobalConfError: globalConf.lastError ?? null,
      lastAnchorError: log.lastAnchorError ?? null,
    };
  });
  admin.register(async (api: RiikFastify) => {
    api.addHook("onRequest", authorise);
    api.get("/api/v1/clients", { schema: { querystring: NO_QUERY } }, async () =>
      [...local.clients.values()].map((c) => ({
        id: c.id,
        connection: c.connection,
        allowedAddresses: [...c.allowedAddresses],
        loggingMode: c.loggingMode,
        isCertificates: [...c.isCertHashes],
      })),
    );
    api.post(
      "/api/v1/clients",
      { schema: { querystring: NO_QUERY, body: ADD_CLIENT_BODY } },
      async (request, reply) => {
        await requireKnown([request.body.id]);
        const id = await local.addClient(request.body);
        await changed();
        return reply.status(201).send({ id });
      },
    );
    api.patch(
      "/api/v1/clients/:id",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY, body: UPDATE_CLIENT_BODY } },
      async (request) => {
        await local.updateClient(request.params.id, request.body);
        return changed();
      },
    );
    api.delete("/api/v1/clients/:id", { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY } }, async (request) => {
      await local.removeClient(request.params.id);
      return changed();
    });
    api.post(
      "/api/v1/clients/:id/is-certificates",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY, body: CERTIFICATE_BODY } },
      async (request, reply) => {
        const hash = await local.addIsCertificate(
          request.params.id,
          parseCertificateText(request.body.certificate, "certificate"),
        );
        await changed();
        return reply.status(201).send({ hash });
      },
    );
    api.get(
      "/api/v1/clients/:id/services",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY } },
      async (request) =>
        [...local.services.values()]
          .filter((s) => s.client === request.params.id)
          .map(({ openapi: _o, personalData, ...s }) => ({
            ...s,
            personalData: personalData
              ? {
                  subjectsHeader: personalData.subjectsHeader,
                  subjectPathParam: personalData.subjectPathParam,
                  subjectPathPattern: personalData.subjectPathPattern,
                }
              : null,
          })),
    );
    // Data Tracker: who may read the usage protocol, who may hide uses; the operator's view.
    api.post(
      "/api/v1/clients/:id/datatracker/readers",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY, body: READER_BODY } },
      async (request, reply) => {
        await requireKnown([request.body.reader]);
        await local.grantDataTracker(request.params.id, "reader", request.body.reader);
        await changed();
        return reply.status(201).send({ ok: true });
      },
    );
    api.delete(
      "/api/v1/clients/:id/datatracker/readers/:subject",
      { schema: { params: SUBJECT_PARAMS, querystring: NO_QUERY } },
      async (request) => {
        await local.revokeDataTracker(request.params.id, "reader", request.params.subject);
        return changed();
      },
    );
    api.post(
      "/api/v1/clients/:id/datatracker/hide-grants",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY, body: HIDE_GRANT_BODY } },
      async (request, reply) => {
        await requireKnown([request.body.consumer]);
        await local.grantDataTracker(request.params.id, "hide", request.body.consumer);
        await changed();
        return reply.status(201).send({ ok: true });
      },
    );
    api.delete(
      "/api/v1/clients/:id/datatracker/hide-grants/:subject",
      { schema: { params: SUBJECT_PARAMS, querystring: NO_QUERY } },
      async (request) => {
        await local.revokeDataTracker(request.params.id, "hide", request.params.subject);
        return changed();
      },
    );
    api.get(
      "/api/v1/clients/:id/datatracker/hidden",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY } },
      async (request) => uses.hidden(request.params.id),
    );
    api.get("/api/v1/datatracker/uses", { schema: { querystring: QUERY_ID_QUERY } }, async (request) =>
      uses.byQueryId(request.query.queryId),
    );
    api.post(
      "/api/v1/clients/:id/services",
      { schema: { params: CLIENT_PARAMS, querystring: NO_QUERY, body: SERVICE_BODY } },
      async (request, reply) => {
        await local.addService(request.params.id, request.body);
        await changed();
        return reply.status(201).send({ ok: true });
      },
    );
    api.delete(
      "/api/v1/clients/:id/services/:code",
      { schema: { params: SERVICE_PARAMS, querystring: NO_QUERY } },
      async (request) => {
        await local.removeService(request.params.id, request.params.code);
        return changed();
      },
    );
    api.post(
      "/api/v1/clients/:id/services/:code/access",
      { schema: { params: SERVICE_PARAMS, querystring: NO_QUERY, body: ACCESS_BODY } },
      async (request, reply) => {
        await requireKnown([request.body.subject]);
        await local.grant(request.params.id, request.params.code, request.body);
        await changed();
        return reply.status(201).send({ ok: true });
      },
    );
    api.delete(
      "/api/v1/clients/:id/services/:code/access",
      { schema: { params: SERVICE_PARAMS, querystring: ACCESS_QUERY } },
      async (request) => {
        await local.revoke(request.params.id, request.params.code, request.query);
        return changed();
      },
    );
    api.put(
      "/api/v1/clients/:id/local-groups/:code",
      { schema: { params: SERVICE_PARAMS, querystring: NO_QUERY, body: LOCAL_GROUP_BODY } },
      async (request) => {
        await requireKnown(request.body.members);
        await local.setLocalGroup(request.params.id, request.params.code, request.body.members);
        return changed();
      },
    );
    /** Downloads the global configuration now and forgets cached OCSP answers. */
    api.post("/api/v1/refresh", { schema: { querystring: NO_QUERY } }, async () => {
      ocsp.clear();
      clientProxy.closePools();
      const conf = await globalConf.refresh().catch((error) => {
        throw new XRoadError(
          "XROAD_GLOBALCONF_FORMAT",
          `global configuration download failed: ${(error as Error).message}`,
        );
      });
      return { version: conf.conf.content.version, expiresAt: conf.conf.content.expiresAt };
    });
    api.get("/api/v1/messages", { schema: { querystring: QUERY_ID_QUERY } }, async (request) =>
      (await log.find(request.query.queryId)).map((row: any) => ({
        id: Number(row.id),
        side: row.side,
        queryId: row.query_id,
        requestId: row.request_id,
        clientId: row.client_id,
        serviceId: row.service_id,
        createdAt: row.created_at,
        loggingMode: row.logging_mode,
        responseStatus: Number(row.response_status),
        bodiesStored: row.request_body !== null,
        batchId: row.batch_id === null ? null : Number(row.batch_id),
      })),
    );
    api.post("/api/v1/messagelog/anchor", { schema: { querystring: NO_QUERY } }, async () => {
      const batches: number[] = [];
      for (let b = await log.anchorPending(); b !== undefined; b = await log.anchorPending()) batches.push(b);
      return { batches, dataUseBatches: await anchorUses() };
    });
    // The message log and the Data Tracker's use records, each against its anchors.
    api.get("/api/v1/messagelog/verify", { schema: { querystring: NO_QUERY } }, async () => {
      const tsa = globalConf.current?.conf.content.trust.tsa.map((t) => t.certificate) ?? [];
      const messages = await log.verify(tsa);
      const dataUses = await uses.verify(tsa);
      return {
        ...messages,
        dataUses: { batches: dataUses.batches, records: dataUses.records },
        problems: [...messages.problems, ...dataUses.problems],
      };
    });
    // X-Road serves ASiC containers at /asic?queryId=…; riik's evidence is one JSON document (README).
    api.get("/asic", { schema: { querystring: QUERY_ID_QUERY } }, async (request, reply) => {
      const { queryId } = request.query;
      const evidence = await buildEvidence(log, config.serverId, queryId, globalConf.current?.conf.content.trust);
      return reply
        .header(
          "content-disposition",
          `attachment; filename="evidence-${queryId.replace(/[^A-Za-z0-9._-]/g, "_")}.json"`,
        )
        .type("application/json")
        .send(JSON.stringify(evidence, null, 2));
    });
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
    },
  };
}
