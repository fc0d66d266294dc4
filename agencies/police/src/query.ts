import { isValidPersonalCode } from "@riik/kit";
import { type Static, Type } from "typebox";
import { PoliceError } from "./errors.ts";

/** 11 digits, first the century-and-sex digit 1-8 (EVS 585); the check digit is checked in code. */
const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });
/** Non-blank text without control characters (it travels percent-encoded in HTTP headers). */
const TEXT = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: "^[^\\p{Cc}\\p{Cs}]*[^\\p{Cc}\\p{Cs}\\s][^\\p{Cc}\\p{Cs}]*$",
});
/** ISO 8601 date or date-time with a zone. */
const ISO_TIME = Type.String({
  pattern: "^\\d{4}-\\d{2}-\\d{2}(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:\\d{2}))?$",
});

/**
 * `POST /queries`: one officer asks the population register about one person, for a stated
 * purpose. The route validates this schema (400 REQUEST_INVALID on a mismatch);
 * assertPersonQuery then checks what the fields mean (400 POLICE_INPUT).
 */
export const PERSON_QUERY = Type.Object(
  {
    /** The person asked about. */
    personalCode: PERSONAL_CODE,
    /** Why (X-Road-Issue); shown to the person in the Data Tracker. */
    purpose: TEXT,
    /** The officer's personal code (X-Road-UserId EE…). */
    officer: PERSONAL_CODE,
    /** Hide this use from the person until then, e.g. during an investigation. */
    hiddenUntil: Type.Optional(ISO_TIME),
    /** The legal reason for hiding; required with hiddenUntil. */
    hiddenReason: Type.Optional(TEXT),
  },
  { additionalProperties: false },
);

export type PersonQuery = Static<typeof PERSON_QUERY>;

const MAX_HIDE_MS = 10 * 366 * 24 * 3600 * 1000;

/** Checks what a well-formed query means; every bad field is listed in the error's details, by path. */
export function assertPersonQuery(query: PersonQuery, now = Date.now()): void {
  const problems: Record<string, string> = {};
  for (const field of ["personalCode", "officer"] as const)
    if (!isValidPersonalCode(query[field]))
      problems[`/${field}`] = "not a valid personal identification code (EVS 585)";
  if (query.hiddenUntil !== undefined) {
    const at = Date.parse(query.hiddenUntil);
    // Date.parse rolls 02-30 over into March: the day must survive a round trip.
    const day = query.hiddenUntil.slice(0, 10);
    const midnight = new Date(`${day}T00:00:00Z`);
    if (Number.isNaN(at) || Number.isNaN(midnight.getTime()) || midnight.toISOString().slice(0, 10) !== day)
      problems["/hiddenUntil"] = "must be a real date or date-time";
    else if (at <= now) problems["/hiddenUntil"] = "must be in the future";
    else if (at - now > MAX_HIDE_MS) problems["/hiddenUntil"] = "at most ten years ahead";
    if (query.hiddenReason === undefined) problems["/hiddenReason"] = "required with hiddenUntil";
  } else if (query.hiddenReason !== undefined) problems["/hiddenUntil"] = "required with hiddenReason";
  const paths = Object.keys(problems);
  if (paths.length > 0)
    throw new PoliceError("POLICE_INPUT", `bad query: ${paths.map((p) => `${p} ${problems[p]}`).join("; ")}`, {
      details: { problems },
    });
}
