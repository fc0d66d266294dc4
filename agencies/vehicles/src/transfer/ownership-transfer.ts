// Transfer of a vehicle's ownership (Traffic Act § 74, § 79): the register writes one transfer
// document, seller and buyer each sign exactly those bytes in an ASiC-E container (ETSI EN
// 319 162-1) with their own card, and the register validates every signature with
// @riik/signature against its configured trust anchors, never anchors the container carries.
import { canonicalJson } from "@riik/core";
import { readContainer, SignatureError, type ValidationOptions, validateContainer } from "@riik/signature";
import { VehicleError } from "../errors.ts";

/** The one data file of a transfer container. */
export const TRANSFER_FILE = "transfer.json";

export interface TransferTerms {
  id: string;
  vin: string;
  plate: string;
  seller: string;
  buyer: string;
  createdAt: string;
}

/** The bytes both parties sign: canonical JSON (RFC 8785), so the register can write them again. */
export function transferDocument(terms: TransferTerms): string {
  return canonicalJson({ format: "riik-vehicle-transfer/1", ...terms });
}

/**
 * The personal codes of everyone who signed `container`, each signature valid (B-LT or better,
 * certificate good at signing time) over exactly `document`. SIGNED_OTHER_DOCUMENT when the
 * signed file is not byte-equal to it; SIGNATURE_INVALID with the validator's findings otherwise.
 */
export async function transferSigners(
  container: Uint8Array,
  document: string,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<string[]> {
  let files: Array<{ name: string; data: Uint8Array }>;
  try {
    files = readContainer(container).dataFiles;
  } catch (error) {
    if (error instanceof SignatureError)
      throw new VehicleError("SIGNATURE_INVALID", `not an ASiC-E container: ${error.message}`);
    throw error;
  }
  const [file, ...others] = files;
  if (!file || others.length > 0 || file.name !== TRANSFER_FILE)
    throw new VehicleError("SIGNATURE_INVALID", `the container must hold exactly one data file, ${TRANSFER_FILE}`);
  if (!Buffer.from(file.data).equals(Buffer.from(document, "utf8")))
    throw new VehicleError("SIGNED_OTHER_DOCUMENT", "the signed document is not this transfer's document");
  if (trustAnchors.length === 0)
    throw new VehicleError("SIGNATURE_INVALID", "the register has no trust anchor configured to validate signatures");
  const report = await validateContainer(container, { trustAnchors });
  if (report.verdict !== "valid" || report.signatures.length === 0) {
    const findings = [...report.container.findings, ...report.signatures.flatMap((s) => s.findings)]
      .filter((f) => f.severity !== "warning")
      .map((f) => f.code);
    throw new VehicleError(
      "SIGNATURE_INVALID",
      `the container's signatures are ${report.signatures.length === 0 ? "missing" : report.verdict}`,
      { details: { findings: [...new Set(findings)] } },
    );
  }
  return report.signatures.map((s) => {
    const code = s.signer?.personalCode;
    if (!code) throw new VehicleError("SIGNATURE_INVALID", "a signing certificate names no personal code");
    return code;
  });
}
