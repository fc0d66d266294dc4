export type Verdict = "valid" | "invalid" | "indeterminate";

/** Why a signature or container is not valid, or what a reader should know (severity warning). */
export type FindingCode =
  | "CONTAINER_FORMAT"
  | "NO_SIGNATURES"
  | "DUPLICATE_SIGNATURE"
  | "SIGNATURE_FORMAT"
  | "SIGNING_CERTIFICATE_MISSING"
  | "SIGNING_CERTIFICATE_MISMATCH"
  | "NOT_A_SIGNING_CERTIFICATE"
  | "DATA_FILE_CHANGED"
  | "DATA_FILE_MISSING"
  | "FILE_NOT_COVERED"
  | "SIGNED_PROPERTIES_CHANGED"
  | "SIGNATURE_VALUE"
  | "CERTIFICATE_CHAIN"
  | "CERTIFICATE_NOT_VALID_AT_SIGNING"
  | "NO_TIMESTAMP"
  | "TIMESTAMP_INVALID"
  | "TIMESTAMP_UNTRUSTED"
  | "NO_REVOCATION_DATA"
  | "OCSP_INVALID"
  | "OCSP_OTHER_SIGNATURE"
  | "OCSP_BEFORE_TIMESTAMP"
  | "CERTIFICATE_REVOKED"
  | "CERTIFICATE_SUSPENDED"
  | "CERTIFICATE_UNKNOWN"
  | "REVOKED_AFTER_SIGNING"
  | "ARCHIVE_TIMESTAMP_INVALID"
  | "ARCHIVE_TIMESTAMP_UNTRUSTED"
  | "SIGNING_TIME_AFTER_TIMESTAMP";

export interface Finding {
  code: FindingCode;
  severity: "invalid" | "indeterminate" | "warning";
  message: string;
}

export type Level = "none" | "B-B" | "B-T" | "B-LT" | "B-LTA";

export interface SignerInfo {
  /** As a person reads it: GIVENNAME SURNAME. */
  name: string;
  givenName?: string;
  surname?: string;
  /** Estonian personal code from serialNumber PNOEE-… (ETSI EN 319 412-1 5.1.3), when present. */
  personalCode?: string;
  subject: string;
  certificateSerial: string;
  issuer: string;
}

export interface SignatureReport {
  file: string;
  id?: string;
  signer?: SignerInfo;
  /** xades:SigningTime, as the signer's computer claimed it. */
  claimedSigningTime?: string;
  /** The time-stamp's genTime: when the signature demonstrably existed. */
  signingTime?: string;
  timeStamp?: { genTime: string; serial: string; tsa: string };
  ocsp?: { producedAt: string; responder: string };
  /** Status of the signing certificate at the signing time, from the embedded OCSP response. */
  certificateStatus: "good" | "revoked" | "suspended" | "unknown" | "not checked";
  level: Level;
  role?: string;
  productionPlace?: Record<string, string>;
  archiveTimeStamps?: Array<{ genTime: string; serial: string }>;
  verdict: Verdict;
  findings: Finding[];
}

export interface ValidationReport {
  format: "riik-asic-validation/1";
  validatedAt: string;
  container: {
    sha256: string;
    files: Array<{ name: string; mediaType: string; size: number; sha256: string }>;
    findings: Finding[];
  };
  signatures: SignatureReport[];
  verdict: Verdict;
}

/** invalid beats indeterminate beats valid; warnings never change a verdict. */
export function verdictOf(findings: readonly Finding[], also: readonly Verdict[] = []): Verdict {
  if (findings.some((f) => f.severity === "invalid") || also.includes("invalid")) return "invalid";
  if (findings.some((f) => f.severity === "indeterminate") || also.includes("indeterminate")) return "indeterminate";
  return "valid";
}

/** The report as a person reads it. */
export function formatReport(report: ValidationReport, name = "container"): string {
  const lines: string[] = [];
  lines.push(`${name}: ${report.verdict.toUpperCase()}`);
  for (const file of report.container.files) lines.push(`  file ${file.name} (${file.mediaType}, ${file.size} bytes)`);
  for (const finding of report.container.findings)
    lines.push(`  ${finding.severity}: ${finding.code}: ${finding.message}`);
  for (const signature of report.signatures) {
    lines.push("");
    lines.push(`signature ${signature.id ?? "?"} in ${signature.file}: ${signature.verdict.toUpperCase()}`);
    if (signature.signer)
      lines.push(
        `  signer: ${signature.signer.name}${signature.signer.personalCode ? `, personal code ${signature.signer.personalCode}` : ""}`,
      );
    if (signature.signingTime)
      lines.push(
        `  signed at: ${signature.signingTime} (time-stamp ${signature.timeStamp?.serial} by ${signature.timeStamp?.tsa})`,
      );
    else if (signature.claimedSigningTime) {
      const stamped = !signature.findings.some((f) => f.code === "NO_TIMESTAMP");
      lines.push(
        `  claimed signing time: ${signature.claimedSigningTime} (${stamped ? "time-stamp not verified" : "not time-stamped"})`,
      );
    }
    lines.push(
      `  certificate status then: ${signature.certificateStatus}${signature.ocsp ? ` (OCSP by ${signature.ocsp.responder}, produced ${signature.ocsp.producedAt})` : ""}`,
    );
    lines.push(`  level: XAdES ${signature.level}`);
    if (signature.role) lines.push(`  role: ${signature.role}`);
    if (signature.productionPlace)
      lines.push(`  place: ${Object.values(signature.productionPlace).filter(Boolean).join(", ")}`);
    for (const finding of signature.findings) lines.push(`  ${finding.severity}: ${finding.code}: ${finding.message}`);
  }
  return `${lines.join("\n")}\n`;
}
