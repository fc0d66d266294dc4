import type { X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { PathValidationError, type PathValidationOptions, validatePath } from "@riik/pki";

// X-Road's certificates arrive as node:crypto objects (TLS peers, global configuration); the
// one trust path of @riik/pki takes @peculiar/x509 ones. Each node certificate is converted once.
const converted = new WeakMap<NodeCertificate, x509.X509Certificate>();
export function peculiar(certificate: NodeCertificate): x509.X509Certificate {
  let out = converted.get(certificate);
  if (!out) {
    out = new x509.X509Certificate(new Uint8Array(certificate.raw));
    converted.set(certificate, out);
  }
  return out;
}

/** Why a certificate has no trusted path: @riik/pki's PKI_PATH_INVALID reason. */
export type PathRefusal = { ok: false; reason: string; message: string };

/**
 * `certificate`'s path to one of `anchors` (no intermediates: riik's CAs issue directly),
 * every certificate valid at `at`, by @riik/pki's validatePath. On success, the anchor reached
 * (the certificate itself when it is one).
 */
export async function trustedPath(
  certificate: NodeCertificate,
  anchors: readonly NodeCertificate[],
  at: Date,
  usage?: PathValidationOptions["usage"],
): Promise<{ ok: true; anchor: NodeCertificate } | PathRefusal> {
  try {
    const path = await validatePath(peculiar(certificate), {
      anchors: anchors.map(peculiar),
      at,
      ...(usage ? { usage } : {}),
    });
    const anchorDer = Buffer.from(path.anchor.rawData);
    return { ok: true, anchor: anchors.find((a) => a.raw.equals(anchorDer))! };
  } catch (error) {
    if (!(error instanceof PathValidationError)) throw error;
    return { ok: false, reason: error.reason, message: error.message };
  }
}
