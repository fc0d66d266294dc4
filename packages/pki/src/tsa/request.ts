import * as pkijs from "pkijs";
import { HASH_OIDS } from "../ca/oids.ts";
import { parseDer } from "../der.ts";
import { PkiError } from "../errors.ts";

const DIGEST_LENGTH: Record<string, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** Parses a TimeStampReq (RFC 3161 2.4.1) and checks what the TSA can honour. */
export function parseTimeStampRequest(der: Uint8Array, acceptedPolicy: string): pkijs.TimeStampReq {
  const request = parseDer(
    der,
    "the time-stamp request",
    "TSA_MALFORMED_REQUEST",
    (schema) => new pkijs.TimeStampReq({ schema }),
  );
  if (request.version !== 1)
    throw new PkiError("TSA_MALFORMED_REQUEST", `TimeStampReq version must be 1, got ${request.version}`);
  const hashName = HASH_OIDS[request.messageImprint.hashAlgorithm.algorithmId];
  const length = hashName ? DIGEST_LENGTH[hashName] : undefined;
  // SHA-1 is refused: a time-stamp must outlast the collision resistance of its hash.
  if (!hashName || !length) {
    throw new PkiError(
      "TSA_BAD_ALGORITHM",
      `message imprint hash ${request.messageImprint.hashAlgorithm.algorithmId} is not accepted; use SHA-256, SHA-384 or SHA-512`,
    );
  }
  const imprintLength = request.messageImprint.hashedMessage.valueBlock.valueHexView.byteLength;
  if (imprintLength !== length) {
    throw new PkiError(
      "TSA_MALFORMED_REQUEST",
      `the ${hashName} message imprint must be ${length} bytes, got ${imprintLength}`,
    );
  }
  if (request.reqPolicy && request.reqPolicy !== acceptedPolicy) {
    throw new PkiError(
      "TSA_UNACCEPTED_POLICY",
      `this TSA issues under policy ${acceptedPolicy} only, not ${request.reqPolicy}`,
    );
  }
  if (request.extensions && request.extensions.length > 0) {
    throw new PkiError("TSA_UNACCEPTED_EXTENSION", "this TSA accepts no request extensions");
  }
  return request;
}
