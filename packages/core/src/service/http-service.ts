import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import { type Logger, pino } from "pino";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { RiikError } from "../errors.ts";

export interface ErrorCatalogueEntry {
  status: number;
}

/** Maps error codes to HTTP statuses; a service lists only the codes it can raise. */
export type ErrorCatalogue = Readonly<Record<string, ErrorCatalogueEntry>>;

export interface HttpServiceOptions {
  /** The component name, shown in logs and metric labels. */
  name: string;
  errors?: ErrorCatalogue;
  bodyLimit?: number;
  logger?: Logger;
  https?: FastifyServerOptions extends { https?: infer H } ? H : never;
}

export interface HttpService {
  readonly app: FastifyInstance;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export function createLogger(name: string): Logger {
  return pino({
    name,
    level: process.env.RIIK_LOG_LEVEL ?? "info",
    // Secrets never reach the logs, whatever a handler logs by mistake.
    redact: ["req.headers.authorization", "pin", "pin1", "pin2", "passphrase", "*.privateKey"],
  });
}

/**
 * A Fastify app with what every riik service has: structured JSON logs, `/healthz`,
 * Prometheus `/metrics`, a body limit, and one error handler that turns `RiikError`
 * codes into statuses through the service's catalogue.
 */
export function createHttpService(options: HttpServiceOptions): HttpService {
  const logger = options.logger ?? createLogger(options.name);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Per-request lines would drown the logs at thousands of requests a second; the
    // metrics count requests instead, and errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: options.name });
  collectDefaultMetrics({ register: metrics });
  const requests = new Counter({
    name: "riik_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "method", "status"],
    registers: [metrics],
  });
  const durations = new Histogram({
    name: "riik_http_request_duration_seconds",
    help: "HTTP request durations by route",
    labelNames: ["route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    durations.observe({ route }, reply.elapsedTime / 1000);
  });
  const catalogue = options.errors ?? {};
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof RiikError) {
      const status = catalogue[error.code]?.status ?? 400;
      if (status >= 500) request.log.error({ err: error }, "request failed");
      return reply.status(status).send(error.toJSON());
    }
    const fastifyError = error as { statusCode?: number; code?: string; message: string };
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      return reply
        .status(fastifyError.statusCode)
        .send({ code: fastifyError.code ?? "BAD_REQUEST", message: fastifyError.message });
    }
    request.log.error({ err: error }, "unexpected error");
    return reply.status(500).send({ code: "INTERNAL", message: "internal error; see the service log" });
  });
  app.get("/healthz", async () => ({ status: "ok", service: options.name }));
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.contentType);
    return metrics.metrics();
  });
  return { app, metrics, logger };
}
