// Every read of a patient's data by someone else is an AuditEvent (FHIR R4 auditevent.html;
// IHE BALP "Basic Audit Log Patterns" shape: type rest, subtype the interaction, the agent
// with the purpose, entity the patient and the resources read), shown to the patient.
import type { AuditEvent } from "@medplum/fhirtypes";
import { PERSONAL_CODE_SYSTEM, PURPOSE_OF_USE_SYSTEM } from "../fhir/identifiers.ts";
import type { ActiveRole } from "./role.ts";

export type Interaction = "read" | "vread" | "history-instance" | "search-type";

export interface AuditFacts {
  /** FHIR restful-interaction: what the caller asked for. */
  interaction: Interaction;
  patientId: string;
  /** The resources read (or refused), as `Type/id`. */
  resources: readonly string[];
  role: ActiveRole;
  purpose: string;
  emergency: boolean;
  /** "0" success, "4" refused (minor failure: a closed document). */
  outcome: "0" | "4";
  outcomeText?: string;
  at: Date;
}

export function auditEvent(facts: AuditFacts): AuditEvent {
  const { role } = facts;
  const name = role.practitioner.name?.[0];
  return {
    resourceType: "AuditEvent",
    type: {
      system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
      code: "rest",
      display: "RESTful Operation",
    },
    subtype: [{ system: "http://hl7.org/fhir/restful-interaction", code: facts.interaction }],
    action: "R",
    recorded: facts.at.toISOString(),
    outcome: facts.outcome,
    ...(facts.outcomeText ? { outcomeDesc: facts.outcomeText } : {}),
    purposeOfEvent: [
      {
        coding: [{ system: PURPOSE_OF_USE_SYSTEM, code: facts.emergency ? "ETREAT" : "TREAT" }],
        text: facts.purpose,
      },
    ],
    agent: [
      {
        who: {
          reference: `PractitionerRole/${role.role.id}`,
          identifier: { system: PERSONAL_CODE_SYSTEM, value: role.personalCode },
          display: name ? [name.given?.join(" "), name.family].filter(Boolean).join(" ") : role.personalCode,
        },
        requestor: true,
      },
      {
        who: { reference: `Organization/${role.organization.id}`, display: role.organization.name ?? "" },
        requestor: false,
      },
    ],
    source: { observer: { display: "riik health information system" } },
    entity: [
      { what: { reference: `Patient/${facts.patientId}` } },
      ...facts.resources.map((r) => ({ what: { reference: r } })),
    ],
  };
}
