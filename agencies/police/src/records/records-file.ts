import { readFileSync } from "node:fs";
import { parseConfig } from "@riik/core";
import { isValidPersonalCode, parsePersonalCode } from "@riik/kit";
import { type Static, Type } from "typebox";
import { PoliceError } from "../errors.ts";

const DATE = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" });
const TEXT = Type.String({ minLength: 1, maxLength: 500, pattern: "^[^\\p{Cc}]*$" });
const NAME = Type.String({ minLength: 1, maxLength: 200, pattern: "^[^\\p{Cc}]*\\p{L}[^\\p{Cc}]*$" });
const CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });
const REFERENCE = Type.String({ pattern: "^[A-Z0-9][A-Z0-9-]{0,63}$" });

const CRIMINAL_RECORD = Type.Object(
  {
    reference: REFERENCE,
    personalCode: Type.Optional(CODE),
    givenName: NAME,
    surname: NAME,
    dateOfBirth: DATE,
    citizenship: Type.Optional(Type.String({ pattern: "^[A-Z]{2}$" })),
    offence: TEXT,
    convictedOn: DATE,
    expungedOn: Type.Optional(DATE),
  },
  { additionalProperties: false },
);

const BUSINESS_BAN = Type.Object(
  {
    reference: REFERENCE,
    personalCode: CODE,
    givenName: NAME,
    surname: NAME,
    /** Taken from the personal code when left out. */
    dateOfBirth: Type.Optional(DATE),
    reason: TEXT,
    since: DATE,
    until: Type.Optional(DATE),
  },
  { additionalProperties: false },
);

/** `riik police import FILE`: records to add or replace, each by its reference. */
export const RECORDS_FILE = Type.Object(
  {
    format: Type.Literal("riik-police-records/1"),
    criminalRecords: Type.Array(CRIMINAL_RECORD, { default: [] }),
    businessBans: Type.Array(BUSINESS_BAN, { default: [] }),
  },
  { additionalProperties: false },
);
export type RecordsFile = Static<typeof RECORDS_FILE>;
export type CriminalRecord = Static<typeof CRIMINAL_RECORD>;
export type BusinessBan = Static<typeof BUSINESS_BAN>;

const realDate = (day: string) => {
  const at = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === day;
};

/** A records file checked: its shape (every bad field by path), then what the fields mean. */
export function parseRecordsFile(value: unknown): RecordsFile {
  const fail = (problems: Array<{ field: string; problem: string }>) =>
    new PoliceError(
      "POLICE_RECORDS_FILE",
      `the records file has bad fields: ${problems.map((p) => `${p.field} (${p.problem})`).join(", ")}`,
      { details: { fields: problems.map((p) => p.field) } },
    );
  const { $comment: _, ...file } = parseConfig(RECORDS_FILE, value, fail) as RecordsFile & { $comment?: unknown };
  const problems: Array<{ field: string; problem: string }> = [];
  const dates = (path: string, record: Record<string, unknown>, fields: string[]) => {
    for (const field of fields)
      if (typeof record[field] === "string" && !realDate(record[field] as string))
        problems.push({ field: `${path}.${field}`, problem: "not a real date" });
  };
  const code = (path: string, record: { personalCode?: string; dateOfBirth?: string }) => {
    if (record.personalCode === undefined) return;
    if (!isValidPersonalCode(record.personalCode))
      problems.push({ field: `${path}.personalCode`, problem: "not a valid personal code (EVS 585)" });
    else if (record.dateOfBirth && parsePersonalCode(record.personalCode).birthDate !== record.dateOfBirth)
      problems.push({ field: `${path}.dateOfBirth`, problem: "is not the date the personal code gives" });
  };
  const seen = new Set<string>();
  const once = (path: string, reference: string) => {
    if (seen.has(reference)) problems.push({ field: `${path}.reference`, problem: "given twice" });
    seen.add(reference);
  };
  file.criminalRecords.forEach((record, i) => {
    const path = `criminalRecords[${i}]`;
    dates(path, record, ["dateOfBirth", "convictedOn", "expungedOn"]);
    code(path, record);
    once(path, record.reference);
  });
  file.businessBans.forEach((ban, i) => {
    const path = `businessBans[${i}]`;
    dates(path, ban, ["dateOfBirth", "since", "until"]);
    code(path, ban);
    once(path, ban.reference);
    if (ban.until !== undefined && ban.until < ban.since)
      problems.push({ field: `${path}.until`, problem: "is before since" });
  });
  if (problems.length > 0) throw fail(problems);
  return file;
}

export function readRecordsFile(path: string): RecordsFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new PoliceError("POLICE_RECORDS_FILE", `cannot read ${path} as JSON`, { cause });
  }
  return parseRecordsFile(value);
}
