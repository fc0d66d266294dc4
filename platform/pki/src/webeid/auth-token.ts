import { createHash, X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { subtle } from "../algorithms.ts";
import { parseDer } from "../der.ts";
import { type CardFile, cardCertificate, unlockCardKey } from "../identity/card-file.ts";
import { assertChallengeNonce } from "./challenge-nonce.ts";
import { WebEidError } from "./errors.ts";

/**
 * The Web eID authentication token, format `web-eid:1.0` (Web eID authentication token
 * format specification, "Proposed new format for the Web eID authentication token"):
 * the user's authentication certificate and a signature over hash(origin) ‖ hash(nonce).
 * Neither the origin nor the nonce is in the token; the server supplies both from its own
 * trusted state, so a token can only verify for the origin and challenge it was made for.
 */
export interface WebEidAuthToken {
  /** Base64 DER of the authentication certificate; untrusted until chained to a trusted CA. */
  readonly unverifiedCertificate: string;
  readonly algorithm: SignatureAlgorithm;
  /** Base64 signature; for ECDSA the raw r ‖ s of JWS (RFC 7518 3.4), not DER. */
  readonly signature: string;
  readonly format: string;
  /** URL naming the application and version that made the token; informative only. */
  readonly appVersion: string;
}

export const AUTH_TOKEN_FORMAT = "web-eid:1.0";

/** The spec allows the JWA algorithms of RFC 7518 sections 3.3 (RS), 3.4 (ES) and 3.5 (PS). */
export const SIGNATURE_ALGORITHMS = Object.freeze([
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "RS256",
  "RS384",
  "RS512",
] as const);
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** Same bound as the reference validator (TOKEN_MAX_LENGTH): a token is a certificate and a signature. */
export const MAX_TOKEN_LENGTH = 10_000;
const MAX_CERTIFICATE_CHARS = 8_000;
const MAX_SIGNATURE_BYTES = 1_024;
const MAX_APP_VERSION_CHARS = 2_048;

/** Major version 1, any minor version: minor versions are backwards-compatible (spec, `format`). */
const SUPPORTED_FORMAT = /^web-eid:1\.(?:0|[1-9][0-9]{0,3})$/;
const TOKEN_FIELDS = ["unverifiedCertificate", "algorithm", "signature", "format", "appVersion"] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

export interface ParsedAuthToken {
  readonly token: WebEidAuthToken;
  readonly certificate: x509.X509Certificate;
  readonly signature: Uint8Array;
}

/**
 * Parses an untrusted token, as JSON text or as an already-parsed value (a request body).
 * Shape errors are collected and thrown once as WEBEID_TOKEN_FORMAT with `details.fields`
 * naming every bad field; an unknown format is WEBEID_UNSUPPORTED_FORMAT, an algorithm
 * outside the spec's list WEBEID_ALGORITHM. Nothing else is ever thrown.
 */
export function parseAuthToken(input: unknown): ParsedAuthToken {
  let value: unknown = input;
  if (typeof input === "string") {
    if (input.length > MAX_TOKEN_LENGTH)
      throw formatError(`the token is longer than ${MAX_TOKEN_LENGTH} characters`, ["$"]);
    try {
      value = JSON.parse(input);
    } catch {
      throw formatError("the token is not JSON", ["$"]);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw formatError("the token must be a JSON object", ["$"]);
  const record = value as Record<string, unknown>;
  const field = (name: string): unknown => (Object.hasOwn(record, name) ? record[name] : undefined);

  const format = field("format");
  if (typeof format === "string" && !SUPPORTED_FORMAT.test(format))
    throw new WebEidError(
      "WEBEID_UNSUPPORTED_FORMAT",
      `only token format ${AUTH_TOKEN_FORMAT} (and its minor versions) is supported`,
      { details: { fields: ["format"] } },
    );

  const problems: Array<[string, string]> = [];
  // Each field is read once, so a value cannot change between check and use.
  const token = Object.fromEntries(TOKEN_FIELDS.map((name) => [name, field(name)])) as unknown as WebEidAuthToken;
  for (const name of TOKEN_FIELDS)
    if (typeof token[name] !== "string") problems.push([name, "missing or not a string"]);
  // Minor versions may add fields (spec, `format`); version 1.0 has exactly these five.
  if (format === AUTH_TOKEN_FORMAT)
    for (const key of Object.keys(record))
      if (!(TOKEN_FIELDS as readonly string[]).includes(key))
        problems.push([fieldPath(key), "not a web-eid:1.0 field"]);
  if (problems.length > 0) throw shapeError(problems);

  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(token.algorithm))
    throw new WebEidError(
      "WEBEID_ALGORITHM",
      `algorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")} (RFC 7518 3.3-3.5)`,
      { details: { fields: ["algorithm"] } },
    );

  let certificate: x509.X509Certificate | undefined;
  const certificateBytes =
    token.unverifiedCertificate.length <= MAX_CERTIFICATE_CHARS ? decodeBase64(token.unverifiedCertificate) : undefined;
  if (!certificateBytes) problems.push(["unverifiedCertificate", "not base64, or too long"]);
  else {
    certificate = parseCertificate(certificateBytes);
    if (!certificate) problems.push(["unverifiedCertificate", "not a DER X.509 certificate"]);
  }
  const signature =
    token.signature.length <= (MAX_SIGNATURE_BYTES * 4) / 3 + 4 ? decodeBase64(token.signature) : undefined;
  if (!signature || signature.length === 0 || signature.length > MAX_SIGNATURE_BYTES)
    problems.push(["signature", `not base64 of 1-${MAX_SIGNATURE_BYTES} bytes`]);
  if (token.appVersion.length > MAX_APP_VERSION_CHARS || !URL.canParse(token.appVersion))
    problems.push(["appVersion", "not a URL"]);
  if (problems.length > 0) throw shapeError(problems);

  return Object.freeze({ token: Object.freeze(token), certificate: certificate!, signature: signature! });
}

/**
 * Checks that `value` is a web origin in its ASCII serialization (HTML Standard, "ASCII
 * serialization of an origin"), as `location.origin` gives it: http or https, host, and a
 * port only if not the default; no path, query, fragment or user info, no trailing slash,
 * lowercase. This is the exact string that is hashed and signed.
 */
export function assertOrigin(value: unknown, name = "origin"): asserts value is string {
  const bad = (why: string) =>
    new WebEidError("WEBEID_ORIGIN", `${name} ${why}; write it as location.origin does, e.g. https://portal.example`, {
      details: { fields: [name] },
    });
  if (typeof value !== "string") throw bad("must be a string");
  if (value.length > 512 || !URL.canParse(value)) throw bad("is not a URL");
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw bad("must be an https (or http) origin");
  if (url.origin !== value) throw bad("must be a bare origin (scheme, host, optional port)");
}

/** JWA algorithm → WebCrypto parameters and the hash that also serves hash(origin), hash(nonce). */
export function algorithmParams(algorithm: SignatureAlgorithm): {
  hash: "SHA-256" | "SHA-384" | "SHA-512";
  params: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  curve?: "P-256" | "P-384" | "P-521";
} {
  const bits = algorithm.slice(2) as "256" | "384" | "512";
  const hash = `SHA-${bits}` as const;
  switch (algorithm.slice(0, 2)) {
    case "ES":
      // RFC 7518 3.4: ES256 is P-256, ES384 P-384, ES512 P-521.
      return { hash, params: { name: "ECDSA", hash }, curve: bits === "512" ? "P-521" : `P-${bits}` };
    case "PS":
      // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash output.
      return { hash, params: { name: "RSA-PSS", saltLength: Number(bits) / 8 } };
    default:
      return { hash, params: { name: "RSASSA-PKCS1-v1_5" } };
  }
}

/**
 * The value signed: hash(origin) ‖ hash(challenge nonce), with the hash of the signature
 * algorithm, over the UTF-8 bytes of the origin string and of the base64 nonce string (spec,
 * "Proposed new format", and its clarification on nonce processing). The signature
 * algorithm hashes this concatenation once more, as any signature does.
 */
export function authTokenSignedData(algorithm: SignatureAlgorithm, origin: string, nonce: string): Uint8Array {
  const name = algorithmParams(algorithm).hash.replace("-", "").toLowerCase();
  const hash = (text: string) => createHash(name).update(text, "utf8").digest();
  return new Uint8Array(Buffer.concat([hash(origin), hash(nonce)]));
}

/** The JWA name for a WebCrypto signing key (what a card or a browser key can do). */
export function signatureAlgorithmOf(key: CryptoKey): SignatureAlgorithm {
  const algorithm = key.algorithm as Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
  const hashName = (algorithm.hash as KeyAlgorithm | undefined)?.name;
  if (algorithm.name === "ECDSA") {
    const curve = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" }[algorithm.namedCurve ?? ""];
    if (curve) return curve as SignatureAlgorithm;
  } else if (hashName && /^SHA-(256|384|512)$/.test(hashName)) {
    const bits = hashName.slice(4);
    if (algorithm.name === "RSASSA-PKCS1-v1_5") return `RS${bits}` as SignatureAlgorithm;
    if (algorithm.name === "RSA-PSS") return `PS${bits}` as SignatureAlgorithm;
  }
  throw new WebEidError("WEBEID_ALGORITHM", `a ${algorithm.name} key cannot make a Web eID signature`);
}

export interface SignAuthTokenRequest {
  /** The authentication private key, as WebCrypto gives it (card, file, or browser). */
  privateKey: CryptoKey;
  certificate: x509.X509Certificate;
  origin: string;
  nonce: string;
  appVersion?: string;
}

/** Builds and signs a token with any WebCrypto authentication key: what the Web eID app does. */
export async function signAuthToken(request: SignAuthTokenRequest): Promise<WebEidAuthToken> {
  assertOrigin(request.origin);
  assertChallengeNonce(request.nonce);
  const appVersion = request.appVersion ?? RIIK_APP_VERSION;
  if (!URL.canParse(appVersion) || appVersion.length > MAX_APP_VERSION_CHARS)
    throw new WebEidError("WEBEID_ARGUMENT", "appVersion must be a URL");
  const algorithm = signatureAlgorithmOf(request.privateKey);
  const { params } = algorithmParams(algorithm);
  // WebCrypto ECDSA signatures are raw r ‖ s already, exactly as JWS wants them.
  const signature = await subtle.sign(
    params,
    request.privateKey,
    authTokenSignedData(algorithm, request.origin, request.nonce) as BufferSource,
  );
  return Object.freeze({
    unverifiedCertificate: Buffer.from(request.certificate.rawData).toString("base64"),
    algorithm,
    signature: Buffer.from(signature).toString("base64"),
    format: AUTH_TOKEN_FORMAT,
    appVersion,
  });
}

/** Names riik's own token maker in `appVersion` (the spec asks for a URL; a URN is one). */
export const RIIK_APP_VERSION = "urn:riik:web-eid:auth-token:0.1.0";

export interface CreateAuthTokenRequest {
  card: CardFile;
  pin1: string;
  origin: string;
  nonce: string;
  appVersion?: string;
}

/**
 * Logs in with a software ID card: unlocks the authentication key with PIN1 (PkiError
 * CARD_PIN_FORMAT or CARD_WRONG_PIN) and signs a `web-eid:1.0` token for origin and nonce.
 */
export async function createAuthToken(request: CreateAuthTokenRequest): Promise<WebEidAuthToken> {
  // Check the cheap arguments before asking for the PIN, as the Web eID app does.
  assertOrigin(request.origin);
  assertChallengeNonce(request.nonce);
  const keys = await unlockCardKey(request.card, "authentication", request.pin1);
  return signAuthToken({
    privateKey: keys.privateKey,
    certificate: cardCertificate(request.card, "authentication"),
    origin: request.origin,
    nonce: request.nonce,
    ...(request.appVersion === undefined ? {} : { appVersion: request.appVersion }),
  });
}

/** Strict base64 (RFC 4648 section 4): the standard alphabet, padding optional, no stray bits. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64").replace(/=+$/, "") === text.replace(/=+$/, "") ? new Uint8Array(bytes) : undefined;
}

const READ_EXTENSIONS: ReadonlyArray<new (raw: BufferSource) => x509.Extension> = [
  x509.KeyUsagesExtension,
  x509.ExtendedKeyUsageExtension,
  x509.CertificatePolicyExtension,
  x509.AuthorityInfoAccessExtension,
  x509.BasicConstraintsExtension,
];

function parseCertificate(der: Uint8Array<ArrayBuffer>): x509.X509Certificate | undefined {
  try {
    parseDer(der, "the certificate", "PKI_DER", (schema) => new pkijs.Certificate({ schema }));
    // OpenSSL reads it too: a relying party's TLS stack must agree on what the certificate is.
    new NodeCertificate(der);
    const certificate = new x509.X509Certificate(der);
    // @peculiar/x509 decodes extensions when first asked; ask now for every one the
    // validator reads, so a malformed one is a shape error here, not a crash later.
    for (const type of READ_EXTENSIONS) certificate.getExtension(type);
    return certificate;
  } catch {
    // parseDer throws PkiError; @peculiar/x509 throws whatever its ASN.1 schema parser throws.
    return undefined;
  }
}

/** A JSON-path-like name for a key, safe to show: odd keys are quoted and cut short. */
function fieldPath(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) ? key : JSON.stringify(key.slice(0, 64));
}

function formatError(message: string, fields: string[]): WebEidError {
  return new WebEidError("WEBEID_TOKEN_FORMAT", message, { details: { fields } });
}

function shapeError(problems: Array<[string, string]>): WebEidError {
  problems = problems.slice(0, 16);
  return formatError(
    `the token has bad fields: ${problems.map(([path, why]) => `${path} (${why})`).join(", ")}`,
    problems.map(([path]) => path),
  );
}
