// Open data as the e-Business Register publishes it (avaandmed.ariregister.rik.ee, "Avaandmete
// allalaadimine"): basic data of registered companies (lihtandmed: name, registry code, legal
// form, status, first entry date, address), persons on the registry card (kaardile kantud
// isikud) and beneficial owners (kasusaajad), as JSON and CSV.
//
// Choice (README "Open data"): the bulk files name persons by name, role and dates only. The
// registry card itself is public to anyone who looks a company up, personal codes included
// (Commercial Code § 28), but a bulk download is a different processing (GDPR art. 5(1)(c)):
// personal codes are left out of every file, and beneficial owners, whose public disclosure the
// CJEU limited (C-37/20, WM and Sovim, 22.11.2022), appear by name only. Personal codes stay
// available over X-Road, where every read is in the person's Data Tracker.
import type { BusinessRegister } from "./storage/register.ts";

export const OPEN_DATA_SETS = ["companies", "persons", "beneficial-owners"] as const;
export type OpenDataSet = (typeof OPEN_DATA_SETS)[number];

const ROLE_NAMES: Record<string, string> = {
  board: "management board member",
  shareholder: "shareholder",
  founder: "founder",
  contact: "contact person",
};

export async function openData(
  register: BusinessRegister,
  set: OpenDataSet,
): Promise<Array<Record<string, string | number | null>>> {
  if (set === "companies")
    return (await register.companies())
      .filter((c) => c.status === "registered")
      .map((c) => ({
        registryCode: c.registryCode,
        name: c.name,
        legalForm: c.legalForm,
        status: c.status,
        registered: c.registered,
        seatAddress: c.seatAddress,
        shareCapitalEur: c.shareCapitalCents / 100,
        activity: c.activity,
      }));
  const registered = new Map(
    (await register.companies()).filter((c) => c.status === "registered").map((c) => [c.registryCode, c.name]),
  );
  const persons = (await register.allPersons())
    .filter((p) => registered.has(p.registryCode) && (set === "beneficial-owners") === (p.role === "beneficial_owner"))
    .map((p) => ({
      registryCode: p.registryCode,
      companyName: registered.get(p.registryCode) ?? "",
      ...(set === "persons" ? { role: ROLE_NAMES[p.role] ?? p.role } : {}),
      givenName: p.givenName,
      surname: p.surname,
      ...(set === "persons" && p.role === "shareholder" ? { shareEur: (p.shareCents ?? 0) / 100 } : {}),
      since: p.since,
    }));
  if (set !== "persons") return persons;
  // Companies on the card (founders, shareholders) by their registry code and name: a legal
  // person's code is public data, unlike a person's.
  const companies = (await register.allLegalPersons())
    .filter((p) => registered.has(p.registryCode))
    .map((p) => ({
      registryCode: p.registryCode,
      companyName: registered.get(p.registryCode) ?? "",
      role: ROLE_NAMES[p.role] ?? p.role,
      legalPersonRegistryCode: p.holderCode,
      legalPersonName: p.holderName,
      ...(p.role === "shareholder" ? { shareEur: (p.shareCents ?? 0) / 100 } : {}),
      since: p.since,
    }));
  return [...persons, ...companies].sort((a, b) => a.registryCode.localeCompare(b.registryCode));
}

/** RFC 4180 CSV: a header line, CRLF line ends, fields with a comma, quote or line break quoted. */
export function toCsv(rows: ReadonlyArray<Record<string, string | number | null>>, columns: readonly string[]): string {
  const field = (value: unknown) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[columns.join(","), ...rows.map((row) => columns.map((c) => field(row[c])).join(","))].join("\r\n")}\r\n`;
}

export const OPEN_DATA_COLUMNS: Record<OpenDataSet, readonly string[]> = {
  companies: [
    "registryCode",
    "name",
    "legalForm",
    "status",
    "registered",
    "seatAddress",
    "shareCapitalEur",
    "activity",
  ],
  persons: [
    "registryCode",
    "companyName",
    "role",
    "givenName",
    "surname",
    "legalPersonRegistryCode",
    "legalPersonName",
    "shareEur",
    "since",
  ],
  "beneficial-owners": ["registryCode", "companyName", "givenName", "surname", "since"],
};
