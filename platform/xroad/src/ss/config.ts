import { randomBytes, type X509Certificate } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { JsonName } from "@peculiar/x509";
import { formatClientId, memberOf, parseClientId, privateDirectory, writeFileAtomic } from "@riik/core";
import { OID, openTrustServices, type Pkcs11Config } from "@riik/pki";
import {
  fileSigner,
  generateKeyPem,
  type KeySigner,
  type MessageKeyType,
  openTokenSigner,
  readCertificatePem,
  readPrivateKey,
  selfSignedCertificate,
  type TokenKey,
  tokenKey,
  webPublicKey,
  writePrivateKey,
} from "../crypto/keys.ts";
import { XRoadError } from "../errors.ts";
import { readAnchor } from "../globalconf/document.ts";

export interface SecurityServerConfig {
  format: "riik-ss/1";
  /** INSTANCE/CLASS/MEMBER/SERVERCODE */
  serverId: string;
  ownerName: string;
  host: string;
  ports: { client: number; clientTls: number; server: number; admin: number };
  /** https://host:port of the server proxy, as registered at the central server. */
  address: string;
  anchor: string;
  /** The member signing key in a PKCS#11 token. The authentication key stays a file: see README "Keys in a token". */
  pkcs11?: TokenKey;
  files: {
    authKey: string;
    authCertificate: string;
    /** Absent when the signing key is in a token (`pkcs11`). */
    signKey?: string;
    signCertificate: string;
    internalKey: string;
    internalCertificate: string;
    adminToken: string;
    globalConfCopy: string;
  };
  dataDir: string;
  databaseUrl?: string;
  databaseSchema?: string;
  maxBodyBytes: number;
  globalConfRefreshSeconds: number;
  /** How often message-log records are anchored (time-stamped and sent to the ledger) in batches. */
  anchorIntervalSeconds: number;
  /** Records older than this are moved to the archive directory once anchored. */
  retentionDays: number;
  archiveDir: string;
}

/** Relative paths in the config file are relative to the file itself. */
export function readSecurityServerConfig(path: string): SecurityServerConfig {
  if (!existsSync(path)) throw new XRoadError("XROAD_CONFIG", `no security server configuration at ${path}`);
  let config: SecurityServerConfig;
  try {
    config = JSON.parse(readFileSync(path, "utf8")) as SecurityServerConfig;
  } catch (cause) {
    throw new XRoadError("XROAD_CONFIG", `${path} is not JSON`, { cause });
  }
  if (config.format !== "riik-ss/1") throw new XRoadError("XROAD_CONFIG", `${path} is not a riik-ss/1 configuration`);
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : join(base, p));
  return {
    ...config,
    anchor: abs(config.anchor),
    dataDir: abs(config.dataDir),
    archiveDir: abs(config.archiveDir),
    files: Object.fromEntries(
      Object.entries(config.files).map(([k, v]) => [k, abs(v)]),
    ) as SecurityServerConfig["files"],
  };
}

export interface InitSecurityServerOptions {
  dir: string;
  /** Trust-services directory: the server CA issues the authentication and signing certificates. */
  pkiDir: string;
  anchorFile: string;
  serverId: string;
  ownerName: string;
  host?: string;
  ports: { client: number; clientTls: number; server: number; admin: number };
  keyType?: MessageKeyType;
  databaseUrl?: string;
  /** Generate the member signing key inside this PKCS#11 token (ECDSA P-384) instead of a file. */
  pkcs11?: Pkcs11Config;
}

/** The label of a security server's signing key pair in a token: one token may serve several servers. */
export function signKeyLabel(serverId: string): string {
  const code = serverId.split("/")[3] ?? "";
  return `ss-${code
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 30)}-sign`;
}

/** The member a signing certificate speaks for: serialNumber=INSTANCE/CLASS/MEMBER (riik's seal profile). */
export function sealSubject(member: string, name: string): JsonName {
  return [
    { [OID.country]: ["EE"] },
    { [OID.organization]: [name] },
    { [OID.commonName]: [member.split("/").slice(2).join("/")] },
    { [OID.serialNumber]: [member] },
  ];
}

/**
 * `riik ss init`: keys (authentication, member signing, internal TLS), the authentication
 * and signing certificates from the server CA of the trust services, the configuration
 * anchor, an administrator token, and ss.json.
 */
export async function initSecurityServer(options: InitSecurityServerOptions): Promise<string> {
  const configPath = join(options.dir, "ss.json");
  if (existsSync(configPath)) throw new XRoadError("XROAD_CONFLICT", `${options.dir} already holds a security server`);
  const parsed = parseClientId(options.serverId);
  if (!parsed.subsystemCode)
    throw new XRoadError("XROAD_ARGUMENT", "--id is INSTANCE/CLASS/MEMBER/SERVERCODE (four parts)");
  const anchor = readAnchor(options.anchorFile);
  if (anchor.instance !== parsed.instance)
    throw new XRoadError(
      "XROAD_ARGUMENT",
      `the anchor is for instance ${anchor.instance}, the server id for ${parsed.instance}`,
    );
  const host = options.host ?? "127.0.0.1";
  privateDirectory(join(options.dir, "keys"));
  const keyType = options.keyType ?? "p256";
  const inToken = options.pkcs11 && tokenKey(options.pkcs11, signKeyLabel(options.serverId));
  const files = {
    authKey: "keys/auth.key.pem",
    authCertificate: "auth.crt",
    ...(inToken ? {} : { signKey: "keys/sign.key.pem" }),
    signCertificate: "sign.crt",
    internalKey: "keys/internal.key.pem",
    internalCertificate: "internal.crt",
    adminToken: "keys/admin-token",
    globalConfCopy: "globalconf.json",
  };
  const at = (file: string) => join(options.dir, file);
  const path = (name: Exclude<keyof typeof files, "signKey">) => at(files[name]);
  for (const file of [files.authKey, files.internalKey, files.signKey])
    if (file && !existsSync(at(file))) writePrivateKey(at(file), generateKeyPem(keyType));
  const member = formatClientId(memberOf(parsed));
  const services = await openTrustServices(options.pkiDir, { databaseUrl: options.databaseUrl });
  let signer: KeySigner | undefined;
  try {
    // Made inside the token now, so the seal certificate below certifies the token's key.
    signer = inToken
      ? await openTokenSigner(inToken, { create: true })
      : fileSigner(readPrivateKey(at("keys/sign.key.pem")));
    const isIp = /^[0-9.]+$|:/.test(host);
    const auth = await services.cas.server.issue({
      purpose: "server",
      subject: [
        { [OID.country]: ["EE"] },
        { [OID.organization]: [options.ownerName] },
        { [OID.commonName]: [parsed.subsystemCode] },
        { [OID.serialNumber]: [formatClientId(parsed)] },
      ],
      publicKey: await webPublicKey(readPrivateKey(path("authKey"))),
      validityDays: 730,
      altNames: [
        { type: isIp ? "ip" : "dns", value: host },
        ...(host === "127.0.0.1" ? [{ type: "dns" as const, value: "localhost" }] : []),
      ],
      actor: `riik ss init ${formatClientId(parsed)}`,
    });
    writeFileAtomic(path("authCertificate"), auth.toString("pem"));
    const seal = await services.cas.server.issue({
      purpose: "seal",
      subject: sealSubject(member, options.ownerName),
      publicKey: await webPublicKey(signer.publicKey),
      validityDays: 730,
      actor: `riik ss init ${formatClientId(parsed)}`,
    });
    writeFileAtomic(path("signCertificate"), seal.toString("pem"));
  } finally {
    signer?.close();
    await services.close();
  }
  writeFileAtomic(
    path("internalCertificate"),
    await selfSignedCertificate(readPrivateKey(path("internalKey")), `${formatClientId(parsed)} internal`, {
      altNames: [{ type: /^[0-9.]+$|:/.test(host) ? "ip" : "dns", value: host }],
    }),
  );
  if (!existsSync(path("adminToken")))
    writeFileAtomic(path("adminToken"), `${randomBytes(32).toString("base64url")}\n`);
  copyFileSync(options.anchorFile, join(options.dir, "anchor.json"));
  chmodSync(join(options.dir, "anchor.json"), 0o600);
  const config: SecurityServerConfig = {
    format: "riik-ss/1",
    serverId: formatClientId(parsed),
    ownerName: options.ownerName,
    host,
    ports: options.ports,
    address: `https://${host.includes(":") ? `[${host}]` : host}:${options.ports.server}`,
    anchor: "anchor.json",
    ...(inToken ? { pkcs11: inToken } : {}),
    files,
    dataDir: "data",
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    maxBodyBytes: 10 * 1024 * 1024,
    globalConfRefreshSeconds: 10,
    anchorIntervalSeconds: 5,
    retentionDays: 30,
    archiveDir: "archive",
  };
  writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return configPath;
}

/**
 * The member signing key ss.json names, in its token or its file. Apart from the files
 * (loadIdentity): opening a token takes its PIN, which only the running server needs.
 */
export function openSigningKey(config: SecurityServerConfig): Promise<KeySigner> {
  if (config.pkcs11) return openTokenSigner(config.pkcs11);
  if (!config.files.signKey) throw new XRoadError("XROAD_CONFIG", "ss.json names neither files.signKey nor pkcs11");
  return Promise.resolve(fileSigner(readPrivateKey(config.files.signKey)));
}

/** Everything the running server holds in memory from its files (the signing key: openSigningKey). */
export function loadIdentity(config: SecurityServerConfig) {
  const authCertificate = readCertificatePem(config.files.authCertificate);
  const signCertificate = readCertificatePem(config.files.signCertificate);
  return {
    authKey: readPrivateKey(config.files.authKey),
    authKeyPem: readFileSync(config.files.authKey, "utf8"),
    authCertificate,
    authCertificatePem: readFileSync(config.files.authCertificate, "utf8"),
    signCertificate,
    signCertificateBase64: signCertificate.raw.toString("base64"),
    internalKeyPem: readFileSync(config.files.internalKey, "utf8"),
    internalCertificatePem: readFileSync(config.files.internalCertificate, "utf8"),
    adminToken: Buffer.from(readFileSync(config.files.adminToken, "utf8").trim()),
  };
}
export type SecurityServerIdentity = ReturnType<typeof loadIdentity> & { signKey: KeySigner };

export function isCertificateHash(certificate: X509Certificate): string {
  return certificate.fingerprint256.replace(/:/g, "").toLowerCase();
}
