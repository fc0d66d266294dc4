import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields, subsystemIdField } from "@riik/core";
import { type Static, Type } from "typebox";
import { vehicleRegisterOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8490;

/** `riik vehicles serve`: the Transport Administration's (Transpordiamet, 70001490) register. */
export const VEHICLES_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    trust: Type.String({
      minLength: 1,
      ...problem("must be the trust services' root certificate file (PEM or DER) the parties' cards chain to"),
    }),
    ...servedFields(DEFAULT_PORT),
    /** Subsystems granted `vehicles` (the motor insurers' bureau, the police, the portal). */
    vehiclesClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems granted `driving-licences` (the police's roadside check, the portal). */
    licencesClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems granted `ownership-transfers` (the portal, for the seller and buyer logged in). */
    transfersClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  { additionalProperties: false },
);
export type VehiclesServeConfig = Static<typeof VEHICLES_SERVE>;

/** GET /vehicles/{vin|plate}: the vehicle with owner and user (personal data). */
export const VEHICLES_SERVICE_CODE = "vehicles";
/** Licences and the roadside check by personal code. */
export const DRIVING_LICENCES_SERVICE_CODE = "driving-licences";
/** Transfer of ownership signed by seller and buyer. */
export const OWNERSHIP_TRANSFERS_SERVICE_CODE = "ownership-transfers";

export const vehiclesDescriptor: ComponentDescriptor<typeof VEHICLES_SERVE> = {
  name: "vehicles",
  description:
    "serve the Transport Administration's vehicle register: vehicles, driving licences, the roadside check and ownership transfers (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: VEHICLES_SERVE,
  command: ["vehicles", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database vehicle_register.sqlite)" },
    {
      flag: "--trust",
      field: "trust",
      description: "root certificate the parties' signing certificates must chain to",
    },
    ...SERVED_OPTIONS,
    {
      flag: "--vehicles-client",
      field: "vehiclesClients",
      kind: "list",
      description: "a subsystem granted the vehicles service (repeat for more)",
    },
    {
      flag: "--licences-client",
      field: "licencesClients",
      kind: "list",
      description: "a subsystem granted the driving-licences service (repeat for more)",
    },
    {
      flag: "--transfers-client",
      field: "transfersClients",
      kind: "list",
      description: "a subsystem granted the ownership-transfers service (repeat for more)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => {
    const service = (code: string) => ({
      subsystem: at.subsystem,
      code,
      url: at.url,
      personalData: true,
      openapi: () => vehicleRegisterOpenApi(),
    });
    const grant = (subjects: readonly string[], code: string, rights: Array<[string, string[]]>) =>
      subjects.flatMap((subject) =>
        rights.map(([method, paths]) => ({ subject, service: `${at.subsystem}/${code}`, method, paths })),
      );
    return {
      subsystems: [
        { id: at.subsystem, description: "Transport Administration: vehicle register and driving licences" },
      ],
      services: [
        service(VEHICLES_SERVICE_CODE),
        service(DRIVING_LICENCES_SERVICE_CODE),
        service(OWNERSHIP_TRANSFERS_SERVICE_CODE),
      ],
      access: [
        ...grant(config.vehiclesClients, VEHICLES_SERVICE_CODE, [["GET", ["/vehicles/*", "/persons/*/vehicles"]]]),
        ...grant(config.licencesClients, DRIVING_LICENCES_SERVICE_CODE, [
          ["GET", ["/persons/*/licence", "/persons/*/driving-right"]],
        ]),
        ...grant(config.transfersClients, OWNERSHIP_TRANSFERS_SERVICE_CODE, [
          ["GET", ["/transfers/*"]],
          ["POST", ["/transfers", "/transfers/*/signatures"]],
        ]),
      ],
    };
  },
};
