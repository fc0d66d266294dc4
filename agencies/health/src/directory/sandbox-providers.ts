// The sandbox's directory on the first day: a clinic and a licensed pharmacy, a doctor and a
// pharmacist with their roles there, and the demo persons as Patients. In the real flow these
// come from the registers behind them (the business register, the Health Board's register of
// professionals, the State Agency of Medicines' licences, the population register feeding every
// resident: the `--directory-client` rights); a provider never creates a Patient itself, it finds
// the resident's by personal code. Each resource is created once: a second run finds it.
import type { PractitionerRole } from "@medplum/fhirtypes";
import { parsePersonalCode } from "@riik/core";
import type { Caller } from "../access/caller.ts";
import type { RoleKind } from "../access/role.ts";
import { createResource } from "../fhir/create.ts";
import {
  LICENCE_SYSTEM,
  PERSONAL_CODE_SYSTEM,
  PHARMACY_LICENCE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  ROLE_SYSTEM,
} from "../fhir/identifiers.ts";
import type { CreatableType, ResourceBody } from "../fhir/resources.ts";
import { type HealthStore, openHealthStore } from "../storage/health-store.ts";

export interface SandboxOrganization {
  registryCode: string;
  name: string;
}

export interface SandboxProfessional {
  personalCode: string;
  givenName: string;
  surname: string;
  /** The registration number in the Health Board's register; default D/P + the code's last 5 digits. */
  licence?: string;
}

export interface SandboxPerson {
  personalCode: string;
  givenName?: string;
  surname?: string;
}

export interface SandboxProviders {
  clinic: SandboxOrganization;
  /** The pharmacy's activity licence number; default `AA` + its registry code. */
  pharmacy: SandboxOrganization & { licence?: string };
  doctor: SandboxProfessional;
  pharmacist: SandboxProfessional;
  patients: readonly SandboxPerson[];
}

/** What a run created (0 on a second run): the counts per resource type. */
export type SandboxProvidersResult = Record<"Organization" | "Practitioner" | "PractitionerRole" | "Patient", number>;

/** The registers feed the directory: the resources are written as the operator, no person acting. */
const OPERATOR: Caller = { organization: undefined, person: undefined, purpose: undefined, emergency: false };
const LICENCE_YEARS = 5;

/** Creates what is missing of the sandbox's providers, professionals and patients (idempotent). */
export async function seedSandboxProviders(
  location: { dataDir: string; url?: string; schema?: string },
  spec: SandboxProviders,
  at = new Date(),
): Promise<SandboxProvidersResult> {
  const store = await openHealthStore(location);
  try {
    return await seed(store, spec, at);
  } finally {
    await store.close();
  }
}

async function seed(store: HealthStore, spec: SandboxProviders, at: Date): Promise<SandboxProvidersResult> {
  const created: SandboxProvidersResult = { Organization: 0, Practitioner: 0, PractitionerRole: 0, Patient: 0 };
  // The licences run from today for five years (a 29 February start ends on 1 March).
  const end = new Date(at);
  end.setUTCFullYear(end.getUTCFullYear() + LICENCE_YEARS);
  const period = { start: at.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };

  /** The id of the resource with that identifier, created from `body` when there is none. */
  const ensure = async (
    type: CreatableType & keyof SandboxProvidersResult,
    system: string,
    value: string,
    body: () => ResourceBody,
  ) => {
    const [id] = await store.idsBy(type, "identifier", system, value);
    if (id) return id;
    created[type]++;
    return (await createResource(store, OPERATOR, type, body(), at)).resource.id;
  };
  const organization = (org: SandboxOrganization, licence?: string) =>
    ensure("Organization", REGISTRY_CODE_SYSTEM, org.registryCode, () => ({
      resourceType: "Organization",
      active: true,
      name: org.name,
      identifier: [
        { system: REGISTRY_CODE_SYSTEM, value: org.registryCode },
        ...(licence ? [{ system: PHARMACY_LICENCE_SYSTEM, value: licence, period }] : []),
      ],
    }));
  const professional = async (person: SandboxProfessional, kind: RoleKind, organizationId: string) => {
    const practitionerId = await ensure("Practitioner", PERSONAL_CODE_SYSTEM, person.personalCode, () => ({
      resourceType: "Practitioner",
      active: true,
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: person.personalCode }],
      name: [{ given: [person.givenName], family: person.surname }],
    }));
    const licence = person.licence ?? `${kind === "doctor" ? "D" : "P"}${person.personalCode.slice(-5)}`;
    for (const id of await store.idsBy(
      "PractitionerRole",
      "practitioner",
      undefined,
      `Practitioner/${practitionerId}`,
    )) {
      const role = (await store.get("PractitionerRole", id))?.resource as PractitionerRole | undefined;
      if (role?.organization?.reference === `Organization/${organizationId}`) return;
    }
    created.PractitionerRole++;
    await createResource(
      store,
      OPERATOR,
      "PractitionerRole",
      {
        resourceType: "PractitionerRole",
        active: true,
        identifier: [{ system: LICENCE_SYSTEM, value: licence }],
        period,
        practitioner: { reference: `Practitioner/${practitionerId}` },
        organization: { reference: `Organization/${organizationId}` },
        code: [{ coding: [{ system: ROLE_SYSTEM, code: kind }] }],
      },
      at,
    );
  };

  const clinic = await organization(spec.clinic);
  const pharmacy = await organization(spec.pharmacy, spec.pharmacy.licence ?? `AA${spec.pharmacy.registryCode}`);
  await professional(spec.doctor, "doctor", clinic);
  await professional(spec.pharmacist, "pharmacist", pharmacy);
  for (const person of spec.patients) {
    const { birthDate, sex } = parsePersonalCode(person.personalCode);
    await ensure("Patient", PERSONAL_CODE_SYSTEM, person.personalCode, () => ({
      resourceType: "Patient",
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: person.personalCode }],
      ...(person.givenName || person.surname
        ? {
            name: [
              {
                ...(person.givenName ? { given: [person.givenName] } : {}),
                ...(person.surname ? { family: person.surname } : {}),
              },
            ],
          }
        : {}),
      gender: sex,
      birthDate,
    }));
  }
  return created;
}
