// A fresh OCSP check of every founder's signing certificate at registration (issue 14, "a
// revoked card"): the signature's own OCSP response proves the card was good when it signed; a
// card revoked (or suspended) between signing and registration must stop the registration.
import { checkOcsp, ocspUrlOf, PathValidationError, PkiError, validatePath } from "@riik/pki";
import { BusinessRegisterError } from "../errors.ts";
import { type Certificate, certificateOf } from "./founder-signature.ts";

export interface StoredSignature {
  personalCode: string;
  signingTime: string;
  /** base64 DER; null for a signature recorded before certificates were kept. */
  certificate: string | null;
  /** JSON array of base64 DER CA certificates the signature carried. */
  caCertificates: string | null;
}

/**
 * Asks each signer's OCSP responder (RFC 6960, with a nonce, verified by @riik/pki) now, the
 * issuer found by the one trust path from the configured roots only (at the signing time, when
 * the validator accepted it). Good: passes. Revoked, suspended or unknown:
 * SIGNER_CERTIFICATE_REVOKED. No answer: CHECKS_UNAVAILABLE (fail closed).
 */
export async function assertSignersStillGood(
  signatures: readonly StoredSignature[],
  trustAnchors: readonly Certificate[],
): Promise<void> {
  await Promise.all(signatures.map((signature) => stillGood(signature, trustAnchors)));
}

async function stillGood(signature: StoredSignature, trustAnchors: readonly Certificate[]): Promise<void> {
  const { personalCode } = signature;
  if (!signature.certificate)
    throw new BusinessRegisterError(
      "SIGNATURE_INVALID",
      `${personalCode}'s signature was recorded without its certificate; sign the application again`,
    );
  const certificate = certificateOf(signature.certificate);
  const intermediates = (JSON.parse(signature.caCertificates ?? "[]") as string[]).map(certificateOf);
  let issuer: Certificate;
  try {
    const { path } = await validatePath(certificate, {
      anchors: trustAnchors,
      intermediates,
      at: new Date(signature.signingTime),
    });
    issuer = path[1] ?? path[0]!;
  } catch (error) {
    if (!(error instanceof PathValidationError)) throw error;
    throw new BusinessRegisterError("SIGNATURE_INVALID", `${personalCode}'s signing certificate: ${error.message}`);
  }
  const url = ocspUrlOf(certificate);
  if (!url)
    throw new BusinessRegisterError(
      "SIGNATURE_INVALID",
      `${personalCode}'s signing certificate names no OCSP responder, so its status cannot be asked`,
    );
  let status: Awaited<ReturnType<typeof checkOcsp>>["status"];
  try {
    status = (await checkOcsp(certificate, issuer, url, { timeoutMs: 5_000 })).status;
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    throw new BusinessRegisterError(
      "CHECKS_UNAVAILABLE",
      `the OCSP responder did not give ${personalCode}'s certificate status; nothing was registered, try again`,
      { cause: error, details: { reason: error.code } },
    );
  }
  if (status.status === "good") return;
  // certificateHold (RFC 5280 5.3.1, reason 6) is a suspension: the card may not sign meanwhile.
  const kind = status.status === "revoked" ? (status.reason === 6 ? "suspended" : "revoked") : "unknown";
  const since = status.status === "revoked" ? ` since ${status.revokedAt.toISOString()}` : "";
  throw new BusinessRegisterError(
    "SIGNER_CERTIFICATE_REVOKED",
    `${personalCode}'s signing certificate is ${kind}${since} (OCSP now); the signature no longer counts for registration`,
    { details: { personalCode, status: kind } },
  );
}
