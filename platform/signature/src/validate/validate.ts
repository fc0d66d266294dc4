import { X509Certificate as NodeCertificate, verify as verifySignature } from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  type OcspCheck,
  PathValidationError,
  PkiError,
  type TimeStampVerification,
  validatePath,
  verifyOcspResponse,
  verifyTimeStampToken,
} from "@riik/pki";
import { type AsicContainer, readContainer } from "../asic/container.ts";
import type { ZipLimits } from "../asic/zip.ts";
import { SignatureError } from "../errors.ts";
import { ocspNonce, parseCertificate } from "../sign.ts";
import { b64, digest, nodeHash } from "../xades/algorithms.ts";
import { canonicalize } from "../xades/canonicalize.ts";
import { issuerSerialV2 } from "../xades/issuer-serial.ts";
import { SIGNED_PROPERTIES_TYPE, xmlDateTime } from "../xades/qualifying-properties.ts";
import {
  archiveTimeStampInput,
  fileNameOfUri,
  type ParsedSignature,
  parseSignatureFile,
  referencedOctets,
} from "../xades/signature-xml.ts";
import {
  type Finding,
  type FindingCode,
  type SignatureReport,
  type SignerInfo,
  type ValidationReport,
  verdictOf,
} from "./report.ts";

export interface ValidationOptions {
  /**
   * Roots that signing certificates, OCSP responders' CAs and TSAs must chain to. Required and
   * never empty: trust never comes from the container itself.
   */
  trustAnchors: readonly x509.X509Certificate[];
  limits?: ZipLimits;
  /** Most time between the time-stamp and the OCSP response that still proves status at signing (default 24 h). */
  maxOcspDelayMs?: number;
}

const HOLD = 6;

/**
 * Validates an ASiC-E container (ETSI EN 319 102-1 in outline, DigiDoc's rules in detail):
 * the container format, then for each signature its XML-DSig core, its coverage of exactly
 * the container's data files, the signing certificate's path to a trusted root, the
 * signature time-stamp, the OCSP response taken after it, and any archive time-stamps.
 * Never throws for a bad container; the report says what is wrong. Throws
 * VERIFY_NO_TRUST_ANCHOR when given no root: without one nothing can be checked, and a
 * report of "indeterminate" findings would read like a verdict on the container.
 */
export async function validateContainer(bytes: Uint8Array, options: ValidationOptions): Promise<ValidationReport> {
  if (options.trustAnchors.length === 0)
    throw new SignatureError(
      "VERIFY_NO_TRUST_ANCHOR",
      "no trusted root certificate was given, so no signature can be validated",
    );
  const report: ValidationReport = {
    format: "riik-asic-validation/1",
    validatedAt: new Date().toISOString(),
    container: { sha256: Buffer.from(digest("SHA-256", bytes)).toString("hex"), files: [], findings: [] },
    signatures: [],
    verdict: "invalid",
  };
  let container: AsicContainer;
  try {
    container = readContainer(bytes, options.limits);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    report.container.findings.push({
      code: "CONTAINER_FORMAT",
      severity: "invalid",
      message: `${error.code}: ${error.message}`,
    });
    return report;
  }
  report.container.files = container.dataFiles.map((f) => ({
    name: f.name,
    mediaType: f.mediaType,
    size: f.data.byteLength,
    sha256: Buffer.from(digest("SHA-256", f.data)).toString("hex"),
  }));
  if (container.signatures.length === 0)
    report.container.findings.push({
      code: "NO_SIGNATURES",
      severity: "invalid",
      message: "the container holds no signatures",
    });
  const seenValues = new Map<string, string>();
  for (const file of container.signatures) {
    const signature = await validateSignature(container, file.name, file.xml, options);
    if (signature.parsed) {
      const key = b64(signature.parsed.signatureValue);
      const other = seenValues.get(key);
      if (other)
        signature.report.findings.push({
          code: "DUPLICATE_SIGNATURE",
          severity: "invalid",
          message: `the same signature is also in ${other}`,
        });
      seenValues.set(key, file.name);
    }
    signature.report.verdict = verdictOf(signature.report.findings);
    report.signatures.push(signature.report);
  }
  report.verdict = verdictOf(
    report.container.findings,
    report.signatures.map((s) => s.verdict),
  );
  return report;
}

async function validateSignature(
  container: AsicContainer,
  fileName: string,
  xml: Uint8Array,
  options: ValidationOptions,
): Promise<{ report: SignatureReport; parsed?: ParsedSignature }> {
  const findings: Finding[] = [];
  const report: SignatureReport = {
    file: fileName,
    certificateStatus: "not checked",
    level: "none",
    verdict: "invalid",
    findings,
  };
  const add = (code: FindingCode, severity: Finding["severity"], message: string) =>
    findings.push({ code, severity, message });
  let parsed: ParsedSignature;
  try {
    parsed = parseSignatureFile(xml, fileName);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    add("SIGNATURE_FORMAT", "invalid", error.message);
    return { report };
  }
  report.id = parsed.id;
  if (parsed.signingTime) report.claimedSigningTime = xmlDateTime(parsed.signingTime);
  if (parsed.role) report.role = parsed.role;
  if (parsed.productionPlace) report.productionPlace = parsed.productionPlace;
  report.level = "B-B";

  // The signing certificate: in KeyInfo, and named by SigningCertificateV2 (EN 319 132-1 5.2.2).
  const certDer = parsed.keyInfoCertificates[0];
  if (!certDer) {
    add("SIGNING_CERTIFICATE_MISSING", "invalid", "the signature carries no signing certificate in ds:KeyInfo");
    return { report, parsed };
  }
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certDer as BufferSource);
  } catch {
    add("SIGNING_CERTIFICATE_MISSING", "invalid", "ds:X509Certificate is not a certificate");
    return { report, parsed };
  }
  report.signer = signerOf(certificate);
  const named = parsed.signingCertificates[0];
  if (
    !named ||
    b64(digest(named.digestAlgorithm, certDer)) !== b64(named.digest) ||
    (named.issuerSerial && b64(named.issuerSerial) !== b64(issuerSerialV2(certDer)))
  )
    add(
      "SIGNING_CERTIFICATE_MISMATCH",
      "invalid",
      "SigningCertificateV2 does not name the certificate in KeyInfo (certificate substituted?)",
    );
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (!usage || !(usage.usages & x509.KeyUsageFlags.nonRepudiation))
    add("NOT_A_SIGNING_CERTIFICATE", "invalid", "the certificate lacks the nonRepudiation key usage");

  // References: every data file exactly once, each digest right (copied or extended containers fail here).
  const files = new Map(container.dataFiles.map((f) => [f.name, f.data]));
  const covered = new Set<string>();
  for (const reference of parsed.references) {
    if (reference.type === SIGNED_PROPERTIES_TYPE) {
      const octets = referencedOctets(parsed, reference, () => undefined)!;
      if (b64(digest(reference.digestAlgorithm, octets)) !== b64(reference.digest))
        add("SIGNED_PROPERTIES_CHANGED", "invalid", "the signed properties were changed after signing");
      continue;
    }
    const name = fileNameOfUri(reference.uri);
    const data = files.get(name);
    if (!data) {
      add(
        "DATA_FILE_MISSING",
        "invalid",
        `the signature covers ${name}, which is not in this container (signature copied from another container?)`,
      );
      continue;
    }
    if (covered.has(name)) add("SIGNATURE_FORMAT", "invalid", `the signature references ${name} twice`);
    covered.add(name);
    if (b64(digest(reference.digestAlgorithm, data)) !== b64(reference.digest))
      add("DATA_FILE_CHANGED", "invalid", `${name} was changed after signing`);
  }
  for (const name of files.keys())
    if (!covered.has(name))
      add("FILE_NOT_COVERED", "invalid", `${name} is not covered by this signature (added after signing?)`);

  // XML-DSig core: the SignatureValue over the canonicalised SignedInfo.
  const method = parsed.signatureMethod;
  const keyName = certificate.publicKey.algorithm.name;
  const keyMatches =
    method.key === "ec" ? keyName === "ECDSA" : keyName === "RSASSA-PKCS1-v1_5" || keyName === "RSA-PSS";
  let signatureOk = false;
  try {
    signatureOk =
      keyMatches &&
      verifySignature(
        nodeHash(method.digest),
        canonicalize(parsed.signedInfo, parsed.canonicalization),
        { key: new NodeCertificate(certDer).publicKey, dsaEncoding: "ieee-p1363" },
        parsed.signatureValue,
      );
  } catch {
    signatureOk = false;
  }
  if (!signatureOk)
    add("SIGNATURE_VALUE", "invalid", "the signature value does not verify with the signing certificate");

  // The certificates the signature carries: CAs for the signer's path, the TSA's and OCSP responder's.
  const pool = [...parsed.certificateValues, ...parsed.keyInfoCertificates.slice(1)].flatMap((der) => {
    try {
      return [new x509.X509Certificate(der as BufferSource)];
    } catch {
      return [];
    }
  });

  // SignatureTimeStamp (EN 319 132-1 5.3): genTime is the signing time.
  const stampElement = parsed.signatureTimeStamps[0];
  let stamp: TimeStampVerification | undefined;
  if (!stampElement)
    add("NO_TIMESTAMP", "indeterminate", "the signature has no time-stamp, so its signing time is unproven");
  else {
    const result = await checkTimeStamp(
      stampElement.token,
      canonicalize(parsed.signatureValueElement, stampElement.canonicalization),
      pool,
      options,
    );
    if ("finding" in result) add(result.finding.code, result.finding.severity, result.finding.message);
    else {
      // The level reached counts only what verified (EN 319 102-1 5.6.2.2).
      report.level = "B-T";
      stamp = result.verification;
      report.signingTime = stamp.genTime.toISOString();
      report.timeStamp = { genTime: report.signingTime, serial: stamp.serial, tsa: stamp.certificate.subject };
      if (certificate.notBefore > stamp.genTime || certificate.notAfter < stamp.genTime)
        add(
          "CERTIFICATE_NOT_VALID_AT_SIGNING",
          "invalid",
          `the signing certificate was not valid at ${report.signingTime} (valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()})`,
        );
      if (parsed.signingTime && parsed.signingTime.getTime() > stamp.genTime.getTime() + 5 * 60_000)
        add("SIGNING_TIME_AFTER_TIMESTAMP", "warning", "the claimed signing time is later than the time-stamp");
    }
  }

  // The signer's certificate path (RFC 5280 6) at the signing time, CAs from CertificateValues.
  // A signer outside the trusted hierarchy is invalid, as DigiDoc reports it: no chain the
  // container brings along can make it trusted.
  const onPath = await issuerOnPath(certificate, pool, stamp?.genTime ?? parsed.signingTime ?? new Date(), options);
  // An expired signing certificate may be reported already, from the time-stamp.
  if ("finding" in onPath && !findings.some((f) => f.code === onPath.finding.code))
    add(onPath.finding.code, onPath.finding.severity, onPath.finding.message);
  const issuer = "issuer" in onPath ? onPath.issuer : undefined;

  // RevocationValues: an OCSP response produced after the time-stamp (B-LT).
  if (parsed.ocspValues.length === 0 || parsed.certificateValues.length === 0)
    add(
      "NO_REVOCATION_DATA",
      "indeterminate",
      "the signature carries no OCSP response (not long-term: B-LT needs one)",
    );
  else if (issuer && stamp) {
    const ocsp = await checkOcsp(parsed, certificate, issuer, stamp, options);
    if ("finding" in ocsp) add(ocsp.finding.code, ocsp.finding.severity, ocsp.finding.message);
    else {
      report.level = "B-LT";
      report.ocsp = { producedAt: ocsp.check.producedAt.toISOString(), responder: ocsp.check.responder.subject };
      const status = ocsp.check.status;
      if (status.status === "good") report.certificateStatus = "good";
      else if (status.status === "unknown") {
        report.certificateStatus = "unknown";
        add("CERTIFICATE_UNKNOWN", "indeterminate", "the OCSP responder does not know the signing certificate");
      } else if (status.reason === HOLD) {
        report.certificateStatus = "suspended";
        add(
          "CERTIFICATE_SUSPENDED",
          "indeterminate",
          `the signing certificate was suspended (since ${status.revokedAt.toISOString()}) when the signature was time-stamped`,
        );
      } else if (status.revokedAt.getTime() <= stamp.genTime.getTime()) {
        report.certificateStatus = "revoked";
        add(
          "CERTIFICATE_REVOKED",
          "invalid",
          `the signing certificate was revoked at ${status.revokedAt.toISOString()}, before the time-stamp`,
        );
      } else {
        report.certificateStatus = "good";
        add(
          "REVOKED_AFTER_SIGNING",
          "warning",
          `the certificate was revoked later, at ${status.revokedAt.toISOString()}`,
        );
      }
    }
  }

  // ArchiveTimeStamps (EN 319 132-1 5.5.2): each over everything before it.
  if (parsed.archiveTimeStamps.length > 0) {
    const archives: Array<{ genTime: string; serial: string }> = [];
    let allGood = true;
    for (const archive of parsed.archiveTimeStamps) {
      let input: Uint8Array;
      try {
        input = archiveTimeStampInput(
          parsed,
          (uri) => files.get(fileNameOfUri(uri)),
          archive.element,
          archive.canonicalization,
        );
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        add("ARCHIVE_TIMESTAMP_INVALID", "invalid", error.message);
        allGood = false;
        continue;
      }
      const result = await checkTimeStamp(archive.token, input, pool, options);
      if ("finding" in result) {
        allGood = false;
        add(
          result.finding.code === "TIMESTAMP_UNTRUSTED" ? "ARCHIVE_TIMESTAMP_UNTRUSTED" : "ARCHIVE_TIMESTAMP_INVALID",
          result.finding.severity,
          `archive time-stamp: ${result.finding.message}`,
        );
      } else archives.push({ genTime: result.verification.genTime.toISOString(), serial: result.verification.serial });
    }
    report.archiveTimeStamps = archives;
    if (allGood && report.level === "B-LT") report.level = "B-LTA";
  }
  return { report, parsed };
}

async function checkTimeStamp(
  token: Uint8Array,
  data: Uint8Array,
  pool: readonly x509.X509Certificate[],
  options: ValidationOptions,
): Promise<{ verification: TimeStampVerification } | { finding: Finding }> {
  try {
    return {
      verification: await verifyTimeStampToken(token, { data, trustAnchors: options.trustAnchors, certificates: pool }),
    };
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    const reason = error.details?.reason;
    if (reason === "untrusted")
      return {
        finding: {
          code: "TIMESTAMP_UNTRUSTED",
          severity: "indeterminate",
          message: `the time-stamp is from an untrusted TSA: ${error.message}`,
        },
      };
    const what = reason === "imprint" ? "the time-stamp is not over this signature value" : error.message;
    return { finding: { code: "TIMESTAMP_INVALID", severity: "invalid", message: what } };
  }
}

async function checkOcsp(
  parsed: ParsedSignature,
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
  stamp: TimeStampVerification,
  options: ValidationOptions,
): Promise<{ check: OcspCheck } | { finding: Finding }> {
  const maxDelay = options.maxOcspDelayMs ?? 24 * 60 * 60 * 1000;
  let lastError = "no OCSP response answers for the signing certificate";
  for (const der of parsed.ocspValues) {
    let check: OcspCheck;
    const common = { now: stamp.genTime, maxSkewMs: maxDelay };
    try {
      check = await verifyOcspResponse(der, certificate, issuer, {
        ...common,
        nonce: ocspNonce(parsed.signatureValue),
      });
    } catch (error) {
      if (!(error instanceof PkiError)) throw error;
      lastError = error.message;
      // Valid without our nonce means it was asked for another signature value.
      const withoutNonce = await verifyOcspResponse(der, certificate, issuer, common).then(
        () => true,
        () => false,
      );
      if (withoutNonce)
        return {
          finding: {
            code: "OCSP_OTHER_SIGNATURE",
            severity: "invalid",
            message:
              "the OCSP response was requested for another signature (its nonce does not match this signature value)",
          },
        };
      continue;
    }
    const slack = 1000 + (stamp.accuracySeconds ?? 0) * 1000;
    if (check.producedAt.getTime() + slack < stamp.genTime.getTime())
      return {
        finding: {
          code: "OCSP_BEFORE_TIMESTAMP",
          severity: "indeterminate",
          message: `the OCSP response (${check.producedAt.toISOString()}) is older than the time-stamp (${stamp.genTime.toISOString()}), so it says nothing about the signing time`,
        },
      };
    if (check.producedAt.getTime() - stamp.genTime.getTime() > maxDelay)
      return {
        finding: {
          code: "OCSP_INVALID",
          severity: "indeterminate",
          message: "the OCSP response was taken too long after the time-stamp",
        },
      };
    return { check };
  }
  return { finding: { code: "OCSP_INVALID", severity: "invalid", message: lastError } };
}

/** The signer's issuer on a path validatePath accepts at `at`, or the finding that says why there is none. */
async function issuerOnPath(
  certificate: x509.X509Certificate,
  pool: readonly x509.X509Certificate[],
  at: Date,
  options: ValidationOptions,
): Promise<{ issuer: x509.X509Certificate } | { finding: Finding }> {
  try {
    const { path } = await validatePath(certificate, { anchors: options.trustAnchors, intermediates: pool, at });
    return { issuer: path[1]! };
  } catch (error) {
    if (!(error instanceof PathValidationError)) throw error;
    if (error.reason === "EXPIRED" || error.reason === "NOT_YET_VALID")
      return {
        finding: {
          code: "CERTIFICATE_NOT_VALID_AT_SIGNING",
          severity: "invalid",
          message: `the signer's certificate path was not valid at ${at.toISOString()}: ${error.message}`,
        },
      };
    return {
      finding: {
        code: "CERTIFICATE_CHAIN",
        severity: "invalid",
        message: `the signing certificate ${certificate.subject} does not chain to a trusted root: ${error.message}`,
      },
    };
  }
}

/**
 * Who a certificate names, as the report shows it: given name and surname, and the personal
 * code from serialNumber PNOxx-… (ETSI EN 319 412-1 5.1.3). Throws SIGNER_CERTIFICATE for bytes
 * that are not a DER certificate.
 */
export function signerInfo(certificate: Uint8Array): SignerInfo {
  return signerOf(parseCertificate(certificate));
}

function signerOf(certificate: x509.X509Certificate): SignerInfo {
  const field = (oid: string) => certificate.subjectName.getField(oid)[0];
  const givenName = field("2.5.4.42");
  const surname = field("2.5.4.4");
  const serialNumber = field("2.5.4.5");
  const personalCode = serialNumber ? /^PNO[A-Z]{2}-(.+)$/.exec(serialNumber)?.[1] : undefined;
  const name = givenName && surname ? `${givenName} ${surname}` : (field("2.5.4.3") ?? certificate.subject);
  return {
    name,
    ...(givenName ? { givenName } : {}),
    ...(surname ? { surname } : {}),
    ...(personalCode ? { personalCode } : {}),
    subject: certificate.subject,
    certificateSerial: certificate.serialNumber.toLowerCase(),
    issuer: certificate.issuer,
  };
}
