// A driver's signature on the statement: an ASiC-E container (ETSI EN 319 162-1) whose one
// file is the statement, validated with @riik/signature against the bureau's configured trust
// anchors (never anchors the container carries).
import { readContainer, SignatureError, type ValidationOptions, validateContainer } from "@riik/signature";
import { MotorInsuranceError } from "../errors.ts";
import { parseStatementDocument } from "../model/statement.ts";

export const STATEMENT_FILE = "statement.json";

/**
 * The personal codes of the signers of `container`, each signature valid over exactly
 * `document`: SIGNED_OTHER_STATEMENT when its file is another statement (one the driver saw
 * before a change, or never saw), SIGNATURE_INVALID with the validator's findings otherwise.
 */
export async function statementSigners(
  container: Uint8Array,
  document: string,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<string[]> {
  let files: Array<{ name: string; data: Uint8Array }>;
  try {
    files = readContainer(container).dataFiles;
  } catch (error) {
    if (error instanceof SignatureError)
      throw new MotorInsuranceError("SIGNATURE_INVALID", `not an ASiC-E container: ${error.message}`);
    throw error;
  }
  const [file, ...others] = files;
  if (!file || others.length > 0 || file.name !== STATEMENT_FILE)
    throw new MotorInsuranceError("SIGNATURE_INVALID", `the container must hold exactly one file, ${STATEMENT_FILE}`);
  const signed = parseStatementDocument(file.data);
  if (!Buffer.from(file.data).equals(Buffer.from(document, "utf8")))
    throw new MotorInsuranceError(
      "SIGNED_OTHER_STATEMENT",
      signed.case === JSON.parse(document).case
        ? "the signed statement is not the case's statement as it is now"
        : "the signed statement is of another case",
    );
  if (trustAnchors.length === 0)
    throw new MotorInsuranceError("SIGNATURE_INVALID", "the bureau has no trust anchor configured");
  const report = await validateContainer(container, { trustAnchors });
  if (report.verdict !== "valid" || report.signatures.length === 0) {
    const findings = [...report.container.findings, ...report.signatures.flatMap((s) => s.findings)]
      .filter((f) => f.severity !== "warning")
      .map((f) => f.code);
    throw new MotorInsuranceError(
      "SIGNATURE_INVALID",
      `the container's signatures are ${report.signatures.length === 0 ? "missing" : report.verdict}`,
      { details: { findings: [...new Set(findings)] } },
    );
  }
  return report.signatures.map((s) => {
    const code = s.signer?.personalCode;
    if (!code) throw new MotorInsuranceError("SIGNATURE_INVALID", "a signing certificate names no personal code");
    return code;
  });
}
