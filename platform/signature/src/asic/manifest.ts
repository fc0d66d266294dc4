import { SignatureError } from "../errors.ts";
import { childElements, createElement, isElement, NS, newDocument, parseXml, serializeXml } from "../xml.ts";

export const ASIC_E_MIMETYPE = "application/vnd.etsi.asic-e+zip";
export const MANIFEST_PATH = "META-INF/manifest.xml";

export interface ManifestEntry {
  path: string;
  mediaType: string;
}

/** OpenDocument 1.2 manifest (ETSI EN 319 162-1 A.1), as DigiDoc writes it: the container first, then each data file. */
export function writeManifest(files: readonly ManifestEntry[]): Uint8Array {
  const document = newDocument();
  const entry = (path: string, mediaType: string) =>
    createElement(document, "manifest:file-entry", { "manifest:full-path": path, "manifest:media-type": mediaType });
  document.appendChild(
    createElement(
      document,
      "manifest:manifest",
      { "xmlns:manifest": NS.manifest, "manifest:version": "1.2" },
      entry("/", ASIC_E_MIMETYPE),
      ...files.map((f) => entry(f.path, f.mediaType)),
    ),
  );
  return serializeXml(document);
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
