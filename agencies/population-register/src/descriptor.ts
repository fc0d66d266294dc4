import { type ComponentDescriptor, httpUrlField, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { eventsOpenApi } from "@riik/kit";
import { Type } from "typebox";
import { populationRegisterOpenApi, VITAL_EVENT_TYPES } from "./api/server.ts";

const DEFAULT_PORT = 8450;
/** `riik registry serve`: the register's REST API. */
export const REGISTRY_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    ...servedFields(DEFAULT_PORT),
    /**
     * Pushing vital events to subscribers: the client URL of the register's own security
     * server, its subsystem, and the official accountable for the deliveries. Together or none
     * (then subscribers pull).
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(
      Type.String({ pattern: "^[^/]+/[^/]+/[^/]+/[^/]+$", description: "INSTANCE/CLASS/MEMBER/SUBSYSTEM" }),
    ),
    officialCode: Type.Optional(Type.String({ pattern: "^[1-8][0-9]{10}$" })),
    /**
     * A file (0600) holding the operator's bearer token for the events' operator routes
     * (`/pubsub-operator`: subscriptions, dead letters, redrive, replay); without it they refuse everyone.
     */
    operatorTokenFile: Type.Optional(Type.String({ minLength: 1 })),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      operatorTokenFile: ["xroadSecurityServer"],
      xroadSecurityServer: ["xroadClient", "officialCode"],
      xroadClient: ["xroadSecurityServer", "officialCode"],
      officialCode: ["xroadSecurityServer", "xroadClient"],
    },
  },
);

/** The register's REST service on the exchange layer: persons by personal code (GET /persons/{code}). */
export const PERSONS_SERVICE_CODE = "persons";
/** POST /personal-codes: the next free personal code of a birth date (contract C; not personal data). */
export const PERSONAL_CODES_SERVICE_CODE = "personal-codes";
/** POST /vital-events/…: births, deaths, marriages, divorces, changes of address and name (issue 13). */
export const VITAL_EVENTS_SERVICE_CODE = "vital-events";
/** The vital events as publish/subscribe over X-Road (the kit's publisher at /pubsub). */
export const EVENTS_SERVICE_CODE = "events";
/** The registrar's information system: a subsystem of the register's own member (the ministry). */
export const REGISTRAR_SUBSYSTEM_CODE = "registrar";
/** Who may ask for personal codes: the e-Residency agency (e-residents get a code, not a person entry). */
export const PERSONAL_CODES_CLIENTS: readonly string[] = ["EE/GOV/70008747/e-residency"];

const memberOf = (subsystem: string) => subsystem.split("/").slice(0, -1).join("/");

export const populationRegisterDescriptor: ComponentDescriptor<typeof REGISTRY_SERVE> = {
  name: "population-register",
  description: "serve the register's REST API (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: REGISTRY_SERVE,
  command: ["registry", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database population_register.sqlite)" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the register's own security server (pushing events)",
    },
    {
      flag: "--xroad-client",
      field: "xroadClient",
      description: "the register's subsystem, X-Road-Client of its pushes",
    },
    {
      flag: "--official",
      field: "officialCode",
      description: "personal code of the official accountable for event deliveries",
    },
    {
      flag: "--operator-token-file",
      field: "operatorTokenFile",
      description: "file (0600) with the bearer token of the events' operator routes (dead letters, redrive)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (_config, at) => {
    const registrar = `${memberOf(at.subsystem)}/${REGISTRAR_SUBSYSTEM_CODE}`;
    const service = (code: string, personalData: boolean) => ({
      subsystem: at.subsystem,
      code,
      url: at.url,
      personalData,
      openapi: () => populationRegisterOpenApi(),
    });
    return {
      subsystems: [
        { id: at.subsystem, description: "population register" },
        { id: registrar, description: "vital statistics registrar" },
      ],
      // Personal-data services: the security server records one Data Tracker use per person
      // the register names in X-Riik-Data-Subjects, and refuses answers that name nobody.
      services: [
        service(PERSONS_SERVICE_CODE, true),
        service(PERSONAL_CODES_SERVICE_CODE, false),
        service(VITAL_EVENTS_SERVICE_CODE, true),
        // Subscribers are granted it by their own descriptors (the access they ask for).
        {
          subsystem: at.subsystem,
          code: EVENTS_SERVICE_CODE,
          url: `${at.url}/pubsub`,
          personalData: true,
          openapi: () =>
            eventsOpenApi({
              publisher: at.subsystem,
              eventTypes: VITAL_EVENT_TYPES,
              title: "Population register vital events",
            }),
        },
      ],
      access: [
        ...PERSONAL_CODES_CLIENTS.map((subject) => ({
          subject,
          service: `${at.subsystem}/${PERSONAL_CODES_SERVICE_CODE}`,
          method: "POST",
          paths: ["/personal-codes"],
        })),
        {
          subject: registrar,
          service: `${at.subsystem}/${VITAL_EVENTS_SERVICE_CODE}`,
          method: "POST",
          paths: ["/vital-events/*"],
        },
      ],
    };
  },
};
