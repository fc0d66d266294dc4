import { decodeDigest, type ImprintAlgorithm, imprintAlgorithm } from "../aggregator/imprint.ts";
import { CALENDAR_LEAF_BYTES } from "../calendar/leaf.ts";
import { LedgerError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";
import { decodePublicationCode, encodePublicationCode } from "../publication/publication-code.ts";

export const SIGNATURE_FORMAT = "riik-ledger-signature/v1";

/**
 * A riik ledger signature (a "keyless signature" in KSI's words), self-contained JSON.
 * All binary values are standard base64 except the input digest (lowercase hex).
 *
 * - hash: the algorithm and digest of the signed data (the imprint is tag || digest).
 * - aggregation: the imprint's position in its round tree and the RFC 6962 audit path
 *   from its leaf hash SHA-256(0x00 || imprint) up to the round root.
 * - calendar: the 58-byte calendar leaf of the round (see calendar/leaf.ts) and its RFC
 *   6962 inclusion proof in the calendar tree of the checkpoint's size.
 * - checkpoint: the C2SP tlog-checkpoint signed note, with the ledger's signature and the
 *   witnesses' cosignature/v1 lines.
 * - publication (after `extend`): a publication code, its time, the inclusion proof of
 *   the calendar leaf in the published tree, and the consistency proof from the
 *   checkpoint's tree to the published one.
 */
export interface LedgerSignature {
  readonly format: typeof SIGNATURE_FORMAT;
  readonly hash: { readonly algorithm: ImprintAlgorithm; readonly digest: string };
  readonly aggregation: { readonly index: number; readonly path: readonly string[] };
  readonly calendar: { readonly leaf: string; readonly proof: readonly string[] };
  readonly checkpoint: string;
  readonly publication?: SignaturePublication;
}

export interface SignaturePublication {
  readonly code: string;
  readonly publishedAt: string;
  readonly proof: readonly string[];
  readonly consistency: readonly string[];
}

const MAX_PATH = 64;

/**
 * Validates untrusted JSON as a signature, collecting every bad field path before
 * throwing SIGNATURE_MALFORMED (with the list in details.fields).
 */
export function assertLedgerSignature(value: unknown): asserts value is LedgerSignature {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const base64 = (v: unknown, length?: number) =>
    typeof v === "string" &&
    v.length > 0 &&
    Buffer.from(v, "base64").toString("base64") === v &&
    (length === undefined || Buffer.from(v, "base64").length === length);
  const hashList = (v: unknown, path: string) => {
    if (!Array.isArray(v) || v.length > MAX_PATH) problems.push(path);
    else
      v.forEach((h, i) => {
        if (!base64(h, HASH_SIZE)) problems.push(`${path}[${i}]`);
      });
  };
  const index = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (!isObject(value)) throw new LedgerError("SIGNATURE_MALFORMED", "a signature is a JSON object");
  if (value.format !== SIGNATURE_FORMAT) problems.push("format");
  const hash = value.hash;
  if (!isObject(hash)) problems.push("hash");
  else {
    try {
      decodeDigest(imprintAlgorithm(hash.algorithm), hash.digest);
      if (typeof hash.digest !== "string" || !/^[0-9a-f]+$/.test(hash.digest)) problems.push("hash.digest");
    } catch {
      problems.push(typeof hash.algorithm === "string" ? "hash.digest" : "hash.algorithm");
    }
  }
  const aggregation = value.aggregation;
  if (!isObject(aggregation)) problems.push("aggregation");
  else {
    if (!index(aggregation.index)) problems.push("aggregation.index");
    hashList(aggregation.path, "aggregation.path");
  }
  const calendar = value.calendar;
  if (!isObject(calendar)) problems.push("calendar");
  else {
    if (!base64(calendar.leaf, CALENDAR_LEAF_BYTES)) problems.push("calendar.leaf");
    hashList(calendar.proof, "calendar.proof");
  }
  if (typeof value.checkpoint !== "string" || value.checkpoint.length > 64 * 1024) problems.push("checkpoint");
  if (value.publication !== undefined) {
    const p = value.publication;
    if (!isObject(p)) problems.push("publication");
    else {
      if (!canonicalCode(p.code)) problems.push("publication.code");
      if (!canonicalTime(p.publishedAt)) problems.push("publication.publishedAt");
      hashList(p.proof, "publication.proof");
      hashList(p.consistency, "publication.consistency");
    }
  }
  const known = new Set(["format", "hash", "aggregation", "calendar", "checkpoint", "publication"]);
  for (const key of Object.keys(value)) if (!known.has(key)) problems.push(key);
  if (problems.length > 0) {
    throw new LedgerError("SIGNATURE_MALFORMED", `malformed signature fields: ${problems.join(", ")}`, {
      details: { fields: problems },
    });
  }
}

/**
 * `extend` writes the code as encodePublicationCode does; the lenient spellings a person may
 * type (lowercase, no dashes) are for --publication, not for a machine-written file.
 */
function canonicalCode(value: unknown): boolean {
  try {
    return typeof value === "string" && encodePublicationCode(decodePublicationCode(value)) === value;
  } catch {
    return false;
  }
}

/** RFC 3339 UTC exactly as `extend` writes it (Date#toISOString). */
function canonicalTime(value: unknown): boolean {
  return typeof value === "string" && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
}

export function parseSignature(text: string | Uint8Array): LedgerSignature {
  let value: unknown;
  try {
    value = JSON.parse(typeof text === "string" ? text : Buffer.from(text).toString("utf8"));
  } catch (cause) {
    throw new LedgerError("SIGNATURE_MALFORMED", "the signature is not valid JSON", { cause });
  }
  assertLedgerSignature(value);
  return value;
}

/** Serialises a signature as the file format: pretty JSON with a final newline. */
export function formatSignature(signature: LedgerSignature): string {
  return `${JSON.stringify(signature, null, 2)}\n`;
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
export const fromB64 = (text: string): Buffer => Buffer.from(text, "base64");
