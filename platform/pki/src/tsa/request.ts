import * as asn1js from "asn1js";
import { HASH_OIDS } from "../ca/oids.ts";
import { parseDerBlock } from "../der.ts";
import { PkiError } from "../errors.ts";

const DIGEST_LENGTH: Record<string, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** A TimeStampReq (RFC 3161 2.4.1) with the parts the token repeats kept as exact DER. */
export interface ParsedTimeStampRequest {
  version: 1;
  hashName: "SHA-256" | "SHA-384" | "SHA-512";
  imprint: Uint8Array;
  /** MessageImprint DER, repeated byte for byte in TSTInfo. */
  messageImprintDer: Uint8Array;
  reqPolicy?: string;
  /** The nonce INTEGER's DER, repeated in TSTInfo. */
  nonceDer?: Uint8Array;
  certReq: boolean;
}

const malformed = (message: string) => new PkiError("TSA_MALFORMED_REQUEST", message);

/** Parses a TimeStampReq from untrusted bytes and checks what the TSA can honour. */
export function parseTimeStampRequest(der: Uint8Array, acceptedPolicy: string): ParsedTimeStampRequest {
  const top = parseDerBlock(der, "the time-stamp request", "TSA_MALFORMED_REQUEST");
  if (!(top instanceof asn1js.Sequence)) throw malformed("TimeStampReq must be a SEQUENCE");
  const fields = top.valueBlock.value;
  const [version, imprint] = fields;
  if (!(version instanceof asn1js.Integer)) throw malformed("TimeStampReq must start with its version");
  if (version.valueBlock.valueDec !== 1)
    throw malformed(`TimeStampReq version must be 1, got ${version.valueBlock.valueDec}`);
  if (!(imprint instanceof asn1js.Sequence)) throw malformed("messageImprint must be a SEQUENCE");
  const [algorithm, hashed, ...extra] = imprint.valueBlock.value;
  const oid = algorithm instanceof asn1js.Sequence ? algorithm.valueBlock.value[0] : undefined;
  if (!(oid instanceof asn1js.ObjectIdentifier) || !(hashed instanceof asn1js.OctetString) || extra.length > 0) {
    throw malformed("messageImprint must be hashAlgorithm and hashedMessage");
  }
  const hashName = HASH_OIDS[oid.valueBlock.toString()];
  const length = hashName ? DIGEST_LENGTH[hashName] : undefined;
  // SHA-1 is refused: a time-stamp must outlast the collision resistance of its hash.
  if (!hashName || !length) {
    throw new PkiError(
      "TSA_BAD_ALGORITHM",
      `message imprint hash ${oid.valueBlock.toString()} is not accepted; use SHA-256, SHA-384 or SHA-512`,
    );
  }
  const digest = hashed.valueBlock.valueHexView;
  if (digest.byteLength !== length)
    throw malformed(`the ${hashName} message imprint must be ${length} bytes, got ${digest.byteLength}`);
  const request: ParsedTimeStampRequest = {
    version: 1,
    hashName: hashName as ParsedTimeStampRequest["hashName"],
    imprint: digest,
    messageImprintDer: imprint.valueBeforeDecodeView,
    certReq: false,
  };
  // The optional fields, in their order: reqPolicy, nonce, certReq, [0] extensions.
  let at = 2;
  const next = fields[at];
  if (next instanceof asn1js.ObjectIdentifier) {
    request.reqPolicy = next.valueBlock.toString();
    at++;
  }
  if (fields[at] instanceof asn1js.Integer) {
    request.nonceDer = fields[at]!.valueBeforeDecodeView;
    at++;
  }
  if (fields[at] instanceof asn1js.Boolean) {
    request.certReq = (fields[at] as asn1js.Boolean).valueBlock.value;
    at++;
  }
  const rest = fields[at];
  if (rest && rest.idBlock.tagClass === 3 && rest.idBlock.tagNumber === 0) {
    throw new PkiError("TSA_UNACCEPTED_EXTENSION", "this TSA accepts no request extensions");
  }
  if (at !== fields.length) throw malformed("TimeStampReq has unexpected fields");
  if (request.reqPolicy && request.reqPolicy !== acceptedPolicy) {
    throw new PkiError(
      "TSA_UNACCEPTED_POLICY",
      `this TSA issues under policy ${acceptedPolicy} only, not ${request.reqPolicy}`,
    );
  }
  return request;
}
