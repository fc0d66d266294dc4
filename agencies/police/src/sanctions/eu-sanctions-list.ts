import { readFileSync } from "node:fs";
import { PoliceError } from "../errors.ts";
import { namesMatch, nameTokens } from "./names.ts";

/**
 * The EU consolidated list of persons, groups and entities subject to financial sanctions
 * (the Commission's Financial Sanctions Files, "csvFullSanctionsList" 1.1), published at
 * https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions
 * and https://webgate.ec.europa.eu/fsd/fsf. The file is CSV with `;` between fields and a
 * header row; one entity takes several rows (one per name alias, birth date, citizenship, …),
 * joined by Entity_LogicalId. These columns are read; the others are ignored, so the real file
 * is read as it is published:
 */
export const SANCTIONS_LIST_COLUMNS = [
  "Entity_LogicalId",
  "Entity_EU_ReferenceNumber",
  /** P person, E enterprise; only persons are screened. */
  "Entity_SubjectType",
  "Entity_Regulation_Programme",
  "NameAlias_WholeName",
  "NameAlias_FirstName",
  "NameAlias_MiddleName",
  "NameAlias_LastName",
  /** YYYY-MM-DD when the day is known. */
  "BirthDate_BirthDate",
  "BirthDate_Year",
  "BirthDate_YearRangeFrom",
  "BirthDate_YearRangeTo",
  "Citizenship_CountryIso2Code",
] as const;
/** The columns a file must have to be read at all. */
const REQUIRED = ["Entity_LogicalId", "Entity_SubjectType", "NameAlias_WholeName"] as const;

export interface SanctionedPerson {
  logicalId: string;
  /** EU.1234.56, or the logical id when the entry has none. */
  reference: string;
  programme: string;
  /** Each alias's words (names.ts). */
  names: string[][];
  /** Exact dates YYYY-MM-DD, and years or year ranges when only those are known. */
  birthDates: string[];
  birthYears: Array<{ from: number; to: number }>;
  citizenships: string[];
}

/** RFC 4180 fields with `;` as the separator: quoted fields may hold `;`, `""` and line breaks. */
export function parseSemicolonCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  const input = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === ";") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && input[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      line++;
    } else {
      field += c;
    }
  }
  if (quoted) throw new PoliceError("POLICE_SANCTIONS_LIST", `a quoted field is not closed (line ${line})`);
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/** The persons of the list, one per entity with all its aliases, birth dates and citizenships. */
export function parseSanctionsList(text: string): SanctionedPerson[] {
  const [header, ...rows] = parseSemicolonCsv(text);
  if (!header) throw new PoliceError("POLICE_SANCTIONS_LIST", "the sanctions list is empty");
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  const missing = REQUIRED.filter((name) => !index.has(name));
  if (missing.length > 0)
    throw new PoliceError(
      "POLICE_SANCTIONS_LIST",
      `the sanctions list lacks the columns ${missing.join(", ")}: not the EU consolidated list's CSV (fields separated by ;)`,
      { details: { missing } },
    );
  const persons = new Map<string, SanctionedPerson>();
  for (const [n, row] of rows.entries()) {
    if (row.length !== header.length)
      throw new PoliceError(
        "POLICE_SANCTIONS_LIST",
        `row ${n + 2} has ${row.length} fields, the header ${header.length}`,
        { details: { row: n + 2 } },
      );
    const get = (column: (typeof SANCTIONS_LIST_COLUMNS)[number]) => {
      const at = index.get(column);
      return at === undefined ? "" : row[at]!.trim();
    };
    const id = get("Entity_LogicalId");
    const type = get("Entity_SubjectType").toUpperCase();
    if (id === "" || !(type === "P" || type === "PERSON")) continue;
    let person = persons.get(id);
    if (!person) {
      person = {
        logicalId: id,
        reference: get("Entity_EU_ReferenceNumber") || `EU-FSF-${id}`,
        programme: get("Entity_Regulation_Programme"),
        names: [],
        birthDates: [],
        birthYears: [],
        citizenships: [],
      };
      persons.set(id, person);
    }
    const whole =
      get("NameAlias_WholeName") ||
      [get("NameAlias_FirstName"), get("NameAlias_MiddleName"), get("NameAlias_LastName")].join(" ");
    const words = nameTokens(whole);
    if (words.length > 0 && !person.names.some((known) => known.join(" ") === words.join(" ")))
      person.names.push(words);
    const date = get("BirthDate_BirthDate");
    if (/^\d{4}-\d{2}-\d{2}$/.test(date)) person.birthDates.push(date);
    else {
      const year = Number(get("BirthDate_Year") || date.slice(0, 4));
      const from = Number(get("BirthDate_YearRangeFrom"));
      const to = Number(get("BirthDate_YearRangeTo"));
      if (from > 0 && to >= from) person.birthYears.push({ from, to });
      else if (Number.isInteger(year) && year > 0) person.birthYears.push({ from: year, to: year });
    }
    const citizenship = get("Citizenship_CountryIso2Code").toUpperCase();
    if (/^[A-Z]{2}$/.test(citizenship) && !person.citizenships.includes(citizenship))
      person.citizenships.push(citizenship);
  }
  return [...persons.values()];
}

export interface ScreenedPerson {
  givenName: string;
  surname: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
}

export interface SanctionsHit {
  reference: string;
  reason: string;
}

/** The list, read once, screening persons by name and date of birth. */
export class SanctionsList {
  constructor(
    readonly persons: readonly SanctionedPerson[],
    /** Where it was read from, for the answer's reasons and the logs. */
    readonly source: string,
  ) {}

  static read(path: string): SanctionsList {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      throw new PoliceError("POLICE_SANCTIONS_LIST", `cannot read the sanctions list ${path}`, { cause });
    }
    return new SanctionsList(parseSanctionsList(text), path);
  }

  /**
   * Entries whose name matches (names.ts) and whose birth date agrees where the list has one:
   * an exact date must be equal, a year or range must hold the year. An entry without a
   * birth date matches on the name alone, as a screening officer would still look at it.
   */
  screen(person: ScreenedPerson): SanctionsHit[] {
    const asked = nameTokens(`${person.givenName} ${person.surname}`);
    const year = Number(person.dateOfBirth.slice(0, 4));
    const hits: SanctionsHit[] = [];
    for (const entry of this.persons) {
      const known = entry.birthDates.length > 0 || entry.birthYears.length > 0;
      const exact = entry.birthDates.includes(person.dateOfBirth);
      const agrees = exact || entry.birthYears.some((range) => year >= range.from && year <= range.to);
      if (known && !agrees) continue;
      if (!entry.names.some((listed) => namesMatch(asked, listed, exact))) continue;
      hits.push({
        reference: entry.reference,
        reason: `name${known ? " and date of birth" : ""} match an entry of the EU consolidated financial sanctions list${
          entry.programme ? ` (programme ${entry.programme})` : ""
        }`,
      });
    }
    return hits;
  }
}
