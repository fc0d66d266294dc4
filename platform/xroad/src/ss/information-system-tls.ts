import type { TLSSocket } from "node:tls";
import { buildConnector, Pool } from "undici";
import { XRoadError, XRoadFault } from "../errors.ts";
import { certificateHash } from "../globalconf/document.ts";

/**
 * How the provider side reaches a service's information system, as X-Road's service settings
 * (UG-SS 9.2): `http`; `https-no-auth`, TLS without checking the information system's
 * certificate ("Verify TLS certificate" off); `https`, TLS where the information system's
 * certificate must be one of the provider client's IS certificates (UG-SS 9.3). Over TLS the
 * security server presents its internal TLS certificate whenever the information system asks
 * for a client certificate (PR-REST 4.7: mutual TLS MUST be supported on the provider side).
 */
export type ServiceConnection = "http" | "https-no-auth" | "https";
export const SERVICE_CONNECTIONS: readonly ServiceConnection[] = ["http", "https-no-auth", "https"];

/**
 * The connection of a service at `url`: the stored or requested one, checked against the URL's
 * scheme; none given, the scheme decides and https verifies (fail closed).
 */
export function connectionOf(url: string, given: string | null): ServiceConnection {
  const https = url.startsWith("https:");
  if (given === null) return https ? "https" : "http";
  if (!SERVICE_CONNECTIONS.includes(given as ServiceConnection))
    throw new XRoadError("XROAD_ARGUMENT", `connection must be one of ${SERVICE_CONNECTIONS.join(", ")}`);
  if ((given === "http") === https)
    throw new XRoadError(
      "XROAD_ARGUMENT",
      given === "http"
        ? "connection http needs an http: service URL"
        : `connection ${given} needs an https: service URL`,
    );
  return given as ServiceConnection;
}

/** The security server's internal TLS key and certificate (PEM), made at `riik ss init`. */
export interface InternalTls {
  internalKeyPem: string;
  internalCertificatePem: string;
}

/**
 * A connection pool to one information system. `pins` answers, at each new connection, the
 * hashes of the provider client's IS certificates (they change with the local configuration).
 */
export function informationSystemPool(
  origin: string,
  connection: ServiceConnection,
  internal: InternalTls,
  pins: () => ReadonlySet<string> | undefined,
): Pool {
  const options = { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 };
  if (connection === "http") return new Pool(origin, options);
  // The information system's certificate is pinned, not chained to a CA: no CA or host name
  // check (X-Road compares the certificate itself); TLS 1.3 only; no session resumption, so
  // every connection shows its certificate.
  const connect = buildConnector({
    key: internal.internalKeyPem,
    cert: internal.internalCertificatePem,
    minVersion: "TLSv1.3",
    rejectUnauthorized: false,
    maxCachedSessions: 0,
  });
  if (connection === "https-no-auth") return new Pool(origin, { ...options, connect });
  return new Pool(origin, {
    ...options,
    connect: (connectOptions, callback) =>
      connect(connectOptions, (error, socket) => {
        if (error) return callback(error, null);
        const refusal = pinRefusal(socket as TLSSocket, pins());
        if (!refusal) return callback(null, socket);
        socket.destroy();
        callback(refusal, null);
      }),
  });
}

/** Why the information system's certificate is not trusted (X-Road's X_SSL_AUTH_FAILED), or null. */
function pinRefusal(socket: TLSSocket, pins: ReadonlySet<string> | undefined): XRoadFault | null {
  if (!pins || pins.size === 0)
    return new XRoadFault(
      "Server.ServerProxy",
      "SslAuthenticationFailed",
      "the provider has no information system TLS certificates to verify the service's certificate with",
    );
  const certificate = socket.getPeerX509Certificate();
  if (certificate && pins.has(certificateHash(certificate))) return null;
  return new XRoadFault(
    "Server.ServerProxy",
    "SslAuthenticationFailed",
    "the information system's TLS certificate is not one of the provider's information system certificates",
  );
}
