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
import { taxBoardOpenApi } from "./api/server.ts";

const DEFAULT_PORT = 8520;

/** `riik tax-board serve`: the Board's API and the worker that checks declared persons. */
export const TAX_BOARD_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the Board's data directory") }),
    ...servedFields(DEFAULT_PORT),
    /**
     * The exchange layer: the Board's own security server and subsystem, and the population
     * register's `persons` service it reads residents and children from. Together: without
     * them the Board takes declarations but cannot show a return (REGISTER_UNAVAILABLE).
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    personsService: Type.Optional(serviceIdField()),
    /** X-Road-UserId of the automated reads: the Board official accountable for them. */
    officialCode: Type.Optional(Type.String({ pattern: "^[1-8][0-9]{10}$" })),
    /** Subsystems granted the `declarations` service (employers', banks', pension funds' systems). */
    declarantClients: Type.Array(subsystemIdField(), { default: [] }),
    /** Subsystems granted the `income-tax-returns` service (the portal). */
    returnsClients: Type.Array(subsystemIdField(), { default: [] }),
  },
  {
    additionalProperties: false,
    dependentRequired: {
      xroadSecurityServer: ["xroadClient", "personsService", "officialCode"],
      xroadClient: ["xroadSecurityServer"],
      personsService: ["xroadSecurityServer"],
    },
  },
);
export type TaxBoardServeConfig = Static<typeof TAX_BOARD_SERVE>;

/** Payers' systems send their declarations here. */
export const DECLARATIONS_SERVICE_CODE = "declarations";
/** The portal shows and confirms a person's return here. */
export const RETURNS_SERVICE_CODE = "income-tax-returns";

export const taxBoardDescriptor: ComponentDescriptor<typeof TAX_BOARD_SERVE> = {
  name: "tax-board",
  description:
    "serve the Tax and Customs Board: declarations and the pre-filled income tax return (OpenAPI 3.1 at /openapi.json, /healthz, /metrics)",
  config: TAX_BOARD_SERVE,
  command: ["tax-board", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database tax_board.sqlite)" },
    ...SERVED_OPTIONS,
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the Board's own security server",
    },
    { flag: "--xroad-client", field: "xroadClient", description: "the Board's subsystem, X-Road-Client of its calls" },
    { flag: "--persons-service", field: "personsService", description: "the population register's persons service id" },
    {
      flag: "--official",
      field: "officialCode",
      description: "personal code of the official accountable for automated reads",
    },
    {
      flag: "--declarant-client",
      field: "declarantClients",
      kind: "list",
      description: "a subsystem granted the declarations service (repeat for more)",
    },
    {
      flag: "--returns-client",
      field: "returnsClients",
      kind: "list",
      description: "a subsystem granted the income-tax-returns service (repeat for more)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
  exchange: (config, at) => ({
    subsystems: [{ id: at.subsystem, description: "Tax and Customs Board: declarations and income tax returns" }],
    services: [
      { subsystem: at.subsystem, code: DECLARATIONS_SERVICE_CODE, url: at.url, openapi: () => taxBoardOpenApi() },
      {
        subsystem: at.subsystem,
        code: RETURNS_SERVICE_CODE,
        url: at.url,
        personalData: true,
        openapi: () => taxBoardOpenApi(),
      },
    ],
    access: [
      ...(config.xroadClient && config.personsService
        ? [
            {
              subject: config.xroadClient,
              service: config.personsService,
              method: "GET",
              paths: ["/persons/*", "/persons/*/family"],
            },
          ]
        : []),
      ...config.declarantClients.flatMap((subject) => {
        const service = `${at.subsystem}/${DECLARATIONS_SERVICE_CODE}`;
        return [
          {
            subject,
            service,
            method: "POST",
            paths: ["/payroll-declarations", "/housing-loan-interest-declarations", "/voluntary-pension-declarations"],
          },
          { subject, service, method: "GET", paths: ["/declarations/*/*"] },
        ];
      }),
      ...config.returnsClients.flatMap((subject) => {
        const service = `${at.subsystem}/${RETURNS_SERVICE_CODE}`;
        return [
          { subject, service, method: "GET", paths: ["/returns/*/*"] },
          { subject, service, method: "PUT", paths: ["/returns/*/*/lines/*"] },
          { subject, service, method: "POST", paths: ["/returns/*/*/confirmation"] },
        ];
      }),
    ],
  }),
};
