import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { parseDer } from "../der.ts";
import { PkiError } from "../errors.ts";

/** RFC 8954 2.1: nonces of 1 to 32 octets. */
const MAX_NONCE = 32;
/** More CertIDs than any real client sends in one request. */
const MAX_CERT_IDS = 16;

export interface ParsedOcspRequest {
  certIds: pkijs.CertID[];
  /** The nonce extension exactly as sent, to be echoed back (RFC 6960 4.4.1). */
  nonce?: pkijs.Extension;
}

/** Parses an OCSPRequest (RFC 6960 4.1.1) from untrusted bytes. */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const request = parseDer(
    der,
    "the OCSP request",
    "OCSP_MALFORMED_REQUEST",
    (schema) => new pkijs.OCSPRequest({ schema }),
  );
  const list = request.tbsRequest.requestList;
  if (list.length === 0) throw new PkiError("OCSP_MALFORMED_REQUEST", "the OCSP request asks about no certificate");
  if (list.length > MAX_CERT_IDS)
    throw new PkiError(
      "OCSP_MALFORMED_REQUEST",
      `the OCSP request asks about ${list.length} certificates; at most ${MAX_CERT_IDS}`,
    );
  for (const item of list) {
    const hashOid = item.reqCert.hashAlgorithm.algorithmId;
    if (!HASH_OIDS[hashOid])
      throw new PkiError("OCSP_MALFORMED_REQUEST", `CertID hash algorithm ${hashOid} is not SHA-1 or SHA-2`);
  }
  let nonce: pkijs.Extension | undefined;
  for (const extension of request.tbsRequest.requestExtensions ?? []) {
    if (extension.extnID === OID.ocspNonce) {
      nonce = extension;
      const outer = extension.extnValue.valueBlock.valueHexView;
      const inner = asn1js.fromBER(outer);
      const length =
        inner.offset === outer.byteLength && inner.result instanceof asn1js.OctetString
          ? inner.result.valueBlock.valueHexView.byteLength
          : outer.byteLength;
      if (length < 1 || length > MAX_NONCE)
        throw new PkiError(
          "OCSP_MALFORMED_REQUEST",
          `the nonce has ${length} octets; RFC 8954 allows 1 to ${MAX_NONCE}`,
        );
    } else if (extension.critical) {
      throw new PkiError("OCSP_MALFORMED_REQUEST", `unsupported critical request extension ${extension.extnID}`);
    }
  }
  return { certIds: list.map((item) => item.reqCert), ...(nonce ? { nonce } : {}) };
}
