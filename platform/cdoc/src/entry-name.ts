// Names of the payload's tar entries: the files a container carries land inside the output
// directory (or the page) and nowhere else. Pure, shared by the command line and the browser.
import { CdocError } from "./errors.ts";

/**
 * A safe relative entry name, normalised ("a//b", "./a" → "a/b", "a"): refused when absolute,
 * with a drive letter, a backslash or NUL, a `..` segment, or naming no file.
 */
export function safeEntryName(name: string): string {
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (
    segments.length === 0 ||
    name.startsWith("/") ||
    name.includes("\0") ||
    name.includes("\\") ||
    /^[A-Za-z]:/.test(name) ||
    segments.includes("..") ||
    name.endsWith("/")
  ) {
    throw new CdocError("CDOC_TAR_ENTRY", `refused tar entry name ${JSON.stringify(name)}`);
  }
  return segments.join("/");
}

/**
 * The payload's tar entries, one at a time: a regular file gives its safe name, a directory
 * (created implicitly by its files) gives undefined, anything else (links, devices) and a name
 * seen before are refused.
 */
export class EntryNames {
  readonly #seen = new Set<string>();

  accept(type: string | undefined, name: string): string | undefined {
    if (type === "directory") {
      safeEntryName(name.replace(/\/+$/, ""));
      return undefined;
    }
    if (type !== "file")
      throw new CdocError("CDOC_TAR_ENTRY", `refused tar entry of type ${type}: ${JSON.stringify(name)}`);
    const safe = safeEntryName(name);
    if (this.#seen.has(safe)) throw new CdocError("CDOC_TAR_ENTRY", `duplicate tar entry ${JSON.stringify(name)}`);
    this.#seen.add(safe);
    return safe;
  }
}
