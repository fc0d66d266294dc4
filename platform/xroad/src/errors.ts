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
export type FaultCode =
  | "BadRequest"
  | "InvalidRequest"
  | "InvalidHttpMethod"
  | "UnknownMember"
  | "UnknownService"
  | "ServiceDisabled"
  | "AccessDenied"
  | "SslAuthenticationFailed"
  | "CertValidation"
  | "IncorrectCertificate"
  | "InvalidSignatureValue"
  | "MissingSignature"
  | "InvalidMessage"
  | "InconsistentResponse"
  | "OutdatedGlobalConf"
  | "NetworkError"
  | "ServiceFailed"
  | "DatabaseError"
  | "LoggingFailed"
  | "InternalError";

export class XRoadFault extends Error {
  readonly type: string;
  readonly status: number;

  constructor(prefix: FaultPrefix, code: FaultCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "XRoadFault";
    this.type = `${prefix}.${code}`;
    this.status = prefix === "Client" ? 400 : 500;
  }

  /** The PR-REST 4.6 error body; `detail` carries the X-Road-Id so logs can be found. */
  body(detail: string): string {
    return JSON.stringify({ type: this.type, message: this.message, detail });
  }
}

/** Same fault seen from another side: a provider server's fault is passed on unchanged. */
export function faultOf(error: unknown, prefix: FaultPrefix): XRoadFault {
  if (error instanceof XRoadFault) return error;
  return new XRoadFault(prefix, "InternalError", `internal error: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}
