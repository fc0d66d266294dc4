import swagger from "@fastify/swagger";
import {
  createHttpService,
  type ErrorCatalogue,
  type HttpService,
  type HttpServiceOptions,
  type RiikFastify,
} from "@riik/core";
import { dataSubjectsOnErrorsCleared } from "./data-subjects.ts";
import { NO_QUERY } from "./error-answer.ts";

export interface MemberServiceOptions<Code extends string> {
  /** The component name, shown in logs and metric labels. */
  name: string;
  /** The OpenAPI document's info: what the security server shows of the service (X-Road getOpenAPI). */
  title: string;
  version: string;
  description: string;
  errors: ErrorCatalogue<Code>;
  bodyLimit?: number;
  logger?: HttpServiceOptions<Code>["logger"];
  /**
   * Declares the routes, each with TypeBox schemas for its request and answers: requests are
   * validated against them, answers serialised by them and the OpenAPI document generated
   * from them. Run as a plugin after the document generator, so that it sees every route.
   */
  routes(app: RiikFastify): void | Promise<void>;
}

export interface MemberService extends HttpService {
  /** The OpenAPI 3.1 document of the routes (also served at /openapi.json); `serverUrl` adds a servers entry. */
  openapi(serverUrl?: string): Promise<Record<string, unknown>>;
  /** Listens and answers the URL, loopback spelt 127.0.0.1. */
  listen(options: { port: number; host?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * A member information system's service: the common service base (typed error catalogue,
 * /healthz, /metrics, JSON logs), JSON-only bodies, the OpenAPI 3.1 document generated from
 * the route schemas (@fastify/swagger) at /openapi.json, and error answers that name no data
 * subjects (data-subjects.ts).
 */
export function createMemberService<Code extends string>(options: MemberServiceOptions<Code>): MemberService {
  const service = createHttpService<Code>({
    name: options.name,
    errors: options.errors,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { app } = service;
  // Bodies are JSON only; anything else is 415 (Fastify would otherwise hand text/plain over as a string).
  app.removeContentTypeParser("text/plain");
  dataSubjectsOnErrorsCleared(app);
  app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: options.title, version: options.version, description: options.description },
    },
  });
  app.register(async (scope) => options.routes(scope as RiikFastify));
  app.get("/openapi.json", { schema: { hide: true, querystring: NO_QUERY } }, async () => app.swagger());

  const openapi = async (serverUrl?: string) => {
    await app.ready();
    const document = app.swagger() as unknown as Record<string, unknown>;
    return serverUrl ? { ...document, servers: [{ url: serverUrl }] } : document;
  };
  return {
    ...service,
    openapi,
    listen: async ({ port, host }) =>
      (await app.listen({ host: host ?? "127.0.0.1", port })).replace("[::1]", "127.0.0.1"),
    close: () => app.close(),
  };
}

/**
 * The OpenAPI 3.1 document of a service made only to describe itself (its store a stand-in: the
 * routes are declared, never called), for the security server before the service runs; the
 * service is closed again.
 */
export async function describedOpenApi(service: MemberService, serverUrl?: string): Promise<Record<string, unknown>> {
  try {
    return await service.openapi(serverUrl);
  } finally {
    await service.close();
  }
}

/**
 * Listens, or — when it cannot (a port taken) — releases what was opened for the service
 * (storage, clients, dispatchers) and throws, so a failed start leaves nothing open.
 */
export async function listenOrRelease(
  service: MemberService,
  options: { port: number; host?: string | undefined },
  release: () => Promise<unknown>,
): Promise<string> {
  try {
    return await service.listen({ port: options.port, ...(options.host ? { host: options.host } : {}) });
  } catch (error) {
    await release();
    throw error;
  }
}
