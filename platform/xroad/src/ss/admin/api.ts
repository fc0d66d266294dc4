import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { constantTimeEqual, type RiikFastify } from "@riik/core";
import type { FastifyRequest } from "fastify";
import { parseCertificateText } from "../../crypto/keys.ts";
import type { DataUseStore } from "../../datatracker/store.ts";
import { XRoadError } from "../../errors.ts";
import { buildEvidence } from "../../evidence/evidence.ts";
import { certificateHash } from "../../globalconf/document.ts";
import type { MessageLog } from "../../messagelog/log.ts";
import type { SecurityServerConfig } from "../config.ts";
import type { GlobalConfClient } from "../globalconf-client.ts";
import type { LocalConf } from "../local-conf.ts";
import type { OcspCache } from "../ocsp-cache.ts";
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
} from "./schemas.ts";

/** What the administration API works on: the running security server's parts. */
export interface AdminApiOptions {
  config: SecurityServerConfig;
  /** The operator's bearer token (from the configuration directory). */
  adminToken: Buffer;
  globalConf: GlobalConfClient;
  local: LocalConf;
  ocsp: OcspCache;
  log: MessageLog;
  uses: DataUseStore;
  /** Anchors the Data Tracker's pending uses now; the batches formed. */
  anchorUses: () => Promise<number[]>;
  /** Drops the client proxy's connections (after a configuration refresh). */
  closePools: () => void;
}

/**
 * The security server's administration API as a Fastify plugin: /status in the open, every
 * /api/v1 route and the evidence download behind the operator's bearer token, each with its
 * request schema (./schemas.ts).
 */
export async function adminApi(app: RiikFastify, options: AdminApiOptions): Promise<void> {
  const { config, globalConf, local, ocsp, log, uses, anchorUses } = options;
  const authorise = async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (!constantTimeEqual(given, options.adminToken))
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
  app.get("/status", { schema: { querystring: NO_QUERY } }, async () => {
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
  await app.register(async (api: RiikFastify) => {
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
    // UG-SS 10.4: the internal TLS certificate, for information systems to pin (PEM and SHA-256).
    api.get("/api/v1/internal-tls-certificate", { schema: { querystring: NO_QUERY } }, async () => {
      const certificate = readFileSync(config.files.internalCertificate, "utf8");
      return { certificate, hash: certificateHash(new X509Certificate(certificate)) };
    });
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
      options.closePools();
      const conf = await globalConf.refresh().catch((error) => {
        throw new XRoadError(
          "XROAD_GLOBALCONF_FORMAT",
          `global configuration download failed: ${(error as Error).message}`,
        );
      });
      return { version: conf.conf.content.version, expiresAt: conf.conf.content.expiresAt };
    });
    api.get("/api/v1/messages", { schema: { querystring: QUERY_ID_QUERY } }, async (request) =>
      (await log.find(request.query.queryId)).map((row) => ({
        id: Number(row.id),
        side: row.side,
        queryId: row.query_id,
        requestId: row.request_id,
        clientId: row.client_id,
        serviceId: row.service_id,
        createdAt: row.created_at,
        loggingMode: row.logging_mode,
        responseStatus: Number(row.response_status),
        representedParty: row.represented_party ?? null,
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
}
