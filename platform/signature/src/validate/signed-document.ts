// A document that people sign with their cards, as the registers take it (a company's founding
// application, a vehicle transfer, an accident statement): an ASiC-E container (ETSI EN 319
// 162-1) with one data file, every signature valid against the register's own trust anchors,
// each signer a person with a personal code. The register compares the file with what it
// wrote and decides whether the signers are the right people.
import { type DataFile, readContainer } from "../asic/container.ts";
import { SignatureError } from "../errors.ts";
import type { SignatureReport, ValidationReport } from "./report.ts";
import { type ValidationOptions, validateContainer } from "./validate.ts";

/** The one data file of a signed document, which must be named NAME (DOCUMENT_FILES otherwise). */
export function signedDocumentFile(container: Uint8Array, name: string): DataFile {
  const [file, ...others] = readContainer(container).dataFiles;
  if (!file || others.length > 0 || file.name !== name)
    throw new SignatureError("DOCUMENT_FILES", `the container must hold exactly one data file, ${name}`);
  return file;
}

export interface DocumentSigner {
  personalCode: string;
  signature: SignatureReport;
}

/**
 * Every signature of the container, validated against `trustAnchors` only (never anchors the
 * container carries): all valid, or CONTAINER_INVALID with the validator's findings
 * (`details.findings`); each signer named by a personal code, or SIGNER_CERTIFICATE.
 */
export async function documentSigners(
  container: Uint8Array,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<{ report: ValidationReport; signers: DocumentSigner[] }> {
  if (trustAnchors.length === 0)
    throw new SignatureError("VERIFY_NO_TRUST_ANCHOR", "no trust anchor is configured to validate the signatures");
  const report = await validateContainer(container, { trustAnchors });
  if (report.verdict !== "valid" || report.signatures.length === 0) {
    const findings = [...report.container.findings, ...report.signatures.flatMap((s) => s.findings)]
      .filter((f) => f.severity !== "warning")
      .map((f) => f.code);
    throw new SignatureError(
      "CONTAINER_INVALID",
      `the container's signatures are ${report.signatures.length === 0 ? "missing" : report.verdict}`,
      { details: { findings: [...new Set(findings)] } },
    );
  }
  const signers = report.signatures.map((signature) => {
    const personalCode = signature.signer?.personalCode;
    if (!personalCode)
      throw new SignatureError(
        "SIGNER_CERTIFICATE",
        `${signature.signer?.name ?? "the signer"}'s certificate names no personal code`,
      );
    return { personalCode, signature };
  });
  return { report, signers };
}
