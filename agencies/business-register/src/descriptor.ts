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
import { businessRegisterOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8470;
/** `riik business serve`: the register's REST API. */
export const BUSINESS_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    trust: Type.String({ minLength: 1, ...problem("must be the trust services' root certificate file (PEM or DER)") }),
    ...servedFields(DEFAULT_PORT),
    /**
     * The founding checks over X-Road (contract E): the client URL of the register's own
     * security server, the subsystem it speaks as, and the population register's persons
     * service go together; the e-residents and business-bans services are each optional
     * (without one, that check is not made). None of them: no external checks.
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    personsService: Type.Optional(serviceIdField()),
    eResidentsService: Type.Optional(serviceIdField()),
    businessBansService: Type.Optional(serviceIdField()),
    /** Subsystems granted the `applications` service (the portal founds companies for the person logged in). */
    applicationsClients: Type.Array(subsystemIdField(), {
      default: [],
    }),
    /** Applications one client (X-Road-Client, or the caller's address) may create per hour. */
    foundingHourlyLimit: Type.Integer({ minimum: 1, default: 100, ...problem("must be a positive whole number") }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "personsService"],
      xroadClient: ["xroadSecurityServer", "personsService"],
      personsService: ["xroadSecurityServer", "xroadClient"],
      eResidentsService: ["personsService"],
      businessBansService: ["personsService"],
    },
  },
);
export type BusinessServeConfig = Static<typeof BUSINESS_SERVE>;

/** X-Road service codes; each serves the same API, the consumer asks the paths its right covers. */
export const COMPANIES_SERVICE_CODE = "companies";
export const COMPANY_PERSONS_SERVICE_CODE = "company-persons";
/** GET /persons/{code}/representation-rights: the one the mandates service calls. */
export const REPRESENTATION_RIGHTS_SERVICE_CODE = "representation-rights";
export const CHANGES_SERVICE_CODE = "changes";
/** Founding for the portal (contract E): applications, signatures, registration, a person's applications and companies. */
export const APPLICATIONS_SERVICE_CODE = "applications";

export const businessRegisterDescriptor: ComponentDescriptor<typeof BUSINESS_SERVE> = {
  name: "business-register",
  description: "serve the e-Business Register's REST API (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: BUSINESS_SERVE,
  command: ["business", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database business_register.sqlite)" },
    { flag: "--trust", field: "trust", description: "root certificate founders' signing certificates must chain to" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the register's own security server (founding checks over X-Road)",
    },
    {
      flag: "--xroad-client",
      field: "xroadClient",
      description: "the register's subsystem, X-Road-Client of its checks",
    },
    { flag: "--persons-service", field: "personsService", description: "the population register's persons service id" },
    {
      flag: "--e-residents-service",
      field: "eResidentsService",
      description: "the e-Residency agency's e-residents service id",
    },
    {
      flag: "--business-bans-service",
      field: "businessBansService",
      description: "the police's business-bans service id",
    },
    {
      flag: "--applications-client",
      field: "applicationsClients",
      kind: "list",
      description: "a subsystem granted the applications service (repeat for more)",
    },
    {
      flag: "--founding-hourly-limit",
      field: "foundingHourlyLimit",
      kind: "count",
      description: "applications one client may create per hour",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => {
    const service = (code: string, personalData: boolean) => ({
      subsystem: at.subsystem,
      code,
      url: at.url,
      personalData,
      openapi: () => businessRegisterOpenApi(),
    });
    return {
      subsystems: [{ id: at.subsystem, description: "e-Business Register" }],
      // Personal-data services: the provider's security server records a Data Tracker use for
      // every person the register names in X-Riik-Data-Subjects (board members, the person asked).
      services: [
        service(COMPANIES_SERVICE_CODE, false),
        service(COMPANY_PERSONS_SERVICE_CODE, true),
        service(REPRESENTATION_RIGHTS_SERVICE_CODE, true),
        service(CHANGES_SERVICE_CODE, true),
        service(APPLICATIONS_SERVICE_CODE, true),
      ],
      access: [
        // The founding checks, as this register's own subsystem (its X-Road client).
        ...(config.xroadClient
          ? [
              [config.personsService, "/persons/*"],
              [config.eResidentsService, "/e-residents/*"],
              [config.businessBansService, "/business-bans/*"],
            ].flatMap(([service, path]) =>
              service ? [{ subject: config.xroadClient!, service, method: "GET", paths: [path!] }] : [],
            )
          : []),
        // What the portal does for the person logged in (X-Road-UserId).
        ...config.applicationsClients.flatMap((subject) => {
          const service = `${at.subsystem}/${APPLICATIONS_SERVICE_CODE}`;
          return [
            {
              subject,
              service,
              method: "POST",
              paths: [
                "/applications",
                "/applications/*/signatures",
                "/applications/*/registration",
                "/companies/*/annual-reports",
              ],
            },
            {
              subject,
              service,
              method: "GET",
              paths: [
                "/applications/*",
                "/persons/*/applications",
                "/persons/*/companies",
                "/companies/*",
                "/companies/*/persons",
                "/companies/*/annual-reports",
                "/name-check",
              ],
            },
          ];
        }),
      ],
    };
  },
};
