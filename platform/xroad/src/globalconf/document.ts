import { type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ClientId, canonicalJson, formatClientId, parseClientId } from "@riik/core";
import { Type } from "typebox";
import { Value } from "typebox/value";
import { type KeySigner, signBytes, verifyBytes } from "../crypto/keys.ts";
import { XRoadError } from "../errors.ts";

/**
 * riik's global configuration. X-Road distributes it as signed MIME multipart directories
 * (PR-GCONF); riik keeps the same content and trust model (a versioned document signed by
 * the central server's configuration signing key, with an expiry, trusted from an anchor
 * handed over out of band) in one signed JSON document, since only riik's own security
 * servers read it. The format is described in platform/xroad/README.md.
 */
export const GLOBALCONF_FORMAT = "riik-globalconf/1";
export const ANCHOR_FORMAT = "riik-globalconf-anchor/1";

export interface GlobalConfMember {
  memberClass: string;
  memberCode: string;
  name: string;
  subsystems: Array<{ subsystemCode: string; name: string }>;
}

export interface GlobalConfServer {
  owner: { memberClass: string; memberCode: string };
  serverCode: string;
  /** https://host:port of the server proxy (mTLS between security servers). */
  address: string;
  /** SHA-256 (lowercase hex) of each registered authentication certificate's DER. */
  authCertHashes: string[];
  /** The same certificates, base64 DER, so that peers can check their OCSP status before connecting. */
  authCertificates: string[];
  /** Formatted client ids (members and subsystems) whose services this server provides. */
  clients: string[];
}

export interface GlobalConfGroup {
  groupCode: string;
  description: string;
  members: string[];
}

export interface GlobalConfTrust {
  /** base64 DER: CAs issuing authentication and signing certificates of security servers. */
  serverCas: string[];
  /** base64 DER: roots above them (for offline verification of evidence). */
  roots: string[];
  tsa: Array<{ url: string; certificate: string }>;
  ledger: { url: string; keys: string[]; witnesses: string[] } | null;
}

export interface GlobalConfContent {
  instance: string;
  /** Increases by one with every configuration the central server signs. */
  version: number;
  generatedAt: string;
  expiresAt: string;
  centralServer: { address: string };
  members: GlobalConfMember[];
  securityServers: GlobalConfServer[];
  globalGroups: GlobalConfGroup[];
  trust: GlobalConfTrust;
  settings: { ocspFreshnessSeconds: number; maxClockSkewSeconds: number };
}

export interface SignedGlobalConf {
  format: typeof GLOBALCONF_FORMAT;
  content: GlobalConfContent;
  signature: { algorithm: string; certificateHash: string; value: string };
}

export interface ConfigurationAnchor {
  format: typeof ANCHOR_FORMAT;
  instance: string;
  generatedAt: string;
  sources: Array<{ url: string; certificates: string[] }>;
}

const algorithmName = (key: KeyObject) =>
  key.asymmetricKeyType === "ec"
    ? key.asymmetricKeyDetails?.namedCurve === "secp384r1"
      ? "ecdsa-with-SHA384"
      : "ecdsa-with-SHA256"
    : "sha256WithRSAEncryption";

/** Signs the configuration: the signature covers the RFC 8785 canonical form of `content`. */
export function signGlobalConf(
  content: GlobalConfContent,
  key: KeyObject,
  certificate: X509Certificate,
): SignedGlobalConf {
  return signedGlobalConf(content, key, certificate, signBytes(key, canonicalJson(content)));
}

/** signGlobalConf with a key wherever it lives (a file or a PKCS#11 token: the central server's). */
export async function signGlobalConfWith(
  content: GlobalConfContent,
  signer: KeySigner,
  certificate: X509Certificate,
): Promise<SignedGlobalConf> {
  return signedGlobalConf(content, signer.publicKey, certificate, await signer.sign(canonicalJson(content)));
}

function signedGlobalConf(
  content: GlobalConfContent,
  key: KeyObject,
  certificate: X509Certificate,
  signature: Uint8Array,
): SignedGlobalConf {
  return {
    format: GLOBALCONF_FORMAT,
    content,
    signature: {
      algorithm: algorithmName(key),
      certificateHash: certificate.fingerprint256.replace(/:/g, "").toLowerCase(),
      value: Buffer.from(signature).toString("base64"),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The whole document's shape (README "Global configuration"): checked before the signature,
// so a signed document of the wrong shape is refused as malformed and nothing downstream
// (GlobalConfIndex, the proxies) meets a value of an unexpected type.
const TEXT = Type.String({ maxLength: 64 * 1024 });
const TIME = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T", maxLength: 64 });
const DER = Type.String({ pattern: "^[A-Za-z0-9+/]+={0,2}$", maxLength: 64 * 1024 });
const LIST = { maxItems: 100_000 };
const CODE = { memberClass: TEXT, memberCode: TEXT };
const GLOBALCONF_SCHEMA = Type.Object({
  format: Type.Literal(GLOBALCONF_FORMAT),
  content: Type.Object({
    instance: TEXT,
    version: Type.Integer({ minimum: 1 }),
    generatedAt: TIME,
    expiresAt: TIME,
    centralServer: Type.Object({ address: TEXT }),
    members: Type.Array(
      Type.Object({
        ...CODE,
        name: TEXT,
        subsystems: Type.Array(Type.Object({ subsystemCode: TEXT, name: TEXT }), LIST),
      }),
      LIST,
    ),
    securityServers: Type.Array(
      Type.Object({
        owner: Type.Object(CODE),
        serverCode: TEXT,
        address: TEXT,
        authCertHashes: Type.Array(Type.String({ pattern: "^[0-9a-f]{64}$" }), LIST),
        authCertificates: Type.Array(DER, LIST),
        clients: Type.Array(TEXT, LIST),
      }),
      LIST,
    ),
    globalGroups: Type.Array(
      Type.Object({ groupCode: TEXT, description: TEXT, members: Type.Array(TEXT, LIST) }),
      LIST,
    ),
    trust: Type.Object({
      serverCas: Type.Array(DER, LIST),
      roots: Type.Array(DER, LIST),
      tsa: Type.Array(Type.Object({ url: TEXT, certificate: DER }), LIST),
      ledger: Type.Union([
        Type.Null(),
        Type.Object({ url: TEXT, keys: Type.Array(TEXT, LIST), witnesses: Type.Array(TEXT, LIST) }),
      ]),
    }),
    settings: Type.Object({
      ocspFreshnessSeconds: Type.Number({ minimum: 0 }),
      maxClockSkewSeconds: Type.Number({ minimum: 0 }),
    }),
  }),
  signature: Type.Object({ algorithm: TEXT, certificateHash: TEXT, value: TEXT }),
});

/** A field's dotted path (`content.members.0.name`) from a JSON pointer and a property. */
const dotted = (pointer: string, property?: string) =>
  [...pointer.split("/").slice(1), ...(property === undefined ? [] : [property])].join(".") || "document";

/** Checks the shape of a downloaded configuration, naming the first bad fields (`details.fields`). */
function assertGlobalConfShape(value: unknown): asserts value is SignedGlobalConf {
  const fields = Value.Check(GLOBALCONF_SCHEMA, value)
    ? (["generatedAt", "expiresAt"] as const)
        .filter((field) => Number.isNaN(Date.parse(value.content[field])))
        .map((field) => `content.${field}`)
    : Value.Errors(GLOBALCONF_SCHEMA, value)
        .slice(0, 10)
        .flatMap((error) =>
          error.keyword === "required"
            ? (error.params as { requiredProperties: string[] }).requiredProperties.map((p) =>
                dotted(error.instancePath, p),
              )
            : [dotted(error.instancePath)],
        );
  if (fields.length === 0) return;
  throw new XRoadError("XROAD_GLOBALCONF_FORMAT", `the global configuration is malformed: ${fields.join(", ")}`, {
    details: { fields },
  });
}

/**
 * Verifies a downloaded configuration against the anchor: the signature by one of the
 * anchor's certificates over the canonical content, the instance, and the expiry.
 */
export function verifyGlobalConf(
  bytes: Uint8Array | string,
  anchor: ConfigurationAnchor,
  now: Date = new Date(),
): SignedGlobalConf {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (cause) {
    throw new XRoadError("XROAD_GLOBALCONF_FORMAT", "the global configuration is not JSON", { cause });
  }
  assertGlobalConfShape(parsed);
  const certificates = anchor.sources.flatMap((source) => source.certificates.map((pem) => new X509Certificate(pem)));
  const signer = certificates.find(
    (certificate) => certificate.fingerprint256.replace(/:/g, "").toLowerCase() === parsed.signature.certificateHash,
  );
  if (!signer)
    throw new XRoadError(
      "XROAD_GLOBALCONF_SIGNATURE",
      "the global configuration is signed by a certificate that is not in the configuration anchor",
    );
  const ok = verifyBytes(
    signer.publicKey,
    canonicalJson(parsed.content),
    Buffer.from(parsed.signature.value, "base64"),
  );
  if (!ok) throw new XRoadError("XROAD_GLOBALCONF_SIGNATURE", "the global configuration signature does not verify");
  if (parsed.content.instance !== anchor.instance)
    throw new XRoadError(
      "XROAD_GLOBALCONF_INSTANCE",
      `the global configuration is for instance ${parsed.content.instance}, the anchor for ${anchor.instance}`,
    );
  if (Date.parse(parsed.content.expiresAt) <= now.getTime())
    throw new XRoadError(
      "XROAD_GLOBALCONF_EXPIRED",
      `the global configuration version ${parsed.content.version} expired at ${parsed.content.expiresAt}`,
    );
  return parsed;
}

export function readAnchor(path: string): ConfigurationAnchor {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new XRoadError("XROAD_CONFIG", `cannot read the configuration anchor ${path}`, { cause });
  }
  if (
    !isRecord(value) ||
    value.format !== ANCHOR_FORMAT ||
    typeof value.instance !== "string" ||
    !Array.isArray(value.sources) ||
    value.sources.length === 0
  )
    throw new XRoadError("XROAD_CONFIG", `${path} is not a ${ANCHOR_FORMAT} configuration anchor`);
  return value as unknown as ConfigurationAnchor;
}

/** Quick lookups over one verified configuration, built once per version. */
export class GlobalConfIndex {
  readonly conf: SignedGlobalConf;
  readonly members = new Map<string, GlobalConfMember>();
  /** client id → subsystem name or undefined (member). */
  readonly clients = new Map<string, { member: GlobalConfMember; subsystemName?: string }>();
  /** provider client id → servers that host it. */
  readonly hostsOf = new Map<string, GlobalConfServer[]>();
  /** auth certificate SHA-256 → server. */
  readonly serverByAuthHash = new Map<string, GlobalConfServer>();
  readonly groups = new Map<string, Set<string>>();
  readonly authCertificates = new Map<GlobalConfServer, X509Certificate[]>();
  readonly serverCas: X509Certificate[];
  /** PEMs for TLS between security servers: the server CAs and their roots (OpenSSL wants a root). */
  readonly tlsTrust: string[];
  readonly expiresAt: number;

  constructor(conf: SignedGlobalConf) {
    this.conf = conf;
    const { content } = conf;
    this.expiresAt = Date.parse(content.expiresAt);
    for (const member of content.members) {
      const id: ClientId = {
        instance: content.instance,
        memberClass: member.memberClass,
        memberCode: member.memberCode,
      };
      this.members.set(formatClientId(id), member);
      this.clients.set(formatClientId(id), { member });
      for (const subsystem of member.subsystems)
        this.clients.set(formatClientId({ ...id, subsystemCode: subsystem.subsystemCode }), {
          member,
          subsystemName: subsystem.name,
        });
    }
    for (const server of content.securityServers) {
      for (const client of server.clients) this.hostsOf.set(client, [...(this.hostsOf.get(client) ?? []), server]);
      for (const hash of server.authCertHashes) this.serverByAuthHash.set(hash, server);
      this.authCertificates.set(
        server,
        (server.authCertificates ?? []).map((der) => new X509Certificate(Buffer.from(der, "base64"))),
      );
    }
    this.serverCas = content.trust.serverCas.map((der) => new X509Certificate(Buffer.from(der, "base64")));
    this.tlsTrust = [...content.trust.serverCas, ...content.trust.roots].map((der) =>
      new X509Certificate(Buffer.from(der, "base64")).toString(),
    );
    for (const group of content.globalGroups) this.groups.set(group.groupCode, new Set(group.members));
  }

  get instance(): string {
    return this.conf.content.instance;
  }

  expired(now = Date.now()): boolean {
    return now >= this.expiresAt;
  }

  /**
   * Does an access-right subject name something in this configuration: a member or subsystem
   * id, or `globalgroup:CODE`? `localgroup:CODE` is the security server's own. A malformed
   * id throws its XROAD_ID_* error.
   */
  knows(subject: string): boolean {
    if (subject.startsWith("localgroup:")) return true;
    if (subject.startsWith("globalgroup:")) return this.groups.has(subject.slice("globalgroup:".length));
    return this.clients.has(formatClientId(parseClientId(subject)));
  }

  /** True when `client` (formatted) belongs to the global group `groupCode`. */
  inGlobalGroup(groupCode: string, client: string): boolean {
    return this.groups.get(groupCode)?.has(client) ?? false;
  }
}

export const certificateHash = (certificate: X509Certificate): string =>
  certificate.fingerprint256.replace(/:/g, "").toLowerCase();
