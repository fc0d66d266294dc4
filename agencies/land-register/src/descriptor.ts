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
import { landRegisterOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8500;

/**
 * `riik land-register serve`: the land register (kinnistusraamat). The register is kept by the
 * courts' land registry department; its information system by the Centre of Registers and
 * Information Systems (RIK, GOV 70000310), subsystem `kinnistusraamat`.
 */
export const LAND_REGISTER_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the register's data directory") }),
    trust: Type.String({
      minLength: 1,
      ...problem(
        "must be the trust services' root certificate file (PEM or DER) the parties' and notaries' cards chain to",
      ),
    }),
    /** The integrity ledger every entry is anchored in. */
    ledgerUrl: httpUrlField(),
    ...servedFields(DEFAULT_PORT),
    /** The business ban check of a company buyer's representative over X-Road: all three or none. */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    businessBansService: Type.Optional(serviceIdField()),
    /** The land registry department: opens register parts, enters or refuses applications. */
    registrarClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Notaries' systems: file applications, read the file. */
    notaryClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Courts' systems: read the file. */
    courtClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Public reads of register parts and a person's property (the portal, anyone granted). */
    readClients: Type.Array(subsystemIdField(), { default: [] }),
    /** The portal: public reads, and the file for the owner logged in. */
    portalClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "businessBansService"],
      xroadClient: ["xroadSecurityServer", "businessBansService"],
      businessBansService: ["xroadSecurityServer", "xroadClient"],
    },
  },
);
export type LandRegisterServeConfig = Static<typeof LAND_REGISTER_SERVE>;

/** Public reads: register parts and a person's property. */
export const REGISTER_PARTS_SERVICE_CODE = "register-parts";
/** The file (applications and deeds): a legitimate interest only. */
export const FILE_SERVICE_CODE = "land-register-file";
/** The notaries' applications. */
export const APPLICATIONS_SERVICE_CODE = "land-register-applications";
/** The registrars' journal: opening register parts, decisions. */
export const JOURNAL_SERVICE_CODE = "land-register-journal";

export const landRegisterDescriptor: ComponentDescriptor<typeof LAND_REGISTER_SERVE> = {
  name: "land-register",
  description:
    "serve the land register: register parts I-IV, the journal of notaries' applications, registrars' entries anchored in the ledger, the file (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: LAND_REGISTER_SERVE,
  command: ["land-register", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database land_register.sqlite)" },
    { flag: "--trust", field: "trust", description: "root certificate the signers' certificates must chain to" },
    { flag: "--ledger", field: "ledgerUrl", description: "URL of the integrity ledger the entries are anchored in" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the register's own security server (for the business ban check)",
    },
    {
      flag: "--xroad-client",
      field: "xroadClient",
      description: "the register's subsystem, X-Road-Client of its calls",
    },
    {
      flag: "--business-bans-service",
      field: "businessBansService",
      description: "the police's business-bans service id (a company buyer's representative is checked there)",
    },
    ...(
      [
        ["--registrar-client", "registrarClients", "the land registry department's subsystem"],
        ["--notary-client", "notaryClients", "a notary's subsystem (files applications, reads the file)"],
        ["--court-client", "courtClients", "a court's subsystem (reads the file)"],
        ["--read-client", "readClients", "a subsystem granted public reads of register parts"],
        ["--portal-client", "portalClients", "the portal's subsystem (reads, and the file for an owner)"],
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
      openapi: () => landRegisterOpenApi(),
    });
    const grant = (subjects: readonly string[], code: string, rights: Array<[string, string[]]>) =>
      subjects.flatMap((subject) =>
        rights.map(([method, paths]) => ({ subject, service: `${at.subsystem}/${code}`, method, paths })),
      );
    const reads: Array<[string, string[]]> = [["GET", ["/register-parts/*", "/persons/*/register-parts"]]];
    const file: Array<[string, string[]]> = [["GET", ["/register-parts/*/file"]]];
    return {
      subsystems: [
        { id: at.subsystem, description: "Land register (kept by the land registry department; IS by RIK)" },
      ],
      services: [
        service(REGISTER_PARTS_SERVICE_CODE),
        service(FILE_SERVICE_CODE),
        service(APPLICATIONS_SERVICE_CODE),
        service(JOURNAL_SERVICE_CODE),
      ],
      access: [
        ...(config.xroadClient && config.businessBansService
          ? [
              {
                subject: config.xroadClient,
                service: config.businessBansService,
                method: "GET",
                paths: ["/business-bans/*"],
              },
            ]
          : []),
        ...grant(
          [...config.readClients, ...config.portalClients, ...config.notaryClients],
          REGISTER_PARTS_SERVICE_CODE,
          reads,
        ),
        ...grant([...config.portalClients, ...config.notaryClients, ...config.courtClients], FILE_SERVICE_CODE, file),
        ...grant(config.notaryClients, APPLICATIONS_SERVICE_CODE, [
          ["GET", ["/applications/*"]],
          ["POST", ["/applications"]],
        ]),
        ...grant(config.registrarClients, REGISTER_PARTS_SERVICE_CODE, reads),
        ...grant(config.registrarClients, FILE_SERVICE_CODE, file),
        ...grant(config.registrarClients, JOURNAL_SERVICE_CODE, [
          ["GET", ["/applications/*"]],
          ["POST", ["/register-parts", "/journal/*/decision"]],
        ]),
      ],
    };
  },
};
