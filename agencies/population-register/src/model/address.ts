import { PopulationRegisterError } from "../errors.ts";
import { countyByName } from "../seed/places.ts";
import { isCalendarDate } from "./dates.ts";

/** A change of address as a client submits it (PUT /persons/{code}/address). */
export interface AddressInput {
  county: string;
  municipality: string;
  settlement: string;
  street: string;
  house: string;
  apartment?: string | null;
  postalCode: string;
  ehakCode?: string | null;
  /** YYYY-MM-DD; today when absent. */
  since?: string;
}

interface TextConstraint {
  maxLength: number;
  pattern?: RegExp;
  nullable?: boolean;
  required: boolean;
  description: string;
}

/**
 * The one description of an address's fields: the validator below enforces it and the
 * OpenAPI document is generated from it, so the two cannot drift apart.
 */
export const ADDRESS_FIELDS: Readonly<Record<keyof AddressInput, TextConstraint>> = {
  county: { maxLength: 40, required: true, description: 'County (maakond), official form: "Harju maakond"' },
  municipality: { maxLength: 60, required: true, description: 'Municipality (linn or vald) of that county: "Tallinn"' },
  settlement: { maxLength: 80, required: true, description: 'Settlement or city district: "Kesklinna linnaosa"' },
  street: { maxLength: 80, required: true, description: 'Street with its type: "Narva mnt"' },
  house: {
    maxLength: 12,
    pattern: /^[0-9]{1,4}[A-Za-z]?(\/[0-9]{1,4}[A-Za-z]?)?$/,
    required: true,
    description: 'House number: "12", "12a", "5/7"',
  },
  apartment: {
    maxLength: 6,
    pattern: /^[0-9]{1,4}[A-Za-z]?$/,
    nullable: true,
    required: false,
    description: "Apartment number, or null",
  },
  postalCode: { maxLength: 5, pattern: /^[0-9]{5}$/, required: true, description: "Five-digit postal code" },
  ehakCode: {
    maxLength: 4,
    pattern: /^[0-9]{4}$/,
    nullable: true,
    required: false,
    description: "EHAK (Estonian administrative units classification) code of the municipality, or null",
  },
  since: {
    maxLength: 10,
    pattern: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
    required: false,
    description: "Registered at this address since (YYYY-MM-DD); today when absent",
  },
};

// Letters of any script, digits, spaces and the punctuation of Estonian place names.
export const PLACE_TEXT = /^[\p{L}\p{N}][\p{L}\p{N} .,'"/()-]*$/u;

/** Checks every field and reports all bad ones at once (details.fields), or returns. */
export function assertAddressInput(input: unknown): asserts input is AddressInput {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new PopulationRegisterError("ADDRESS_INVALID", "the address must be a JSON object", {
      details: { fields: ["(body)"] },
    });
  const value = input as Record<string, unknown>;
  const problems: string[] = [];
  const fields: string[] = [];
  const bad = (field: string, problem: string) => {
    fields.push(field);
    problems.push(`${field} ${problem}`);
  };
  for (const key of Object.keys(value))
    if (!Object.hasOwn(ADDRESS_FIELDS, key)) bad(key.slice(0, 40), "is not an address field");
  for (const [field, rule] of Object.entries(ADDRESS_FIELDS)) {
    const v = value[field];
    if (v === undefined) {
      if (rule.required) bad(field, "is required");
      continue;
    }
    if (v === null) {
      if (!rule.nullable) bad(field, "must not be null");
      continue;
    }
    if (typeof v !== "string") bad(field, "must be a string");
    else if (v.length === 0 || v.length > rule.maxLength) bad(field, `must be 1-${rule.maxLength} characters`);
    else if (rule.pattern && !rule.pattern.test(v)) bad(field, `must match ${rule.pattern.source}`);
    else if (!rule.pattern && !PLACE_TEXT.test(v)) bad(field, "holds characters a place name does not have");
    else if (field === "since" && !isCalendarDate(v)) bad(field, "must be a real date");
    else if (field === "county" && !countyByName(v)) bad(field, 'is not one of the 15 counties (e.g. "Harju maakond")');
    else if (field === "municipality") {
      const county = typeof value.county === "string" ? countyByName(value.county) : undefined;
      if (county && !county.municipalities.some((m) => m.name === v))
        bad(field, `is not a municipality of ${county.name}`);
    }
  }
  if (problems.length > 0)
    throw new PopulationRegisterError("ADDRESS_INVALID", `invalid address: ${problems.join("; ")}`, {
      details: { fields },
    });
}
