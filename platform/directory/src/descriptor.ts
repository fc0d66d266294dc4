import { type ComponentDescriptor, problem } from "@riik/core";
import { Type } from "typebox";

/** `riik directory serve`: slapd on LDAP_PORT, the HTTP lookup on HTTP_PORT, following the trust services' registry. */
export const DIRECTORY_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the directory's state directory") }),
    port: Type.Integer({ minimum: 1, maximum: 65535, ...problem("must be a TCP port") }),
    httpPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, ...problem("must be a TCP port") })),
    pkiDir: Type.String({ minLength: 1, ...problem("must be the trust-services directory") }),
    databaseUrl: Type.Optional(Type.String({ minLength: 1, ...problem("must be a PostgreSQL URL") })),
  },
  { additionalProperties: false },
);

export const directoryDescriptor: ComponentDescriptor<typeof DIRECTORY_SERVE> = {
  name: "directory",
  description: "the public certificate directory (OpenLDAP slapd, ldap://) with its HTTP lookup",
  config: DIRECTORY_SERVE,
  command: ["directory", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "the directory's state (slapd configuration, database, cursor)" },
    { flag: "--port", field: "port", kind: "port", description: "LDAP port" },
    { flag: "--http-port", field: "httpPort", kind: "port", description: "HTTP lookup port" },
    { flag: "--pki-dir", field: "pkiDir", description: "the trust services' directory" },
    { flag: "--db", field: "databaseUrl", description: "the trust services' PostgreSQL URL" },
  ],
  ports: (config) => ({ ldap: config.port, ...(config.httpPort ? { http: config.httpPort } : {}) }),
  dependsOn: ["pki"],
};
