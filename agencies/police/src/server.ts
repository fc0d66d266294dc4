import { join } from "node:path";
import {
  createMemberService,
  errorAnswers,
  HIDDEN_REASON_HEADER,
  HIDDEN_UNTIL_HEADER,
  NO_QUERY,
  type RiikFastify,
  XRoadClientError,
  XRoadRestClient,
  xroadUserId,
} from "@riik/kit";
import { Type } from "typebox";
import type { PoliceConfig } from "./config.ts";
import { POLICE_ERRORS, PoliceError } from "./errors.ts";
import { providerRoutes } from "./provider.ts";
import { assertPersonQuery, PERSON_QUERY, type PersonQuery } from "./query.ts";
import { PoliceRecords } from "./records/police-records.ts";
import { SanctionsList } from "./sanctions/eu-sanctions-list.ts";

/** The sample of the EU consolidated sanctions list shipped with the package (invented names). */
export const SAMPLE_SANCTIONS_LIST = join(import.meta.dirname, "..", "data", "eu-sanctions-sample.csv");
/** Invented criminal records and business bans for the sandbox (`riik police seed`). */
export const SAMPLE_RECORDS = join(import.meta.dirname, "..", "data", "records-sample.json");

/** What the police read of the register's person (GET /persons/{code}); the rest is passed on as it came. */
const PERSON = Type.Object(
  { personalCode: Type.String(), givenName: Type.String(), surname: Type.String() },
  { additionalProperties: true },
);

const QUERY_ANSWER = Type.Object({
  person: PERSON,
  query: Type.Object({
    purpose: Type.String(),
    officer: Type.String(),
    hiddenUntil: Type.Optional(Type.String()),
    hiddenReason: Type.Optional(Type.String()),
  }),
  xroad: Type.Object({
    id: Type.String({ description: "X-Road-Id of the exchange" }),
    requestHash: Type.Optional(Type.String()),
    dataSubjects: Type.Optional(Type.String()),
  }),
});

const ERRORS = errorAnswers({
  400: "REQUEST_INVALID or POLICE_INPUT",
  404: "POLICE_NOT_FOUND",
  502: "POLICE_UPSTREAM",
});

export interface PoliceApp {
  readonly app: RiikFastify;
  listen(): Promise<string>;
  close(): Promise<void>;
  /** Its OpenAPI 3.1 document (also at /openapi.json). */
  openapi(serverUrl?: string): Promise<Record<string, unknown>>;
}

/**
 * The police and border guard's sample information system: officers query the
 * population register through the police's security server (PR-REST r1), naming
 * themselves (X-Road-UserId) and their purpose (X-Road-Issue), so that every query is
 * logged on both sides and shown to the person in the Data Tracker.
 */
export function createPoliceApp(
  config: PoliceConfig,
  provider?: { records: PoliceRecords; sanctions: SanctionsList },
): PoliceApp {
  const xroad = new XRoadRestClient({
    securityServer: config.securityServer.url,
    client: config.client,
    timeoutMs: config.timeoutMs ?? 10_000,
  });

  const ask = async (query: PersonQuery) => {
    // The register answers GET /persons/{code}. The purpose also goes as PR-PDU-REST
    // X-Road-PDU-Purpose, which the Data Tracker records decoded.
    const headers: Record<string, string> = { "x-road-pdu-purpose": encodeURIComponent(query.purpose) };
    if (query.hiddenUntil) {
      headers[HIDDEN_UNTIL_HEADER] = new Date(query.hiddenUntil).toISOString();
      headers[HIDDEN_REASON_HEADER] = encodeURIComponent(query.hiddenReason!);
    }
    try {
      return await xroad.call({
        service: config.personsService,
        path: `/persons/${query.personalCode}`,
        answer: PERSON,
        userId: xroadUserId(query.officer),
        issue: query.purpose,
        headers,
      });
    } catch (error) {
      if (error instanceof XRoadClientError) throw policeError(error, query, config.securityServer.url);
      throw error;
    }
  };

  const service = createMemberService({
    name: "police",
    title: "Police person queries",
    version: "1.0.0",
    description:
      "Officers query the population register through X-Road, naming themselves and their purpose; the police answer background checks and business bans.",
    errors: POLICE_ERRORS,
    bodyLimit: 16 * 1024,
    routes(app) {
      if (provider) providerRoutes(app, provider.records, provider.sanctions);
      app.post(
        "/queries",
        {
          schema: {
            body: PERSON_QUERY,
            querystring: NO_QUERY,
            response: { 200: QUERY_ANSWER, 400: ERRORS[400]!, 404: ERRORS[404]!, 502: ERRORS[502]! },
          },
        },
        async (request, reply) => {
          const query = request.body;
          assertPersonQuery(query);
          try {
            const answer = await ask(query);
            return reply.send({
              person: answer.body,
              query: {
                purpose: query.purpose,
                officer: query.officer,
                ...(query.hiddenUntil ? { hiddenUntil: query.hiddenUntil, hiddenReason: query.hiddenReason } : {}),
              },
              xroad: {
                id: answer.id,
                requestHash: answer.requestHash,
                dataSubjects: answer.headers["x-riik-data-subjects"],
              },
            });
          } catch (error) {
            // An upstream X-Road fault is not this app's failure: logged as a warning, answered 502.
            if (!(error instanceof PoliceError) || error.code !== "POLICE_UPSTREAM") throw error;
            request.log.warn({ code: error.code, reason: error.message }, "query failed");
            return reply.status(502).send(error.toJSON());
          }
        },
      );
    },
  });
  service.app.addHook("onClose", () => xroad.close());

  return {
    app: service.app,
    listen: () => service.listen({ port: config.port, host: config.host }),
    close: () => service.close(),
    openapi: (serverUrl) => service.openapi(serverUrl),
  };
}

/**
 * The police system as `riik police serve` runs it: with `dir`, its records (SQLite or
 * PostgreSQL) and the sanctions list are opened and the provider services served too.
 */
export async function openPoliceApp(config: PoliceConfig): Promise<PoliceApp> {
  if (config.dir === undefined) return createPoliceApp(config);
  const sanctions = SanctionsList.read(config.sanctionsList ?? SAMPLE_SANCTIONS_LIST);
  const records = await PoliceRecords.open({ dataDir: config.dir, url: config.databaseUrl });
  const police = createPoliceApp(config, { records, sanctions });
  police.app.addHook("onClose", () => records.close());
  return police;
}

/** The OpenAPI document of the police's provider services (for the security server's metadata). */
export async function policeOpenApi(): Promise<Record<string, unknown>> {
  const placeholder = {} as PoliceRecords;
  const police = createPoliceApp(
    {
      port: 0,
      host: "127.0.0.1",
      client: "EE/GOV/70008747/police-app",
      securityServer: { url: "http://127.0.0.1:1" },
      personsService: "EE/GOV/70000562/rr/persons",
    },
    { records: placeholder, sanctions: new SanctionsList([], "none") },
  );
  try {
    return await police.openapi();
  } finally {
    await police.close();
  }
}

/** The exchange's failure as the police answer it: only the register's PERSON_NOT_FOUND is a missing person. */
function policeError(error: XRoadClientError, query: PersonQuery, securityServer: string): PoliceError {
  const details = error.details ?? {};
  const xroadId = details.xroadId;
  switch (error.code) {
    case "XROAD_UNREACHABLE":
      return new PoliceError("POLICE_UPSTREAM", `the security server at ${securityServer} did not answer`, {
        cause: error,
      });
    case "XROAD_FAULT":
      return new PoliceError("POLICE_UPSTREAM", `X-Road refused the query: ${details.type}: ${details.message}`, {
        cause: error,
        details: { type: details.type, message: details.message, xroadId },
      });
    case "XROAD_PROVIDER":
      // The register's own error answer passes through the security servers unchanged (PR-REST 4.6).
      if (details.status === 404 && details.providerCode === "PERSON_NOT_FOUND")
        return new PoliceError("POLICE_NOT_FOUND", `the population register has no person ${query.personalCode}`, {
          cause: error,
          details: { personalCode: query.personalCode, xroadId },
        });
      return new PoliceError("POLICE_UPSTREAM", `the population register answered ${details.status}`, {
        cause: error,
        details: {
          status: details.status,
          ...(details.providerCode === undefined ? {} : { code: details.providerCode }),
          xroadId,
        },
      });
    case "XROAD_BAD_ANSWER":
      return new PoliceError("POLICE_UPSTREAM", `the population register's answer: ${error.message}`, {
        cause: error,
        details: { status: details.status, xroadId },
      });
  }
}
