import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields, TCP_PORT } from "@riik/core";
import { Type } from "typebox";
import { SHIPPER_CONFIG } from "./home/config.ts";

const DEFAULT_PORT = 8819;
const FILE = Type.String({ minLength: 1, ...problem("must be a file path") });
const [PORT, HOST, DB] = SERVED_OPTIONS;

/** `riik embassy serve`: an embassy node, an append-only store of segments over mutual TLS 1.3. */
export const EMBASSY_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the embassy data directory") }),
    ...servedFields(DEFAULT_PORT),
    /** Plain HTTP port for /healthz, /metrics and holdings (metadata only). */
    adminPort: Type.Optional(TCP_PORT),
    /** The ledger's verifier key (default DIR/ledger.vkey). */
    ledgerKey: Type.Optional(FILE),
    /** Trust services: the embassy certificate from the server CA on the first start. */
    pki: Type.Optional(FILE),
    tlsCert: Type.Optional(FILE),
    tlsKey: Type.Optional(FILE),
    ca: Type.Optional(FILE),
    /** Client certificate CNs allowed to write; default any from the CA. */
    allowClients: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  },
  { additionalProperties: false, dependentRequired: { tlsCert: ["tlsKey", "ca"], tlsKey: ["tlsCert", "ca"] } },
);

export const embassyDescriptor: ComponentDescriptor<typeof EMBASSY_SERVE> = {
  name: "embassy",
  description: "run an embassy node: append-only store of segments over mutual TLS 1.3",
  config: EMBASSY_SERVE,
  command: ["embassy", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "embassy data directory" },
    { ...PORT, description: "mutual TLS port" },
    {
      flag: "--admin-port",
      field: "adminPort",
      kind: "port",
      description: "plain HTTP port for /healthz, /metrics and holdings (metadata only)",
    },
    { ...HOST, description: "address to listen on (and in the certificate)" },
    {
      flag: "--pki",
      field: "pki",
      description: "trust services: get the embassy certificate from the server CA on first start",
    },
    { flag: "--ledger-key", field: "ledgerKey", description: "the ledger's verifier key (default DIR/ledger.vkey)" },
    { flag: "--tls-cert", field: "tlsCert", description: "instead of --pki: certificate (PEM)" },
    { flag: "--tls-key", field: "tlsKey", description: "its key (PEM)" },
    { flag: "--ca", field: "ca", description: "CA certificates trusted for clients (PEM)" },
    {
      flag: "--allow-client",
      field: "allowClients",
      kind: "list",
      description: "client certificate CN allowed to write (repeatable; default any from the CA)",
    },
    DB,
  ],
  ports: (config) => ({
    node: config.port ?? DEFAULT_PORT,
    ...(config.adminPort === undefined ? {} : { admin: config.adminPort }),
  }),
  // It checks the anchors of what it stores against the ledger's key; its certificate comes from the trust services.
  dependsOn: ["pki", "ledger"],
};

/** `riik embassy ship --config FILE`: the home side's shipper, FILE checked against SHIPPER_CONFIG. */
export const shipperDescriptor: ComponentDescriptor<typeof SHIPPER_CONFIG> = {
  name: "embassy-shipper",
  description: "run the shipper: journal -> encrypted, chained, anchored segments -> every embassy",
  config: SHIPPER_CONFIG,
  command: ["embassy", "ship"],
  configFile: true,
  options: [],
  ports: (config): Record<string, number> => (config.status === undefined ? {} : { status: config.status.port }),
  // It reads the registers' journals, anchors segments in the ledger and sends them to the embassies.
  dependsOn: ["ledger", "embassy", "population-register"],
};
