import { Unzip, UnzipInflate, unzipSync, type Zippable, zipSync } from "fflate";
import { SignatureError } from "../errors.ts";

/**
 * ZIP (APPNOTE.TXT) for ASiC through fflate, with the limits an untrusted container needs
 * checked on top: the central directory is listed first and every size and ratio judged
 * before anything is inflated; the local headers are then streamed and must list the same
 * entries in the same order (readers that trust one or the other would otherwise see
 * different files); inflation is counted and stops past the declared size.
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
  compressedSize: number;
  size: number;
  /** The uncompressed bytes. */
  data: Uint8Array;
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** DEFLATE the entry; false stores it (as `mimetype` must be). */
  compress: boolean;
}

const RATIO_FLOOR = 1024 * 1024;
const LOCAL_HEADER = Uint8Array.of(0x50, 0x4b, 0x03, 0x04);
/** The archive goes to the inflater in slices, so one step inflates at most ~1032 times this. */
const SLICE = 16 * 1024;

const zipError = (message: string) => new SignatureError("ASIC_ZIP", message);
const tooLarge = (message: string) => new SignatureError("ASIC_TOO_LARGE", message);

export function readZip(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  if (bytes.byteLength < 22) throw zipError("the file is too short to be a ZIP container");
  // A ZIP may carry a prefix (self-extractors); a container may not.
  if (!LOCAL_HEADER.every((b, i) => bytes[i] === b)) throw zipError("the ZIP file has bytes before its first entry");
  try {
    const listed = listCentralDirectory(bytes, limits);
    const streamed = streamLocalEntries(bytes, listed);
    if (streamed.length !== listed.length)
      throw zipError(`the central directory lists ${listed.length} entries, the local headers ${streamed.length}`);
    return streamed;
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw zipError(`not a readable ZIP container: ${(error as Error).message}`);
  }
}

type Listed = Omit<ZipEntry, "data">;

/** The central directory's view, judged against the limits before any byte is inflated. */
function listCentralDirectory(bytes: Uint8Array, limits: ZipLimits): Listed[] {
  const listed: Listed[] = [];
  let total = 0;
  unzipSync(bytes, {
    filter: ({ name, compression, size: compressedSize, originalSize: size }) => {
      if (listed.length === limits.maxEntries)
        throw tooLarge(`the container has more than ${limits.maxEntries} entries`);
      checkName(name);
      if (compression !== 0 && compression !== 8)
        throw zipError(`${name} uses compression method ${compression}; only STORED and DEFLATE are accepted`);
      if (size > limits.maxEntryBytes)
        throw tooLarge(`${name} is ${size} bytes uncompressed; at most ${limits.maxEntryBytes} are accepted`);
      total += size;
      if (total > limits.maxTotalBytes)
        throw tooLarge(`the container holds more than ${limits.maxTotalBytes} bytes uncompressed`);
      if (size > RATIO_FLOOR && size / Math.max(compressedSize, 1) > limits.maxCompressionRatio)
        throw tooLarge(
          `${name} would inflate ${Math.round(size / Math.max(compressedSize, 1))}-fold; a compression bomb is refused`,
        );
      if (compression === 0 && size !== compressedSize) throw zipError(`${name} is STORED but its sizes differ`);
      listed.push({ name, method: compression, compressedSize, size });
      return false;
    },
  });
  return listed;
}

/** The local headers' view, in file order, each entry inflated under its listed size. */
function streamLocalEntries(bytes: Uint8Array, listed: readonly Listed[]): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let failure: unknown;
  const unzip = new Unzip((file) => {
    const expected = listed[entries.length];
    if (!expected || file.name !== expected.name || file.compression !== expected.method)
      throw zipError(`the local header of ${file.name} disagrees with the central directory`);
    const entry: ZipEntry = { ...expected, data: new Uint8Array(0) };
    entries.push(entry);
    const chunks: Uint8Array[] = [];
    let length = 0;
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      try {
        if (error)
          throw zipError(`${file.name} is not valid ${file.compression ? "DEFLATE" : "ZIP"} data: ${error.message}`);
        length += chunk.byteLength;
        if (length > expected.size) throw tooLarge(`${file.name} inflates beyond its declared ${expected.size} bytes`);
        chunks.push(chunk);
        if (final) {
          if (length !== expected.size)
            throw zipError(`${file.name} inflates to ${length} bytes, not the declared ${expected.size}`);
          entry.data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        }
      } catch (caught) {
        failure = caught;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for (let at = 0; at < bytes.byteLength && !failure; at += SLICE)
    unzip.push(bytes.subarray(at, at + SLICE), at + SLICE >= bytes.byteLength);
  if (failure) throw failure;
  return entries;
}

function checkName(name: string): void {
  // fflate decodes UTF-8 names leniently; a replacement character means the bytes were not UTF-8.
  if (name.includes("\uFFFD")) throw new SignatureError("ASIC_PATH", "an entry name is not valid UTF-8");
}

/**
 * Writes entries in the order given; STORED entries get no extra field (ETSI EN 319 162-1 A.1).
 * fflate takes the entries as object keys, which JavaScript orders integer-like keys first,
 * so such names are refused rather than silently moved before `mimetype`.
 */
export function writeZip(inputs: readonly ZipInput[], modified: Date = new Date()): Uint8Array {
  const files: Zippable = {};
  for (const input of inputs) {
    if (Object.hasOwn(files, input.name))
      throw new SignatureError("ASIC_DUPLICATE_NAME", `${input.name} would be in the ZIP file twice`);
    if (/^(0|[1-9]\d*)$/.test(input.name))
      throw new SignatureError("SIG_ARGUMENT", `an entry may not be called ${input.name}: a name needs a non-digit`);
    files[input.name] = [input.data, { level: input.compress ? 6 : 0, mtime: modified }];
  }
  return zipSync(files);
}
