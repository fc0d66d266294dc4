// The FHIR R4 resources this server accepts, as TypeBox schemas of the fields it relies on
// (every other FHIR element passes through untouched), and the search parameters of each
// (FHIR R4 search.html; the parameter names are the R4 base ones). The resource shapes
// themselves are @medplum/fhirtypes'.
import type { Resource } from "@medplum/fhirtypes";
import { type TSchema, Type } from "typebox";

/** FHIR R4 datatypes.html#dateTime (year, month, day or time with zone). */
const DATE_TIME = Type.String({
  pattern: "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$",
});
/** A literal relative reference, `Type/id` (FHIR R4 references.html#literal). */
const REFERENCE = Type.Object(
  {
    reference: Type.String({ pattern: "^[A-Z][A-Za-z]+/[A-Za-z0-9\\-.]{1,64}$" }),
    display: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const CODING = Type.Object(
  { system: Type.Optional(Type.String({ minLength: 1 })), code: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: true },
);
const CONCEPT = Type.Object(
  { coding: Type.Optional(Type.Array(CODING, { minItems: 1 })), text: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const PERIOD = Type.Object(
  { start: Type.Optional(DATE_TIME), end: Type.Optional(DATE_TIME) },
  { additionalProperties: true },
);
const IDENTIFIER = Type.Object(
  {
    system: Type.String({ minLength: 1 }),
    value: Type.String({ minLength: 1, maxLength: 64 }),
    period: Type.Optional(PERIOD),
  },
  { additionalProperties: true },
);
const ID = Type.Optional(Type.String({ pattern: "^[A-Za-z0-9\\-.]{1,64}$" }));

const resource = (type: string, properties: Record<string, TSchema>) =>
  Type.Object(
    { resourceType: Type.Literal(type), id: ID, ...properties },
    { additionalProperties: true, description: `FHIR R4 ${type} (the fields riik relies on; others pass through)` },
  );
const codes = (...values: string[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const SCHEMAS = {
  Patient: resource("Patient", {
    identifier: Type.Array(IDENTIFIER, { minItems: 1 }),
    birthDate: Type.Optional(DATE_TIME),
  }),
  Practitioner: resource("Practitioner", { identifier: Type.Array(IDENTIFIER, { minItems: 1 }) }),
  Organization: resource("Organization", {
    identifier: Type.Array(IDENTIFIER, { minItems: 1 }),
    name: Type.String({ minLength: 1 }),
  }),
  PractitionerRole: resource("PractitionerRole", {
    active: Type.Optional(Type.Boolean()),
    identifier: Type.Array(IDENTIFIER, { minItems: 1, description: "the licence number (LICENCE_SYSTEM)" }),
    period: PERIOD,
    practitioner: REFERENCE,
    organization: REFERENCE,
    code: Type.Array(CONCEPT, { minItems: 1 }),
  }),
  Encounter: resource("Encounter", {
    status: codes("planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled"),
    class: CODING,
    subject: REFERENCE,
    period: Type.Optional(PERIOD),
    serviceProvider: Type.Optional(REFERENCE),
  }),
  Condition: resource("Condition", {
    code: CONCEPT,
    subject: REFERENCE,
    encounter: Type.Optional(REFERENCE),
    clinicalStatus: Type.Optional(CONCEPT),
    recordedDate: Type.Optional(DATE_TIME),
  }),
  Observation: resource("Observation", {
    status: codes("registered", "preliminary", "final", "amended", "corrected", "cancelled"),
    code: CONCEPT,
    subject: REFERENCE,
    encounter: Type.Optional(REFERENCE),
    effectiveDateTime: Type.Optional(DATE_TIME),
  }),
  Composition: resource("Composition", {
    status: codes("preliminary", "final", "amended"),
    type: CONCEPT,
    subject: REFERENCE,
    encounter: Type.Optional(REFERENCE),
    date: DATE_TIME,
    author: Type.Array(REFERENCE, { minItems: 1 }),
    title: Type.String({ minLength: 1 }),
  }),
  DocumentReference: resource("DocumentReference", {
    status: codes("current", "superseded"),
    subject: REFERENCE,
    date: Type.Optional(DATE_TIME),
    content: Type.Array(Type.Object({ attachment: Type.Object({}, { additionalProperties: true }) }), {
      minItems: 1,
    }),
  }),
  Consent: resource("Consent", {
    status: codes("active", "inactive"),
    scope: CONCEPT,
    category: Type.Array(CONCEPT, { minItems: 1 }),
    patient: REFERENCE,
    dateTime: Type.Optional(DATE_TIME),
    provision: Type.Object(
      {
        type: codes("deny", "permit"),
        data: Type.Optional(
          Type.Array(Type.Object({ meaning: codes("instance", "related"), reference: REFERENCE }), { minItems: 1 }),
        ),
      },
      { additionalProperties: true },
    ),
  }),
  RelatedPerson: resource("RelatedPerson", {
    active: Type.Optional(Type.Boolean()),
    patient: REFERENCE,
    identifier: Type.Array(IDENTIFIER, { minItems: 1, description: "the representative's personal code" }),
    relationship: Type.Optional(Type.Array(CONCEPT, { minItems: 1 })),
    period: Type.Optional(PERIOD),
  }),
  MedicationRequest: resource("MedicationRequest", {
    intent: Type.Literal("order"),
    medicationReference: REFERENCE,
    subject: REFERENCE,
    requester: REFERENCE,
    dosageInstruction: Type.Array(Type.Object({ text: Type.String({ minLength: 1 }) }), { minItems: 1 }),
    dispenseRequest: Type.Object(
      {
        quantity: Type.Object({ value: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: true }),
        numberOfRepeatsAllowed: Type.Optional(Type.Integer({ minimum: 0, maximum: 11 })),
      },
      { additionalProperties: true },
    ),
  }),
  MedicationDispense: resource("MedicationDispense", {
    authorizingPrescription: Type.Array(REFERENCE, { minItems: 1, maxItems: 1 }),
    quantity: Type.Object({ value: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: true }),
  }),
} as const;

export type CreatableType = keyof typeof SCHEMAS;
/** Every type the server holds: the creatable ones, the AuditEvents it writes, the medicines register. */
export type ResourceType = CreatableType | "AuditEvent" | "Medication";
export const RESOURCE_TYPES: readonly ResourceType[] = [
  ...(Object.keys(SCHEMAS) as CreatableType[]),
  "AuditEvent",
  "Medication",
];

/** Resources about one patient: read only with a role and a purpose, every read an AuditEvent. */
export const PATIENT_DATA: ReadonlySet<ResourceType> = new Set([
  "Patient",
  "Encounter",
  "Condition",
  "Observation",
  "Composition",
  "DocumentReference",
  "Consent",
  "RelatedPerson",
  "AuditEvent",
  "MedicationRequest",
  "MedicationDispense",
]);
/** Documents a patient can close one by one (Consent.provision.data); a whole-record closure closes all clinical data. */
export const CLOSABLE: ReadonlySet<ResourceType> = new Set([
  "Encounter",
  "Condition",
  "Observation",
  "Composition",
  "DocumentReference",
]);

export type SearchKind = "token" | "reference" | "date";
export interface IndexValue {
  system: string;
  value: string;
}
export interface SearchParameter {
  kind: SearchKind;
  /** The FHIRPath the parameter indexes (CapabilityStatement documentation). */
  path: string;
  values(resource: Json): IndexValue[];
}
type Json = any;

const list = (value: unknown): Json[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
const refs = (path: string, get: (r: Json) => unknown): SearchParameter => ({
  kind: "reference",
  path,
  values: (r) =>
    list(get(r))
      .map((x) => x?.reference)
      .filter((x): x is string => typeof x === "string")
      .map((value) => ({ system: "", value })),
});
const date = (path: string, get: (r: Json) => unknown): SearchParameter => ({
  kind: "date",
  path,
  values: (r) =>
    list(get(r))
      .filter((x): x is string => typeof x === "string")
      .map((value) => ({ system: "", value })),
});
const token = (path: string, get: (r: Json) => unknown): SearchParameter => ({
  kind: "token",
  path,
  values: (r) =>
    list(get(r)).flatMap((x) =>
      typeof x === "string"
        ? [{ system: "", value: x }]
        : typeof x?.value === "string"
          ? [{ system: x.system ?? "", value: x.value }]
          : typeof x?.code === "string"
            ? [{ system: x.system ?? "", value: x.code }]
            : list(x?.coding).map((c: Json) => ({ system: c.system ?? "", value: String(c.code) })),
    ),
});
const identifier = token("identifier", (r) => r.identifier);
const status = (type: string) => token(`${type}.status`, (r) => r.status);
const subject = (type: string) => refs(`${type}.subject`, (r) => r.subject);

/** The search parameters of each type (FHIR R4 search parameter registry names). */
export const SEARCH_PARAMETERS: { readonly [T in ResourceType]: Readonly<Record<string, SearchParameter>> } = {
  Patient: { identifier, birthdate: date("Patient.birthDate", (r) => r.birthDate) },
  Practitioner: { identifier },
  Organization: { identifier },
  PractitionerRole: {
    identifier,
    practitioner: refs("PractitionerRole.practitioner", (r) => r.practitioner),
    organization: refs("PractitionerRole.organization", (r) => r.organization),
  },
  Encounter: {
    identifier,
    status: status("Encounter"),
    subject: subject("Encounter"),
    patient: subject("Encounter"),
    date: date("Encounter.period.start", (r) => r.period?.start),
  },
  Condition: {
    identifier,
    subject: subject("Condition"),
    patient: subject("Condition"),
    encounter: refs("Condition.encounter", (r) => r.encounter),
    "clinical-status": token("Condition.clinicalStatus", (r) => r.clinicalStatus),
    "recorded-date": date("Condition.recordedDate", (r) => r.recordedDate),
  },
  Observation: {
    identifier,
    status: status("Observation"),
    subject: subject("Observation"),
    patient: subject("Observation"),
    encounter: refs("Observation.encounter", (r) => r.encounter),
    date: date("Observation.effectiveDateTime", (r) => r.effectiveDateTime),
  },
  Composition: {
    identifier,
    status: status("Composition"),
    subject: subject("Composition"),
    patient: subject("Composition"),
    encounter: refs("Composition.encounter", (r) => r.encounter),
    author: refs("Composition.author", (r) => r.author),
    date: date("Composition.date", (r) => r.date),
  },
  DocumentReference: {
    identifier,
    status: status("DocumentReference"),
    subject: subject("DocumentReference"),
    patient: subject("DocumentReference"),
    date: date("DocumentReference.date", (r) => r.date),
  },
  Consent: {
    status: status("Consent"),
    patient: refs("Consent.patient", (r) => r.patient),
    date: date("Consent.dateTime", (r) => r.dateTime),
  },
  RelatedPerson: {
    identifier,
    patient: refs("RelatedPerson.patient", (r) => r.patient),
    active: token("RelatedPerson.active", (r) => (typeof r.active === "boolean" ? String(r.active) : undefined)),
  },
  MedicationRequest: {
    identifier,
    status: status("MedicationRequest"),
    subject: subject("MedicationRequest"),
    patient: subject("MedicationRequest"),
    medication: refs("MedicationRequest.medicationReference", (r) => r.medicationReference),
    requester: refs("MedicationRequest.requester", (r) => r.requester),
    authoredon: date("MedicationRequest.authoredOn", (r) => r.authoredOn),
  },
  MedicationDispense: {
    status: status("MedicationDispense"),
    subject: subject("MedicationDispense"),
    patient: subject("MedicationDispense"),
    prescription: refs("MedicationDispense.authorizingPrescription", (r) => r.authorizingPrescription),
    performer: refs("MedicationDispense.performer.actor", (r) => list(r.performer).map((p: Json) => p.actor)),
    whenhandedover: date("MedicationDispense.whenHandedOver", (r) => r.whenHandedOver),
  },
  AuditEvent: {
    patient: refs("AuditEvent.entity.what", (r) =>
      list(r.entity)
        .map((e: Json) => e.what)
        .filter((w: Json) => String(w?.reference).startsWith("Patient/")),
    ),
    entity: refs("AuditEvent.entity.what", (r) => list(r.entity).map((e: Json) => e.what)),
    agent: refs("AuditEvent.agent.who", (r) => list(r.agent).map((a: Json) => a.who)),
    date: date("AuditEvent.recorded", (r) => r.recorded),
  },
  Medication: { code: token("Medication.code", (r) => r.code) },
};

/** A resource body that passed its TypeBox schema (fields read by name). */
export type ResourceBody = Record<string, any> & { resourceType: string };

/** The JSON of a stored resource. */
export type StoredResource = Resource & { id: string };
