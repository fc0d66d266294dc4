import { assertSafeName, type DataFile, SignatureError } from "@riik/signature";
import { PortalError } from "../errors.ts";

export const MAX_FILES = 50;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The body of `POST /api/sign/prepare`. */
export interface PrepareRequest {
  /** The signing certificate from the card file, PEM. */
  certificate: string;
  /** Files for a new container… */
  files?: Array<{ name: string; mediaType?: string; data: string }>;
  /** …or a container that gets one more signature. */
  container?: { name: string; data: string };
}

/** Strict base64 (RFC 4648 4) to bytes; `undefined` for anything else. */
export function fromBase64(value: unknown): Uint8Array | undefined {
  if (typeof value !== "string" || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return new Uint8Array(Buffer.from(value, "base64"));
}

/**
 * Checks the prepare request and collects every bad field before throwing once
 * (PORTAL_INPUT with `details.fields`): one to MAX_FILES files with safe top-level names,
 * a media type of the form type/subtype (else application/octet-stream), base64 contents,
 * all together at most `maxBytes`; or one container.
 */
export function parsePrepareRequest(
  body: unknown,
  maxBytes: number,
): { certificate: unknown; files?: DataFile[]; container?: { name: string; data: Uint8Array } } {
  const problems: string[] = [];
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new PortalError("PORTAL_INPUT", "the body must be a JSON object", { details: { fields: ["$"] } });
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!["certificate", "files", "container"].includes(key)) problems.push(key);
  let total = 0;
  const tooLarge = () =>
    new PortalError("PORTAL_TOO_LARGE", `the files together are larger than ${maxBytes} bytes`, {
      details: { maxBytes },
    });
  if ((raw.files === undefined) === (raw.container === undefined)) problems.push("files|container");
  let files: DataFile[] | undefined;
  if (raw.files !== undefined) {
    files = [];
    if (!Array.isArray(raw.files) || raw.files.length === 0 || raw.files.length > MAX_FILES) problems.push("files");
    else
      raw.files.forEach((file: unknown, i) => {
        const f = (typeof file === "object" && file !== null ? file : {}) as Record<string, unknown>;
        const name = typeof f.name === "string" ? f.name.normalize("NFC") : "";
        if (!safeTopLevelName(name)) problems.push(`files[${i}].name`);
        const mediaType = typeof f.mediaType === "string" && MEDIA_TYPE.test(f.mediaType) ? f.mediaType : undefined;
        const data = fromBase64(f.data);
        if (!data) problems.push(`files[${i}].data`);
        else {
          total += data.byteLength;
          if (total > maxBytes) throw tooLarge();
          files?.push({ name, mediaType: mediaType ?? "application/octet-stream", data });
        }
      });
  }
  let container: { name: string; data: Uint8Array } | undefined;
  if (raw.container !== undefined) {
    const c = (typeof raw.container === "object" && raw.container !== null ? raw.container : {}) as Record<
      string,
      unknown
    >;
    const data = fromBase64(c.data);
    if (!data) problems.push("container.data");
    else if (data.byteLength > maxBytes) throw tooLarge();
    const name = typeof c.name === "string" ? c.name : "";
    if (data) container = { name: containerName(name), data };
  }
  if (problems.length > 0)
    throw new PortalError("PORTAL_INPUT", `bad fields: ${problems.join(", ")}`, { details: { fields: problems } });
  return { certificate: raw.certificate, ...(files ? { files } : {}), ...(container ? { container } : {}) };
}

/** A file name the container can hold at its top level (EN 319 162-1 4.4) and not clash with its own entries. */
function safeTopLevelName(name: string): boolean {
  if (name.includes("/") || name === "mimetype") return false;
  try {
    assertSafeName(name);
    return true;
  } catch (error) {
    if (error instanceof SignatureError) return false;
    throw error;
  }
}

/**
 * The download name of a container: the given name, or the first file's name without its
 * extension, as DigiDoc names new containers, always ending .asice and free of characters
 * that would need quoting.
 */
export function containerName(name: string): string {
  const nfc = name.normalize("NFC");
  const container = /\.(asice|sce|bdoc)$/i;
  const base = (container.test(nfc) ? nfc.replace(container, "") : nfc.replace(/\.[^.]{1,8}$/, ""))
    .replace(/[^\p{L}\p{N} ._-]+/gu, "_")
    .replace(/^[ .]+|[ .]+$/g, "")
    .slice(0, 100);
  return `${base || "dokumendid"}.asice`;
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 8187). */
export function attachment(name: string): string {
  const ascii =
    name
      .normalize("NFKD")
      .replace(/[^\x20-\x7e]/g, "")
      .replace(/["\\]/g, "_") || "container.asice";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
