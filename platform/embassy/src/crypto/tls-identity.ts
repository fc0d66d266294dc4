import { generateKeyPairSync, webcrypto } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { caCertificatePath, OID, openTrustServices } from "@riik/pki";
import { EmbassyError } from "../errors.ts";
import type { TlsMaterial } from "../node/server.ts";

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export const tlsFiles = (dir: string, name: string): TlsFiles => ({
  cert: join(dir, "tls", `${name}.crt`),
  key: join(dir, "tls", `${name}.key`),
  ca: join(dir, "tls", "ca.pem"),
});

/**
 * Gets a TLS certificate (profile "server": serverAuth + clientAuth) from the trust
 * services' server CA, as security servers do, and writes key, certificate and the CA
 * bundle (server CA + root) under DIR/tls/. Kept if already there.
 */
export async function issueTlsIdentity(options: {
  dir: string;
  pkiDir: string;
  name: "client" | "embassy";
  commonName: string;
  host?: string;
  databaseUrl?: string | undefined;
}): Promise<TlsFiles> {
  const files = tlsFiles(options.dir, options.name);
  if (existsSync(files.cert) && existsSync(files.key) && existsSync(files.ca)) return files;
  privateDirectory(options.dir);
  privateDirectory(join(options.dir, "tls"));
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const webKey = (await webcrypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, [
    "verify",
  ])) as CryptoKey;
  const host = options.host ?? "127.0.0.1";
  const services = await openTrustServices(options.pkiDir, { databaseUrl: options.databaseUrl }).catch((cause) => {
    throw new EmbassyError(
      "EMBASSY_CONFIG",
      `cannot open the trust services in ${options.pkiDir}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  });
  try {
    const certificate = await services.cas.server.issue({
      purpose: "server",
      subject: [
        { [OID.country]: ["EE"] },
        { [OID.organization]: ["riik data embassy"] },
        { [OID.commonName]: [options.commonName] },
      ],
      publicKey: webKey,
      validityDays: 730,
      altNames: [
        { type: /^[0-9.]+$|:/.test(host) ? "ip" : "dns", value: host },
        ...(host === "127.0.0.1" ? [{ type: "dns" as const, value: "localhost" }] : []),
      ],
      actor: `riik embassy ${options.name} ${options.commonName}`,
    });
    writeFileAtomic(files.key, privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    writeFileAtomic(files.cert, certificate.toString("pem"));
    writeFileAtomic(
      files.ca,
      ["server", "root"]
        .map((name) => `${readFileSync(caCertificatePath(options.pkiDir, name as "server" | "root"), "utf8").trim()}\n`)
        .join(""),
    );
  } finally {
    await services.close();
  }
  return files;
}

export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  try {
    return {
      cert: readFileSync(files.cert, "utf8"),
      key: readFileSync(files.key, "utf8"),
      ca: readFileSync(files.ca, "utf8"),
    };
  } catch (cause) {
    throw new EmbassyError("EMBASSY_CONFIG", `cannot read TLS files: ${(cause as Error).message}`, { cause });
  }
}
