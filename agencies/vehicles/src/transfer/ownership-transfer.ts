// Transfer of a vehicle's ownership (Traffic Act § 74, § 79): the register writes one transfer
// document, seller and buyer each sign exactly those bytes in an ASiC-E container (ETSI EN
// 319 162-1) with their own card, and the register validates every signature with
// @riik/signature against its configured trust anchors, never anchors the container carries.
import { canonicalJson } from "@riik/core";
import { documentSigners, SignatureError, signedDocumentFile, type ValidationOptions } from "@riik/signature";
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
 * signed file is not byte-equal to it; SIGNATURE_INVALID with the validator's reason otherwise.
 */
export async function transferSigners(
  container: Uint8Array,
  document: string,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<string[]> {
  try {
    const file = signedDocumentFile(container, TRANSFER_FILE);
    if (!Buffer.from(file.data).equals(Buffer.from(document, "utf8")))
      throw new VehicleError("SIGNED_OTHER_DOCUMENT", "the signed document is not this transfer's document");
    return (await documentSigners(container, trustAnchors)).signers.map((s) => s.personalCode);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new VehicleError("SIGNATURE_INVALID", error.message, { details: { reason: error.code, ...error.details } });
  }
}
