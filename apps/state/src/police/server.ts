import { createHttpService, xroadUserId } from "@riik/core";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { POLICE_ERRORS, StateError } from "../errors.ts";
import type { PoliceConfig } from "./config.ts";
import { assertPersonQuery, PERSON_QUERY, type PersonQuery } from "./query.ts";

/**
 * Headers with which a consumer asks the provider's security server to hide a use from
 * the person (Data Tracker); the provider's server records them with the use.
 */
export const HIDDEN_UNTIL_HEADER = "X-Riik-Hidden-Until";
export const HIDDEN_REASON_HEADER = "X-Riik-Hidden-Reason";

export interface PoliceApp {
  readonly app: FastifyInstance;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The police and border guard's sample information system: officers query the
 * population register through the police's security server (PR-REST r1), naming
 * themselves (X-Road-UserId) and their purpose (X-Road-Issue), so that every query is
 * logged on both sides and shown to the person in the Data Tracker.
 */
export function createPoliceApp(config: PoliceConfig): PoliceApp {
  const { app } = createHttpService({ name: "police", errors: POLICE_ERRORS, bodyLimit: 16 * 1024 });
  const base = config.securityServer.url.replace(/\/+$/, "");
  const timeoutMs = config.timeoutMs ?? 10_000;

  // Queries are JSON only; anything else is 415 (Fastify would hand text/plain over as a string).
  app.removeContentTypeParser("text/plain");

  app.post(
    "/queries",
    { schema: { body: PERSON_QUERY, querystring: Type.Object({}, { additionalProperties: false }) } },
    async (request, reply) => {
      const query = request.body;
      assertPersonQuery(query);
      try {
        return reply.send(await ask(query));
      } catch (error) {
        // An upstream X-Road fault is not this app's failure: logged as a warning, answered 502.
        if (!(error instanceof StateError) || error.code !== "POLICE_UPSTREAM") throw error;
        request.log.warn({ code: error.code, reason: error.message }, "query failed");
        return reply.status(POLICE_ERRORS.POLICE_UPSTREAM.status).send(error.toJSON());
      }
    },
  );

  const ask = async (query: PersonQuery) => {
    // PR-REST 4.1: /r1/{serviceId}/{path}; the register answers GET /persons/{code}.
    // The purpose goes as X-Road-Issue (percent-encoded when not ASCII, headers being bytes)
    // and as PR-PDU-REST X-Road-PDU-Purpose, which the Data Tracker records decoded.
    const headers: Record<string, string> = {
      accept: "application/json",
      "x-road-client": config.client,
      "x-road-userid": xroadUserId(query.officer),
      "x-road-issue": /^[\x20-\x7e]+$/.test(query.purpose) ? query.purpose : encodeURIComponent(query.purpose),
      "x-road-pdu-purpose": encodeURIComponent(query.purpose),
    };
    if (query.hiddenUntil) {
      headers[HIDDEN_UNTIL_HEADER] = new Date(query.hiddenUntil).toISOString();
      headers[HIDDEN_REASON_HEADER] = encodeURIComponent(query.hiddenReason!);
    }
    let answer: Response;
    try {
      answer = await fetch(`${base}/r1/${config.personsService}/persons/${query.personalCode}`, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new StateError("POLICE_UPSTREAM", `the security server at ${base} did not answer`, { cause });
    }
    const text = await answer.text();
    const xroadId = answer.headers.get("x-road-id") ?? undefined;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const xroadError = answer.headers.get("x-road-error");
    if (xroadError) {
      const fault = body as { type?: string; message?: string } | undefined;
      throw new StateError("POLICE_UPSTREAM", `X-Road refused the query: ${xroadError}: ${fault?.message ?? text}`, {
        details: { type: xroadError, message: fault?.message, xroadId },
      });
    }
    // The register's own error answer passes through the security servers unchanged
    // (PR-REST 4.6); only its PERSON_NOT_FOUND means the person is not there.
    const providerCode = (body as { code?: unknown } | undefined)?.code;
    if (answer.status === 404 && providerCode === "PERSON_NOT_FOUND")
      throw new StateError("POLICE_NOT_FOUND", `the population register has no person ${query.personalCode}`, {
        details: { personalCode: query.personalCode, xroadId },
      });
    if (!answer.ok || body === undefined)
      throw new StateError("POLICE_UPSTREAM", `the population register answered ${answer.status}`, {
        details: {
          status: answer.status,
          ...(typeof providerCode === "string" ? { code: providerCode } : {}),
          xroadId,
        },
      });
    return {
      person: body,
      query: {
        purpose: query.purpose,
        officer: query.officer,
        ...(query.hiddenUntil ? { hiddenUntil: query.hiddenUntil, hiddenReason: query.hiddenReason } : {}),
      },
      xroad: {
        id: xroadId,
        requestHash: answer.headers.get("x-road-request-hash") ?? undefined,
        dataSubjects: answer.headers.get("x-riik-data-subjects") ?? undefined,
      },
    };
  };

  return {
    app,
    listen: () => app.listen({ port: config.port, host: config.host }),
    close: () => app.close(),
  };
}
