// The CDOC2 container's framing (CDOC2 specification, "Container format"; the reference's Envelope):
// "CDOC" | version 0x02 | header length (uint32, big-endian) | header | HMAC-SHA-256(HHK, header) | payload.
// Pure functions on bytes, shared by the command line and the browser.
import { concatBytes } from "@noble/hashes/utils.js";
import { CdocError } from "./errors.ts";
import { parseHeader, type Recipient } from "./header.ts";

const PRELUDE = new TextEncoder().encode("CDOC");
export const VERSION = 2;
/** Envelope.MIN_HEADER_LEN / MAX_HEADER_LEN of the reference implementation. */
const MIN_HEADER_LENGTH = 67;
export const MAX_HEADER_LENGTH = 1024 * 1024;
export const HMAC_LENGTH = 32;
/** Prelude, version and header length. */
export const FIXED_LENGTH = PRELUDE.length + 1 + 4;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

export interface ParsedContainer {
  header: Uint8Array;
  hmac: Uint8Array;
  recipients: Recipient[];
  /** Offset of the payload (its nonce) in the container. */
  payloadOffset: number;
}

/** The header's length as the container's fixed part states it. */
export function statedHeaderLength(fixed: Uint8Array): number {
  return new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength).getUint32(5);
}

/** Parses prelude, version, header and HMAC of a container's leading bytes; only CdocError on bad input. */
export function parseContainer(data: Uint8Array, totalLength = data.length): ParsedContainer {
  if (data.length < FIXED_LENGTH || PRELUDE.some((byte, i) => data[i] !== byte))
    throw new CdocError("CDOC_FORMAT", "not a CDOC2 container");
  if (data[4] !== VERSION) throw new CdocError("CDOC_UNSUPPORTED", `unsupported CDOC version ${data[4]}`);
  const headerLength = statedHeaderLength(data);
  if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH) {
    throw new CdocError("CDOC_FORMAT", `invalid CDOC2 header length ${headerLength}`);
  }
  const payloadOffset = FIXED_LENGTH + headerLength + HMAC_LENGTH;
  if (data.length < payloadOffset || totalLength < payloadOffset + NONCE_LENGTH + TAG_LENGTH) {
    throw new CdocError("CDOC_FORMAT", "the container is truncated");
  }
  const header = data.slice(FIXED_LENGTH, FIXED_LENGTH + headerLength);
  const hmac = data.slice(FIXED_LENGTH + headerLength, payloadOffset);
  return { header, hmac, recipients: parseHeader(header), payloadOffset };
}

/** Everything before the payload: prelude, version, header length, header and its HMAC. */
export function containerHead(header: Uint8Array, hmac: Uint8Array): Uint8Array {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, header.length);
  return concatBytes(PRELUDE, Uint8Array.of(VERSION), length, header, hmac);
}

/** The payload's additional authenticated data: "CDOC20payload" | header | header HMAC. */
export function additionalData(header: Uint8Array, hmac: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode("CDOC20payload"), header, hmac);
}
