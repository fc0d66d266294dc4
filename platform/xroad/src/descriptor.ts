import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { Type } from "typebox";

const DEFAULT_PORT = 8810;
const [PORT, HOST, DB] = SERVED_OPTIONS;

/** `riik central serve`: the management API and the signed global configuration. */
export const CENTRAL_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the central server directory") }),
    ...servedFields(DEFAULT_PORT),
    /** Overrides the configuration validity of central.json, seconds. */
    validity: Type.Optional(Type.Integer({ minimum: 1, ...problem("must be a positive integer") })),
  },
  { additionalProperties: false },
);

export const centralDescriptor: ComponentDescriptor<typeof CENTRAL_SERVE> = {
  name: "central",
  description: "serve the management API and the signed global configuration (/globalconf)",
  config: CENTRAL_SERVE,
  command: ["central", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "central server directory made by `riik central init`" },
    PORT,
    HOST,
    {
      flag: "--validity",
      field: "validity",
      kind: "count",
      description: "override the configuration validity of central.json",
    },
    DB,
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  // Its configuration announces the trust services' CAs and TSA.
  dependsOn: ["pki"],
};

/** `riik ss serve`: a security server from the ss.json `riik ss init` made (its ports are in that file). */
export const SECURITY_SERVER_SERVE = Type.Object(
  {
    config: Type.String({ minLength: 1, ...problem("must be the ss.json file") }),
    databaseUrl: servedFields(0).databaseUrl,
  },
  { additionalProperties: false },
);

export const securityServerDescriptor: ComponentDescriptor<typeof SECURITY_SERVER_SERVE> = {
  name: "ss",
  description: "run the security server",
  config: SECURITY_SERVER_SERVE,
  command: ["ss", "serve"],
  options: [{ flag: "--config", field: "config", description: "ss.json made by `riik ss init`" }, DB],
  // The four ports are in ss.json (client, clientTls, server, admin); `riik up` lays them out.
  ports: () => ({}),
  dependsOn: ["central", "pki"],
};
