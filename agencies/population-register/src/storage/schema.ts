import type { ChangeJournalDb, RegistryTables, Sex } from "@riik/core";
import type { EventOutboxDb } from "@riik/kit";

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

/** Why a personal code was handed out: to a child born (a vital event) or on request (e-residents). */
export type AllocationPurpose = "birth" | "request";

/**
 * Every personal code the register has handed out, kept for ever: the next code of a date
 * comes after every code here and every person's, so none is given twice (contract C).
 */
export interface PersonalCodeAllocationTable {
  personal_code: string;
  birth_date: string;
  sex: Sex;
  serial: number;
  purpose: AllocationPurpose;
  /** The X-Road client that asked (X-Road-Client), null when not called through X-Road. */
  client: string | null;
  allocated_at: string;
}

export type VitalEventType = "birth" | "death" | "marriage" | "divorce" | "address-change" | "name-change";

/** A vital event as the registrar registered it, by the registrar's own eventId (idempotency). */
export interface VitalEventTable {
  event_id: string;
  type: VitalEventType;
  /** SHA-256 (hex) of the request's canonical JSON (RFC 8785) without the eventId. */
  request_hash: string;
  /** The request as JSON text. */
  request: string;
  /** The answer given, as JSON text: what a repeated registration is answered with. */
  result: string;
  client: string | null;
  recorded_at: string;
}

export interface PopulationRegisterDb extends ChangeJournalDb, EventOutboxDb {
  person: PersonTable;
  relation: RelationTable;
  address: AddressTable;
  personal_code_allocation: PersonalCodeAllocationTable;
  vital_event: VitalEventTable;
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

/** An allocation as the journal carries it (entity "personal_code_allocation", key = the code). */
export interface AllocationRecord {
  personalCode: string;
  birthDate: string;
  sex: Sex;
  serial: number;
  purpose: AllocationPurpose;
  client: string | null;
  allocatedAt: string;
}

/** A vital event as the journal carries it (entity "vital_event", key = eventId); request and result parsed. */
export interface VitalEventRecord {
  eventId: string;
  type: VitalEventType;
  requestHash: string;
  request: unknown;
  result: unknown;
  client: string | null;
  recordedAt: string;
}

/** The register's own tables with their keys, as the embassy dumps and loads them (RegistryDefinition). */
export const POPULATION_REGISTER_TABLES = [
  {
    name: "person",
    columns: [
      { name: "personal_code", type: "text" },
      { name: "given_name", type: "text" },
      { name: "surname", type: "text" },
      { name: "sex", type: "text" },
      { name: "birth_date", type: "text" },
      { name: "date_of_death", type: "text", nullable: true },
      { name: "citizenship", type: "text" },
    ],
    key: ["personal_code"],
  },
  {
    name: "relation",
    columns: [
      { name: "kind", type: "text" },
      { name: "from_code", type: "text" },
      { name: "to_code", type: "text" },
    ],
    key: ["kind", "from_code", "to_code"],
  },
  {
    name: "address",
    columns: [
      { name: "personal_code", type: "text" },
      { name: "n", type: "integer" },
      { name: "county", type: "text" },
      { name: "municipality", type: "text" },
      { name: "settlement", type: "text" },
      { name: "street", type: "text" },
      { name: "house", type: "text" },
      { name: "apartment", type: "text", nullable: true },
      { name: "postal_code", type: "text" },
      { name: "ehak_code", type: "text", nullable: true },
      { name: "since", type: "text" },
    ],
    key: ["personal_code", "n"],
  },
  {
    name: "personal_code_allocation",
    columns: [
      { name: "personal_code", type: "text" },
      { name: "birth_date", type: "text" },
      { name: "sex", type: "text" },
      { name: "serial", type: "integer" },
      { name: "purpose", type: "text" },
      { name: "client", type: "text", nullable: true },
      { name: "allocated_at", type: "text" },
    ],
    key: ["personal_code"],
  },
  {
    name: "vital_event",
    columns: [
      { name: "event_id", type: "text" },
      { name: "type", type: "text" },
      { name: "request_hash", type: "text" },
      { name: "request", type: "text" },
      { name: "result", type: "text" },
      { name: "client", type: "text", nullable: true },
      { name: "recorded_at", type: "text" },
    ],
    key: ["event_id"],
  },
] as const satisfies RegistryTables<PopulationRegisterDb>;

const [PERSON_TABLE, RELATION_TABLE, ADDRESS_TABLE] = POPULATION_REGISTER_TABLES;
export const PERSON_COLUMNS = PERSON_TABLE.columns.map((c) => c.name);
export const RELATION_COLUMNS = RELATION_TABLE.columns.map((c) => c.name);
export const ADDRESS_COLUMNS = ADDRESS_TABLE.columns.map((c) => c.name);

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
