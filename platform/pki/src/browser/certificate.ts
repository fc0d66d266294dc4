// The one part of an X.509 certificate (RFC 5280 4.1) the page reads itself: the subject's
// public key, to know which of a CDOC2 container's recipients the card is.
import * as asn1js from "asn1js";
import { Pkcs8Error } from "./pkcs8.ts";

/**
 * SubjectPublicKeyInfo DER of a DER certificate, exactly as the certificate holds it, and the
 * named curve's OID when the key is an EC key (RFC 5480 2.1.1: the algorithm's parameters).
 */
export function readSubjectPublicKeyInfo(der: Uint8Array): { spki: Uint8Array<ArrayBuffer>; namedCurve?: string } {
  const parsed = asn1js.fromBER(der);
  const tbs = parsed.offset === der.byteLength ? (parsed.result as asn1js.Sequence).valueBlock?.value?.[0] : undefined;
  const fields = tbs instanceof asn1js.Sequence ? tbs.valueBlock.value : [];
  // TBSCertificate: [0] EXPLICIT version (absent for v1), serialNumber, signature, issuer, validity, subject, SPKI.
  const versioned = fields[0]?.idBlock.tagClass === 3 && fields[0].idBlock.tagNumber === 0 ? 1 : 0;
  const spki = fields[versioned + 5];
  if (!(spki instanceof asn1js.Sequence)) throw new Pkcs8Error("format", "the certificate is not an X.509 certificate");
  const parameters = (spki.valueBlock.value[0] as asn1js.Sequence | undefined)?.valueBlock?.value?.[1];
  return {
    spki: new Uint8Array(spki.valueBeforeDecodeView),
    ...(parameters instanceof asn1js.ObjectIdentifier ? { namedCurve: parameters.getValue() } : {}),
  };
}
