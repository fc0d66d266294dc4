import { type ComponentDescriptor, problem, servedFields, TCP_PORT } from "@riik/core";
import { type Static, Type } from "typebox";
import {
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_RATE_WINDOW_SECONDS,
  MAX_EXPIRY_DAYS,
} from "./capsule-server/serve.ts";

/** The reference's ports: 8443 senders (TLS), 8444 recipients (mutual TLS). */
const DEFAULT_PUT_PORT = 8443;
const DEFAULT_GET_PORT = 8444;

/** `riik cdoc capsule-server serve`: the CDOC2 key capsule server (both sides). */
export const CAPSULE_SERVER_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the capsule server's data directory") }),
    pkiDir: Type.String({ minLength: 1, ...problem("must be the trust-services directory") }),
    pkiDatabaseUrl: Type.Optional(
      Type.String({ minLength: 1, ...problem("must be the trust services' postgres:// URL") }),
    ),
    ...servedFields(DEFAULT_PUT_PORT),
    getPort: Type.Integer({ ...TCP_PORT, default: DEFAULT_GET_PORT }),
    serverId: Type.String({ minLength: 1, maxLength: 128, default: "riik" }),
    clientCas: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: "PEM files of further client-certificate trust anchors",
    }),
    defaultExpiryDays: Type.Integer({ minimum: 1, maximum: 36500, default: DEFAULT_EXPIRY_DAYS }),
    maxExpiryDays: Type.Integer({ minimum: 1, maximum: 36500, default: MAX_EXPIRY_DAYS }),
    rateLimit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: DEFAULT_RATE_LIMIT }),
    rateWindowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: DEFAULT_RATE_WINDOW_SECONDS }),
  },
  { additionalProperties: false },
);
export type CapsuleServerServeConfig = Static<typeof CAPSULE_SERVER_SERVE>;

export const capsuleServerDescriptor: ComponentDescriptor<typeof CAPSULE_SERVER_SERVE> = {
  name: "cdoc-capsules",
  description:
    "serve the CDOC2 key capsule server: POST /key-capsules over TLS, GET /key-capsules/{id} over mutual TLS with the recipient's ID card",
  config: CAPSULE_SERVER_SERVE,
  command: ["cdoc", "capsule-server", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (capsules.sqlite, tls/, key-server.json for clients)" },
    {
      flag: "--pki-dir",
      field: "pkiDir",
      description: "trust services: the server CA issues the TLS certificate, ESTEID is trusted for clients",
    },
    { flag: "--pki-db", field: "pkiDatabaseUrl", description: "the trust services' PostgreSQL URL" },
    { flag: "--port", field: "port", kind: "port", description: "senders' port (POST, TLS)" },
    { flag: "--get-port", field: "getPort", kind: "port", description: "recipients' port (GET, mutual TLS)" },
    { flag: "--host", field: "host", description: "address to listen on (also the TLS certificate's name)" },
    {
      flag: "--db",
      field: "databaseUrl",
      description: "PostgreSQL URL (postgres://…); default RIIK_DATABASE_URL, else SQLite in the directory",
    },
    { flag: "--server-id", field: "serverId", description: "key server id written into containers" },
    {
      flag: "--client-ca",
      field: "clientCas",
      kind: "list",
      description: "another client trust anchor (PEM; repeat for more)",
    },
    {
      flag: "--default-expiry-days",
      field: "defaultExpiryDays",
      kind: "count",
      description: "expiry of a capsule without x-expiry-time",
    },
    { flag: "--max-expiry-days", field: "maxExpiryDays", kind: "count", description: "latest expiry granted" },
    {
      flag: "--rate-limit",
      field: "rateLimit",
      kind: "count",
      description: "capsules one address may store per window",
    },
    {
      flag: "--rate-window-seconds",
      field: "rateWindowSeconds",
      kind: "count",
      description: "the rate limit's window",
    },
  ],
  ports: (config) => ({ put: config.port, get: config.getPort }),
  dependsOn: ["pki"],
};
