import { type ErrorCatalogue, RiikError, type XRoadIdentifierErrorCode } from "@riik/core";

/** Codes of riik's own X-Road components (central server, configuration, administration). */
export type XRoadErrorCode =
  | "XROAD_ARGUMENT"
  | "XROAD_UNAUTHORISED"
  | "XROAD_NOT_FOUND"
  | "XROAD_CONFLICT"
  | "XROAD_CONFIG"
  | "XROAD_GLOBALCONF_SIGNATURE"
  | "XROAD_GLOBALCONF_FORMAT"
  | "XROAD_GLOBALCONF_EXPIRED"
  | "XROAD_GLOBALCONF_INSTANCE"
  | "XROAD_EVIDENCE_INVALID"
  | "XROAD_ANCHOR"
  /** An offline verifier given nothing to trust (CLI exit 3). */
  | "VERIFY_NO_TRUST_ANCHOR";

export class XRoadError extends RiikError<XRoadErrorCode> {}

/** HTTP statuses of the management and administration APIs (identifier errors from core included). */
export const XROAD_ERRORS: ErrorCatalogue<XRoadErrorCode | XRoadIdentifierErrorCode> = {
  XROAD_ARGUMENT: { status: 400 },
  XROAD_UNAUTHORISED: { status: 401 },
  XROAD_NOT_FOUND: { status: 404 },
  XROAD_CONFLICT: { status: 409 },
  XROAD_CONFIG: { status: 500 },
  XROAD_GLOBALCONF_SIGNATURE: { status: 502 },
  XROAD_GLOBALCONF_FORMAT: { status: 502 },
  XROAD_GLOBALCONF_EXPIRED: { status: 503 },
  XROAD_GLOBALCONF_INSTANCE: { status: 502 },
  XROAD_EVIDENCE_INVALID: { status: 422 },
  XROAD_ANCHOR: { status: 502 },
  VERIFY_NO_TRUST_ANCHOR: { status: 400 },
  XROAD_ID_FORMAT: { status: 400 },
  XROAD_ID_CHARACTERS: { status: 400 },
  XROAD_ID_ENCODING: { status: 400 },
};

/**
 * The X-Road error families a client sees (PR-REST 4.6): `Client.*` when the request does
 * not follow the protocol (HTTP 400), `Server.ClientProxy.*` for the consumer's security
 * server, `Server.ServerProxy.*` for the provider's (HTTP 500). Names are X-Road's own
 * (ErrorCodes in the reference implementation), so existing clients recognise them.
 */
export type FaultPrefix = "Client" | "Server.ClientProxy" | "Server.ServerProxy";

/**
 * Each code in X-Road 7.7's spelling (the key, also riik's metric label) and 7.8's lower
 * snake case (ErrorCodes.java since 7.8; not always a mechanical rewrite: OutdatedGlobalConf
 * became global_conf_outdated).
 */
const CODES_78 = {
  BadRequest: "bad_request",
  InvalidRequest: "invalid_request",
  InvalidHttpMethod: "invalid_http_method",
  InvalidSecurityServer: "invalid_security_server",
  UnknownMember: "unknown_member",
  UnknownService: "unknown_service",
  ServiceDisabled: "service_disabled",
  AccessDenied: "access_denied",
  SslAuthenticationFailed: "ssl_authentication_failed",
  CertValidation: "cert_validation",
  IncorrectCertificate: "incorrect_certificate",
  InvalidSignatureValue: "invalid_signature_value",
  MissingSignature: "missing_signature",
  InvalidMessage: "invalid_message",
  InconsistentResponse: "inconsistent_response",
  OutdatedGlobalConf: "global_conf_outdated",
  NetworkError: "network_error",
  ServiceFailed: "service_failed",
  DatabaseError: "database_error",
  LoggingFailed: "logging_failed",
  InternalError: "internal_error",
} as const;
export type FaultCode = keyof typeof CODES_78;

/** Which X-Road release's error type names a client sees (README, "Error types"); 7.7 by default. */
export type ErrorTypeSpelling = "7.7" | "7.8";

const PREFIXES: ReadonlySet<string> = new Set<FaultPrefix>(["Client", "Server.ClientProxy", "Server.ServerProxy"]);

export class XRoadFault extends Error {
  /** The type in X-Road 7.7's spelling (`Server.ServerProxy.AccessDenied`): logs, metrics and the transport. */
  readonly type: string;
  readonly status: number;

  constructor(
    readonly prefix: FaultPrefix,
    readonly code: FaultCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "XRoadFault";
    this.type = `${prefix}.${code}`;
    this.status = prefix === "Client" ? 400 : 500;
  }

  /** The type as a client of the given X-Road release expects it (`server.serverproxy.access_denied` in 7.8). */
  typeIn(spelling: ErrorTypeSpelling): string {
    return spelling === "7.7" ? this.type : `${this.prefix.toLowerCase()}.${CODES_78[this.code]}`;
  }

  /** The fault a type names (7.7 spelling, as the transport carries it); undefined for anything else. */
  static ofType(type: string, message: string): XRoadFault | undefined {
    const at = type.lastIndexOf(".");
    const prefix = type.slice(0, at);
    const code = type.slice(at + 1);
    if (!PREFIXES.has(prefix) || !Object.hasOwn(CODES_78, code)) return undefined;
    return new XRoadFault(prefix as FaultPrefix, code as FaultCode, message);
  }
}
