import { createPublicKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parsePersonalCode } from "@riik/core";
import { subtle } from "../algorithms.ts";
import { OID } from "../ca/oids.ts";
import { checkOcsp, type OcspCheck, ocspUrlOf } from "../ocsp/client.ts";
import type { OcspCertStatus } from "../ocsp/status.ts";
import { PathValidationError, validatePath } from "../path/validate-path.ts";
import { REVOCATION_REASONS } from "../registry/certificate-registry.ts";
import {
  algorithmParams,
  assertOrigin,
  authTokenSignedData,
  type ParsedAuthToken,
  parseAuthToken,
  type SignatureAlgorithm,
} from "./auth-token.ts";
import type { NonceStore } from "./challenge-nonce.ts";
import { WebEidError } from "./errors.ts";

/** Answers the revocation status of `certificate`, issued by `issuer` (a trusted CA). */
export type OcspStatusChecker = (
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
) => Promise<OcspCertStatus | OcspCheck>;

export interface AuthTokenValidatorOptions {
  /** The identity-document CAs (riik's `esteid`) that issue authentication certificates. */
  trustedCas: readonly x509.X509Certificate[];
  /** This service's origin, as the browser's `location.origin` writes it. */
  allowedOrigin: string;
  /** Where this service's challenge nonces are kept; each is consumed by validate(). */
  nonces: NonceStore;
  /**
   * "required" (default): ask the OCSP responder named in the certificate (or `ocspUrl`) and
   * refuse if it cannot answer; "off": no revocation check (tests, offline sandboxes only);
   * or a function of the service's own (caching, stapled) status source.
   */
  ocsp?: "required" | "off" | OcspStatusChecker;
  /** A designated OCSP responder to ask instead of the certificate's AIA URL. */
  ocspUrl?: string;
  ocspTimeoutMs?: number;
  /**
   * Certificate policies that make a certificate acceptable for login; at least one must be
   * present. Default: riik's ID-card and e-Residency authentication policies.
   */
  acceptedPolicies?: readonly string[];
  /** Policies that disqualify a certificate even with an accepted one (the reference's disallowed list). */
  disallowedPolicies?: readonly string[];
  /** The clock, for tests. */
  now?: () => Date;
}

export interface AuthenticationContext {
  /** The challenge nonce this browser session was given (look it up by session, not from the request). */
  nonce: string;
  /**
   * The origin the token was posted from (the request's Origin header). When given, it must
   * be the allowed origin, and a token relayed from another site is refused as
   * WEBEID_ORIGIN; without it such a token fails as WEBEID_SIGNATURE, as the origin is signed.
   */
  origin?: string | undefined;
}

export interface AuthenticatedPerson {
  /** The Estonian personal identification code, 11 digits. */
  readonly personalCode: string;
  /** As in the certificate (ESTEID subjects are upper case). */
  readonly givenName: string;
  readonly surname: string;
  readonly country: string;
  readonly kind: "id-card" | "e-resident";
  readonly certificate: x509.X509Certificate;
  readonly issuer: x509.X509Certificate;
  /** The verified OCSP answer, for evidence and logs; absent when OCSP is off or a checker gave a bare status. */
  readonly ocsp?: OcspCheck;
}

/**
 * Validates Web eID authentication tokens for one origin. The steps and their order follow
 * the Web eID architecture document (README, "Authentication", server steps) and the
 * reference validator (web-eid-authtoken-validation-java, AuthTokenValidatorImpl):
 *
 *  1. parse the token and check its format (`web-eid:1.x`) and algorithm;
 *  2. consume the challenge nonce (single use, 5-minute lifetime) and check the origin;
 *  3. certificate validity period (and that of its CA);
 *  4. purpose: key usage digitalSignature, extended key usage clientAuth if present;
 *  5. policies: an accepted one, no disallowed one;
 *  6. signed by a trusted identity-document CA;
 *  7. not revoked or suspended (OCSP, RFC 6960);
 *  8. the signature over hash(origin) ‖ hash(nonce), with the trusted origin and nonce;
 *  9. the subject names a person with a personal identification code.
 *
 * The nonce is consumed before anything can fail on the certificate, so a refused token
 * still uses it up and a rejected login cannot be retried with the same challenge.
 */
export class AuthTokenValidator {
  readonly #trustedCas: readonly x509.X509Certificate[];
  readonly #origin: string;
  readonly #nonces: NonceStore;
  readonly #ocsp: "required" | "off" | OcspStatusChecker;
  readonly #ocspUrl: string | undefined;
  readonly #ocspTimeoutMs: number;
  readonly #accepted: ReadonlySet<string>;
  readonly #disallowed: ReadonlySet<string>;
  readonly #now: () => Date;

  constructor(options: AuthTokenValidatorOptions) {
    const bad = (message: string) => new WebEidError("WEBEID_ARGUMENT", message);
    if (!Array.isArray(options.trustedCas) || options.trustedCas.length === 0)
      throw bad("trustedCas must list at least one CA certificate");
    for (const ca of options.trustedCas) {
      if (!(ca instanceof x509.X509Certificate)) throw bad("trustedCas must hold X509Certificate objects");
      if (!ca.getExtension(x509.BasicConstraintsExtension)?.ca)
        throw bad(`trusted CA ${ca.subject} is not a CA certificate (basicConstraints cA)`);
    }
    try {
      assertOrigin(options.allowedOrigin, "allowedOrigin");
    } catch (error) {
      throw bad((error as Error).message);
    }
    if (!options.nonces || typeof options.nonces.consume !== "function") throw bad("nonces must be a NonceStore");
    const ocsp = options.ocsp ?? "required";
    if (ocsp !== "required" && ocsp !== "off" && typeof ocsp !== "function")
      throw bad('ocsp must be "required", "off" or a status-checking function');
    if (options.ocspUrl !== undefined && !URL.canParse(options.ocspUrl)) throw bad("ocspUrl must be a URL");
    this.#trustedCas = Object.freeze([...options.trustedCas]);
    this.#origin = options.allowedOrigin;
    this.#nonces = options.nonces;
    this.#ocsp = ocsp;
    this.#ocspUrl = options.ocspUrl;
    this.#ocspTimeoutMs = options.ocspTimeoutMs ?? 5_000;
    this.#accepted = new Set(
      options.acceptedPolicies ?? [OID.policyIdCardAuthentication, OID.policyEResidentAuthentication],
    );
    this.#disallowed = new Set(options.disallowedPolicies ?? []);
    this.#now = options.now ?? (() => new Date());
  }

  get allowedOrigin(): string {
    return this.#origin;
  }

  /** Validates `token` (JSON text or a parsed body) for this session's nonce; see the class comment. */
  async validate(token: unknown, context: AuthenticationContext): Promise<AuthenticatedPerson> {
    const parsed = parseAuthToken(token);
    const nonce = await this.#nonces.consume(context.nonce);
    if (context.origin !== undefined && context.origin !== this.#origin)
      throw new WebEidError(
        "WEBEID_ORIGIN",
        `the token was presented from ${describe(context.origin)}, but this service is ${this.#origin}`,
      );
    const { certificate } = parsed;
    const now = this.#now();
    checkValidity(certificate, now, "the authentication certificate");
    checkPurpose(certificate);
    const kind = this.#checkPolicies(certificate);
    const issuer = await this.#findIssuer(certificate, now);
    const ocsp = await this.#checkRevocation(certificate, issuer);
    await verifySignature(parsed, this.#origin, nonce.value);
    const person = personOf(certificate);
    return Object.freeze({ ...person, kind, certificate, issuer, ...(ocsp ? { ocsp } : {}) });
  }

  /** Reference: SubjectCertificatePolicyValidator (disallowed list), plus an accepted list. */
  #checkPolicies(certificate: x509.X509Certificate): AuthenticatedPerson["kind"] {
    const extension = certificate.getExtension(x509.CertificatePolicyExtension);
    const policies = extension?.policies ?? [];
    if (policies.length === 0)
      throw new WebEidError("WEBEID_CERTIFICATE_POLICY", "the certificate has no certificate policies");
    const disallowed = policies.find((policy) => this.#disallowed.has(policy));
    if (disallowed)
      throw new WebEidError("WEBEID_CERTIFICATE_POLICY", `certificate policy ${disallowed} is not accepted for login`, {
        details: { policy: disallowed },
      });
    if (!policies.some((policy) => this.#accepted.has(policy)))
      throw new WebEidError(
        "WEBEID_CERTIFICATE_POLICY",
        `none of the certificate's policies (${policies.join(", ")}) is accepted for login here`,
        { details: { policies } },
      );
    return policies.includes(OID.policyEResidentAuthentication) ? "e-resident" : "id-card";
  }

  /**
   * Reference: SubjectCertificateTrustedValidator. The token carries only the leaf, so its
   * issuer must be a trusted CA itself, valid now (the one trust path, validatePath).
   */
  async #findIssuer(certificate: x509.X509Certificate, now: Date): Promise<x509.X509Certificate> {
    try {
      return (await validatePath(certificate, { anchors: this.#trustedCas, at: now })).anchor;
    } catch (error) {
      if (!(error instanceof PathValidationError)) throw error;
      // The leaf's own period was checked first, so an expired link here is its CA.
      if (error.reason === "EXPIRED" || error.reason === "NOT_YET_VALID")
        throw new WebEidError(
          error.reason === "EXPIRED" ? "WEBEID_CERTIFICATE_EXPIRED" : "WEBEID_CERTIFICATE_NOT_YET_VALID",
          `its CA ${error.message}`,
          { cause: error },
        );
      throw new WebEidError(
        "WEBEID_UNTRUSTED_CA",
        `the certificate is not issued by a trusted identity-document CA (issuer ${certificate.issuer})`,
        { cause: error },
      );
    }
  }

  /** Reference: SubjectCertificateNotRevokedValidator; RFC 6960 4.2.1 CertStatus, RFC 5280 5.3.1 certificateHold. */
  async #checkRevocation(
    certificate: x509.X509Certificate,
    issuer: x509.X509Certificate,
  ): Promise<OcspCheck | undefined> {
    if (this.#ocsp === "off") return undefined;
    let answer: OcspCertStatus | OcspCheck;
    let status: OcspCertStatus;
    try {
      if (this.#ocsp === "required") {
        const url = this.#ocspUrl ?? ocspUrlOf(certificate);
        if (!url)
          throw new WebEidError("WEBEID_OCSP_UNAVAILABLE", "the certificate names no OCSP responder (AIA id-ad-ocsp)");
        answer = await checkOcsp(certificate, issuer, url, { timeoutMs: this.#ocspTimeoutMs });
      } else {
        answer = await this.#ocsp(certificate, issuer);
      }
      status = "producedAt" in answer ? answer.status : answer;
      if (status.status === "revoked" && !(status.revokedAt instanceof Date)) throw new Error("revoked without a time");
      if (!["good", "revoked", "unknown"].includes(status.status)) throw new Error("not a certificate status");
    } catch (error) {
      if (error instanceof WebEidError) throw error;
      throw new WebEidError(
        "WEBEID_OCSP_UNAVAILABLE",
        `the certificate status cannot be checked: ${error instanceof Error ? error.message : "no answer"}`,
        { cause: error },
      );
    }
    if (status.status === "revoked") {
      const at = status.revokedAt.toISOString();
      if (status.reason === REVOCATION_REASONS.certificateHold)
        throw new WebEidError("WEBEID_CERTIFICATE_SUSPENDED", `the certificate is suspended since ${at}`, {
          details: { revokedAt: at },
        });
      throw new WebEidError("WEBEID_CERTIFICATE_REVOKED", `the certificate was revoked at ${at}`, {
        details: { revokedAt: at, ...(status.reason === undefined ? {} : { reason: status.reason }) },
      });
    }
    if (status.status !== "good")
      throw new WebEidError("WEBEID_CERTIFICATE_STATUS_UNKNOWN", "the OCSP responder does not know the certificate");
    return "producedAt" in answer ? answer : undefined;
  }
}

/** Reference: SubjectCertificateExpiryValidator (RFC 5280 4.1.2.5: notBefore ≤ now ≤ notAfter). */
function checkValidity(certificate: x509.X509Certificate, now: Date, what: string): void {
  if (now.getTime() < certificate.notBefore.getTime())
    throw new WebEidError(
      "WEBEID_CERTIFICATE_NOT_YET_VALID",
      `${what} is valid only from ${certificate.notBefore.toISOString()}`,
    );
  if (now.getTime() > certificate.notAfter.getTime())
    throw new WebEidError("WEBEID_CERTIFICATE_EXPIRED", `${what} expired at ${certificate.notAfter.toISOString()}`);
}

/**
 * Reference: SubjectCertificatePurposeValidator. Key usage digitalSignature is required
 * (RFC 5280 4.2.1.3); an extended key usage, when present, must include id-kp-clientAuth
 * (RFC 5280 4.2.1.12). A signing certificate (nonRepudiation only) fails here.
 */
function checkPurpose(certificate: x509.X509Certificate): void {
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (!keyUsage || (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) === 0)
    throw new WebEidError(
      "WEBEID_CERTIFICATE_PURPOSE",
      "the certificate's key is not for digital signatures (key usage), so it is not an authentication certificate",
    );
  const extended = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (extended && !extended.usages.map(String).includes(OID.ekuClientAuth))
    throw new WebEidError(
      "WEBEID_CERTIFICATE_PURPOSE",
      "the certificate's extended key usage does not include client authentication",
    );
}

const EC_CURVES: Record<string, "P-256" | "P-384" | "P-521"> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

/**
 * Spec, "Proposed new format": rebuild hash(origin) ‖ hash(nonce) from the trusted origin
 * and nonce, and verify the signature with the certificate's public key. ECDSA signatures
 * are raw r ‖ s (RFC 7518 3.4), which is also what WebCrypto's ECDSA sign returns in a
 * browser and what WebCrypto verify takes; DER-encoded signatures are refused.
 */
async function verifySignature(parsed: ParsedAuthToken, origin: string, nonce: string): Promise<void> {
  const algorithm: SignatureAlgorithm = parsed.token.algorithm;
  const { params, curve } = algorithmParams(algorithm);
  const spki = new Uint8Array(parsed.certificate.publicKey.rawData);
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (cause) {
    throw new WebEidError("WEBEID_ALGORITHM", "the certificate's public key is of an unsupported type", { cause });
  }
  const mismatch = () =>
    new WebEidError(
      "WEBEID_ALGORITHM",
      `algorithm ${algorithm} does not fit the certificate's ${describeKey(key)} key`,
    );
  let importParams: EcKeyImportParams | RsaHashedImportParams;
  if (curve) {
    if (key.asymmetricKeyType !== "ec" || EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""] !== curve)
      throw mismatch();
    // RFC 7518 3.4: R and S as fixed-length octet strings, concatenated.
    const size = Math.ceil(Number(curve.slice(2)) / 8) * 2;
    if (parsed.signature.length !== size)
      throw new WebEidError(
        "WEBEID_SIGNATURE",
        `an ${algorithm} signature is ${size} bytes of r ‖ s, got ${parsed.signature.length} bytes`,
      );
    importParams = { name: "ECDSA", namedCurve: curve };
  } else {
    if (key.asymmetricKeyType !== "rsa") throw mismatch();
    // RFC 7518 3.3 and 3.5: a key of size 2048 bits or larger MUST be used.
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new WebEidError("WEBEID_ALGORITHM", "RSA keys shorter than 2048 bits are refused (RFC 7518 3.3)");
    importParams = { name: (params as Algorithm).name, hash: algorithmParams(algorithm).hash };
  }
  let valid = false;
  try {
    const publicKey = await subtle.importKey("spki", spki as BufferSource, importParams, false, ["verify"]);
    valid = await subtle.verify(
      params,
      publicKey,
      parsed.signature as BufferSource,
      authTokenSignedData(algorithm, origin, nonce) as BufferSource,
    );
  } catch {
    valid = false;
  }
  if (!valid)
    throw new WebEidError(
      "WEBEID_SIGNATURE",
      "the token signature does not verify over hash(origin) ‖ hash(nonce) for this origin and challenge",
    );
}

/** Architecture document: the server takes the user's details from the certificate subject. */
function personOf(certificate: x509.X509Certificate): Omit<AuthenticatedPerson, "kind" | "certificate" | "issuer"> {
  const name = certificate.subjectName;
  const one = (oid: string) => {
    const values = name.getField(oid);
    return values.length === 1 ? values[0] : undefined;
  };
  const serialNumber = one(OID.serialNumber);
  const givenName = one(OID.givenName);
  const surname = one(OID.surname);
  const country = one(OID.country);
  // ETSI EN 319 412-1 5.1.3: PNO + country + "-" + national identifier; riik issues PNOEE.
  if (!serialNumber?.startsWith("PNOEE-") || !givenName || !surname || !country)
    throw new WebEidError(
      "WEBEID_CERTIFICATE_SUBJECT",
      "the certificate subject lacks serialNumber PNOEE-<personal code>, given name, surname or country",
    );
  let personalCode: string;
  try {
    personalCode = parsePersonalCode(serialNumber).code;
  } catch (cause) {
    throw new WebEidError("WEBEID_CERTIFICATE_SUBJECT", `the subject's ${serialNumber} is not a valid personal code`, {
      cause,
    });
  }
  return { personalCode, givenName, surname, country };
}

function describeKey(key: ReturnType<typeof createPublicKey>): string {
  const details = key.asymmetricKeyDetails;
  return `${key.asymmetricKeyType ?? "unknown"} ${details?.namedCurve ?? (details?.modulusLength ? `${details.modulusLength}-bit` : "")}`.trim();
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 200)) : typeof value;
}
