import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { canonicalJson } from "@riik/core";
import { type LedgerSignature, parseSignature } from "@riik/ledger";
import type { CreateTableBuilder } from "kysely";
import type { DataKey } from "../crypto/data-key.ts";
import { EmbassyError } from "../errors.ts";

export const SEGMENT_FORMAT = "riik-embassy-segment/v1";
/** "RIIKSEG" and format version 1. */
export const SEGMENT_MAGIC = Buffer.from([0x52, 0x49, 0x49, 0x4b, 0x53, 0x45, 0x47, 0x01]);
export const GENESIS = "0".repeat(64);
export const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_SIGNATURE_BYTES = 64 * 1024;
/** One segment or snapshot part on the wire; snapshot parts are cut well below it. */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export type SegmentKind = "changes" | "snapshot";

/**
 * The segment header: everything an embassy may know (metadata), in clear, bound to the
 * ciphertext as AES-GCM additional data and to the chain by the segment digest.
 */
export interface SegmentHeader {
  readonly format: typeof SEGMENT_FORMAT;
  readonly kind: SegmentKind;
  readonly registry: string;
  /** Position in the registry's chain, from 0; snapshot parts take positions too. */
  readonly index: number;
  /** Journal sequence numbers covered: (afterSeq, lastSeq]. A snapshot is at lastSeq = afterSeq. */
  readonly afterSeq: number;
  readonly lastSeq: number;
  /** Changes in a changes segment; rows in a snapshot part. */
  readonly count: number;
  /** Journal time of the first and last change covered (a snapshot: of the change at its seq). */
  readonly firstAt: string;
  readonly lastAt: string;
  /** Snapshot parts: the chain index of part 0 identifies the snapshot. */
  readonly snapshot?: { readonly id: number; readonly part: number; readonly last: boolean };
  /** Digest of the segment at index - 1 (64 zeros for index 0). */
  readonly previous: string;
  readonly key: { readonly id: string; readonly master: string; readonly wrapped: string };
  readonly cipher: "AES-256-GCM";
  readonly compression: "deflate-raw" | "none";
  /** 96-bit random nonce, base64. */
  readonly nonce: string;
  readonly plaintextBytes: number;
  readonly ciphertextBytes: number;
  readonly createdAt: string;
  /** SHA-256 of ciphertext || tag, hex. Not part of the additional data (it depends on it). */
  readonly ciphertextDigest: string;
}

export type SegmentHeaderInput = Omit<
  SegmentHeader,
  "format" | "key" | "cipher" | "compression" | "nonce" | "plaintextBytes" | "ciphertextBytes" | "ciphertextDigest"
>;

/** The header fields the shipper's outbox and an embassy's store index a segment by (SQL columns). */
export interface SegmentColumns {
  registry: string;
  idx: number;
  kind: SegmentKind;
  after_seq: number;
  last_seq: number;
  count: number;
  first_at: string;
  last_at: string;
  snapshot_id: number | null;
  snapshot_part: number | null;
  snapshot_last: number | null;
  digest: string;
}

/** A sealed segment: header, ciphertext, its digest, and (once anchored) the ledger signature. */
export interface Segment {
  readonly header: SegmentHeader;
  readonly headerBytes: Buffer;
  readonly ciphertext: Buffer;
  /** SHA-256(u32be(len(header)) || header || ciphertext), hex: the chain link and the anchored value. */
  readonly digest: string;
  readonly signature?: LedgerSignature;
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** The AES-GCM additional data: the canonical header without the ciphertext digest. */
export function additionalData(header: SegmentHeader | Omit<SegmentHeader, "ciphertextDigest">): Buffer {
  const { ciphertextDigest: _, ...rest } = header as SegmentHeader;
  return Buffer.from(canonicalJson(rest));
}

export function segmentDigest(headerBytes: Uint8Array, ciphertext: Uint8Array): string {
  return sha256(u32(headerBytes.length), headerBytes, ciphertext).toString("hex");
}

/** Compresses, encrypts (fresh random nonce) and seals one plaintext into a segment. */
export function sealSegment(input: SegmentHeaderInput, plaintext: Uint8Array, dataKey: DataKey): Segment {
  const compressed = deflateRawSync(plaintext, { level: 1 });
  const nonce = randomBytes(12);
  const partial: Omit<SegmentHeader, "ciphertextDigest"> = {
    format: SEGMENT_FORMAT,
    ...input,
    key: { id: dataKey.id, master: dataKey.masterId, wrapped: dataKey.wrapped },
    cipher: "AES-256-GCM",
    compression: "deflate-raw",
    nonce: nonce.toString("base64"),
    plaintextBytes: plaintext.length,
    ciphertextBytes: compressed.length + 16,
  };
  const cipher = createCipheriv("aes-256-gcm", dataKey.key, nonce);
  cipher.setAAD(additionalData(partial));
  const ciphertext = Buffer.concat([cipher.update(compressed), cipher.final(), cipher.getAuthTag()]);
  const header: SegmentHeader = { ...partial, ciphertextDigest: sha256(ciphertext).toString("hex") };
  assertSegmentHeader(header);
  const headerBytes = Buffer.from(canonicalJson(header));
  return Object.freeze({ header, headerBytes, ciphertext, digest: segmentDigest(headerBytes, ciphertext) });
}

/** Decrypts a segment with its unwrapped data key; any change to header or ciphertext fails the tag. */
export function openSegment(segment: Segment, dataKey: Buffer): Buffer {
  const { header, ciphertext } = segment;
  let compressed: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(header.nonce, "base64"));
    decipher.setAAD(additionalData(header));
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    compressed = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch (cause) {
    throw new EmbassyError(
      "SEGMENT_TAMPERED",
      `${header.registry} segment ${header.index}: the AES-GCM tag does not verify (header or ciphertext altered)`,
      { cause, details: { index: header.index } },
    );
  }
  const plaintext = header.compression === "none" ? compressed : inflateRawSync(compressed);
  if (plaintext.length !== header.plaintextBytes)
    throw new EmbassyError("SEGMENT_TAMPERED", `${header.registry} segment ${header.index}: wrong plaintext length`);
  return plaintext;
}

/**
 * The stored and wire form (README "Segment file"):
 * magic (8) | u32 H | header (H, canonical JSON) | u32 S | ledger signature (S, JSON) | ciphertext.
 */
export function encodeSegment(segment: Segment): Buffer {
  return encodeSegmentParts(
    segment.headerBytes,
    segment.signature ? JSON.stringify(segment.signature) : "",
    segment.ciphertext,
  );
}

export function encodeSegmentParts(headerBytes: Uint8Array, signatureJson: string, ciphertext: Uint8Array): Buffer {
  const signature = Buffer.from(signatureJson);
  return Buffer.concat([
    SEGMENT_MAGIC,
    u32(headerBytes.length),
    headerBytes,
    u32(signature.length),
    signature,
    ciphertext,
  ]);
}

/**
 * Parses untrusted segment bytes: rejects anything but the exact canonical encoding, checks
 * every header field, and that the ciphertext matches its digest (SEGMENT_TAMPERED).
 */
export function decodeSegment(bytes: Uint8Array): Segment {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const malformed = (message: string, details?: Record<string, unknown>) =>
    new EmbassyError("SEGMENT_MALFORMED", message, details ? { details } : {});
  if (buf.length > MAX_SEGMENT_BYTES + MAX_HEADER_BYTES + MAX_SIGNATURE_BYTES)
    throw new EmbassyError("SEGMENT_TOO_LARGE", `a segment is at most ${MAX_SEGMENT_BYTES} bytes`);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(SEGMENT_MAGIC))
    throw malformed("not a riik embassy segment (magic)");
  const headerLength = buf.readUInt32BE(8);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES || 12 + headerLength + 4 > buf.length)
    throw malformed("header length out of range");
  const headerBytes = Buffer.from(buf.subarray(12, 12 + headerLength));
  const signatureLength = buf.readUInt32BE(12 + headerLength);
  const signatureStart = 16 + headerLength;
  if (signatureLength > MAX_SIGNATURE_BYTES || signatureStart + signatureLength > buf.length)
    throw malformed("signature length out of range");
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString("utf8"));
  } catch (cause) {
    throw new EmbassyError("SEGMENT_MALFORMED", "the header is not JSON", { cause });
  }
  assertSegmentHeader(header);
  if (canonicalJson(header) !== headerBytes.toString("utf8"))
    throw malformed("the header is not canonical JSON (RFC 8785)");
  let signature: LedgerSignature | undefined;
  if (signatureLength > 0) {
    try {
      signature = parseSignature(buf.subarray(signatureStart, signatureStart + signatureLength));
    } catch (cause) {
      throw new EmbassyError("SEGMENT_MALFORMED", `the ledger signature is malformed: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  const ciphertext = Buffer.from(buf.subarray(signatureStart + signatureLength));
  if (ciphertext.length !== header.ciphertextBytes)
    throw new EmbassyError(
      "SEGMENT_TAMPERED",
      `${header.registry} segment ${header.index}: ${ciphertext.length} ciphertext bytes, the header says ${header.ciphertextBytes}`,
      { details: { index: header.index } },
    );
  if (sha256(ciphertext).toString("hex") !== header.ciphertextDigest)
    throw new EmbassyError(
      "SEGMENT_TAMPERED",
      `${header.registry} segment ${header.index}: the ciphertext does not match its digest`,
      { details: { index: header.index } },
    );
  return Object.freeze({
    header,
    headerBytes,
    ciphertext,
    digest: segmentDigest(headerBytes, ciphertext),
    ...(signature ? { signature } : {}),
  });
}

/** A registry's name in chains, URLs and commands (also the route parameter's pattern). */
export const REGISTRY_NAME_PATTERN = "^[a-z][a-z0-9-]{0,62}$";
const REGISTRY_NAME = new RegExp(REGISTRY_NAME_PATTERN);
const HEX64 = /^[0-9a-f]{64}$/;
const isTime = (v: unknown) => typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isBase64 = (v: unknown, length: number) =>
  typeof v === "string" &&
  Buffer.from(v, "base64").length === length &&
  Buffer.from(v, "base64").toString("base64") === v;

export function isRegistryName(name: unknown): name is string {
  return typeof name === "string" && REGISTRY_NAME.test(name);
}

/** Checks a header's shape, collecting every bad field before throwing SEGMENT_MALFORMED. */
export function assertSegmentHeader(value: unknown): asserts value is SegmentHeader {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EmbassyError("SEGMENT_MALFORMED", "the header is not a JSON object");
  const h = value as Record<string, any>;
  const problems: string[] = [];
  const known = new Set([
    "format",
    "kind",
    "registry",
    "index",
    "afterSeq",
    "lastSeq",
    "count",
    "firstAt",
    "lastAt",
    "snapshot",
    "previous",
    "key",
    "cipher",
    "compression",
    "nonce",
    "plaintextBytes",
    "ciphertextBytes",
    "createdAt",
    "ciphertextDigest",
  ]);
  for (const key of Object.keys(h)) if (!known.has(key)) problems.push(key);
  if (h.format !== SEGMENT_FORMAT) problems.push("format");
  if (h.kind !== "changes" && h.kind !== "snapshot") problems.push("kind");
  if (!isRegistryName(h.registry)) problems.push("registry");
  for (const field of ["index", "afterSeq", "lastSeq", "count", "plaintextBytes"])
    if (!isCount(h[field])) problems.push(field);
  if (!isCount(h.ciphertextBytes) || h.ciphertextBytes < 16) problems.push("ciphertextBytes");
  if (isCount(h.afterSeq) && isCount(h.lastSeq)) {
    if (h.kind === "changes" && h.lastSeq <= h.afterSeq) problems.push("lastSeq");
    if (h.kind === "snapshot" && h.lastSeq !== h.afterSeq) problems.push("lastSeq");
  }
  for (const field of ["firstAt", "lastAt", "createdAt"]) if (!isTime(h[field])) problems.push(field);
  if (h.kind === "snapshot") {
    const s = h.snapshot;
    if (
      typeof s !== "object" ||
      s === null ||
      !isCount(s.id) ||
      !isCount(s.part) ||
      typeof s.last !== "boolean" ||
      Object.keys(s).length !== 3 ||
      (isCount(h.index) && s.id + s.part !== h.index)
    )
      problems.push("snapshot");
  } else if (h.snapshot !== undefined) problems.push("snapshot");
  if (typeof h.previous !== "string" || !HEX64.test(h.previous)) problems.push("previous");
  if (h.index === 0 && h.previous !== GENESIS) problems.push("previous");
  const k = h.key;
  if (
    typeof k !== "object" ||
    k === null ||
    typeof k.id !== "string" ||
    !/^[A-Za-z0-9._-]{1,64}$/.test(k.id) ||
    typeof k.master !== "string" ||
    !/^[0-9a-f]{16}$/.test(k.master) ||
    !isBase64(k.wrapped, 60) ||
    Object.keys(k).length !== 3
  )
    problems.push("key");
  if (h.cipher !== "AES-256-GCM") problems.push("cipher");
  if (h.compression !== "deflate-raw" && h.compression !== "none") problems.push("compression");
  if (!isBase64(h.nonce, 12)) problems.push("nonce");
  if (typeof h.ciphertextDigest !== "string" || !HEX64.test(h.ciphertextDigest)) problems.push("ciphertextDigest");
  if (problems.length > 0)
    throw new EmbassyError("SEGMENT_MALFORMED", `malformed segment header fields: ${problems.join(", ")}`, {
      details: { fields: problems },
    });
}

/** The segment's index columns, one mapping for the outbox and the embassy store. */
export function segmentColumns(segment: Segment): SegmentColumns {
  const h = segment.header;
  return {
    registry: h.registry,
    idx: h.index,
    kind: h.kind,
    after_seq: h.afterSeq,
    last_seq: h.lastSeq,
    count: h.count,
    first_at: h.firstAt,
    last_at: h.lastAt,
    snapshot_id: h.snapshot?.id ?? null,
    snapshot_part: h.snapshot?.part ?? null,
    snapshot_last: h.snapshot ? (h.snapshot.last ? 1 : 0) : null,
    digest: segment.digest,
  };
}

/** The SegmentColumns as SQL columns, for the outbox's and the embassy store's tables. */
export function withSegmentColumns<T extends string>(table: CreateTableBuilder<T, any>): CreateTableBuilder<T, any> {
  return table
    .addColumn("registry", "text", (c) => c.notNull())
    .addColumn("idx", "bigint", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("after_seq", "bigint", (c) => c.notNull())
    .addColumn("last_seq", "bigint", (c) => c.notNull())
    .addColumn("count", "bigint", (c) => c.notNull())
    .addColumn("first_at", "text", (c) => c.notNull())
    .addColumn("last_at", "text", (c) => c.notNull())
    .addColumn("snapshot_id", "bigint")
    .addColumn("snapshot_part", "bigint")
    .addColumn("snapshot_last", "integer")
    .addColumn("digest", "text", (c) => c.notNull());
}
