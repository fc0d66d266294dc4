// The signatures on a deed: every signature of the container validated with @riik/signature
// against the register's configured trust anchors only (never anchors the container carries).
import { documentSigners, SignatureError, signedDocumentFile, type ValidationOptions } from "@riik/signature";
import { LandRegisterError } from "../errors.ts";
import { DEED_FILE, type Deed, parseDeed } from "./deed.ts";

const signatureInvalid = (error: SignatureError) =>
  new LandRegisterError("SIGNATURE_INVALID", error.message, { details: { reason: error.code, ...error.details } });

/** The deed the container holds and its exact bytes (SIGNATURE_INVALID when it is no deed container). */
export function deedOf(container: Uint8Array): { deed: Deed; bytes: Uint8Array } {
  try {
    const { data } = signedDocumentFile(container, DEED_FILE);
    return { deed: parseDeed(data), bytes: data };
  } catch (error) {
    if (error instanceof SignatureError) throw signatureInvalid(error);
    throw error;
  }
}

/**
 * The personal codes of everyone who signed, each signature valid (B-LT or better). DEED_CHANGED
 * when deed.json is not what was signed (ETSI EN 319 132-1 § 6.3: the data object's digest);
 * SIGNATURE_INVALID with the validator's findings for anything else.
 */
export async function deedSigners(
  container: Uint8Array,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<string[]> {
  try {
    return (await documentSigners(container, trustAnchors)).signers.map((s) => s.personalCode);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    const findings = (error.details?.findings ?? []) as string[];
    if (findings.includes("DATA_FILE_CHANGED"))
      throw new LandRegisterError("DEED_CHANGED", "deed.json was changed after it was signed", {
        details: { findings },
      });
    throw signatureInvalid(error);
  }
}
