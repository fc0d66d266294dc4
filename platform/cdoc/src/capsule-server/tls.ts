// TLS of the capsule server: its own certificate from the trust services' server CA, and on the
// GET side the client's certificate (an ID card's authentication certificate) checked against
// the configured trust anchors. TLS 1.3 only, as the reference (server.ssl.enabled-protocols).
import { generateKeyPairSync, type KeyObject, webcrypto } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { caCertificatePath, OID, openTrustServices, PathValidationError, validatePath } from "@riik/pki";
import { CdocError } from "../errors.ts";

export interface ServerTls {
  /** Private key (PEM). */
  key: string;
  /** The server certificate followed by the server CA (PEM), so clients need only the root. */
  cert: string;
  /** What a client trusts the server by: the trust services' root (PEM). */
  ca: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The server's TLS identity under DIR/tls/, issued by the server CA of the trust services in
 * `pkiDir` (profile "server") for `host` on first start, and again when it nears its end.
 */
export async function serverTls(options: {
  dir: string;
  pkiDir: string;
  host: string;
  pkiDatabaseUrl?: string | undefined;
}): Promise<ServerTls> {
  const tlsDir = join(options.dir, "tls");
  const files = { key: join(tlsDir, "server.key"), cert: join(tlsDir, "server.crt"), ca: join(tlsDir, "ca.pem") };
  if (Object.values(files).every(existsSync)) {
    const cert = readFileSync(files.cert, "utf8");
    if (new x509.X509Certificate(cert).notAfter.getTime() - Date.now() > RENEW_BEFORE_MS) {
      return { key: readFileSync(files.key, "utf8"), cert, ca: readFileSync(files.ca, "utf8") };
    }
  }
  privateDirectory(tlsDir);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const webKey = await webcrypto.subtle.importKey(
    "spki",
    publicKey.export({ type: "spki", format: "der" }),
    { name: "ECDSA", namedCurve: "P-384" },
    true,
    ["verify"],
  );
  const services = await openTrustServices(options.pkiDir, { databaseUrl: options.pkiDatabaseUrl });
  try {
    const ip = /^[0-9.]+$|:/.test(options.host);
    const certificate = await services.cas.server.issue({
      purpose: "server",
      subject: [
        { [OID.country]: ["EE"] },
        { [OID.organization]: ["riik CDOC2 capsule server"] },
        { [OID.commonName]: [options.host] },
      ],
      publicKey: webKey as CryptoKey,
      validityDays: 730,
      altNames: [
        { type: ip ? "ip" : "dns", value: options.host },
        ...(options.host === "127.0.0.1" ? [{ type: "dns" as const, value: "localhost" }] : []),
      ],
      actor: `riik cdoc capsule-server ${options.host}`,
    });
    const pem = (name: "server" | "root") =>
      `${readFileSync(caCertificatePath(options.pkiDir, name), "utf8").trim()}\n`;
    const tls: ServerTls = {
      key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      cert: `${certificate.toString("pem").trim()}\n${pem("server")}`,
      ca: pem("root"),
    };
    writeFileAtomic(files.key, tls.key);
    writeFileAtomic(files.cert, tls.cert);
    writeFileAtomic(files.ca, tls.ca);
    return tls;
  } finally {
    await services.close();
  }
}

/** Reads PEM trust anchors (one or more certificates per file). */
export function readAnchors(files: readonly string[]): x509.X509Certificate[] {
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .filter((block) => block.includes("BEGIN CERTIFICATE"))
      .map((block) => new x509.X509Certificate(block)),
  );
}

/**
 * The public key of the TLS client's certificate once it chains to an anchor, is valid now and
 * allows client authentication. The handshake asks for a certificate but does not require one,
 * so that its absence is an answer (401, as the API says) rather than a broken connection.
 */
export async function clientCertificateKey(
  socket: TLSSocket,
  anchors: readonly x509.X509Certificate[],
  now: Date,
): Promise<KeyObject> {
  const peer = socket.getPeerX509Certificate();
  if (!peer)
    throw new CdocError(
      "CAPSULE_NO_CLIENT_CERTIFICATE",
      "present a TLS client certificate (an ID card's authentication certificate)",
    );
  try {
    await validatePath(new x509.X509Certificate(new Uint8Array(peer.raw)), {
      anchors,
      at: now,
      usage: { extendedKeyUsage: ["clientAuth"] },
    });
  } catch (cause) {
    if (!(cause instanceof PathValidationError)) throw cause;
    throw new CdocError(
      "CAPSULE_CLIENT_CERTIFICATE_UNTRUSTED",
      `the TLS client certificate is not trusted for client authentication (${cause.reason})`,
      { cause },
    );
  }
  return peer.publicKey;
}
