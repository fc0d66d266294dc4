// Who may collect a prescription: its type, written by the doctor (public by default, or
// named-representative with the person named), and the buyer, identified by the pharmacist.
import type { Extension } from "@medplum/fhirtypes";
import { isValidPersonalCode } from "@riik/core";
import type { Transaction } from "kysely";
import { mandateOf } from "../access/representation.ts";
import { fieldError, HealthError } from "../errors.ts";
import { EXTENSION, PERSONAL_CODE_SYSTEM, PRESCRIPTION_TYPES, type PrescriptionType } from "../fhir/identifiers.ts";
import type { ResourceBody } from "../fhir/resources.ts";
import type { HealthStore } from "../storage/health-store.ts";
import type { HealthDb, PrescriptionTable } from "../storage/schema.ts";

export interface PrescriptionKind {
  kind: PrescriptionType;
  /** The person named on a named-representative prescription. */
  representative: string | null;
}

/** The body's extensions that are objects (anything else in the array is not one of riik's). */
const extensionsOf = (body: ResourceBody): Array<Partial<Extension>> =>
  Array.isArray(body.extension) ? body.extension.map((e) => (typeof e === "object" && e !== null ? e : {})) : [];

/** The personal code in extension URL of BODY, or RESOURCE_INVALID naming it. */
function personalCodeIn(body: ResourceBody, url: string, what: string): string | undefined {
  const extensions = extensionsOf(body);
  const index = extensions.findIndex((e) => e.url === url);
  if (index < 0) return undefined;
  const identifier = extensions[index]!.valueIdentifier;
  const { system, value } = typeof identifier === "object" && identifier !== null ? identifier : {};
  if (system !== PERSONAL_CODE_SYSTEM || !value || !/^[0-9]{11}$/.test(value) || !isValidPersonalCode(value))
    throw fieldError(
      "RESOURCE_INVALID",
      `${body.resourceType}.extension[${index}].valueIdentifier`,
      `${what} is a valid personal code (system ${PERSONAL_CODE_SYSTEM})`,
    );
  return value;
}

/**
 * The type a doctor wrote on the MedicationRequest. A named representative must hold the
 * patient's mandate when the prescription is written (REFERENCE_NOT_FOUND otherwise): the
 * doctor names one of the people the patient chose.
 */
export async function prescriptionKindOf(
  store: HealthStore,
  body: ResourceBody,
  patientCode: string,
  at: Date,
): Promise<PrescriptionKind> {
  const extensions = extensionsOf(body);
  const index = extensions.findIndex((e) => e.url === EXTENSION.prescriptionType);
  const kind = index < 0 ? "public" : extensions[index]!.valueCode;
  if (!PRESCRIPTION_TYPES.includes(kind as PrescriptionType))
    throw fieldError(
      "RESOURCE_INVALID",
      `MedicationRequest.extension[${index}].valueCode`,
      `a prescription's type is one of ${PRESCRIPTION_TYPES.join(", ")}`,
    );
  const named = personalCodeIn(body, EXTENSION.namedRepresentative, "the named representative");
  if (kind === "public") {
    if (named)
      throw fieldError(
        "RESOURCE_INVALID",
        "MedicationRequest.extension",
        "a public prescription names no representative",
      );
    return { kind, representative: null };
  }
  const expression = `MedicationRequest.extension[${extensions.findIndex((e) => e.url === EXTENSION.namedRepresentative)}]`;
  if (!named)
    throw fieldError(
      "RESOURCE_INVALID",
      "MedicationRequest.extension",
      `a named-representative prescription names the person in ${EXTENSION.namedRepresentative}`,
    );
  if (named === patientCode)
    throw fieldError("RESOURCE_INVALID", expression, "the patient is not their own representative");
  if ((await mandateOf(store, patientCode, named, at)) !== "valid")
    throw fieldError("REFERENCE_NOT_FOUND", expression, `${named} holds no mandate of the patient today`);
  return { kind: "named-representative", representative: named };
}

/** The extensions that record a prescription's type on the stored MedicationRequest. */
export const kindExtensions = ({ kind, representative }: PrescriptionKind): Extension[] => [
  { url: EXTENSION.prescriptionType, valueCode: kind },
  ...(representative
    ? [{ url: EXTENSION.namedRepresentative, valueIdentifier: { system: PERSONAL_CODE_SYSTEM, value: representative } }]
    : []),
];

/** The extension by which a pharmacist names the buyer on a MedicationDispense. */
export const buyerExtension = (personalCode: string): Extension => ({
  url: EXTENSION.buyer,
  valueIdentifier: { system: PERSONAL_CODE_SYSTEM, value: personalCode },
});

/** The buyer the pharmacist identified (the buyer extension): required on every dispense. */
export function buyerOf(input: ResourceBody): string {
  const buyer = personalCodeIn(input, EXTENSION.buyer, "the buyer");
  if (!buyer)
    throw fieldError(
      "RESOURCE_INVALID",
      "MedicationDispense.extension",
      `the pharmacist identifies the buyer: an extension ${EXTENSION.buyer} with their personal code`,
    );
  return buyer;
}

/**
 * Whether BUYER may collect the prescription ROW at AT: anyone may collect a public one; a
 * named-representative one only the patient, or the person named while their mandate holds.
 */
export async function checkCollector(
  store: HealthStore,
  row: PrescriptionTable,
  buyer: string,
  at: Date,
  trx: Transaction<HealthDb>,
): Promise<void> {
  if (row.kind !== "named-representative" || buyer === row.patient_code) return;
  if (buyer !== row.representative_code)
    throw new HealthError(
      "BUYER_NOT_ENTITLED",
      "this prescription is collected only by the patient or the representative named on it",
    );
  if ((await mandateOf(store, row.patient_code, buyer, at, trx)) !== "valid")
    throw new HealthError(
      "REPRESENTATIVE_MANDATE_ENDED",
      `${buyer} no longer holds the patient's mandate: only the patient may collect this prescription now`,
    );
}
