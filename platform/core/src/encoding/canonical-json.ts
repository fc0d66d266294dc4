import { RiikError } from "../errors.ts";

export class CanonicalJsonError extends RiikError<"CANONICAL_JSON_VALUE"> {}

/**
 * JSON Canonicalization Scheme, RFC 8785.
 * Section 3.2.2.3 number serialisation and 3.2.2.2 string escaping are exactly
 * ECMAScript's JSON.stringify; what JSON.stringify lacks is 3.2.3: object members
 * sorted by their names as arrays of UTF-16 code units, which plain `<` compares.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new CanonicalJsonError("CANONICAL_JSON_VALUE", `${value} has no JSON representation (RFC 8785 3.2.2.3)`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(",")}]`;
  }
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof (record as { toJSON?: unknown }).toJSON === "function") {
      return canonicalJson((record as { toJSON: () => unknown }).toJSON());
    }
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(",")}}`;
  }
  throw new CanonicalJsonError("CANONICAL_JSON_VALUE", `a ${typeof value} cannot be represented in JSON`);
}
