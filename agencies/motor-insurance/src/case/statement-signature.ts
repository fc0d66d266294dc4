// A driver's signature on the statement: an ASiC-E container (ETSI EN 319 162-1) whose one
// file is the statement, validated with @riik/signature against the bureau's configured trust
// anchors (never anchors the container carries).
import { documentSigners, SignatureError, signedDocumentFile, type ValidationOptions } from "@riik/signature";
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
  try {
    const file = signedDocumentFile(container, STATEMENT_FILE);
    if (!Buffer.from(file.data).equals(Buffer.from(document, "utf8")))
      throw new MotorInsuranceError(
        "SIGNED_OTHER_STATEMENT",
        parseStatementDocument(file.data).case === JSON.parse(document).case
          ? "the signed statement is not the case's statement as it is now"
          : "the signed statement is of another case",
      );
    return (await documentSigners(container, trustAnchors)).signers.map((s) => s.personalCode);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new MotorInsuranceError("SIGNATURE_INVALID", error.message, {
      details: { reason: error.code, ...error.details },
    });
  }
}
