import type { ChangeJournalDb, Sex } from "@riik/core";

/**
 * The register's tables. Persons are keyed by their personal code; a relation is one row
 * (a parent and a child, or two spouses in code order); a person's addresses are numbered
 * 1, 2, … so that the newest is the current one and the rest are the history.
 */
export interface PersonTable {
  personal_code: string;
  given_name: string;
  surname: string;
  sex: Sex;
  birth_date: string;
  date_of_death: string | null;
  citizenship: string;
}

export type RelationKind = "parent" | "spouse";

export interface RelationTable {
  kind: RelationKind;
  /** For "parent": the parent. For "spouse": the smaller of the two codes. */
  from_code: string;
  /** For "parent": the child. For "spouse": the larger code. */
  to_code: string;
}

export interface AddressTable {
  personal_code: string;
  /** 1 for the first address recorded, growing with every change of address. */
  n: number;
  county: string;
  municipality: string;
  settlement: string;
  street: string;
  house: string;
  apartment: string | null;
  postal_code: string;
  ehak_code: string | null;
  /** YYYY-MM-DD: registered at this address since. */
  since: string;
}

export interface PopulationRegisterDb extends ChangeJournalDb {
  person: PersonTable;
  relation: RelationTable;
  address: AddressTable;
}

/** A person as the journal carries it (and as the API shows it, less the derived status). */
export interface PersonRecord {
  personalCode: string;
  givenName: string;
  surname: string;
  sex: Sex;
  birthDate: string;
  dateOfDeath: string | null;
  citizenship: string;
}

export interface RelationRecord {
  kind: RelationKind;
  from: string;
  to: string;
}

export interface AddressRecord {
  personalCode: string;
  n: number;
  county: string;
  municipality: string;
  settlement: string;
  street: string;
  house: string;
  apartment: string | null;
  postalCode: string;
  ehakCode: string | null;
  since: string;
}

export const personKey = (p: PersonRecord): string => p.personalCode;
export const relationKey = (r: RelationRecord): string => `${r.kind}:${r.from}:${r.to}`;
export const addressKey = (a: AddressRecord): string => `${a.personalCode}:${a.n}`;

export const PERSON_COLUMNS = [
  "personal_code",
  "given_name",
  "surname",
  "sex",
  "birth_date",
  "date_of_death",
  "citizenship",
] as const;
export const RELATION_COLUMNS = ["kind", "from_code", "to_code"] as const;
export const ADDRESS_COLUMNS = [
  "personal_code",
  "n",
  "county",
  "municipality",
  "settlement",
  "street",
  "house",
  "apartment",
  "postal_code",
  "ehak_code",
  "since",
] as const;

export const personValues = (p: PersonRecord): unknown[] => [
  p.personalCode,
  p.givenName,
  p.surname,
  p.sex,
  p.birthDate,
  p.dateOfDeath,
  p.citizenship,
];
export const relationValues = (r: RelationRecord): unknown[] => [r.kind, r.from, r.to];
export const addressValues = (a: AddressRecord): unknown[] => [
  a.personalCode,
  a.n,
  a.county,
  a.municipality,
  a.settlement,
  a.street,
  a.house,
  a.apartment,
  a.postalCode,
  a.ehakCode,
  a.since,
];

export function personRecordOf(row: PersonTable): PersonRecord {
  return {
    personalCode: row.personal_code,
    givenName: row.given_name,
    surname: row.surname,
    sex: row.sex,
    birthDate: row.birth_date,
    dateOfDeath: row.date_of_death,
    citizenship: row.citizenship,
  };
}

export function addressRecordOf(row: AddressTable): AddressRecord {
  return {
    personalCode: row.personal_code,
    n: Number(row.n),
    county: row.county,
    municipality: row.municipality,
    settlement: row.settlement,
    street: row.street,
    house: row.house,
    apartment: row.apartment,
    postalCode: row.postal_code,
    ehakCode: row.ehak_code,
    since: row.since,
  };
}
