import {
  type ComponentDescriptor,
  httpUrlField,
  isValidPersonalCode,
  problem,
  refine,
  SERVED_OPTIONS,
  servedFields,
  serviceIdField,
  subsystemIdField,
} from "@riik/core";
import { type Static, Type } from "typebox";
import { eResidencyOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8540;

/** `riik e-residency serve`: the Police and Border Guard Board's (PPA, 70008747) e-Residency. */
export const E_RESIDENCY_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the agency's data directory") }),
    trust: Type.String({
      minLength: 1,
      ...problem("must be the trust services' root certificate file (PEM or DER) the officials' cards chain to"),
    }),
    ...servedFields(DEFAULT_PORT),
    /**
     * The exchange layer: the agency's own security server and subsystem, and the police's
     * background-checks service. Without them a paid application stays in "background-check"
     * (fail closed: nobody is decided on without the police's answer).
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    backgroundChecksService: Type.Optional(serviceIdField()),
    /**
     * The population register's persons service: a personal code is granted only when the
     * register answers that no resident holds it (fail closed: no answer, no grant).
     */
    populationRegisterService: Type.Optional(serviceIdField()),
    /** Applications one client (X-Road client, else address) may submit an hour. */
    applicationsPerHour: Type.Optional(Type.Integer({ minimum: 1, ...problem("must be a whole number, 1 or more") })),
    /** The trust services' URL: digital IDs are ordered there as a registration authority with `cards`. */
    pkiUrl: Type.Optional(httpUrlField()),
    /** The 0600 file holding the registration authority's bearer token (`riik pki ra add --name e-residency --allow cards`). */
    raTokenFile: Type.Optional(Type.String({ minLength: 1, ...problem("must be a file path") })),
    /** Personal codes of the officials who decide, hand over and revoke. */
    officials: Type.Array(
      refine(
        Type.String({ pattern: "^[1-8][0-9]{10}$" }),
        (value) => isValidPersonalCode(value),
        "must be a valid personal code",
      ),
      { default: [] },
    ),
    /** Subsystems granted `applications` (the portal). */
    applicationsClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems granted `e-residents` (the business register). */
    eResidentsClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems granted `decisions` (the Board's staff workstation). */
    decisionsClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "backgroundChecksService"],
      xroadClient: ["xroadSecurityServer"],
      backgroundChecksService: ["xroadSecurityServer"],
      populationRegisterService: ["xroadSecurityServer"],
      pkiUrl: ["raTokenFile"],
      raTokenFile: ["pkiUrl"],
    },
  },
);
export type EResidencyServeConfig = Static<typeof E_RESIDENCY_SERVE>;

/** Contract D: the applicant's application, payment and status (not personal data: no identity yet). */
export const APPLICATIONS_SERVICE_CODE = "applications";
/** Contract D: the register of e-residents, `GET /e-residents/{code}`. */
export const E_RESIDENTS_SERVICE_CODE = "e-residents";
/** The Board's staff: work list, signed decisions, hand-over, revocation. */
export const DECISIONS_SERVICE_CODE = "decisions";

export const eResidencyDescriptor: ComponentDescriptor<typeof E_RESIDENCY_SERVE> = {
  name: "e-residency",
  description:
    "serve the Police and Border Guard Board's e-Residency: applications, background checks, signed decisions, digital IDs and the register of e-residents (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: E_RESIDENCY_SERVE,
  command: ["e-residency", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database e_residency.sqlite, card files)" },
    {
      flag: "--trust",
      field: "trust",
      description: "root certificate the officials' signing certificates must chain to",
    },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the Board's own security server",
    },
    { flag: "--xroad-client", field: "xroadClient", description: "the agency's subsystem, X-Road-Client of its calls" },
    {
      flag: "--background-checks-service",
      field: "backgroundChecksService",
      description: "the police's background-checks service id",
    },
    {
      flag: "--population-register-service",
      field: "populationRegisterService",
      description: "the population register's persons service id, asked whether a personal code is free",
    },
    {
      flag: "--applications-per-hour",
      field: "applicationsPerHour",
      kind: "count",
      description: "applications one client may submit an hour (default 1000)",
    },
    { flag: "--pki-url", field: "pkiUrl", description: "trust services' URL: digital IDs are ordered there" },
    {
      flag: "--ra-token-file",
      field: "raTokenFile",
      description: "0600 file with the registration-authority token (riik pki ra add --name e-residency)",
    },
    {
      flag: "--official",
      field: "officials",
      kind: "list",
      description: "an official's personal code (repeat for more)",
    },
    {
      flag: "--applications-client",
      field: "applicationsClients",
      kind: "list",
      description: "a subsystem granted the applications service (repeat for more)",
    },
    {
      flag: "--e-residents-client",
      field: "eResidentsClients",
      kind: "list",
      description: "a subsystem granted the e-residents service (repeat for more)",
    },
    {
      flag: "--decisions-client",
      field: "decisionsClients",
      kind: "list",
      description: "a subsystem granted the decisions service (repeat for more)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => {
    const grant = (subjects: readonly string[], code: string, rights: Array<[string, string[]]>) =>
      subjects.flatMap((subject) =>
        rights.map(([method, paths]) => ({ subject, service: `${at.subsystem}/${code}`, method, paths })),
      );
    return {
      subsystems: [{ id: at.subsystem, description: "Police and Border Guard Board: e-Residency" }],
      services: [
        { subsystem: at.subsystem, code: APPLICATIONS_SERVICE_CODE, url: at.url, openapi: () => eResidencyOpenApi() },
        {
          subsystem: at.subsystem,
          code: E_RESIDENTS_SERVICE_CODE,
          url: at.url,
          personalData: true,
          openapi: () => eResidencyOpenApi(),
        },
        {
          subsystem: at.subsystem,
          code: DECISIONS_SERVICE_CODE,
          url: at.url,
          personalData: true,
          openapi: () => eResidencyOpenApi(),
        },
      ],
      access: [
        ...(config.xroadClient && config.backgroundChecksService
          ? [
              {
                subject: config.xroadClient,
                service: config.backgroundChecksService,
                method: "POST",
                paths: ["/background-checks"],
              },
            ]
          : []),
        ...(config.xroadClient && config.populationRegisterService
          ? [
              {
                subject: config.xroadClient,
                service: config.populationRegisterService,
                method: "GET",
                paths: ["/persons/*"],
              },
            ]
          : []),
        ...grant(config.applicationsClients, APPLICATIONS_SERVICE_CODE, [
          ["GET", ["/pickup-locations"]],
          ["POST", ["/applications", "/applications/*/payment", "/applications/*/status"]],
        ]),
        ...grant(config.eResidentsClients, E_RESIDENTS_SERVICE_CODE, [["GET", ["/e-residents/*"]]]),
        ...grant(config.decisionsClients, DECISIONS_SERVICE_CODE, [
          ["GET", ["/staff/applications", "/staff/applications/*"]],
          [
            "POST",
            [
              "/staff/applications/*/decision",
              "/staff/applications/*/hand-over",
              "/staff/e-residents/*/renewal",
              "/staff/e-residents/*/revocation",
            ],
          ],
        ]),
      ],
    };
  },
};
