// A patient's representatives: the people the patient has given a mandate to act for them in
// health matters (the patient portal's representation rights), each a FHIR RelatedPerson of
// the patient naming the representative by personal code, with the mandate's period. The
// patient names and ends them; a representative collects a named-representative prescription
// only while the mandate holds.
import type { Identifier, RelatedPerson } from "@medplum/fhirtypes";
import type { Kysely, Transaction } from "kysely";
import { fieldError } from "../errors.ts";
import { PERSONAL_CODE_SYSTEM } from "../fhir/identifiers.ts";
import type { HealthStore } from "../storage/health-store.ts";
import type { HealthDb } from "../storage/schema.ts";
import { periodCovers, periodEnd } from "./role.ts";

/** valid: a mandate holds at the moment; ended: there was one (revoked, expired or not yet begun); none: never. */
export type MandateState = "valid" | "ended" | "none";

/** The personal code a RelatedPerson names (its PERSONAL_CODE_SYSTEM identifier). */
export const representativeCodeOf = (person: Pick<RelatedPerson, "identifier">): string | undefined =>
  (person.identifier as Identifier[] | undefined)?.find((i) => i.system === PERSONAL_CODE_SYSTEM)?.value;

/** Whether PERSON holds a mandate of the patient PATIENT_CODE at AT. */
export async function mandateOf(
  store: HealthStore,
  patientCode: string,
  person: string,
  at: Date,
  db: Kysely<HealthDb> | Transaction<HealthDb> = store.db,
): Promise<MandateState> {
  const ids = await store.idsBy("RelatedPerson", "identifier", PERSONAL_CODE_SYSTEM, person, db);
  let state: MandateState = "none";
  for (const id of ids) {
    const row = await store.get("RelatedPerson", id, db);
    if (!row || row.patientCode !== patientCode) continue;
    const mandate = row.resource as RelatedPerson;
    if (mandate.active !== false && periodCovers(mandate.period, at)) return "valid";
    state = "ended";
  }
  return state;
}

/** A mandate's period must end after it begins, and not before AT (RESOURCE_INVALID naming the field). */
export function checkMandatePeriod(period: RelatedPerson["period"], at: Date): void {
  if (!period?.end) return;
  if (period.end.length < 10 || Number.isNaN(Date.parse(periodEnd(period.end))))
    throw fieldError("RESOURCE_INVALID", "RelatedPerson.period.end", "a mandate ends on a full date");
  if (period.start && Date.parse(periodEnd(period.end)) <= Date.parse(period.start))
    throw fieldError("RESOURCE_INVALID", "RelatedPerson.period.end", "a mandate ends after it begins");
  if (!periodCovers({ end: period.end }, at))
    throw fieldError("RESOURCE_INVALID", "RelatedPerson.period.end", "a mandate cannot end in the past");
}
