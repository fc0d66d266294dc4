import { X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { RiikError } from "@riik/core";
import "../algorithms.ts"; // sets the one WebCrypto provider the chain builder verifies with

export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";
export type ExtendedKeyUsageName = "serverAuth" | "clientAuth" | "timeStamping" | "ocspSigning" | "emailProtection";

export interface PathValidationOptions {
  /** Trust anchors; never taken from the object verified. */
  anchors: readonly x509.X509Certificate[];
  /** Candidate intermediates, any order (typically from the object); unused ones are ignored. */
  intermediates?: readonly x509.X509Certificate[];
  /** Every certificate on the path must be valid at this time. */
  at: Date;
  /** Required usages of the end-entity certificate. */
  usage?: { keyUsage?: readonly KeyUsageName[]; extendedKeyUsage?: readonly ExtendedKeyUsageName[] };
}

export interface ValidatedPath {
  certificate: x509.X509Certificate;
  /** End entity first, anchor last. */
  path: x509.X509Certificate[];
  anchor: x509.X509Certificate;
}

export type PathValidationReason =
  | "NO_PATH"
  | "EXPIRED"
  | "NOT_YET_VALID"
  | "SIGNATURE"
  | "NOT_A_CA"
  | "PATH_LENGTH"
  | "USAGE"
  /** `at` is not a time (an Invalid Date would compare as inside every validity period). */
  | "NO_TIME";

export class PathValidationError extends RiikError<"PKI_PATH_INVALID"> {
  readonly reason: PathValidationReason;

  constructor(reason: PathValidationReason, message: string, details: Record<string, unknown> = {}) {
    super("PKI_PATH_INVALID", message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

const KEY_USAGE_FLAGS: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

// RFC 5280 4.2.1.12 key purpose identifiers.
const EXTENDED_KEY_USAGE_OIDS: Record<ExtendedKeyUsageName, string> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
};

const sameCertificate = (a: x509.X509Certificate, b: x509.X509Certificate): boolean =>
  Buffer.from(a.rawData).equals(Buffer.from(b.rawData));

/**
 * RFC 5280 section 6.1 for riik's profiles: builds a path from `cert` through the candidate
 * intermediates to one of the `anchors` (issuer names and signatures, by @peculiar/x509's chain
 * builder), then checks every certificate's validity at `at`, that every issuer is a CA allowed
 * to sign certificates within its path length, and the end entity's usages. Revocation is the
 * caller's (OCSP) business.
 */
export async function validatePath(cert: x509.X509Certificate, options: PathValidationOptions): Promise<ValidatedPath> {
  const { anchors, at } = options;
  if (Number.isNaN(at.getTime())) throw new PathValidationError("NO_TIME", "the validation time is not a valid date");
  const candidates = [...anchors, ...(options.intermediates ?? [])];
  let chain: x509.X509Certificate[];
  try {
    chain = [...(await new x509.X509ChainBuilder({ certificates: candidates }).build(cert))];
  } catch (cause) {
    throw new PathValidationError("NO_PATH", `no certification path for ${cert.subject}: ${String(cause)}`);
  }
  // The path ends at the first trust anchor reached; anything the builder found beyond it is not used.
  const anchorIndex = chain.findIndex((link) => anchors.some((anchor) => sameCertificate(link, anchor)));
  if (anchorIndex < 0) throw await noPath(chain.at(-1) ?? cert, candidates);
  const path = chain.slice(0, anchorIndex + 1);
  for (let i = 0; i + 1 < path.length; i++) {
    if (!signedStrictly(path[i]!, path[i + 1]!))
      throw new PathValidationError("SIGNATURE", `the signature on ${path[i]!.subject} does not verify`, {
        subject: path[i]!.subject,
      });
  }

  for (const link of path) {
    // RFC 5280 6.1.3 (a)(2): the validity period includes `at`.
    if (at.getTime() > link.notAfter.getTime()) {
      throw new PathValidationError("EXPIRED", `${link.subject} expired at ${link.notAfter.toISOString()}`, {
        subject: link.subject,
        notAfter: link.notAfter.toISOString(),
      });
    }
    if (at.getTime() < link.notBefore.getTime()) {
      throw new PathValidationError("NOT_YET_VALID", `${link.subject} is valid from ${link.notBefore.toISOString()}`, {
        subject: link.subject,
        notBefore: link.notBefore.toISOString(),
      });
    }
  }

  for (let i = 1; i < path.length; i++) {
    const issuer = path[i]!;
    // RFC 5280 6.1.4 (k): an issuer is a CA by basicConstraints; (n): keyCertSign if keyUsage is present.
    const constraints = issuer.getExtension(x509.BasicConstraintsExtension);
    const keyUsage = issuer.getExtension(x509.KeyUsagesExtension);
    if (!constraints?.ca || (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign))) {
      throw new PathValidationError("NOT_A_CA", `${issuer.subject} is not a certification authority`, {
        subject: issuer.subject,
      });
    }
    // RFC 5280 4.2.1.9 / 6.1.4 (m): CA certificates that may follow it in the path (the end entity excluded).
    if (constraints.pathLength !== undefined && i - 1 > constraints.pathLength) {
      throw new PathValidationError(
        "PATH_LENGTH",
        `${issuer.subject} allows ${constraints.pathLength} intermediate CA(s) below it, the path has ${i - 1}`,
        { subject: issuer.subject, pathLength: constraints.pathLength },
      );
    }
  }

  checkUsage(cert, options.usage);
  return { certificate: cert, path, anchor: path.at(-1)! };
}

/**
 * The builder's own check reads signature values leniently (BER); OpenSSL's, through node,
 * takes only the DER that X.509 requires, so a re-encoded signature is not a second valid one.
 */
function signedStrictly(certificate: x509.X509Certificate, issuer: x509.X509Certificate): boolean {
  try {
    return new NodeCertificate(new Uint8Array(certificate.rawData)).verify(
      new NodeCertificate(new Uint8Array(issuer.rawData)).publicKey,
    );
  } catch {
    return false;
  }
}

/** Why the chain stops short of an anchor: an issuer by name whose key did not verify, or none at all. */
async function noPath(
  last: x509.X509Certificate,
  candidates: readonly x509.X509Certificate[],
): Promise<PathValidationError> {
  const keyId = last.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const namedIssuers = (await last.isSelfSigned())
    ? []
    : candidates.filter(
        (candidate) =>
          candidate.subject === last.issuer &&
          (keyId === undefined || candidate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId === keyId),
      );
  return namedIssuers.length > 0
    ? new PathValidationError("SIGNATURE", `the signature on ${last.subject} does not verify with ${last.issuer}`, {
        subject: last.subject,
      })
    : new PathValidationError("NO_PATH", `no path from ${last.subject} to a trust anchor`, { subject: last.subject });
}

/**
 * RFC 5280 4.2.1.3: without keyUsage the key is not restricted; 4.2.1.12: a required extended
 * key usage must be listed (RFC 3161 2.3 and RFC 6960 4.2.2.2 require the extension itself).
 */
function checkUsage(cert: x509.X509Certificate, usage: PathValidationOptions["usage"]): void {
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  const missingKeyUsage = keyUsage
    ? (usage?.keyUsage ?? []).filter((name) => !(keyUsage.usages & KEY_USAGE_FLAGS[name]))
    : [];
  const listed = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  const missingExtended = (usage?.extendedKeyUsage ?? []).filter(
    (name) => !listed.includes(EXTENDED_KEY_USAGE_OIDS[name]),
  );
  if (missingKeyUsage.length > 0 || missingExtended.length > 0) {
    throw new PathValidationError(
      "USAGE",
      `${cert.subject} is not for ${[...missingKeyUsage, ...missingExtended].join(", ")}`,
      { subject: cert.subject, missing: [...missingKeyUsage, ...missingExtended] },
    );
  }
}
