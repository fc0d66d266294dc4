// FHIR create (http.html#create) for the directory and clinical resources: the schema has
// checked the shape; these are the rules about content and who may write. Directory resources
// (Patient, Practitioner, Organization, PractitionerRole) come from the registers behind them
// and are limited by the security server's access rights; clinical data is written by a
// professional with an active role at the calling provider; a Consent and a RelatedPerson
// (a representative's mandate) by the patient.
import type { Consent, DocumentReference, Identifier, RelatedPerson } from "@medplum/fhirtypes";
import { isValidPersonalCode } from "@riik/core";
import type { ValidationOptions } from "@riik/signature";
import type { Caller } from "../access/caller.ts";
import { checkMandatePeriod, mandateOf, representativeCodeOf } from "../access/representation.ts";
import { activeRole } from "../access/role.ts";
import { fieldError, HealthError } from "../errors.ts";
import { ASIC_E, attachmentBytes, verifyAuthorSignature } from "../signatures/author-signature.ts";
import type { HealthStore } from "../storage/health-store.ts";
import {
  LICENCE_SYSTEM,
  PERSONAL_CODE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  REPRESENTATIVE_RELATIONSHIP,
} from "./identifiers.ts";
import type { CreatableType, ResourceBody, StoredResource } from "./resources.ts";

const personal = (v: string) => /^[0-9]{11}$/.test(v) && isValidPersonalCode(v);

/** The identifier of `system` a resource must carry, checked by `valid`; else RESOURCE_INVALID naming it. */
function requiredIdentifier(
  body: ResourceBody,
  system: string,
  valid: (value: string) => boolean,
  what: string,
): string {
  const index = (body.identifier as Identifier[]).findIndex((i) => i.system === system);
  const value = index < 0 ? undefined : body.identifier[index].value;
  if (!value || !valid(value))
    throw fieldError(
      "RESOURCE_INVALID",
      index < 0 ? `${body.resourceType}.identifier` : `${body.resourceType}.identifier[${index}].value`,
      `${body.resourceType}.identifier must hold ${what} (system ${system})`,
    );
  return value;
}

async function unique(store: HealthStore, type: CreatableType, system: string, value: string): Promise<void> {
  if ((await store.idsBy(type, "identifier", system, value)).length > 0)
    throw fieldError("IDENTIFIER_TAKEN", `${type}.identifier`, `a ${type} with ${value} is already here`);
}

/** Creates a directory or clinical resource (not MedicationRequest/MedicationDispense: the centre's). */
export async function createResource(
  store: HealthStore,
  caller: Caller,
  type: Exclude<CreatableType, "MedicationRequest" | "MedicationDispense">,
  input: ResourceBody,
  at: Date,
  /** What a document's author signature must chain to (only documents are signed). */
  trustAnchors: ValidationOptions["trustAnchors"] = [],
): Promise<{ resource: StoredResource; patientCode: string | null }> {
  const { id: _ignored, meta: _meta, ...given } = input;
  let body = given as ResourceBody;
  let patientCode: string | null = null;
  switch (type) {
    case "Patient": {
      patientCode = requiredIdentifier(body, PERSONAL_CODE_SYSTEM, personal, "a valid personal code");
      await unique(store, type, PERSONAL_CODE_SYSTEM, patientCode);
      break;
    }
    case "Practitioner": {
      const code = requiredIdentifier(body, PERSONAL_CODE_SYSTEM, personal, "a valid personal code");
      await unique(store, type, PERSONAL_CODE_SYSTEM, code);
      break;
    }
    case "Organization": {
      const code = requiredIdentifier(
        body as ResourceBody,
        REGISTRY_CODE_SYSTEM,
        (v) => /^[1-9][0-9]{7}$/.test(v),
        "an 8-digit registry code",
      );
      await unique(store, type, REGISTRY_CODE_SYSTEM, code);
      break;
    }
    case "PractitionerRole": {
      requiredIdentifier(body, LICENCE_SYSTEM, (v) => v.length > 0, "the licence number");
      await store.target(body.practitioner.reference, "Practitioner", "PractitionerRole.practitioner");
      await store.target(body.organization.reference, "Organization", "PractitionerRole.organization");
      break;
    }
    case "Consent": {
      const patient = await store.target(body.patient.reference, "Patient", "Consent.patient");
      patientCode = patient.patientCode;
      if (caller.person !== patientCode)
        throw new HealthError("NOT_THE_PATIENT", "a patient closes their data and declares their intent themselves");
      await checkConsentData(store, body as Consent, patientCode!);
      break;
    }
    case "RelatedPerson": {
      const patient = await store.target(body.patient.reference, "Patient", "RelatedPerson.patient");
      patientCode = patient.patientCode!;
      if (caller.person !== patientCode)
        throw new HealthError("NOT_THE_PATIENT", "a patient names their representatives themselves");
      const representative = requiredIdentifier(body, PERSONAL_CODE_SYSTEM, personal, "a valid personal code");
      if (representative === patientCode)
        throw fieldError("RESOURCE_INVALID", "RelatedPerson.identifier", "a patient does not represent themselves");
      if ((await mandateOf(store, patientCode, representative, at)) === "valid")
        throw fieldError("IDENTIFIER_TAKEN", "RelatedPerson.identifier", `${representative} represents you already`);
      const period = { ...body.period, start: body.period?.start ?? at.toISOString() };
      checkMandatePeriod(period, at);
      body = { ...body, active: true, relationship: [{ coding: [REPRESENTATIVE_RELATIONSHIP] }], period };
      break;
    }
    default: {
      const patient = await store.target(body.subject.reference, "Patient", `${type}.subject`);
      patientCode = patient.patientCode;
      if (body.encounter) await store.target(body.encounter.reference, "Encounter", `${type}.encounter`);
      // Written by a professional at work: their role at the calling provider, valid today.
      await activeRole(store, caller.person, caller.organization, at);
      if (type === "DocumentReference")
        await checkDocumentSignature(store, body as DocumentReference, caller, patientCode, trustAnchors);
    }
  }
  const resource = await store.write((write) => store.insert(write, body, patientCode, at), at);
  return { resource, patientCode };
}

/**
 * A visit summary's document carries its author's signature (the doctor's card): every ASiC-E
 * attachment must be the signature, by the professional writing the document, of the
 * Composition it relates to (context.related), as stored for the same patient.
 */
async function checkDocumentSignature(
  store: HealthStore,
  document: DocumentReference,
  caller: Caller,
  patientCode: string | null,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<void> {
  const related = (document.context?.related ?? []).findIndex((r) => r.reference?.startsWith("Composition/"));
  const expression = `DocumentReference.context.related[${Math.max(related, 0)}]`;
  if (related < 0) throw fieldError("RESOURCE_INVALID", expression, "a document names the Composition it signs");
  const composition = await store.target(document.context!.related![related]!.reference, "Composition", expression);
  if (composition.patientCode !== patientCode)
    throw fieldError("REFERENCE_NOT_FOUND", expression, "the Composition is another patient's");
  const signed = document.content
    .map((content, i) => ({ attachment: content.attachment, expression: `DocumentReference.content[${i}].attachment` }))
    .filter(({ attachment }) => attachment.contentType === ASIC_E);
  if (trustAnchors.length === 0)
    throw new HealthError("SIGNATURE_INVALID", "no trust anchor is configured to verify the author's signature");
  if (signed.length === 0)
    throw fieldError(
      "SIGNATURE_INVALID",
      "DocumentReference.content",
      `a document carries its author's signature (${ASIC_E})`,
    );
  for (const { attachment, expression: at } of signed)
    await verifyAuthorSignature(
      attachmentBytes(attachment, at),
      composition.resource,
      caller.person,
      trustAnchors,
      new HealthError("SIGNER_NOT_AUTHOR", "the document is signed by someone other than the professional writing it"),
    );
}

/** The documents a closure names must be the patient's own. */
async function checkConsentData(store: HealthStore, consent: Consent, patientCode: string): Promise<void> {
  for (const [i, data] of (consent.provision?.data ?? []).entries()) {
    const [type, id] = (data.reference.reference ?? "").split("/");
    const row = type && id ? await store.get(type as CreatableType, id) : undefined;
    if (!row || row.patientCode !== patientCode)
      throw fieldError(
        "REFERENCE_NOT_FOUND",
        `Consent.provision.data[${i}].reference`,
        `the patient has no ${data.reference.reference} here`,
      );
  }
}

/** The resources a patient changes themselves (FHIR update): closures and declarations, representatives' mandates. */
export const PATIENT_UPDATABLE = ["Consent", "RelatedPerson"] as const;
export type PatientUpdatable = (typeof PATIENT_UPDATABLE)[number];

/**
 * FHIR update of a Consent (reopening is status inactive) or a RelatedPerson (ending a mandate
 * is active false: it ends now): by the patient, the patient and the representative unchanged.
 */
export async function updateByPatient(
  store: HealthStore,
  caller: Caller,
  type: PatientUpdatable,
  id: string,
  input: ResourceBody,
  at: Date,
): Promise<StoredResource> {
  const current = await store.get(type, id);
  if (!current) throw new HealthError("RESOURCE_NOT_FOUND", `no ${type}/${id}`);
  if (caller.person !== current.patientCode)
    throw new HealthError("NOT_THE_PATIENT", "a patient changes their closures and mandates themselves");
  if (input.id !== undefined && input.id !== id)
    throw fieldError("RESOURCE_INVALID", `${type}.id`, `${type}.id must be the id of the URL`);
  if (input.patient.reference !== (current.resource as Consent | RelatedPerson).patient?.reference)
    throw fieldError("RESOURCE_INVALID", `${type}.patient`, `a ${type}'s patient cannot change`);
  let body = input;
  if (type === "Consent") await checkConsentData(store, input as Consent, current.patientCode!);
  else {
    if (representativeCodeOf(input as RelatedPerson) !== representativeCodeOf(current.resource as RelatedPerson))
      throw fieldError(
        "RESOURCE_INVALID",
        "RelatedPerson.identifier",
        "name another representative with a new mandate",
      );
    const period = { ...input.period, start: (current.resource as RelatedPerson).period?.start };
    if (input.active === false) body = { ...input, period: { ...period, end: endedBy(period.end, at) } };
    else {
      checkMandatePeriod(period, at);
      body = { ...input, period };
    }
  }
  return store.write((write) => store.update(write, { ...body, id } as StoredResource, at), at);
}

/** A mandate ended now keeps an earlier end it already had. */
const endedBy = (end: string | undefined, at: Date) => (end && Date.parse(end) < at.getTime() ? end : at.toISOString());
