import { SignatureError } from "../errors.ts";
import { ASIC_E_MIMETYPE, MANIFEST_PATH, parseManifest, writeManifest } from "./manifest.ts";
import { DEFAULT_ZIP_LIMITS, readZip, writeZip, type ZipLimits } from "./zip.ts";

export interface DataFile {
  /** Path inside the container (DigiDoc puts data files at the top level). */
  name: string;
  mediaType: string;
  data: Uint8Array;
}

export interface SignatureFile {
  /** `META-INF/signatures<N>.xml`. */
  name: string;
  xml: Uint8Array;
}

/** An ASiC-E container in memory (ETSI EN 319 162-1 4.4). Data files keep their order. */
export interface AsicContainer {
  dataFiles: DataFile[];
  signatures: SignatureFile[];
}

export const SIGNATURE_FILE = /^META-INF\/signatures(\d+)\.xml$/;
/** Files ASiC 4.4.2 allows under META-INF/ that are not XAdES signature files (read past, not used). */
const OTHER_META_INF = /^META-INF\/[^/]+$/;

/**
 * Checks an entry name is a safe, plain relative path: no `..` or `.` segments, not
 * absolute, no backslashes or drive letters, no control characters (the zip-slip family).
 */
export function assertSafeName(name: string): void {
  const bad = (why: string) => new SignatureError("ASIC_PATH", `entry name ${JSON.stringify(name)} ${why}`);
  if (name.length === 0 || name.length > 255) throw bad("must be 1-255 characters");
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw bad("contains control characters");
  if (name.includes("\\")) throw bad("contains a backslash");
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) throw bad("is absolute");
  const segments = name.replace(/\/$/, "").split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) throw bad("has an empty, . or .. segment");
}

/**
 * Reads an ASiC-E container, refusing anything unsafe or not ASiC-E: ZIP rules and limits
 * (zip.ts), safe and unique names (also unique case-insensitively, since extraction on
 * Windows or macOS would merge them), `mimetype` first, STORED, without an extra field and
 * holding exactly `application/vnd.etsi.asic-e+zip` (EN 319 162-1 A.1), and a manifest that
 * lists exactly the data files.
 */
export function readContainer(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): AsicContainer {
  const entries = readZip(bytes, limits);
  const folded = new Map<string, string>();
  for (const entry of entries) {
    assertSafeName(entry.name);
    const key = entry.name.normalize("NFC").toLowerCase();
    const other = folded.get(key);
    if (other !== undefined)
      throw new SignatureError(
        "ASIC_DUPLICATE_NAME",
        other === entry.name
          ? `the container holds ${entry.name} twice`
          : `the container holds ${other} and ${entry.name}, which differ only in case or normalisation`,
      );
    folded.set(key, entry.name);
  }
  const first = entries[0];
  if (first?.name !== "mimetype")
    throw new SignatureError("ASIC_MIMETYPE", "mimetype must be the first entry of an ASiC container");
  if (first.method !== 0) throw new SignatureError("ASIC_MIMETYPE", "mimetype must be STORED, not compressed");
  // A.1: no extra field, so the media type sits at offset 38 for file-type sniffing (readZip put mimetype at 0).
  if (new DataView(bytes.buffer, bytes.byteOffset, 30).getUint16(28, true) !== 0)
    throw new SignatureError("ASIC_MIMETYPE", "mimetype must have no extra field");
  const mimetype = new TextDecoder().decode(first.data);
  if (mimetype !== ASIC_E_MIMETYPE)
    throw new SignatureError("ASIC_MIMETYPE", `mimetype is ${JSON.stringify(mimetype)}, not ${ASIC_E_MIMETYPE}`);

  const manifestEntry = entries.find((e) => e.name === MANIFEST_PATH);
  if (!manifestEntry) throw new SignatureError("ASIC_MANIFEST", `${MANIFEST_PATH} is missing`);
  const manifest = parseManifest(manifestEntry.data);
  const mediaTypes = new Map(manifest.map((m) => [m.path, m.mediaType]));

  const dataFiles: DataFile[] = [];
  const signatures: SignatureFile[] = [];
  for (const entry of entries.slice(1)) {
    if (entry.name.endsWith("/")) {
      if (entry.size !== 0) throw new SignatureError("ASIC_ZIP", `directory entry ${entry.name} has content`);
      continue;
    }
    if (SIGNATURE_FILE.test(entry.name)) signatures.push({ name: entry.name, xml: entry.data });
    else if (entry.name.startsWith("META-INF/")) {
      if (!OTHER_META_INF.test(entry.name))
        throw new SignatureError("ASIC_PATH", `${entry.name}: META-INF/ may not have subdirectories`);
    } else {
      const mediaType = mediaTypes.get(entry.name);
      if (mediaType === undefined)
        throw new SignatureError("ASIC_MANIFEST", `${entry.name} is in the container but not in the manifest`);
      dataFiles.push({ name: entry.name, mediaType, data: entry.data });
    }
  }
  for (const { path } of manifest) {
    if (!dataFiles.some((f) => f.name === path))
      throw new SignatureError("ASIC_MANIFEST", `the manifest lists ${path}, which is not in the container`);
  }
  return { dataFiles, signatures };
}

/** Writes the container as DigiDoc lays it out: mimetype, manifest, data files, signatures. */
export function writeContainer(container: AsicContainer, modified: Date = new Date()): Uint8Array {
  const names = new Set<string>();
  for (const file of [...container.dataFiles.map((f) => f.name), ...container.signatures.map((s) => s.name)]) {
    assertSafeName(file);
    const key = file.normalize("NFC").toLowerCase();
    if (names.has(key)) throw new SignatureError("ASIC_DUPLICATE_NAME", `${file} would be in the container twice`);
    names.add(key);
  }
  for (const file of container.dataFiles) {
    if (file.name === "mimetype" || file.name.startsWith("META-INF/"))
      throw new SignatureError("SIG_ARGUMENT", `a data file may not be called ${file.name}`);
  }
  return writeZip(
    [
      { name: "mimetype", data: new TextEncoder().encode(ASIC_E_MIMETYPE), compress: false },
      {
        name: MANIFEST_PATH,
        data: writeManifest(container.dataFiles.map((f) => ({ path: f.name, mediaType: f.mediaType }))),
        compress: true,
      },
      ...container.dataFiles.map((f) => ({ name: f.name, data: f.data, compress: true })),
      ...container.signatures.map((s) => ({ name: s.name, data: s.xml, compress: true })),
    ],
    modified,
  );
}

/** The next free `META-INF/signatures<N>.xml`, counting from 0 as DigiDoc does. */
export function nextSignatureFileName(container: AsicContainer): string {
  const taken = new Set(container.signatures.map((s) => s.name));
  for (let i = 0; ; i++) if (!taken.has(`META-INF/signatures${i}.xml`)) return `META-INF/signatures${i}.xml`;
}
