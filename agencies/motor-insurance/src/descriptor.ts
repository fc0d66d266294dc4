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
import { motorInsuranceOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8495;

/**
 * `riik motor-insurance serve`: the motor insurers' bureau (Eesti Liikluskindlustuse Fond). A
 * COM member: the Fund is a non-profit of the insurers (Motor Insurance Act § 40), not a state
 * agency, though the state gives it its tasks.
 */
export const MOTOR_INSURANCE_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the bureau's data directory") }),
    trust: Type.String({
      minLength: 1,
      ...problem("must be the trust services' root certificate file (PEM or DER) the drivers' cards chain to"),
    }),
    /** The integrity ledger every step of a case is anchored in. */
    ledgerUrl: httpUrlField(),
    ...servedFields(DEFAULT_PORT),
    /** The business register check of insurers over X-Road: all three or none. */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    companiesService: Type.Optional(serviceIdField()),
    /** Insurers' subsystems: submit policies, read insurance, act on their cases. */
    insurerClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems that read insurance (the police, the vehicle register, the portal). */
    insuranceClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The portal: drivers report, join, sign and read their cases. */
    casesClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The police: cases with injuries. */
    policeClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The bureau's own administration: registers insurers. */
    adminClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "companiesService"],
      xroadClient: ["xroadSecurityServer", "companiesService"],
      companiesService: ["xroadSecurityServer", "xroadClient"],
    },
  },
);
export type MotorInsuranceServeConfig = Static<typeof MOTOR_INSURANCE_SERVE>;

/** Policies (insurers submit) and the lookups by plate or VIN. */
export const INSURANCE_SERVICE_CODE = "motor-insurance";
/** The accident case. */
export const ACCIDENT_CASES_SERVICE_CODE = "accident-cases";
/** Registering insurers (the bureau's administration). */
export const INSURERS_SERVICE_CODE = "insurers";

export const motorInsuranceDescriptor: ComponentDescriptor<typeof MOTOR_INSURANCE_SERVE> = {
  name: "motor-insurance",
  description:
    "serve the motor insurers' bureau: insurers, policies, who insures a vehicle now, and the accident case (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: MOTOR_INSURANCE_SERVE,
  command: ["motor-insurance", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database motor_insurance.sqlite)" },
    {
      flag: "--trust",
      field: "trust",
      description: "root certificate the drivers' signing certificates must chain to",
    },
    { flag: "--ledger", field: "ledgerUrl", description: "URL of the integrity ledger the case steps are anchored in" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the bureau's own security server",
    },
    { flag: "--xroad-client", field: "xroadClient", description: "the bureau's subsystem, X-Road-Client of its calls" },
    {
      flag: "--companies-service",
      field: "companiesService",
      description: "the business register's companies service id (insurers are checked there)",
    },
    ...(
      [
        ["--insurer-client", "insurerClients", "an insurer's subsystem"],
        ["--insurance-client", "insuranceClients", "a subsystem granted insurance lookups"],
        ["--cases-client", "casesClients", "a subsystem granted the accident-cases service (the portal)"],
        ["--police-client", "policeClients", "the police's subsystem (cases with injuries)"],
        ["--admin-client", "adminClients", "a subsystem granted the insurers service"],
      ] as const
    ).map(([flag, field, what]) => ({ flag, field, kind: "list" as const, description: `${what} (repeat for more)` })),
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: ["ledger"],
  exchange: (config, at) => {
    const service = (code: string) => ({
      subsystem: at.subsystem,
      code,
      url: at.url,
      personalData: true,
      openapi: () => motorInsuranceOpenApi(),
    });
    const grant = (subjects: readonly string[], code: string, rights: Array<[string, string[]]>) =>
      subjects.flatMap((subject) =>
        rights.map(([method, paths]) => ({ subject, service: `${at.subsystem}/${code}`, method, paths })),
      );
    const caseSteps = ["/cases/*/acceptance", "/cases/*/liability", "/cases/*/claim", "/cases/*/closure"];
    return {
      subsystems: [{ id: at.subsystem, description: "Motor insurers' bureau: policies and accident cases" }],
      services: [service(INSURANCE_SERVICE_CODE), service(ACCIDENT_CASES_SERVICE_CODE), service(INSURERS_SERVICE_CODE)],
      access: [
        ...(config.xroadClient && config.companiesService
          ? [{ subject: config.xroadClient, service: config.companiesService, method: "GET", paths: ["/companies/*"] }]
          : []),
        ...grant(config.adminClients, INSURERS_SERVICE_CODE, [
          ["GET", ["/insurers"]],
          ["POST", ["/insurers"]],
        ]),
        ...grant(config.insurerClients, INSURANCE_SERVICE_CODE, [
          ["GET", ["/insurance", "/insurance/validity"]],
          ["POST", ["/policies"]],
        ]),
        ...grant(config.insuranceClients, INSURANCE_SERVICE_CODE, [["GET", ["/insurance", "/insurance/validity"]]]),
        ...grant(config.insurerClients, ACCIDENT_CASES_SERVICE_CODE, [
          ["GET", ["/cases/*"]],
          ["POST", caseSteps],
        ]),
        ...grant(config.casesClients, ACCIDENT_CASES_SERVICE_CODE, [
          ["GET", ["/cases/*"]],
          ["POST", ["/cases", "/cases/join", "/cases/*/signatures"]],
          ["PATCH", ["/cases/*"]],
        ]),
        ...grant(config.policeClients, ACCIDENT_CASES_SERVICE_CODE, [["GET", ["/cases/*"]]]),
      ],
    };
  },
};
