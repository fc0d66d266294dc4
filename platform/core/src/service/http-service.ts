import { getHeapStatistics } from "node:v8";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import underPressure from "@fastify/under-pressure";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import { type Logger, pino } from "pino";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { RiikError } from "../errors.ts";
import { type LoadClass, LoadGate, type LoadLimits, loadLimits, overloadedMessage } from "./load-shedding.ts";

export { type LoadClass, LoadGate, type LoadLimits, loadLimits, overloadedMessage } from "./load-shedding.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** How the route is treated under load (load-shedding.ts); normal unless it says so. */
    priority?: LoadClass;
  }
}

export interface ErrorCatalogueEntry {
  status: number;
}

/**
 * Maps every code a service can raise to its HTTP status. Typed by the service's code
 * union, so a code added to the union without a status does not compile; a code that
 * still reaches the handler unmapped is a bug and answers 500.
 */
export type ErrorCatalogue<Code extends string = string> = { readonly [K in Code]: ErrorCatalogueEntry };

/**
 * Codes the service base itself raises for requests that never reach a handler: these
 * replace Fastify's `FST_ERR_*` codes so clients see one catalogue.
 */
export type RequestErrorCode =
  | "REQUEST_INVALID"
  | "BODY_MALFORMED"
  | "BODY_TOO_LARGE"
  | "CONTENT_TYPE_UNSUPPORTED"
  | "ROUTE_NOT_FOUND"
  | "METHOD_NOT_ALLOWED";

/** Fastify's client-error codes and the riik code and status each becomes. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { code: RequestErrorCode; status: number }>> = {
  FST_ERR_VALIDATION: { code: "REQUEST_INVALID", status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "BODY_MALFORMED", status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "BODY_MALFORMED", status: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "BODY_MALFORMED", status: 400 },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE", status: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "CONTENT_TYPE_UNSUPPORTED", status: 415 },
  FST_ERR_CTP_INVALID_TYPE: { code: "CONTENT_TYPE_UNSUPPORTED", status: 415 },
  FST_ERR_BAD_URL: { code: "REQUEST_INVALID", status: 400 },
  FST_ERR_ASYNC_CONSTRAINT: { code: "REQUEST_INVALID", status: 400 },
};

/**
 * Request validation. Bodies are checked as sent: no type coercion (a number is not a
 * member code) and no silent removal of unknown properties (`additionalProperties: false`
 * refuses them). Path parameters and query strings arrive as text, so there scalars are
 * coerced to the schema's type.
 */
function requestValidators(): (route: { schema: object; httpPart?: string }) => (data: unknown) => boolean {
  const strict = addFormats.default(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, strict: false }));
  const textual = addFormats.default(new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false }));
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : textual).compile(schema);
}

/** The Fastify instance every service gets: route schemas written with TypeBox type the handlers. */
export type RiikFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServiceOptions<Code extends string = never> {
  /** The component name, shown in logs and metric labels. */
  name: string;
  errors?: ErrorCatalogue<Code>;
  bodyLimit?: number;
  logger?: Logger;
  https?: FastifyServerOptions extends { https?: infer H } ? H : never;
  /** Load-shedding limits of this service, over the RIIK_* environment and the defaults. */
  load?: Partial<LoadLimits>;
}

export interface HttpService {
  readonly app: RiikFastify;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** The in-flight bound and wait queue every route but the exempt ones goes through. */
  readonly gate: LoadGate;
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
 * codes into statuses through the service's catalogue. Under load it sheds (answers 503
 * `OVERLOADED` with Retry-After) beyond a bound on requests in flight and a bounded queue,
 * normal routes before `priority: "critical"` ones; /healthz and /metrics always answer.
 */
export function createHttpService<Code extends string = never>(options: HttpServiceOptions<Code>): HttpService {
  const logger = options.logger ?? createLogger(options.name);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Per-request lines would drown the logs at thousands of requests a second; the
    // metrics count requests instead, and errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // A malformed URL (e.g. a lone "%") fails before routing and skips the error handler.
    frameworkErrors: (error, _request, reply) => {
      const known = FASTIFY_CLIENT_ERRORS[error.code];
      (reply as FastifyReply)
        .status(known?.status ?? 400)
        .send({ code: known?.code ?? "REQUEST_INVALID", message: error.message });
    },
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(requestValidators());
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
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
  const gate = sheddingHooks(app, metrics, loadLimits(options.load));
  const catalogue: Readonly<Record<string, ErrorCatalogueEntry>> = options.errors ?? {};
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof RiikError) {
      const status = catalogue[error.code]?.status;
      if (status === undefined) {
        request.log.error({ err: error }, "error code missing from the service's catalogue");
        return reply.status(500).send({ code: "INTERNAL", message: "internal error; see the service log" });
      }
      if (status >= 500) request.log.error({ err: error }, "request failed");
      return reply.status(status).send(error.toJSON());
    }
    const fastifyError = error as {
      statusCode?: number;
      code?: string;
      message: string;
      validation?: ReadonlyArray<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
      validationContext?: string;
    };
    const known = fastifyError.code === undefined ? undefined : FASTIFY_CLIENT_ERRORS[fastifyError.code];
    if (fastifyError.validation) {
      const errors = fastifyError.validation.map((issue) => ({
        path: `${fastifyError.validationContext ?? "request"}${issue.instancePath ?? ""}`,
        message: issue.message ?? "is not valid",
        ...(issue.params && Object.keys(issue.params).length > 0 ? { params: issue.params } : {}),
      }));
      return reply.status(400).send({
        code: "REQUEST_INVALID",
        message: `the request does not match the route's schema: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
        details: { errors },
      });
    }
    if (known) return reply.status(known.status).send({ code: known.code, message: fastifyError.message });
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      // A client error from a plugin that has no mapping yet: keep its status, not its code.
      return reply.status(fastifyError.statusCode).send({ code: "REQUEST_INVALID", message: fastifyError.message });
    }
    request.log.error({ err: error }, "unexpected error");
    return reply.status(500).send({ code: "INTERNAL", message: "internal error; see the service log" });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      code: "ROUTE_NOT_FOUND",
      message: `no route ${request.method} ${request.url.split("?")[0]?.slice(0, 200)}`,
    }),
  );
  const exempt = { config: { priority: "exempt" as const } };
  app.get("/healthz", exempt, async () => ({ status: "ok", service: options.name }));
  app.get("/metrics", exempt, async (_request, reply) => {
    reply.header("content-type", metrics.contentType);
    return metrics.metrics();
  });
  return { app: typed, metrics, logger, gate };
}

/**
 * Admission before any other hook (so a shed request costs no parsing, authentication or
 * storage): the in-flight bound of `LoadGate`, and @fastify/under-pressure for the process
 * as a whole (event-loop delay, heap near its limit), which sheds normal routes only.
 */
function sheddingHooks(app: FastifyInstance, metrics: Registry, limits: LoadLimits): LoadGate {
  const gate = new LoadGate(limits);
  const shed = new Counter({
    name: "riik_http_shed_total",
    help: "Requests answered 503 OVERLOADED, by route, priority class and reason",
    labelNames: ["route", "class", "reason"],
    registers: [metrics],
  });
  new Gauge({
    name: "riik_http_in_flight",
    help: "Requests holding a slot of the in-flight bound",
    registers: [metrics],
    collect() {
      this.set(gate.inFlight);
    },
  });
  new Gauge({
    name: "riik_http_queued",
    help: "Requests waiting for a slot",
    registers: [metrics],
    collect() {
      this.set(gate.queued);
    },
  });
  const classOf = (request: FastifyRequest): LoadClass => request.routeOptions.config?.priority ?? "normal";
  const overloaded = (request: FastifyRequest, reply: FastifyReply, reason: string) => {
    shed.inc({ route: request.routeOptions.url ?? "unmatched", class: classOf(request), reason });
    reply.status(503).header("retry-after", String(limits.retryAfterSeconds));
    return { code: "OVERLOADED", message: overloadedMessage(limits.retryAfterSeconds) };
  };
  app.addHook("onRequest", async (request, reply) => {
    const cls = classOf(request);
    if (cls === "exempt") return;
    const socket = request.raw.socket as { destroyed?: boolean } | undefined;
    if (!(await gate.admit(cls, () => socket?.destroyed === true))) {
      return reply.send(overloaded(request, reply, "capacity"));
    }
    // "close" comes once the answer is sent or the client is gone, whichever is first.
    reply.raw.once("close", () => gate.release());
  });
  app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    // Near the heap limit the process is about to die of it: refusing work is better.
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    // Critical and exempt requests go on (the handler returns without answering).
    pressureHandler: (request, reply, type) => {
      if (classOf(request) === "normal") reply.send(overloaded(request, reply, type));
    },
  });
  return gate;
}
