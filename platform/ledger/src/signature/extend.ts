import { LedgerError } from "../errors.ts";
import type { LedgerSignature, SignaturePublication } from "./signature-file.ts";
import { verifySignature } from "./verify.ts";

/** What a ledger answers to GET /v1/extend: a publication and the proofs up to it. */
export interface Extension {
  readonly publication: { readonly code: string; readonly size: number; readonly publishedAt: string };
  /** Inclusion proof of the calendar leaf in the published tree. */
  readonly proof: readonly string[];
  /** Consistency proof from the signature's checkpoint size to the published size. */
  readonly consistency: readonly string[];
}

/**
 * Attaches a publication to a signature, after checking that the result verifies
 * internally: an extension that does not fit the signature is refused, never stored.
 */
export function applyExtension(signature: LedgerSignature, extension: Extension): LedgerSignature {
  const publication: SignaturePublication = {
    code: extension.publication.code,
    publishedAt: extension.publication.publishedAt,
    proof: [...extension.proof],
    consistency: [...extension.consistency],
  };
  const extended: LedgerSignature = { ...signature, publication };
  try {
    verifySignature(extended, Buffer.from(signature.hash.digest, "hex"), { kind: "internal" });
  } catch (cause) {
    throw new LedgerError(
      (cause as LedgerError).code ?? "SIGNATURE_MALFORMED",
      `the ledger's extension does not fit this signature: ${(cause as Error).message}`,
      { cause },
    );
  }
  return extended;
}
