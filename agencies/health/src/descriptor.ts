import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields, subsystemIdField } from "@riik/core";
import { type Static, Type } from "typebox";
import { healthOpenApi } from "./api/server.ts";

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
  },
  { additionalProperties: false },
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
          right(s, "POST", ["/Consent"]),
          right(s, "PUT", ["/Consent/*"]),
        ]),
        ...config.directoryClients.map((s) =>
          right(s, "POST", ["/Patient", "/Practitioner", "/Organization", "/PractitionerRole"]),
        ),
      ],
    };
  },
};
