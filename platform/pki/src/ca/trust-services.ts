import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import type { KeyAlgorithm } from "../algorithms.ts";
import { PkiError } from "../errors.ts";
import { FileKeyStore } from "../keystore/file-key-store.ts";
import type { KeyStore } from "../keystore/key-store.ts";
import { type Pkcs11Config, Pkcs11KeyStore } from "../keystore/pkcs11-key-store.ts";
import { SigningKey } from "../keystore/signing-key.ts";
import { CertificateRegistry, normaliseSerial } from "../registry/certificate-registry.ts";
import { CertificateAuthority, randomSerial } from "./authority.ts";
import { organisationName } from "./names.ts";
import { profileExtensions } from "./profiles.ts";

/** The issuing CAs, by the name under which /ca/<name>.crt serves them. */
export type IssuingCaName = "esteid" | "server";
export const ISSUING_CAS: readonly IssuingCaName[] = ["esteid", "server"];

export interface PkiConfig {
  version: 1;
  /** Where `riik pki serve` answers; written into every certificate's AIA. */
  baseUrl: string;
  algorithm: KeyAlgorithm;
  createdAt: string;
  /** Present when the keys live in a PKCS#11 token: where, and each key's label. Never the PIN. */
  pkcs11?: Pkcs11Config & { keyLabels: Record<CertFile, string> };
}

export interface SigningIdentity {
  certificate: x509.X509Certificate;
  keys: SigningKey;
}

/** Everything `riik pki serve` and `riik id …` need, loaded from a trust-services directory. */
export interface TrustServices {
  readonly dir: string;
  readonly config: PkiConfig;
  readonly root: x509.X509Certificate;
  readonly cas: Readonly<Record<IssuingCaName, CertificateAuthority>>;
  /** Delegated OCSP responders, one per issuing CA (RFC 6960 4.2.2.2). */
  readonly ocspResponders: Readonly<Record<IssuingCaName, SigningIdentity>>;
  readonly tsa: SigningIdentity;
  readonly registry: CertificateRegistry;
  close(): Promise<void>;
}

const DAY = 24 * 60 * 60 * 1000;
const YEAR = 365 * DAY;

/** File names under DIR/ca/ (issue 2: root, esteid, server, ocsp, tsa; plus the server CA's responder). */
const CERT_FILES = ["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"] as const;
type CertFile = (typeof CERT_FILES)[number];
const RESPONDER_FILE: Record<IssuingCaName, CertFile> = { esteid: "ocsp", server: "ocsp-server" };

export const caCertificatePath = (dir: string, name: CertFile): string => join(dir, "ca", `${name}.crt`);

export interface InitOptions {
  dir: string;
  baseUrl: string;
  algorithm?: KeyAlgorithm;
  databaseUrl?: string | undefined;
  /** Generate the keys in this PKCS#11 token instead of encrypted files under DIR/keys. */
  pkcs11?: Pkcs11Config | undefined;
}

/**
 * `riik pki init`: a root, two issuing CAs (identity documents, servers), a delegated
 * OCSP responder for each, and a time-stamping unit. Everything is written to a staging
 * directory first and moved in place at the end; pki.json, moved last, marks completion.
 */
export async function initTrustServices(options: InitOptions): Promise<TrustServices> {
  const { dir } = options;
  if (existsSync(join(dir, "pki.json"))) {
    throw new PkiError("PKI_ALREADY_INITIALISED", `${dir} already holds trust services; refusing to replace its keys`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  try {
    new URL(baseUrl);
  } catch (cause) {
    throw new PkiError("PKI_ARGUMENT", `--url ${JSON.stringify(options.baseUrl)} is not a URL`, { cause });
  }
  const algorithm = options.algorithm ?? "p384";
  const staging = join(dir, ".pki-init");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "ca"), { recursive: true });
  for (const leftover of ["ca", "keys"]) rmSync(join(dir, leftover), { recursive: true, force: true });
  const keys = options.pkcs11
    ? await Pkcs11KeyStore.open(options.pkcs11)
    : FileKeyStore.open(join(staging, "keys"), { create: true });
  const year = new Date().getUTCFullYear();
  const now = Date.now();
  const generate = async (file: CertFile) => SigningKey.of(await keys.generate(file, algorithm), keys.crypto);
  const issued: Array<{ file: CertFile; certificate: x509.X509Certificate; issuer: string; purpose: string }> = [];
  try {
    // Checked before any key is made, so a refusal leaves the token as it was.
    const taken = CERT_FILES.filter((file) => keys.has(file));
    if (taken.length > 0)
      throw new PkiError(
        "PKI_ALREADY_INITIALISED",
        `the token already holds keys labelled ${taken.join(", ")}; refusing to overwrite them (use another token)`,
      );
    const rootKeys = await generate("root");
    const rootSubject = new x509.Name(organisationName(`RIIK ROOT CA ${year}`)).toString();
    const root = await rootKeys.certificate({
      serialNumber: randomSerial(),
      subject: rootSubject,
      issuer: rootSubject,
      notBefore: new Date(now - 5 * 60 * 1000),
      notAfter: new Date(now + 20 * YEAR),
      publicKey: rootKeys.publicKey,
      extensions: await profileExtensions("root-ca", { subjectKey: rootKeys.publicKey, baseUrl }),
    });
    issued.push({ file: "root", certificate: root, issuer: "root", purpose: "root-ca" });
    const signWithRoot = async (
      file: CertFile,
      commonName: string,
      purpose: "issuing-ca" | "time-stamping",
      years: number,
    ) => {
      const pair = await generate(file);
      const certificate = await rootKeys.certificate({
        serialNumber: randomSerial(),
        subject: new x509.Name(organisationName(commonName)).toString(),
        issuer: root.subject,
        notBefore: new Date(now - 5 * 60 * 1000),
        notAfter: new Date(now + years * YEAR),
        publicKey: pair.publicKey,
        extensions: await profileExtensions(purpose, {
          subjectKey: pair.publicKey,
          issuer: root,
          issuerName: "root",
          baseUrl,
        }),
      });
      issued.push({ file, certificate, issuer: "root", purpose });
      return { certificate, keys: pair };
    };
    const esteid = await signWithRoot("esteid", `ESTEID-RIIK ${year}`, "issuing-ca", 12);
    const server = await signWithRoot("server", `RIIK SERVER CA ${year}`, "issuing-ca", 12);
    // RFC 3161 TSA under the root, as SK's time-stamping units are.
    await signWithRoot("tsa", `RIIK TIME-STAMPING AUTHORITY ${year}`, "time-stamping", 6);
    for (const [caName, ca] of [
      ["esteid", esteid],
      ["server", server],
    ] as const) {
      const file = RESPONDER_FILE[caName];
      const pair = await generate(file);
      const certificate = await ca.keys.certificate({
        serialNumber: randomSerial(),
        subject: new x509.Name(
          organisationName(`${ca.certificate.subjectName.getField("CN")[0]} OCSP RESPONDER`),
        ).toString(),
        issuer: ca.certificate.subject,
        notBefore: new Date(now - 5 * 60 * 1000),
        notAfter: new Date(now + 3 * YEAR),
        publicKey: pair.publicKey,
        extensions: await profileExtensions("ocsp-responder", {
          subjectKey: pair.publicKey,
          issuer: ca.certificate,
          issuerName: caName,
          baseUrl,
        }),
      });
      issued.push({ file, certificate, issuer: caName, purpose: "ocsp-responder" });
    }
  } finally {
    keys.close();
  }
  for (const { file, certificate } of issued)
    writeFileSync(join(staging, "ca", `${file}.crt`), certificate.toString("pem"));
  const config: PkiConfig = {
    version: 1,
    baseUrl,
    algorithm,
    createdAt: new Date(now).toISOString(),
    // The labels are the file names: KeyStore.generate labelled each key so.
    ...(options.pkcs11
      ? {
          pkcs11: {
            ...options.pkcs11,
            // Absolute, so that `riik pki serve` finds it from any directory.
            ...(options.pkcs11.pinFile ? { pinFile: resolve(options.pkcs11.pinFile) } : {}),
            keyLabels: Object.fromEntries(CERT_FILES.map((f) => [f, f])) as Record<CertFile, string>,
          },
        }
      : {}),
  };
  writeFileSync(join(staging, "pki.json"), `${JSON.stringify(config, null, 2)}\n`);

  mkdirSync(dir, { recursive: true });
  renameSync(join(staging, "ca"), join(dir, "ca"));
  if (!options.pkcs11) renameSync(join(staging, "keys"), join(dir, "keys"));
  const services = await openTrustServices(dir, {
    databaseUrl: options.databaseUrl,
    pending: join(staging, "pki.json"),
  });
  for (const { certificate, issuer, purpose } of issued) {
    await services.registry.record(
      {
        issuer,
        serial: normaliseSerial(certificate.serialNumber),
        purpose,
        subject: certificate.subject,
        personal_code: null,
        document_number: null,
        not_before: certificate.notBefore.toISOString(),
        not_after: certificate.notAfter.toISOString(),
        issued_at: new Date(now).toISOString(),
        der: new Uint8Array(certificate.rawData),
      },
      "pki init",
    );
  }
  renameSync(join(staging, "pki.json"), join(dir, "pki.json"));
  rmSync(staging, { recursive: true, force: true });
  return services;
}

export function readCertificate(path: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new PkiError("PKI_NOT_INITIALISED", `cannot read certificate ${path}`, { cause });
  }
}

export async function openTrustServices(
  dir: string,
  options: { databaseUrl?: string | undefined; keyStore?: KeyStore; pending?: string } = {},
): Promise<TrustServices> {
  const configFile = options.pending ?? join(dir, "pki.json");
  if (!existsSync(configFile)) {
    throw new PkiError("PKI_NOT_INITIALISED", `${dir} holds no trust services; run: riik pki init --dir ${dir}`);
  }
  const config = JSON.parse(readFileSync(configFile, "utf8")) as PkiConfig;
  // A store opened here is closed with the services; one passed in stays the caller's.
  const opened = options.keyStore
    ? undefined
    : config.pkcs11
      ? await Pkcs11KeyStore.open(config.pkcs11)
      : FileKeyStore.open(join(dir, "keys"));
  const keys = options.keyStore ?? opened!;
  const load = async (file: CertFile) =>
    SigningKey.of(await keys.load(config.pkcs11?.keyLabels[file] ?? file), keys.crypto);
  const registry = await CertificateRegistry.open({ dataDir: dir, url: options.databaseUrl });
  const close = async () => {
    try {
      await registry.close();
    } finally {
      opened?.close();
    }
  };
  try {
    const cert = (name: CertFile) => readCertificate(caCertificatePath(dir, name));
    const cas = {} as Record<IssuingCaName, CertificateAuthority>;
    const ocspResponders = {} as Record<IssuingCaName, SigningIdentity>;
    for (const name of ISSUING_CAS) {
      cas[name] = new CertificateAuthority(name, cert(name), await load(name), config.baseUrl, registry);
      ocspResponders[name] = { certificate: cert(RESPONDER_FILE[name]), keys: await load(RESPONDER_FILE[name]) };
    }
    const tsa = { certificate: cert("tsa"), keys: await load("tsa") };
    return { dir, config, root: cert("root"), cas, ocspResponders, tsa, registry, close };
  } catch (error) {
    await close();
    throw error;
  }
}
