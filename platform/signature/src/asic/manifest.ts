import { SignatureError } from "../errors.ts";
import { childElements, escapeXml, isElement, NS, parseXml } from "../xml.ts";

export const ASIC_E_MIMETYPE = "application/vnd.etsi.asic-e+zip";
export const MANIFEST_PATH = "META-INF/manifest.xml";

export interface ManifestEntry {
  path: string;
  mediaType: string;
}

/** OpenDocument 1.2 manifest (ETSI EN 319 162-1 A.1), as DigiDoc writes it: the container first, then each data file. */
export function writeManifest(files: readonly ManifestEntry[]): Uint8Array {
  const entry = (path: string, type: string) =>
    `<manifest:file-entry manifest:full-path="${escapeXml(path)}" manifest:media-type="${escapeXml(type)}"/>\n`;
  const xml =
    `<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n` +
    `<manifest:manifest xmlns:manifest="${NS.manifest}" manifest:version="1.2">\n` +
    entry("/", ASIC_E_MIMETYPE) +
    files.map((f) => entry(f.path, f.mediaType)).join("") +
    `</manifest:manifest>\n`;
  return new TextEncoder().encode(xml);
}

/** Reads the manifest: the `/` entry must name ASiC-E, every other path must appear once. */
export function parseManifest(bytes: Uint8Array): ManifestEntry[] {
  const document = parseXml(bytes, MANIFEST_PATH, "ASIC_MANIFEST");
  const root = document.documentElement!;
  if (!isElement(root, NS.manifest, "manifest"))
    throw new SignatureError("ASIC_MANIFEST", `${MANIFEST_PATH} is not an OpenDocument manifest`);
  const entries: ManifestEntry[] = [];
  let containerType: string | undefined;
  const seen = new Set<string>();
  for (const element of childElements(root)) {
    if (!isElement(element, NS.manifest, "file-entry")) continue;
    const path = element.getAttributeNS(NS.manifest, "full-path") ?? "";
    const mediaType = element.getAttributeNS(NS.manifest, "media-type") ?? "";
    if (path === "") throw new SignatureError("ASIC_MANIFEST", "a manifest entry has no full-path");
    if (seen.has(path)) throw new SignatureError("ASIC_MANIFEST", `the manifest lists ${path} twice`);
    seen.add(path);
    if (path === "/") containerType = mediaType;
    else if (!path.endsWith("/")) entries.push({ path, mediaType });
  }
  if (containerType !== ASIC_E_MIMETYPE)
    throw new SignatureError(
      "ASIC_MANIFEST",
      `the manifest must give the container's media type ${ASIC_E_MIMETYPE} for "/", not ${JSON.stringify(containerType ?? null)}`,
    );
  return entries;
}
