import {
  type ComponentDescriptor,
  httpUrlField,
  problem,
  refine,
  SERVED_OPTIONS,
  servedFields,
  serviceIdField,
  subsystemIdField,
  TCP_PORT,
} from "@riik/core";
import { type Static, Type } from "typebox";
import { AUTHENTICATIONS_SERVICE_CODE, authenticationsOpenApi } from "./authentications-service.ts";
import { AuthError } from "./errors.ts";

export const AUTH_PORT = 8900;

/** `riik auth serve`: the OpenID Connect provider of the state (TARA/GovSSO-like). */
export const AUTH_SERVE = Type.Object(
  {
    /** Data directory: the SQLite database (unless --db) and the signing keys (DIR/keys). */
    dir: Type.String({ minLength: 1, ...problem("must be the auth service's data directory") }),
    ...servedFields(AUTH_PORT),
    /**
     * The listener for the security server only (`GET /authentications/{subject}`, the login
     * record as a personal-data service); bound to EXCHANGE_HOST. Not served when absent.
     */
    exchangePort: Type.Optional(TCP_PORT),
    exchangeHost: Type.String({ minLength: 1, default: "127.0.0.1", ...problem("must be an address to listen on") }),
    /** The issuer URL relying parties discover; default http://HOST:PORT. */
    issuer: Type.Optional(
      refine(
        Type.String({ minLength: 1 }),
        (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) && !new URL(value).search,
        "must be an http(s) URL without a query",
      ),
    ),
    /** Identity-document CA certificates (PEM) whose cards may log in: the trust anchors. */
    trustedCaFiles: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      ...problem("must name at least one CA certificate file"),
    }),
    ocsp: Type.Union([Type.Literal("required"), Type.Literal("off")], {
      default: "required",
      ...problem('must be "required" or "off"'),
    }),
    ocspUrl: Type.Optional(refine(Type.String({ minLength: 1 }), (value) => URL.canParse(value), "must be a URL")),
    sessionSeconds: Type.Integer({ minimum: 60, default: 900, ...problem("must be at least 60 seconds") }),
    /**
     * The trust services' URL: enables the app login, whose certificates they issue at
     * enrolment to this service as a registration authority (`riik pki ra add --name auth`).
     * The service holds that token, never a CA key.
     */
    pkiUrl: Type.Optional(
      refine(
        Type.String({ minLength: 1 }),
        (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
        "must be the trust services' http(s) URL",
      ),
    ),
    /** The 0600 file holding the registration authority's bearer token. */
    raTokenFile: Type.Optional(Type.String({ minLength: 1, ...problem("must be a file path") })),
    /** "private" lets back-channel logout reach relying parties on loopback (the sandbox). */
    relyingPartyNetwork: Type.Union([Type.Literal("public"), Type.Literal("private")], {
      default: "public",
      ...problem('must be "public" or "private"'),
    }),
    /**
     * The mandates service reads the population register's family relations over X-Road
     * (parents act for their minor children): the client URL of the auth service's security
     * server, its client subsystem, and the register's persons service. All three or none.
     */
    xroadSecurityServer: Type.Optional(httpUrlField()),
    xroadClient: Type.Optional(subsystemIdField()),
    /** The business register's representation-rights service (board members act for companies); needs the three above. */
    representationRightsService: Type.Optional(serviceIdField()),
    personsService: Type.Optional(serviceIdField()),
  },
  { additionalProperties: false, dependentRequired: { pkiUrl: ["raTokenFile"], raTokenFile: ["pkiUrl"] } },
);

type AuthServeConfig = Static<typeof AUTH_SERVE>;

/**
 * The population register access of a config (`createAuthService`'s `populationRegister`),
 * or undefined when none is configured; a partial configuration is refused.
 */
export function populationRegisterAccess(
  config: Pick<
    AuthServeConfig,
    "xroadSecurityServer" | "xroadClient" | "personsService" | "representationRightsService"
  >,
):
  | { securityServer: string; client: string; personsService: string; representationRightsService?: string }
  | undefined {
  const { xroadSecurityServer, xroadClient, personsService, representationRightsService } = config;
  const given = [xroadSecurityServer, xroadClient, personsService].filter((value) => value !== undefined);
  if (given.length === 0) {
    if (representationRightsService)
      throw new AuthError(
        "AUTH_ARGUMENT",
        "--representation-rights-service needs --xroad-security-server, --xroad-client and --persons-service",
      );
    return undefined;
  }
  if (given.length !== 3)
    throw new AuthError(
      "AUTH_ARGUMENT",
      "--xroad-security-server, --xroad-client and --persons-service go together: give all three or none",
    );
  return {
    securityServer: xroadSecurityServer!,
    client: xroadClient!,
    personsService: personsService!,
    ...(representationRightsService ? { representationRightsService } : {}),
  };
}

export const authDescriptor: ComponentDescriptor<typeof AUTH_SERVE> = {
  name: "auth",
  description: "serve the OpenID Connect provider (ID-card and app login) for the state's e-services",
  config: AUTH_SERVE,
  command: ["auth", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (SQLite database, signing keys in DIR/keys)" },
    ...SERVED_OPTIONS,
    {
      flag: "--exchange-port",
      field: "exchangePort",
      kind: "port",
      description: "port for the security server only: the login record (GET /authentications/{subject})",
    },
    { flag: "--exchange-host", field: "exchangeHost", description: "address of that port (keep it internal)" },
    {
      flag: "--issuer",
      field: "issuer",
      description: "issuer URL relying parties discover (default http://HOST:PORT)",
    },
    {
      flag: "--trusted-ca",
      field: "trustedCaFiles",
      kind: "list",
      description: "identity-document CA certificate (PEM) whose cards may log in; repeatable",
    },
    { flag: "--ocsp", field: "ocsp", description: 'card status check: "required" (default) or "off"' },
    { flag: "--ocsp-url", field: "ocspUrl", description: "designated OCSP responder instead of the card's AIA URL" },
    {
      flag: "--session-seconds",
      field: "sessionSeconds",
      kind: "count",
      description: "single sign-on session idle lifetime",
    },
    {
      flag: "--pki-url",
      field: "pkiUrl",
      description:
        "trust services' URL: enables the app login (app certificates asked for as a registration authority)",
    },
    {
      flag: "--ra-token-file",
      field: "raTokenFile",
      description: "0600 file with the registration-authority token (riik pki ra add --name auth)",
    },
    {
      flag: "--relying-party-network",
      field: "relyingPartyNetwork",
      description: '"private" lets back-channel logout reach loopback relying parties (sandbox)',
    },
    {
      flag: "--xroad-security-server",
      field: "xroadSecurityServer",
      description: "client URL of the auth service's security server (mandates: the population register)",
    },
    {
      flag: "--xroad-client",
      field: "xroadClient",
      description: "the auth service's X-Road client subsystem, e.g. EE/GOV/70006317/auth",
    },
    {
      flag: "--persons-service",
      field: "personsService",
      description: "the population register's persons service (GET /persons/{code}/family)",
    },
    {
      flag: "--representation-rights-service",
      field: "representationRightsService",
      description: "the business register's representation-rights service: board members act for their companies",
    },
  ],
  ports: (config) => ({
    http: config.port ?? AUTH_PORT,
    ...(config.exchangePort === undefined ? {} : { exchange: config.exchangePort }),
  }),
  // Card status comes from the trust services' OCSP responder; the population register is
  // asked only at login, and its absence makes `representee_list` SERVICE_NOT_AVAILABLE.
  dependsOn: ["pki"],
  // Its subsystem provides the login record (a personal-data service, at the exchange
  // listener `at.url`) and reads the register's family relations for the mandates service.
  exchange: (config, at) => {
    const access = populationRegisterAccess(config);
    return {
      subsystems: [{ id: at.subsystem, description: "national authentication service" }],
      services:
        config.exchangePort === undefined
          ? []
          : [
              {
                subsystem: at.subsystem,
                code: AUTHENTICATIONS_SERVICE_CODE,
                url: at.url,
                personalData: true,
                openapi: authenticationsOpenApi,
              },
            ],
      ...(access
        ? {
            access: [
              { subject: access.client, service: access.personsService, method: "GET", paths: ["/persons/*/family"] },
              ...(access.representationRightsService
                ? [
                    {
                      subject: access.client,
                      service: access.representationRightsService,
                      method: "GET",
                      paths: ["/persons/*/representation-rights"],
                    },
                  ]
                : []),
            ],
          }
        : {}),
    };
  },
};
