// A professional's active role: a PractitionerRole of the person acting (their Practitioner by
// personal code) at the calling provider (the Organization by the X-Road-Client's registry
// code), active, its period (the licence's validity) covering today, with a licence number.
// Health Services Organisation Act § 3-4: only a registered, licensed professional provides care.
import type { Organization, Practitioner, PractitionerRole } from "@medplum/fhirtypes";
import { HealthError } from "../errors.ts";
import {
  LICENCE_SYSTEM,
  PERSONAL_CODE_SYSTEM,
  PHARMACY_LICENCE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  ROLE_SYSTEM,
} from "../fhir/identifiers.ts";
import type { HealthStore } from "../storage/health-store.ts";

export type RoleKind = "doctor" | "pharmacist";

export interface ActiveRole {
  role: PractitionerRole & { id: string };
  practitioner: Practitioner & { id: string };
  organization: Organization & { id: string };
  personalCode: string;
  licence: string;
  kinds: RoleKind[];
}

/** The last moment of a FHIR period's end: a date-only end lasts the whole day. */
export const periodEnd = (end: string): string => (end.length <= 10 ? `${end}T23:59:59.999Z` : end);

/** Whether a FHIR period covers a moment (open ends are unbounded). */
export function periodCovers(period: { start?: string; end?: string } | undefined, at: Date): boolean {
  const day = at.toISOString();
  if (period?.start && period.start > day) return false;
  return !period?.end || periodEnd(period.end) >= day;
}

/**
 * The person's active role at the organisation, of `kind` when given. ROLE_REQUIRED when they
 * have none there (or no person acts), LICENCE_EXPIRED when every role they have there is
 * inactive or outside its validity.
 */
export async function activeRole(
  store: HealthStore,
  person: string | undefined,
  registryCode: string | undefined,
  at: Date,
  kind?: RoleKind,
): Promise<ActiveRole> {
  if (!person || !registryCode)
    throw new HealthError(
      "ROLE_REQUIRED",
      "a professional acts in person (X-Road-UserId EE + personal code) for a provider (X-Road-Client)",
    );
  const practitioners = await store.idsBy("Practitioner", "identifier", PERSONAL_CODE_SYSTEM, person);
  const organizations = await store.idsBy("Organization", "identifier", REGISTRY_CODE_SYSTEM, registryCode);
  const roles = [];
  for (const p of practitioners)
    for (const id of await store.idsBy("PractitionerRole", "practitioner", undefined, `Practitioner/${p}`)) {
      const row = await store.get("PractitionerRole", id);
      const role = row?.resource as (PractitionerRole & { id: string }) | undefined;
      if (role && organizations.some((o) => role.organization?.reference === `Organization/${o}`)) roles.push(role);
    }
  const kindsOf = (role: PractitionerRole) =>
    (role.code ?? [])
      .flatMap((c) => c.coding ?? [])
      .filter((c) => c.system === ROLE_SYSTEM)
      .map((c) => c.code as RoleKind);
  const fitting = roles.filter((r) => !kind || kindsOf(r).includes(kind));
  if (fitting.length === 0)
    throw new HealthError(
      "ROLE_REQUIRED",
      `${person} has no ${kind ?? "professional"} role at the provider ${registryCode}`,
    );
  const licenceOf = (r: PractitionerRole) => r.identifier?.find((i) => i.system === LICENCE_SYSTEM)?.value;
  const role = fitting.find((r) => r.active !== false && periodCovers(r.period, at) && licenceOf(r));
  if (!role) {
    const last = fitting[0]!;
    throw new HealthError(
      "LICENCE_EXPIRED",
      `the licence ${licenceOf(last) ?? "(none)"} of ${person} at ${registryCode} is not valid on ${at.toISOString().slice(0, 10)} (valid ${last.period?.start ?? "…"} to ${last.period?.end ?? "…"})`,
    );
  }
  const practitioner = (await store.get("Practitioner", role.practitioner!.reference!.split("/")[1]!))!.resource;
  const organization = (await store.get("Organization", role.organization!.reference!.split("/")[1]!))!.resource;
  return {
    role,
    practitioner: practitioner as Practitioner & { id: string },
    organization: organization as Organization & { id: string },
    personalCode: person,
    licence: licenceOf(role)!,
    kinds: kindsOf(role),
  };
}

/** A pharmacy may dispense only under a valid activity licence (Medicinal Products Act § 29, § 42). */
export function pharmacyLicensed(organization: Organization, at: Date): boolean {
  return (organization.identifier ?? []).some(
    (i) => i.system === PHARMACY_LICENCE_SYSTEM && Boolean(i.value) && periodCovers(i.period, at),
  );
}

/**
 * A pharmacist acts, reads as well as dispenses, only for a pharmacy with a valid licence:
 * PHARMACY_NOT_LICENSED otherwise. A doctor's role is not a pharmacy's.
 */
export function checkPharmacyLicence(role: ActiveRole, at: Date): void {
  if (role.kinds.includes("pharmacist") && !role.kinds.includes("doctor") && !pharmacyLicensed(role.organization, at))
    throw new HealthError(
      "PHARMACY_NOT_LICENSED",
      `${role.organization.name ?? "the pharmacy"} has no valid pharmacy licence`,
    );
}
