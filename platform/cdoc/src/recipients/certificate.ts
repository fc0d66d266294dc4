// A recipient by certificate, e.g. an ID card's authentication certificate found in the
// certificate directory: its public key, labelled as the reference labels certificates
// (key label TYPE=cert with CN, CERT_SHA1 and FILE).
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type * as x509 from "@peculiar/x509";
import { formatKeyLabel } from "../key-label.ts";

export function certificateRecipient(
  certificate: x509.X509Certificate,
  file: string,
): { key: KeyObject; label: string; keyLabel: string } {
  const spki = Buffer.from(certificate.publicKey.rawData);
  const cn = certificate.subjectName.getField("CN")[0] ?? certificate.subject;
  const sha1 = createHash("sha1").update(Buffer.from(certificate.rawData)).digest("hex");
  return {
    key: createPublicKey({ key: spki, format: "der", type: "spki" }),
    label: cn,
    keyLabel: formatKeyLabel("cert", { CN: cn, CERT_SHA1: sha1, FILE: file }),
  };
}
