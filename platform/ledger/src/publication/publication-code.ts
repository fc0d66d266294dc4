import { crc32 } from "node:zlib";
import { base32nopad } from "@scure/base";
import { LedgerError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";

/**
 * A publication: a calendar checkpoint reduced to what a newspaper can print. The code
 * holds, like a KSI publication code, an imprint and a CRC-32 checksum:
 *
 *   u64  calendar tree size          (big-endian)
 *   u8   0x01                        SHA-256 (KSI algorithm tag)
 *   [32] calendar root hash          RFC 6962 MTH at that size
 *   u32  CRC-32 (ISO-HDLC, as zlib)  of the 41 bytes above, big-endian
 *
 * 45 bytes, written in RFC 4648 base32 (72 characters, no padding) in groups of six
 * joined by dashes. Parsing ignores case, spaces and dashes.
 */
export interface Publication {
  readonly size: number;
  readonly root: Uint8Array;
}

const CODE_BYTES = 8 + 1 + HASH_SIZE + 4;

export function encodePublicationCode(publication: Publication): string {
  if (!Number.isSafeInteger(publication.size) || publication.size < 1) {
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", "a publication covers a non-empty calendar");
  }
  if (publication.root.length !== HASH_SIZE)
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", "root must be 32 bytes");
  const bytes = Buffer.alloc(CODE_BYTES);
  bytes.writeBigUInt64BE(BigInt(publication.size), 0);
  bytes[8] = 0x01;
  bytes.set(publication.root, 9);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, CODE_BYTES - 4)), CODE_BYTES - 4);
  return base32nopad
    .encode(bytes)
    .match(/.{1,6}/g)!
    .join("-");
}

export function decodePublicationCode(code: string): Publication {
  if (typeof code !== "string" || code.length > 200) {
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", "a publication code is a short base32 string");
  }
  const compact = code.replace(/[\s-]/g, "").toUpperCase();
  if (compact.length !== 72) {
    throw new LedgerError(
      "PUBLICATION_CODE_MALFORMED",
      `a publication code has 72 base32 characters, got ${compact.length}`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(base32nopad.decode(compact));
  } catch (cause) {
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", `not RFC 4648 base32: ${(cause as Error).message}`, { cause });
  }
  if (bytes.length !== CODE_BYTES) throw new LedgerError("PUBLICATION_CODE_MALFORMED", "wrong publication code length");
  if (bytes.readUInt32BE(CODE_BYTES - 4) !== crc32(bytes.subarray(0, CODE_BYTES - 4))) {
    throw new LedgerError("PUBLICATION_CODE_CHECKSUM", "the publication code checksum does not match: a typo?");
  }
  if (bytes[8] !== 0x01)
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", "unknown hash algorithm in publication code");
  const size = bytes.readBigUInt64BE(0);
  if (size < 1n || size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LedgerError("PUBLICATION_CODE_MALFORMED", "publication size out of range");
  }
  return Object.freeze({ size: Number(size), root: Uint8Array.from(bytes.subarray(9, 9 + HASH_SIZE)) });
}
