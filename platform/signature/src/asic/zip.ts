import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { SignatureError } from "../errors.ts";

/**
 * The subset of ZIP (APPNOTE.TXT 6.3) that ASiC needs, read strictly: one disk, no ZIP64, no
 * encryption, STORED or DEFLATE only, central directory and local headers in agreement, no
 * overlapping entries, nothing before the first local header or between the last entry and
 * the central directory. Data is inflated under a hard output cap, so a bomb stops at its
 * declared size instead of filling memory.
 */

export interface ZipLimits {
  /** Most entries a container may hold. */
  maxEntries: number;
  /** Largest uncompressed entry. */
  maxEntryBytes: number;
  /** Largest sum of uncompressed entries. */
  maxTotalBytes: number;
  /** Highest uncompressed/compressed ratio for entries above 1 MiB (DEFLATE tops out near 1032). */
  maxCompressionRatio: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 1000,
  maxEntryBytes: 256 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 100,
});

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  /** Local header offset. */
  offset: number;
  /** Length of the local header's extra field (ASiC wants none on `mimetype`). */
  localExtraLength: number;
  compressedSize: number;
  size: number;
  crc: number;
  data: Uint8Array;
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** DEFLATE the entry; false stores it (as `mimetype` must be). */
  compress: boolean;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const RATIO_FLOOR = 1024 * 1024;

const zipError = (message: string) => new SignatureError("ASIC_ZIP", message);

export function readZip(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfCentralDirectory(bytes, view);
  const diskNumber = view.getUint16(end + 4, true);
  const cdDisk = view.getUint16(end + 6, true);
  const entriesOnDisk = view.getUint16(end + 8, true);
  const count = view.getUint16(end + 10, true);
  const cdSize = view.getUint32(end + 12, true);
  const cdOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw zipError("ZIP64 containers are not accepted");
  if (diskNumber !== 0 || cdDisk !== 0 || entriesOnDisk !== count)
    throw zipError("multi-disk ZIP files are not accepted");
  if (count > limits.maxEntries)
    throw new SignatureError(
      "ASIC_TOO_LARGE",
      `the container has ${count} entries; at most ${limits.maxEntries} are accepted`,
    );
  if (cdOffset + cdSize !== end) throw zipError("the central directory is not where the end record says it is");

  const entries: ZipEntry[] = [];
  let position = cdOffset;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (position + 46 > end || view.getUint32(position, true) !== CENTRAL)
      throw zipError(`central directory entry ${i} is malformed`);
    const flags = view.getUint16(position + 8, true);
    const method = view.getUint16(position + 10, true);
    const crc = view.getUint32(position + 16, true);
    const compressedSize = view.getUint32(position + 20, true);
    const size = view.getUint32(position + 24, true);
    const nameLength = view.getUint16(position + 28, true);
    const extraLength = view.getUint16(position + 30, true);
    const commentLength = view.getUint16(position + 32, true);
    const offset = view.getUint32(position + 42, true);
    const nameBytes = bytes.subarray(position + 46, position + 46 + nameLength);
    position += 46 + nameLength + extraLength + commentLength;
    if (position > end) throw zipError(`central directory entry ${i} runs past the directory`);
    const name = decodeName(nameBytes);
    if (flags & 0x41) throw zipError(`${name} is encrypted`);
    if (method !== 0 && method !== 8)
      throw zipError(`${name} uses compression method ${method}; only STORED and DEFLATE are accepted`);
    if (size > limits.maxEntryBytes)
      throw new SignatureError(
        "ASIC_TOO_LARGE",
        `${name} is ${size} bytes uncompressed; at most ${limits.maxEntryBytes} are accepted`,
      );
    total += size;
    if (total > limits.maxTotalBytes)
      throw new SignatureError(
        "ASIC_TOO_LARGE",
        `the container holds more than ${limits.maxTotalBytes} bytes uncompressed`,
      );
    if (size > RATIO_FLOOR && size / Math.max(compressedSize, 1) > limits.maxCompressionRatio)
      throw new SignatureError(
        "ASIC_TOO_LARGE",
        `${name} would inflate ${Math.round(size / Math.max(compressedSize, 1))}-fold; a compression bomb is refused`,
      );
    if (method === 0 && size !== compressedSize) throw zipError(`${name} is STORED but its sizes differ`);

    // The local header must agree with the central directory.
    if (offset + 30 > cdOffset || view.getUint32(offset, true) !== LOCAL) throw zipError(`${name} has no local header`);
    const localMethod = view.getUint16(offset + 8, true);
    const localNameLength = view.getUint16(offset + 26, true);
    const localExtraLength = view.getUint16(offset + 28, true);
    const localName = bytes.subarray(offset + 30, offset + 30 + localNameLength);
    if (localMethod !== method || !sameBytes(localName, nameBytes))
      throw zipError(`the local header of ${name} disagrees with the central directory`);
    const dataStart = offset + 30 + localNameLength + localExtraLength;
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > cdOffset) throw zipError(`${name} runs into the central directory`);
    entries.push({
      name,
      method,
      offset,
      localExtraLength,
      compressedSize,
      size,
      crc,
      data: bytes.subarray(dataStart, dataEnd),
    });
  }
  if (position !== end) throw zipError("the central directory has bytes after its last entry");

  // Entries may not overlap (the "overlapping files" bomb) and nothing may hide before the first.
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  let cursor = 0;
  for (const entry of byOffset) {
    if (entry.offset < cursor) throw zipError(`${entry.name} overlaps another entry`);
    if (cursor === 0 && entry.offset !== 0) throw zipError("the ZIP file has bytes before its first entry");
    cursor = entry.data.byteOffset - bytes.byteOffset + entry.compressedSize;
  }
  return entries;
}

/** Uncompressed bytes of an entry, inflated under the declared size and checked against its CRC-32. */
export function entryData(entry: ZipEntry): Uint8Array {
  let data: Uint8Array;
  if (entry.method === 0) data = entry.data;
  else {
    try {
      const inflated = inflateRawSync(entry.data, { maxOutputLength: Math.max(entry.size, 1) });
      data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
    } catch (cause) {
      if ((cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw new SignatureError("ASIC_TOO_LARGE", `${entry.name} inflates beyond its declared ${entry.size} bytes`, {
          cause,
        });
      throw zipError(`${entry.name} is not valid DEFLATE data: ${(cause as Error).message}`);
    }
  }
  if (data.byteLength !== entry.size)
    throw zipError(`${entry.name} inflates to ${data.byteLength} bytes, not the declared ${entry.size}`);
  if (crc32(data) >>> 0 !== entry.crc) throw zipError(`${entry.name} fails its CRC-32 check`);
  return data;
}

/** Writes entries in the order given; STORED entries get no extra field (ETSI EN 319 162-1 A.1). */
export function writeZip(inputs: readonly ZipInput[], modified: Date = new Date()): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const { time, date } = dosDateTime(modified);
  for (const input of inputs) {
    const name = new TextEncoder().encode(input.name);
    const utf8 = /[^\x20-\x7e]/.test(input.name);
    const body = input.compress ? new Uint8Array(deflateRawSync(input.data)) : input.data;
    const method = input.compress ? 8 : 0;
    const crc = crc32(input.data) >>> 0;
    const header = new Uint8Array(30 + name.length);
    const h = new DataView(header.buffer);
    h.setUint32(0, LOCAL, true);
    h.setUint16(4, input.compress ? 20 : 10, true);
    h.setUint16(6, utf8 ? 0x0800 : 0, true);
    h.setUint16(8, method, true);
    h.setUint16(10, time, true);
    h.setUint16(12, date, true);
    h.setUint32(14, crc, true);
    h.setUint32(18, body.byteLength, true);
    h.setUint32(22, input.data.byteLength, true);
    h.setUint16(26, name.length, true);
    h.setUint16(28, 0, true);
    header.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const c = new DataView(entry.buffer);
    c.setUint32(0, CENTRAL, true);
    c.setUint16(4, 0x0314, true); // made by: Unix, spec 2.0
    c.setUint16(6, input.compress ? 20 : 10, true);
    c.setUint16(8, utf8 ? 0x0800 : 0, true);
    c.setUint16(10, method, true);
    c.setUint16(12, time, true);
    c.setUint16(14, date, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, body.byteLength, true);
    c.setUint32(24, input.data.byteLength, true);
    c.setUint16(28, name.length, true);
    c.setUint32(38, 0o100644 << 16, true); // regular file, rw-r--r--
    c.setUint32(42, offset, true);
    entry.set(name, 46);
    chunks.push(header, body);
    central.push(entry);
    offset += header.byteLength + body.byteLength;
  }
  const cdSize = central.reduce((n, e) => n + e.byteLength, 0);
  const endRecord = new Uint8Array(22);
  const e = new DataView(endRecord.buffer);
  e.setUint32(0, END, true);
  e.setUint16(8, inputs.length, true);
  e.setUint16(10, inputs.length, true);
  e.setUint32(12, cdSize, true);
  e.setUint32(16, offset, true);
  return concat([...chunks, ...central, endRecord]);
}

function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  if (bytes.byteLength < 22) throw zipError("the file is too short to be a ZIP container");
  const lowest = Math.max(0, bytes.byteLength - 22 - 0xffff);
  for (let i = bytes.byteLength - 22; i >= lowest; i--) {
    if (view.getUint32(i, true) === END && i + 22 + view.getUint16(i + 20, true) === bytes.byteLength) return i;
  }
  throw zipError("no ZIP end-of-central-directory record: not a ZIP container");
}

function decodeName(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SignatureError("ASIC_PATH", "an entry name is not valid UTF-8");
  }
}

function dosDateTime(at: Date): { time: number; date: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
