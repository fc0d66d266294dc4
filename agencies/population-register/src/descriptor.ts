import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { Type } from "typebox";
import { populationRegisterOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8450;
/** `riik registry serve`: the register's REST API. */
export const REGISTRY_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    ...servedFields(DEFAULT_PORT),
  },
  { additionalProperties: false },
);

/** The register's REST service on the exchange layer: persons by personal code (GET /persons/{code}). */
export const PERSONS_SERVICE_CODE = "persons";
/** POST /personal-codes: the next free personal code of a birth date (contract C; not personal data). */
export const PERSONAL_CODES_SERVICE_CODE = "personal-codes";
/** POST /vital-events/…: births, deaths, marriages, divorces, changes of address and name (issue 13). */
export const VITAL_EVENTS_SERVICE_CODE = "vital-events";
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
