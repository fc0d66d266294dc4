import * as asn1js from "asn1js";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { parseDerBlock } from "../der.ts";
import { PkiError } from "../errors.ts";

/** RFC 8954 2.1: nonces of 1 to 32 octets. */
const MAX_NONCE = 32;
/** More CertIDs than any real client sends in one request. */
const MAX_CERT_IDS = 16;

/** A CertID (RFC 6960 4.1.1) with its exact DER, which the response repeats. */
export interface RequestedCertId {
  hashOid: string;
  nameHash: Uint8Array;
  keyHash: Uint8Array;
  /** The serial number's content octets (two's complement, as encoded). */
  serial: Uint8Array;
  der: Uint8Array;
}

export interface ParsedOcspRequest {
  certIds: RequestedCertId[];
  /** The nonce extension's DER exactly as sent, to be echoed back (RFC 6960 4.4.1). */
  nonce?: Uint8Array;
}

const malformed = (message: string) => new PkiError("OCSP_MALFORMED_REQUEST", message);

function expectSequence(block: asn1js.AsnType | undefined, what: string): asn1js.BaseBlock[] {
  if (!(block instanceof asn1js.Sequence)) throw malformed(`${what} must be a SEQUENCE`);
  return block.valueBlock.value;
}

function contextTag(block: asn1js.AsnType | undefined): number | undefined {
  const id = (block as asn1js.BaseBlock | undefined)?.idBlock;
  return id && id.tagClass === 3 ? id.tagNumber : undefined;
}

function explicitInner(block: asn1js.AsnType, what: string): asn1js.BaseBlock {
  const inner = (block as asn1js.Constructed).valueBlock?.value;
  if (!Array.isArray(inner) || inner.length !== 1) throw malformed(`${what} must wrap exactly one value`);
  return inner[0]!;
}

function parseCertId(block: asn1js.AsnType): RequestedCertId {
  const [algorithm, nameHash, keyHash, serial, ...rest] = expectSequence(block, "CertID");
  const [oid] = expectSequence(algorithm, "CertID hashAlgorithm");
  if (!(oid instanceof asn1js.ObjectIdentifier))
    throw malformed("CertID hashAlgorithm must start with an OBJECT IDENTIFIER");
  const hashOid = oid.valueBlock.toString();
  if (!HASH_OIDS[hashOid]) throw malformed(`CertID hash algorithm ${hashOid} is not SHA-1 or SHA-2`);
  if (
    !(nameHash instanceof asn1js.OctetString) ||
    !(keyHash instanceof asn1js.OctetString) ||
    !(serial instanceof asn1js.Integer) ||
    rest.length > 0
  ) {
    throw malformed("CertID must be hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber");
  }
  return {
    hashOid,
    nameHash: nameHash.valueBlock.valueHexView,
    keyHash: keyHash.valueBlock.valueHexView,
    serial: serial.valueBlock.valueHexView,
    der: block.valueBeforeDecodeView,
  };
}

/**
 * Parses an OCSPRequest (RFC 6960 4.1.1) from untrusted bytes by walking its DER
 * directly: the responder's hot path, where pkijs schema matching cost more than signing.
 */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const top = expectSequence(parseDerBlock(der, "the OCSP request", "OCSP_MALFORMED_REQUEST"), "OCSPRequest");
  if (top.length < 1 || top.length > 2 || (top.length === 2 && contextTag(top[1]) !== 0)) {
    throw malformed("OCSPRequest must be tbsRequest with an optional [0] signature");
  }
  const tbs = expectSequence(top[0], "TBSRequest");
  let at = 0;
  if (contextTag(tbs[at]) === 0) {
    const version = explicitInner(tbs[at]!, "version");
    if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 0)
      throw malformed("only OCSP request version v1 (0) exists");
    at++;
  }
  if (contextTag(tbs[at]) === 1) at++; // requestorName: informational only
  const list = expectSequence(tbs[at], "requestList");
  at++;
  let extensions: asn1js.BaseBlock[] = [];
  if (contextTag(tbs[at]) === 2) {
    extensions = expectSequence(explicitInner(tbs[at]!, "requestExtensions"), "requestExtensions");
    at++;
  }
  if (at !== tbs.length) throw malformed("TBSRequest has unexpected fields");
  if (list.length === 0) throw malformed("the OCSP request asks about no certificate");
  if (list.length > MAX_CERT_IDS)
    throw malformed(`the OCSP request asks about ${list.length} certificates; at most ${MAX_CERT_IDS}`);
  const certIds = list.map((request) => {
    const [certId, single, ...rest] = expectSequence(request, "Request");
    if (rest.length > 0 || (single !== undefined && contextTag(single) !== 0))
      throw malformed("Request must be reqCert with optional [0] extensions");
    return parseCertId(certId!);
  });
  let nonce: Uint8Array | undefined;
  for (const extension of extensions) {
    const [id, second, third] = expectSequence(extension, "Extension");
    if (!(id instanceof asn1js.ObjectIdentifier)) throw malformed("an extension must start with its OBJECT IDENTIFIER");
    const critical = second instanceof asn1js.Boolean && second.valueBlock.value;
    const value = second instanceof asn1js.Boolean ? third : second;
    if (!(value instanceof asn1js.OctetString)) throw malformed("an extension value must be an OCTET STRING");
    const oid = id.valueBlock.toString();
    if (oid === OID.ocspNonce) {
      // RFC 8954: the value is a DER OCTET STRING inside extnValue; old clients send raw octets.
      const outer = value.valueBlock.valueHexView;
      const length = wrappedOctetStringLength(outer) ?? outer.byteLength;
      if (length < 1 || length > MAX_NONCE)
        throw malformed(`the nonce has ${length} octets; RFC 8954 allows 1 to ${MAX_NONCE}`);
      nonce = extension.valueBeforeDecodeView;
    } else if (critical) {
      throw malformed(`unsupported critical request extension ${oid}`);
    }
  }
  return { certIds, ...(nonce ? { nonce } : {}) };
}

/**
 * The length of the OCTET STRING that exactly fills `bytes`, or undefined when they are not one
 * (raw octets). asn1js throws on some primitives rather than reporting them (a time of zero
 * bytes), so a throw means "not an OCTET STRING", never a crash of the parser.
 */
function wrappedOctetStringLength(bytes: Uint8Array): number | undefined {
  try {
    const inner = asn1js.fromBER(bytes);
    return inner.offset === bytes.byteLength && inner.result instanceof asn1js.OctetString
      ? inner.result.valueBlock.valueHexView.byteLength
      : undefined;
  } catch {
    return undefined;
  }
}
