import { isValidPersonalCode } from "@riik/core";
import { StateError } from "../errors.ts";

/** `POST /queries`: one officer asks the population register about one person, for a stated purpose. */
export interface PersonQuery {
  /** The person asked about (11 digits, EVS 585 checksum). */
  personalCode: string;
  /** Why (X-Road-Issue); shown to the person in the Data Tracker. */
  purpose: string;
  /** The officer's personal code (X-Road-UserId EE…). */
  officer: string;
  /** Hide this use from the person until then (ISO 8601), e.g. during an investigation. */
  hiddenUntil?: string;
  /** The legal reason for hiding; required with hiddenUntil. */
  hiddenReason?: string;
}

const KEYS = new Set(["personalCode", "purpose", "officer", "hiddenUntil", "hiddenReason"]);
/** Text without control characters (it travels percent-encoded in HTTP headers). */
const TEXT = /^[^\p{Cc}\p{Cs}]+$/u;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const MAX_HIDE_MS = 10 * 366 * 24 * 3600 * 1000;

/** Checks a query body; every bad field is listed in the error's details, by path. */
export function assertPersonQuery(value: unknown, now = Date.now()): asserts value is PersonQuery {
  const problems: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new StateError("POLICE_INPUT", "the query must be a JSON object", {
      details: { problems: { "": "not an object" } },
    });
  const query = value as Record<string, unknown>;
  for (const key of Object.keys(query)) if (!KEYS.has(key)) problems[`/${key}`] = "unknown field";
  for (const field of ["personalCode", "officer"] as const) {
    const code = query[field];
    if (typeof code !== "string") problems[`/${field}`] = "required: an 11-digit personal identification code";
    else if (!isValidPersonalCode(code)) problems[`/${field}`] = "not a valid personal identification code (EVS 585)";
  }
  const text = (field: "purpose" | "hiddenReason", required: boolean) => {
    const v = query[field];
    if (v === undefined) {
      if (required) problems[`/${field}`] = "required";
    } else if (typeof v !== "string" || v.trim().length === 0) problems[`/${field}`] = "must be non-empty text";
    else if (v.length > 500) problems[`/${field}`] = "at most 500 characters";
    else if (!TEXT.test(v)) problems[`/${field}`] = "no control characters";
  };
  text("purpose", true);
  const hiddenUntil = query.hiddenUntil;
  if (hiddenUntil !== undefined) {
    const at = typeof hiddenUntil === "string" && ISO_TIME.test(hiddenUntil) ? Date.parse(hiddenUntil) : Number.NaN;
    if (Number.isNaN(at)) problems["/hiddenUntil"] = "must be an ISO 8601 date or date-time";
    else if (at <= now) problems["/hiddenUntil"] = "must be in the future";
    else if (at - now > MAX_HIDE_MS) problems["/hiddenUntil"] = "at most ten years ahead";
  }
  text("hiddenReason", hiddenUntil !== undefined);
  if (query.hiddenReason !== undefined && hiddenUntil === undefined)
    problems["/hiddenUntil"] = "required with hiddenReason";
  const paths = Object.keys(problems);
  if (paths.length > 0)
    throw new StateError("POLICE_INPUT", `bad query: ${paths.map((p) => `${p} ${problems[p]}`).join("; ")}`, {
      details: { problems },
    });
}
