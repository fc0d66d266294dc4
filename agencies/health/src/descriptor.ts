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
import { healthOpenApi } from "./api/server.ts";
import { insuranceOpenApi } from "./insurance/insurance-service.ts";

const DEFAULT_PORT = 8530;

/** `riik health serve`: the health information system and the prescription centre (TEHIK, 70009770, subsystem `tis`). */
export const HEALTH_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the health information system's data directory") }),
    ...servedFields(DEFAULT_PORT),
    /** The trust services' root certificate (PEM or DER): the only anchor a doctor's signature is verified against. */
    trust: Type.String({ minLength: 1, ...problem("must be the trust services' root certificate file (PEM or DER)") }),
    /** Providers' information systems: read with a purpose, write visits, summaries and prescriptions. */
    providerClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Pharmacies' systems: find prescriptions by personal code, dispense. */
    pharmacyClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The state portal: the patient's own data, closures and declarations of intent, who read what. */
    portalClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The registers feeding the directory: patients, professionals and their licences, organisations. */
    directoryClients: Type.Array(subsystemIdField(), { default: [] }),
    /**
     * The exchange layer: the system's own security server and subsystem, and the health insurance
     * fund's `insurance` service, asked before each dispensing. Without them every patient counts as
     * insured (a centre standing alone).
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    insuranceService: Type.Optional(serviceIdField()),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "insuranceService"],
      xroadClient: ["xroadSecurityServer"],
      insuranceService: ["xroadSecurityServer"],
    },
  },
);
export type HealthServeConfig = Static<typeof HEALTH_SERVE>;

/** The FHIR API as one X-Road service (REST, base `/fhir`). */
export const FHIR_SERVICE_CODE = "fhir";

const CLINICAL = ["/Encounter", "/Condition", "/Observation", "/Composition", "/DocumentReference"];

export const healthDescriptor: ComponentDescriptor<typeof HEALTH_SERVE> = {
  name: "health",
  description:
    "serve the health information system and the prescription centre: an HL7 FHIR R4 API at /fhir (CapabilityStatement at /fhir/metadata, OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: HEALTH_SERVE,
  command: ["health", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database health.sqlite)" },
    ...SERVED_OPTIONS,
    { flag: "--trust", field: "trust", description: "root certificate the doctors' signatures must chain to" },
    {
      flag: "--provider-client",
      field: "providerClients",
      kind: "list",
      description: "a health care provider's subsystem (repeat)",
    },
    {
      flag: "--pharmacy-client",
      field: "pharmacyClients",
      kind: "list",
      description: "a pharmacy's subsystem (repeat)",
    },
    {
      flag: "--portal-client",
      field: "portalClients",
      kind: "list",
      description: "the state portal's subsystem (repeat)",
    },
    {
      flag: "--directory-client",
      field: "directoryClients",
      kind: "list",
      description: "a register's subsystem that feeds patients, professionals and organisations (repeat)",
    },
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the health information system's own security server",
    },
    { flag: "--xroad-client", field: "xroadClient", description: "the system's subsystem, X-Road-Client of its calls" },
    {
      flag: "--insurance-service",
      field: "insuranceService",
      description: "the health insurance fund's insurance service id, asked before each dispensing",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: ["pki"],
  exchange: (config, at) => {
    const service = `${at.subsystem}/${FHIR_SERVICE_CODE}`;
    const right = (subject: string, method: string, paths: string[]) => ({ subject, service, method, paths });
    return {
      subsystems: [{ id: at.subsystem, description: "Health information system and prescription centre (FHIR R4)" }],
      services: [
        {
          subsystem: at.subsystem,
          code: FHIR_SERVICE_CODE,
          url: `${at.url}/fhir`,
          personalData: true,
          openapi: () => healthOpenApi(),
        },
      ],
      access: [
        ...config.providerClients.flatMap((s) => [
          right(s, "GET", ["**"]),
          right(s, "POST", [...CLINICAL, "/MedicationRequest", "/MedicationRequest/*/$sign"]),
        ]),
        ...config.pharmacyClients.flatMap((s) => [
          right(s, "GET", [
            "/metadata",
            "/Patient**",
            "/Medication**",
            "/MedicationRequest**",
            "/MedicationDispense**",
          ]),
          right(s, "POST", ["/MedicationDispense"]),
        ]),
        ...config.portalClients.flatMap((s) => [
          right(s, "GET", ["**"]),
          right(s, "POST", ["/Consent", "/RelatedPerson"]),
          right(s, "PUT", ["/Consent/*", "/RelatedPerson/*"]),
        ]),
        ...config.directoryClients.map((s) =>
          right(s, "POST", ["/Patient", "/Practitioner", "/Organization", "/PractitionerRole"]),
        ),
        // The centre as the fund's client: "is this patient insured today" before each dispensing.
        ...(config.xroadClient && config.insuranceService
          ? [
              {
                subject: config.xroadClient,
                service: config.insuranceService,
                method: "GET",
                paths: ["/persons/*/insurance"],
              },
            ]
          : []),
      ],
    };
  },
};

const INSURANCE_DEFAULT_PORT = 8531;

/** `riik health-insurance serve`: the health insurance fund's register (Tervisekassa, 74000091). */
export const HEALTH_INSURANCE_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the insurance register's data directory") }),
    ...servedFields(INSURANCE_DEFAULT_PORT),
    /** Who asks "is this person insured today": pharmacies, providers, the portal. */
    insuranceClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Registers that report insurance periods (employment, pensions, unemployment). */
    reportingClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  { additionalProperties: false },
);
export type HealthInsuranceServeConfig = Static<typeof HEALTH_INSURANCE_SERVE>;

export const INSURANCE_SERVICE_CODE = "insurance";

export const healthInsuranceDescriptor: ComponentDescriptor<typeof HEALTH_INSURANCE_SERVE> = {
  name: "health-insurance",
  description:
    "serve the health insurance fund's register: is a person insured today (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: HEALTH_INSURANCE_SERVE,
  command: ["health-insurance", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database health_insurance.sqlite)" },
    ...SERVED_OPTIONS,
    {
      flag: "--insurance-client",
      field: "insuranceClients",
      kind: "list",
      description: "a subsystem that may ask (repeat)",
    },
    {
      flag: "--reporting-client",
      field: "reportingClients",
      kind: "list",
      description: "a register that reports periods (repeat)",
    },
  ],
  ports: (config) => ({ http: config.port ?? INSURANCE_DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => {
    const service = `${at.subsystem}/${INSURANCE_SERVICE_CODE}`;
    return {
      subsystems: [{ id: at.subsystem, description: "Health insurance fund: insured persons" }],
      services: [
        {
          subsystem: at.subsystem,
          code: INSURANCE_SERVICE_CODE,
          url: at.url,
          personalData: true,
          openapi: () => insuranceOpenApi(),
        },
      ],
      access: [
        ...config.insuranceClients.map((subject) => ({
          subject,
          service,
          method: "GET",
          paths: ["/persons/*/insurance"],
        })),
        ...config.reportingClients.map((subject) => ({
          subject,
          service,
          method: "POST",
          paths: ["/persons/*/insurance-periods"],
        })),
      ],
    };
  },
};
