// Test support: a running health information system on a given storage, real trust services
// for the doctors' ID cards, and the directory (a clinic, a licensed and an unlicensed pharmacy,
// doctors and pharmacists with their roles, a patient) created through fhir-kit-client.
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { generatePersonalCode } from "@riik/core";
import type { MemberService } from "@riik/kit";
import { type CardFile, issueCard } from "@riik/pki";
import type { TestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import { Client } from "fhir-kit-client";
import {
  createHealthService,
  type HealthSystem,
  type InsuranceCheck,
  LICENCE_SYSTEM,
  openHealthSystem,
  PERSONAL_CODE_SYSTEM,
  PHARMACY_LICENCE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  ROLE_SYSTEM,
  signedDocument,
  signedFileName,
} from "../src/index.ts";

export const PIN2 = "12345";
export const CLINIC = "10000018";
export const PHARMACY = "10000024";
export const UNLICENSED_PHARMACY = "10000030";

export interface Person {
  code: string;
  card?: CardFile;
}

export interface World {
  system: HealthSystem;
  service: MemberService;
  url: string;
  patient: { code: string; id: string };
  doctor: Person;
  expiredDoctor: Person;
  pharmacist: Person;
  unlicensedPharmacist: Person;
  /** A fhir-kit-client acting as `person` for the member `registryCode` with `purpose`. */
  as(
    person: string | undefined,
    registryCode?: string,
    purpose?: string,
    extra?: Record<string, string>,
  ): InstanceType<typeof Client>;
  close(): Promise<void>;
}

let serial = 200;
const person = (birth: string, sex: "male" | "female") => generatePersonalCode(birth, sex, serial++);

/** Headers the provider's security server would set for a call. */
export function xroadHeaders(
  code: string | undefined,
  registryCode?: string,
  purpose?: string,
): Record<string, string> {
  return {
    ...(registryCode ? { "X-Road-Client": `EE/COM/${registryCode}/his` } : {}),
    ...(code ? { "X-Road-UserId": `EE${code}` } : {}),
    ...(purpose ? { "X-Road-Issue": purpose } : {}),
  };
}

export async function startWorld(
  location: { dataDir: string; url?: string; schema?: string },
  trust: TestTrustServices,
  insurance?: InsuranceCheck,
): Promise<World> {
  const system = await openHealthSystem(location, {
    trustAnchors: [trust.services.root],
    ...(insurance ? { insurance } : {}),
  });
  const service = createHealthService(system.store, system.centre);
  const url = await service.listen({ port: 0 });
  const base = `${url}/fhir`;
  const as: World["as"] = (code, registryCode, purpose, extra = {}) =>
    new Client({ baseUrl: base, customHeaders: { ...xroadHeaders(code, registryCode, purpose), ...extra } });
  const operator = as(undefined);
  const create = async <T extends Resource>(resource: T) =>
    (await operator.create({ resourceType: resource.resourceType, body: resource as never })) as unknown as T & {
      id: string;
    };
  const organization = (registryCode: string, name: string, licensed?: boolean) =>
    create({
      resourceType: "Organization",
      name,
      identifier: [
        { system: REGISTRY_CODE_SYSTEM, value: registryCode },
        ...(licensed
          ? [
              {
                system: PHARMACY_LICENCE_SYSTEM,
                value: `L${registryCode}`,
                period: { start: "2020-01-01", end: "2030-12-31" },
              },
            ]
          : []),
      ],
    });
  const clinic = await organization(CLINIC, "Kesklinna Perearstikeskus OÜ");
  const pharmacy = await organization(PHARMACY, "Raekoja Apteek OÜ", true);
  const unlicensed = await organization(UNLICENSED_PHARMACY, "Nurgaapteek OÜ", false);
  const professional = async (kind: "doctor" | "pharmacist", org: { id: string }, until: string, withCard: boolean) => {
    const code = person(kind === "doctor" ? "1975-03-04" : "1985-07-08", "female");
    const practitioner = await create({
      resourceType: "Practitioner",
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: code }],
      name: [{ given: ["Mari"], family: `Arst${serial}` }],
    });
    await create({
      resourceType: "PractitionerRole",
      active: true,
      identifier: [{ system: LICENCE_SYSTEM, value: `D${serial}` }],
      period: { start: "2015-01-01", end: until },
      practitioner: { reference: `Practitioner/${practitioner.id}` },
      organization: { reference: `Organization/${org.id}` },
      code: [{ coding: [{ system: ROLE_SYSTEM, code: kind }] }],
    });
    const card = withCard
      ? await issueCard(trust.services, {
          personalCode: code,
          givenName: "Mari",
          surname: "Arst",
          pin1: "1234",
          pin2: PIN2,
        })
      : undefined;
    return { code, ...(card ? { card } : {}) };
  };
  const doctor = await professional("doctor", clinic, "2030-12-31", true);
  const expiredDoctor = await professional("doctor", clinic, "2025-12-31", false);
  const pharmacist = await professional("pharmacist", pharmacy, "2030-12-31", false);
  const unlicensedPharmacist = await professional("pharmacist", unlicensed, "2030-12-31", false);
  const patientCode = person("1990-01-02", "male");
  const patient = await create({
    resourceType: "Patient",
    identifier: [{ system: PERSONAL_CODE_SYSTEM, value: patientCode }],
    name: [{ given: ["Jaan"], family: "Tamm" }],
    birthDate: "1990-01-02",
  });
  return {
    system,
    service,
    url,
    patient: { code: patientCode, id: patient.id },
    doctor,
    expiredDoctor,
    pharmacist,
    unlicensedPharmacist,
    as,
    close: async () => {
      await service.close();
      await system.close();
    },
  };
}

/** The OperationOutcome a fhir-kit-client call was refused with, and its status. */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string; expression: string[] }> {
  try {
    await call;
  } catch (error) {
    const { status, data } = (
      error as {
        response: {
          status: number;
          data: {
            resourceType: string;
            issue: Array<{ details: { coding: Array<{ code: string }> }; expression?: string[] }>;
          };
        };
      }
    ).response;
    if (data.resourceType !== "OperationOutcome") throw new Error(`not an OperationOutcome: ${JSON.stringify(data)}`);
    return { status, code: data.issue[0]!.details.coding[0]!.code, expression: data.issue[0]!.expression ?? [] };
  }
  throw new Error("the call was not refused");
}

export const entries = (bundle: unknown) => ((bundle as Bundle).entry ?? []).map((e) => e.resource!);

/** TEXT as the one file NAME of an ASiC-E container signed with CARD's PIN2 key, time-stamped by TRUST's TSA. */
export async function signedContainer(
  trust: TestTrustServices,
  card: CardFile,
  name: string,
  text: string,
): Promise<Uint8Array> {
  const container = createContainer([
    { name, mediaType: "application/fhir+json", data: new TextEncoder().encode(text) },
  ]);
  const { container: done } = await signContainer(container, await cardFileSigner(card, PIN2), {
    tsaUrl: `${trust.url}/tsa`,
  });
  return writeContainer(done);
}

/**
 * A prescription of 4 packages of metformin (€4.00, 90 %, two dispensings) for PATIENT_ID,
 * written by the world's doctor and signed with their card; EXTRA adds to the MedicationRequest
 * (its type, for one). Answers its id.
 */
export async function signedPrescription(
  world: World,
  trust: TestTrustServices,
  patientId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const doctor = { organization: CLINIC, person: world.doctor.code, purpose: undefined, emergency: false };
  const request = await world.system.centre.prescribe(doctor, {
    resourceType: "MedicationRequest",
    intent: "order",
    medicationReference: { reference: "Medication/metformin-500" },
    subject: { reference: `Patient/${patientId}` },
    requester: { reference: "PractitionerRole/ignored" },
    dosageInstruction: [{ text: "1 tablet twice a day" }],
    dispenseRequest: { quantity: { value: 4, unit: "package" }, numberOfRepeatsAllowed: 1 },
    ...extra,
  });
  const row = (await world.system.store.get("MedicationRequest", request.id))!;
  const container = await signedContainer(
    trust,
    world.doctor.card!,
    signedFileName(request.id),
    signedDocument(row.resource),
  );
  await world.system.centre.sign(doctor, request.id, container);
  return request.id;
}

/**
 * A patient's closure (a Consent as read-guard.ts reads it: active, scope patient-privacy,
 * provision deny) of the documents named, or of the whole record when none is.
 */
export const closureOf = (patientId: string, ...documents: string[]) => ({
  resourceType: "Consent",
  status: "active",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: { reference: `Patient/${patientId}` },
  provision: {
    type: "deny",
    ...(documents.length > 0
      ? { data: documents.map((reference) => ({ meaning: "instance", reference: { reference } })) }
      : {}),
  },
});
