import type { TLSSocket } from "node:tls";
import { createHttpService, type RiikFastify } from "@riik/core";
import type { VerifierKey } from "@riik/ledger";
import type { FastifyRequest } from "fastify";
import { Counter, Gauge } from "prom-client";
import { EMBASSY_ERRORS, EmbassyError, isEmbassyError } from "../errors.ts";
import { MAX_SEGMENT_BYTES } from "../format/segment.ts";
import { NO_QUERY, REGISTRY_PARAMS, SEGMENT_LIST_QUERY, SEGMENT_PARAMS, SEGMENT_POST_HEADERS } from "./schemas.ts";
import { EmbassyStore } from "./store.ts";

export interface TlsMaterial {
  /** PEM certificate chain of this party, issued by the server CA. */
  cert: string;
  key: string;
  /** PEM CA certificates trusted for the other side (server CA, root). */
  ca: string;
}

export interface EmbassyServerOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  schema?: string;
  ledgerKey: VerifierKey;
  tls: TlsMaterial;
  /** Client certificate subject CNs allowed to write; empty: any certificate from the CA. */
  allowClients?: readonly string[];
  host?: string;
}

export interface EmbassyServer {
  readonly store: EmbassyStore;
  readonly app: RiikFastify;
  /** Plain-HTTP /healthz, /metrics and holdings (metadata only), for supervisors. */
  readonly admin: RiikFastify;
  listen(port: number, adminPort?: number): Promise<{ url: string; adminUrl?: string }>;
  close(): Promise<void>;
}

/**
 * `riik embassy serve`: the embassy node. Mutual TLS 1.3 on the data port: the shipper
 * posts segments, restore reads them. It never holds a key that opens them.
 */
export async function startEmbassyServer(options: EmbassyServerOptions): Promise<EmbassyServer> {
  const store = await EmbassyStore.open({
    dataDir: options.dataDir,
    url: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
    ledgerKey: options.ledgerKey,
  });
  const { app, metrics } = createHttpService({
    name: "embassy",
    errors: EMBASSY_ERRORS,
    bodyLimit: MAX_SEGMENT_BYTES + 256 * 1024,
    https: {
      key: options.tls.key,
      cert: options.tls.cert,
      ca: options.tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
    } as never,
  });
  const { app: admin, metrics: adminMetrics } = createHttpService({ name: "embassy-admin", errors: EMBASSY_ERRORS });
  const accepted = new Counter({
    name: "riik_embassy_segments_received_total",
    help: "Segments accepted (new) and duplicates, by registry",
    labelNames: ["registry", "result"],
    registers: [metrics, adminMetrics],
  });
  const refused = new Counter({
    name: "riik_embassy_segments_refused_total",
    help: "Segments refused, by reason",
    labelNames: ["code"],
    registers: [metrics, adminMetrics],
  });
  const headSeq = new Gauge({
    name: "riik_embassy_held_seq",
    help: "Last journal seq held, by registry",
    labelNames: ["registry"],
    registers: [metrics, adminMetrics],
  });
  const allowed = new Set(options.allowClients ?? []);
  // Segments only: no JSON or text parser, so any other media type is refused (415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/octet-stream",
    { parseAs: "buffer", bodyLimit: MAX_SEGMENT_BYTES + 256 * 1024 },
    (_request, body, done) => done(null, body),
  );
  const authorise = (request: FastifyRequest) => {
    if (allowed.size === 0) return;
    const peer = (request.raw.socket as TLSSocket).getPeerCertificate?.();
    const cn = peer?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (!name || !allowed.has(name))
      throw new EmbassyError("EMBASSY_UNAUTHORISED", `client certificate ${name ?? "(none)"} may not write here`);
  };

  app.post(
    "/v1/registries/:registry/segments",
    { schema: { params: REGISTRY_PARAMS, querystring: NO_QUERY, headers: SEGMENT_POST_HEADERS } },
    async (request, reply) => {
      authorise(request);
      const { registry } = request.params;
      try {
        // A POST without a body has none to parse: it is an empty, hence malformed, segment.
        const result = await store.append((request.body as Buffer | undefined) ?? Buffer.alloc(0), registry);
        accepted.inc({ registry, result: result.duplicate ? "duplicate" : "new" });
        headSeq.set({ registry }, result.lastSeq);
        return reply.status(result.duplicate ? 200 : 201).send(result);
      } catch (error) {
        if (isEmbassyError(error)) {
          refused.inc({ code: error.code });
          request.log.warn({ registry, code: error.code, reason: error.message }, "segment refused");
        }
        throw error;
      }
    },
  );
  const holdings = async () => ({ registries: await store.holdings() });
  app.get("/v1/registries", { schema: { querystring: NO_QUERY } }, holdings);
  admin.get("/v1/registries", { schema: { querystring: NO_QUERY } }, holdings);
  app.get(
    "/v1/registries/:registry/head",
    { schema: { params: REGISTRY_PARAMS, querystring: NO_QUERY } },
    async (request) => ({ head: (await store.head(request.params.registry)) ?? null }),
  );
  app.get(
    "/v1/registries/:registry/segments",
    { schema: { params: REGISTRY_PARAMS, querystring: SEGMENT_LIST_QUERY } },
    async (request) => {
      const { from = 0, limit = 10_000 } = request.query;
      return { segments: await store.list(request.params.registry, from, limit) };
    },
  );
  app.get(
    "/v1/registries/:registry/segments/:index",
    { schema: { params: SEGMENT_PARAMS, querystring: NO_QUERY } },
    async (request, reply) => {
      const bytes = await store.get(request.params.registry, request.params.index);
      return reply.header("content-type", "application/octet-stream").send(bytes);
    },
  );
  for (const h of await store.holdings()) headSeq.set({ registry: h.registry }, h.head.lastSeq);

  const host = options.host ?? "127.0.0.1";
  return {
    store,
    app,
    admin,
    async listen(port, adminPort) {
      await app.listen({ port, host });
      const address = app.server.address();
      const url = `https://${host}:${typeof address === "object" && address ? address.port : port}`;
      if (adminPort === undefined) return { url };
      await admin.listen({ port: adminPort, host });
      const a = admin.server.address();
      return { url, adminUrl: `http://${host}:${typeof a === "object" && a ? a.port : adminPort}` };
    },
    async close() {
      await app.close();
      await admin.close();
      await store.close();
    },
  };
}
