import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { Type } from "typebox";

const DEFAULT_PORT = 8800;
/** `riik pki serve`: OCSP, time-stamps and CA certificates from a trust-services directory. */
export const PKI_SERVE = Type.Object(
  {
    dir: Type.String({ minLength: 1, ...problem("must be the trust-services directory") }),
    ...servedFields(DEFAULT_PORT),
    ocspValidity: Type.Integer({ minimum: 1, default: 300, ...problem("must be a positive integer") }),
    workers: Type.Integer({ minimum: 1, default: 1, ...problem("must be a positive integer") }),
  },
  { additionalProperties: false },
);

export const pkiDescriptor: ComponentDescriptor<typeof PKI_SERVE> = {
  name: "pki",
  description: "serve OCSP (/ocsp), time-stamps (/tsa) and CA certificates (/ca/<name>.crt)",
  config: PKI_SERVE,
  command: ["pki", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "trust-services directory made by `riik pki init`" },
    ...SERVED_OPTIONS,
    {
      flag: "--ocsp-validity",
      field: "ocspValidity",
      kind: "count",
      description: "nextUpdate - thisUpdate of OCSP answers, seconds",
    },
    {
      flag: "--workers",
      field: "workers",
      kind: "count",
      description: "processes sharing the port (OCSP and TSA answers are CPU-bound)",
    },
  ],
  ports: (config) => ({ http: config.port ?? DEFAULT_PORT }),
  dependsOn: [],
};
