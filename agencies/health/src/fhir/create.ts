// FHIR create (http.html#create) for the directory and clinical resources: the schema has
// checked the shape; these are the rules about content and who may write. Directory resources
// (Patient, Practitioner, Organization, PractitionerRole) come from the registers behind them
// and are limited by the security server's access rights; clinical data is written by a
// professional with an active role at the calling provider; a Consent by the patient.
import type { Consent, DocumentReference, Identifier } from "@medplum/fhirtypes";
import { isValidPersonalCode } from "@riik/core";
import type { ValidationOptions } from "@riik/signature";
import type { Caller } from "../access/caller.ts";
import { activeRole } from "../access/role.ts";
import { fieldError, HealthError } from "../errors.ts";
import { ASIC_E, attachmentBytes, verifyAuthorSignature } from "../signatures/author-signature.ts";
import type { HealthStore } from "../storage/health-store.ts";
import { LICENCE_SYSTEM, PERSONAL_CODE_SYSTEM, REGISTRY_CODE_SYSTEM } from "./identifiers.ts";
import type { CreatableType, ResourceBody, StoredResource } from "./resources.ts";

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
  const { id: _ignored, meta: _meta, ...body } = input;
  const personal = (v: string) => /^[0-9]{11}$/.test(v) && isValidPersonalCode(v);
  let patientCode: string | null = null;
  switch (type) {
    case "Patient": {
      patientCode = requiredIdentifier(body as ResourceBody, PERSONAL_CODE_SYSTEM, personal, "a valid personal code");
      await unique(store, type, PERSONAL_CODE_SYSTEM, patientCode);
      break;
    }
    case "Practitioner": {
      const code = requiredIdentifier(body as ResourceBody, PERSONAL_CODE_SYSTEM, personal, "a valid personal code");
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
      requiredIdentifier(body as ResourceBody, LICENCE_SYSTEM, (v) => v.length > 0, "the licence number");
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
  const resource = await store.write((write) => store.insert(write, body as ResourceBody, patientCode, at), at);
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

/** FHIR update of a Consent (reopening is status inactive): by the patient, the patient unchanged. */
export async function updateConsent(
  store: HealthStore,
  caller: Caller,
  id: string,
  input: ResourceBody,
  at: Date,
): Promise<StoredResource> {
  const current = await store.get("Consent", id);
  if (!current) throw new HealthError("RESOURCE_NOT_FOUND", `no Consent/${id}`);
  if (caller.person !== current.patientCode)
    throw new HealthError("NOT_THE_PATIENT", "a patient closes and reopens their data themselves");
  if (input.id !== undefined && input.id !== id)
    throw fieldError("RESOURCE_INVALID", "Consent.id", "Consent.id must be the id of the URL");
  if (input.patient.reference !== (current.resource as Consent).patient?.reference)
    throw fieldError("RESOURCE_INVALID", "Consent.patient", "a Consent's patient cannot change");
  await checkConsentData(store, input as Consent, current.patientCode!);
  return store.write((write) => store.update(write, { ...input, id } as StoredResource, at), at);
}
