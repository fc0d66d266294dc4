import {
  type ComponentDescriptor,
  httpUrlField,
  problem,
  SERVED_OPTIONS,
  servedFields,
  serviceIdField,
  subsystemIdField,
} from "@riik/core";
import { type Static, Type } from "typebox";
import { socialInsuranceOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8480;

/** `riik social-insurance serve`: the Board's API, its events inbox and its workers. */
export const SOCIAL_INSURANCE_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the Board's data directory") }),
    ...servedFields(DEFAULT_PORT),
    /**
     * The exchange layer: the Board's own security server and subsystem, the population
     * register's `events` service it subscribes to and `persons` service it reads families
     * from, and the state inbox's `messages` service the offers go to. Together or none (then
     * the Board only serves its API).
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    eventsService: Type.Optional(serviceIdField()),
    personsService: Type.Optional(serviceIdField()),
    inboxService: Type.Optional(serviceIdField()),
    /** X-Road-UserId of the automated reads and deliveries: the Board official accountable for them. */
    officialCode: Type.Optional(Type.String({ pattern: "^[1-8][0-9]{10}$" })),
    /** Subsystems granted the `family-benefits` service (the portal). */
    benefitsClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "eventsService", "personsService", "inboxService", "officialCode"],
      xroadClient: ["xroadSecurityServer"],
      eventsService: ["xroadSecurityServer"],
      personsService: ["xroadSecurityServer"],
      inboxService: ["xroadSecurityServer"],
    },
  },
);
export type SocialInsuranceServeConfig = Static<typeof SOCIAL_INSURANCE_SERVE>;

/** The API for the portal: a parent's offers, the confirmation, the payments. */
export const FAMILY_BENEFITS_SERVICE_CODE = "family-benefits";
/** Where the population register pushes its events (the kit's subscriber inbox). */
export const EVENTS_INBOX_SERVICE_CODE = "events-inbox";

const subsystemOf = (service: string) => service.split("/").slice(0, -1).join("/");

export const socialInsuranceDescriptor: ComponentDescriptor<typeof SOCIAL_INSURANCE_SERVE> = {
  name: "social-insurance",
  description:
    "serve the Social Insurance Board: family benefits offered on a birth (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: SOCIAL_INSURANCE_SERVE,
  command: ["social-insurance", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database social_insurance.sqlite)" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the Board's own security server",
    },
    { flag: "--xroad-client", field: "xroadClient", description: "the Board's subsystem, X-Road-Client of its calls" },
    { flag: "--events-service", field: "eventsService", description: "the population register's events service id" },
    {
      flag: "--persons-service",
      field: "personsService",
      description: "the population register's persons service id (families)",
    },
    { flag: "--inbox-service", field: "inboxService", description: "the state inbox's messages service id" },
    {
      flag: "--official",
      field: "officialCode",
      description: "personal code of the official accountable for automated calls",
    },
    {
      flag: "--benefits-client",
      field: "benefitsClients",
      kind: "list",
      description: "a subsystem granted the family-benefits service (repeat for more)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => ({
    subsystems: [{ id: at.subsystem, description: "Social Insurance Board: family benefits" }],
    services: [
      {
        subsystem: at.subsystem,
        code: FAMILY_BENEFITS_SERVICE_CODE,
        url: at.url,
        personalData: true,
        openapi: () => socialInsuranceOpenApi(),
      },
      // The kit's subscriber inbox: the register pushes births and deaths here.
      { subsystem: at.subsystem, code: EVENTS_INBOX_SERVICE_CODE, url: `${at.url}/pubsub-inbox`, personalData: true },
    ],
    access: [
      ...(config.eventsService
        ? [
            {
              subject: subsystemOf(config.eventsService),
              service: `${at.subsystem}/${EVENTS_INBOX_SERVICE_CODE}`,
              method: "POST",
              paths: ["/"],
            },
          ]
        : []),
      ...(config.xroadClient && config.eventsService
        ? [
            {
              subject: config.xroadClient,
              service: config.eventsService,
              method: "GET",
              paths: ["/subs", "/event-types"],
            },
            { subject: config.xroadClient, service: config.eventsService, method: "POST", paths: ["/subs"] },
          ]
        : []),
      ...(config.xroadClient && config.personsService
        ? [{ subject: config.xroadClient, service: config.personsService, method: "GET", paths: ["/persons/*/family"] }]
        : []),
      ...(config.xroadClient && config.inboxService
        ? [{ subject: config.xroadClient, service: config.inboxService, method: "POST", paths: ["/messages"] }]
        : []),
      ...config.benefitsClients.flatMap((subject) => {
        const service = `${at.subsystem}/${FAMILY_BENEFITS_SERVICE_CODE}`;
        return [
          { subject, service, method: "GET", paths: ["/persons/*/offers", "/persons/*/payments"] },
          { subject, service, method: "POST", paths: ["/offers/*/confirmation"] },
        ];
      }),
    ],
  }),
};
