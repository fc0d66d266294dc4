import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { Type } from "typebox";
import { businessRegisterOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8470;
/** `riik business serve`: the register's REST API. */
export const BUSINESS_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    trust: Type.String({ minLength: 1, ...problem("must be the trust services' root certificate file (PEM or DER)") }),
    ...servedFields(DEFAULT_PORT),
  },
  { additionalProperties: false },
);

/** X-Road service codes; each serves the same API, the consumer asks the paths its right covers. */
export const COMPANIES_SERVICE_CODE = "companies";
export const COMPANY_PERSONS_SERVICE_CODE = "company-persons";
/** GET /persons/{code}/representation-rights: the one the mandates service calls. */
export const REPRESENTATION_RIGHTS_SERVICE_CODE = "representation-rights";
export const CHANGES_SERVICE_CODE = "changes";

export const businessRegisterDescriptor: ComponentDescriptor<typeof BUSINESS_SERVE> = {
  name: "business-register",
  description: "serve the e-Business Register's REST API (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: BUSINESS_SERVE,
  command: ["business", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database business_register.sqlite)" },
    { flag: "--trust", field: "trust", description: "root certificate founders' signing certificates must chain to" },
    ...SERVED_OPTIONS,
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (_config, at) => {
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
      ],
    };
  },
};
