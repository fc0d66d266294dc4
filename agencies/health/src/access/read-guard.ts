// Reads of patient data. The patient reads everything of their own (also what they closed, and
// who read it). Anyone else is a professional: a purpose (X-Road-Issue) and an active role at
// the calling provider, every read an AuditEvent; a document the patient closed is refused
// and the refusal logged, unless the read is an emergency (ETREAT), which is flagged.
// Health Services Organisation Act § 59^1 (the health information system) and § 42 (access).
import type { Consent } from "@medplum/fhirtypes";
import { HealthError } from "../errors.ts";
import { CLOSABLE, PATIENT_DATA, type ResourceType } from "../fhir/resources.ts";
import type { HealthStore, StoredRow } from "../storage/health-store.ts";
import { auditEvent, type Interaction } from "./audit-event.ts";
import type { Caller } from "./caller.ts";
import { activeRole, checkPharmacyLicence } from "./role.ts";

/** A patient's active closures: the whole record, or the documents named (`Type/id`). */
export interface Closures {
  wholeRecord: boolean;
  documents: ReadonlySet<string>;
}

/** A Consent that closes: active, privacy scope, provision deny (Consent.provision.data names documents, none = the whole record). */
export function isClosure(consent: Consent): boolean {
  return (
    consent.status === "active" &&
    consent.provision?.type === "deny" &&
    (consent.scope?.coding ?? []).some((c) => c.code === "patient-privacy")
  );
}

export async function closuresOf(store: HealthStore, patientCode: string): Promise<Closures> {
  const rows = await store.db
    .selectFrom("fhir_resource")
    .select("json")
    .where("type", "=", "Consent")
    .where("patient_code", "=", patientCode)
    .execute();
  const consents = rows.map((r) => JSON.parse(r.json) as Consent).filter(isClosure);
  return {
    wholeRecord: consents.some((c) => !c.provision?.data),
    documents: new Set(consents.flatMap((c) => (c.provision?.data ?? []).map((d) => d.reference.reference!))),
  };
}

const isClosed = (row: StoredRow, closures: Closures) =>
  CLOSABLE.has(row.type) && (closures.wholeRecord || closures.documents.has(`${row.type}/${row.id}`));

/**
 * How a search of patient data is answered, decided before it runs so that its answer does
 * not tell an outsider whether anything matched: "professional" (an active role at the calling
 * provider and a purpose: every patient's rows, read as authorizeRead says) or "own" (everyone
 * else, and every search of AuditEvents: the caller's own rows only).
 */
export async function searchScope(
  store: HealthStore,
  caller: Caller,
  type: ResourceType,
  at: Date,
): Promise<"professional" | "own"> {
  if (!PATIENT_DATA.has(type) || type === "AuditEvent") return "own";
  try {
    checkPharmacyLicence(await activeRole(store, caller.person, caller.organization, at), at);
  } catch (error) {
    if (error instanceof HealthError && error.code === "ROLE_REQUIRED") return "own";
    throw error;
  }
  if (!caller.purpose)
    throw new HealthError("PURPOSE_MISSING", "a professional reads health data for a purpose: give X-Road-Issue");
  return "professional";
}

/**
 * The rows the caller may see, each professional read recorded (one AuditEvent per patient).
 * A read of one resource (read, vread, its history) refuses a closed document (DOCUMENT_CLOSED,
 * logged); a search leaves closed documents out. Answers the rows and the personal codes they concern.
 */
export async function authorizeRead(
  store: HealthStore,
  caller: Caller,
  rows: readonly StoredRow[],
  interaction: Interaction,
  at: Date,
): Promise<{ rows: StoredRow[]; subjects: string[] }> {
  const others = rows.filter(
    (r) => PATIENT_DATA.has(r.type) && r.patientCode !== null && r.patientCode !== caller.person,
  );
  if (others.length === 0)
    return { rows: [...rows], subjects: [...new Set(rows.flatMap((r) => (r.patientCode ? [r.patientCode] : [])))] };
  if (others.some((r) => r.type === "AuditEvent"))
    throw new HealthError("NOT_THE_PATIENT", "who read a patient's data is shown to that patient only");
  if (!caller.purpose)
    throw new HealthError("PURPOSE_MISSING", "a professional reads health data for a purpose: give X-Road-Issue");
  const role = await activeRole(store, caller.person, caller.organization, at);
  checkPharmacyLicence(role, at);
  const purpose = caller.purpose;
  const visible: StoredRow[] = [];
  const byPatient = new Map<string, StoredRow[]>();
  for (const row of rows)
    if (row.patientCode === null || row.patientCode === caller.person) visible.push(row);
    else byPatient.set(row.patientCode, [...(byPatient.get(row.patientCode) ?? []), row]);
  const events: Array<ReturnType<typeof auditEvent> & { patientCode: string }> = [];
  let refused: HealthError | undefined;
  for (const [patientCode, own] of byPatient) {
    const patient = await store.patientByCode(patientCode);
    const closures = await closuresOf(store, patientCode);
    const closed = caller.emergency ? [] : own.filter((r) => isClosed(r, closures));
    const open = own.filter((r) => !closed.includes(r));
    const facts = { interaction, patientId: patient?.id ?? "unknown", role, purpose, emergency: caller.emergency, at };
    if (interaction !== "search-type" && closed.length > 0) {
      events.push({
        ...auditEvent({
          ...facts,
          resources: closed.map((r) => `${r.type}/${r.id}`),
          outcome: "4",
          outcomeText: "refused: closed by the patient",
        }),
        patientCode,
      });
      refused = new HealthError(
        "DOCUMENT_CLOSED",
        "the patient has closed this document; the attempt is logged and shown to them (an emergency read is ETREAT)",
      );
      continue;
    }
    visible.push(...open);
    events.push({
      ...auditEvent({ ...facts, resources: open.map((r) => `${r.type}/${r.id}`), outcome: "0" }),
      patientCode,
    });
  }
  // The log first: a read that cannot be recorded is not answered (fail closed).
  await store.write(async (write) => {
    for (const { patientCode, ...event } of events) await store.insert(write, event, patientCode, at);
  }, at);
  if (refused) throw refused;
  return {
    rows: visible,
    subjects: [...new Set(visible.flatMap((r) => (r.patientCode ? [r.patientCode] : [])))],
  };
}
