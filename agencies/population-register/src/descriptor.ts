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
  exchange: (_config, at) => ({
    subsystems: [{ id: at.subsystem, description: "population register" }],
    // A personal-data service: its security server records one Data Tracker use per person
    // the register names in X-Riik-Data-Subjects, and refuses answers that name nobody.
    services: [
      {
        subsystem: at.subsystem,
        code: PERSONS_SERVICE_CODE,
        url: at.url,
        personalData: true,
        openapi: () => populationRegisterOpenApi(),
      },
    ],
  }),
};
