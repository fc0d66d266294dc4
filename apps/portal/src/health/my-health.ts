import type { HealthConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import { PersonalService, type XRoadCalls } from "../xroad/calls.ts";

// "My health" (issue #16): the patient's own data in the health information system (HL7 FHIR
// R4 over X-Road as the person logged in, who reads everything of their own: closed documents
// and who read them too), the closures and declarations of intent they make themselves
// (Consent), and the health insurance fund's "am I insured".

/** Estonian personal identification code (fhir.ee EEBase NamingSystem). */
const PERSONAL_CODE_SYSTEM = "https://fhir.ee/sid/pid/est/ni";
const CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
const PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/** LOINC 59284-0 "Patient Consent", the category the health system's Consents carry. */
const PATIENT_CONSENT = { system: "http://loinc.org", code: "59284-0" };
/** The person's declarations of intent, a riik code system beside the Consent's LOINC category. */
const DECLARATION_SYSTEM = "https://riik.ee/fhir/CodeSystem/declaration-of-intent";
const EXTENSION = {
  patientShare: "https://riik.ee/fhir/StructureDefinition/patient-share",
  fundShare: "https://riik.ee/fhir/StructureDefinition/fund-reimbursement",
  remaining: "https://riik.ee/fhir/StructureDefinition/remaining-quantity",
  price: "https://riik.ee/fhir/StructureDefinition/price",
  prescriptionType: "https://riik.ee/fhir/StructureDefinition/prescription-type",
  namedRepresentative: "https://riik.ee/fhir/StructureDefinition/named-representative",
  buyer: "https://riik.ee/fhir/StructureDefinition/buyer",
} as const;
/** A representative's relationship: HL7 v3 RoleCode HPOWATT, healthcare power of attorney. */
const REPRESENTATIVE = { system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode", code: "HPOWATT" };
/** Types whose answers are read at most this many (the health system's largest page). */
const PAGE = 100;

export const DECLARATION_KINDS = ["organ-donation", "blood-transfusion"] as const;
export type DeclarationKind = (typeof DECLARATION_KINDS)[number];
/** consent: permit; refuse: deny; none: no declaration in force. */
export type DeclarationChoice = "consent" | "refuse" | "none";
export const CLOSABLE_DOCUMENT = /^(Composition|DocumentReference)\/[A-Za-z0-9\-.]{1,64}$/;

export interface HealthDocument {
  /** `Composition/<id>` or `DocumentReference/<id>`. */
  ref: string;
  title: string;
  date: string | null;
  author: string;
  status: string;
  /** The Consent closing this one document, if any (the whole record's closure is `wholeRecord`). */
  closedBy: string | null;
}

export interface HealthVisit {
  ref: string;
  start: string | null;
  end: string | null;
  kind: string;
  provider: string;
  status: string;
  closedBy: string | null;
}

export interface HealthDeclaration {
  kind: DeclarationKind;
  choice: DeclarationChoice;
  /** The Consent that records it (kept and changed, never a second one of a kind). */
  consent: string | null;
  since: string | null;
}

export interface HealthRepresentative {
  /** The RelatedPerson holding the mandate. */
  id: string;
  personalCode: string;
  since: string | null;
  until: string | null;
  /** valid: may act for the person now; pending: from a later day; ended: ended by the person or expired. */
  status: "valid" | "pending" | "ended";
}

export interface HealthRecord {
  /** Whether the health system holds the person as a patient at all. */
  found: boolean;
  /** The Consent closing the whole record, if one is active. */
  wholeRecordClosedBy: string | null;
  documents: HealthDocument[];
  visits: HealthVisit[];
  declarations: HealthDeclaration[];
  /** The people the person has given a mandate to act for them in health matters, newest first. */
  representatives: HealthRepresentative[];
}

export interface HealthDispense {
  when: string | null;
  packages: number;
  pharmacy: string;
  priceCents: number | null;
  patientShareCents: number | null;
  fundShareCents: number | null;
  /** The personal code of who collected it, as the pharmacist identified them. */
  buyer: string | null;
}

export interface HealthPrescription {
  id: string;
  medicine: string;
  dosage: string;
  status: string;
  authoredOn: string | null;
  validUntil: string | null;
  packages: number;
  dispensingsAllowed: number;
  dispensingsLeft: number;
  packagesLeft: number;
  /** public: anyone giving the person's code may collect it; named-representative: only they or the person named. */
  type: "public" | "named-representative";
  namedRepresentative: string | null;
  dispenses: HealthDispense[];
}

export interface HealthInsurance {
  insured: boolean;
  on: string;
  period: { basis: string; start: string; end: string | null } | null;
}

export interface HealthRead {
  at: string;
  professional: string;
  professionalCode: string;
  organisation: string;
  purpose: string;
  /** Read as an emergency ("break the glass", HL7 v3 ETREAT). */
  emergency: boolean;
  /** Refused: what was asked for was closed (AuditEvent.outcome 4). */
  refused: boolean;
  resources: string[];
}

type Json = Record<string, unknown>;

const bad = (what: string) => new PortalError("PORTAL_BAD_RESPONSE", `the health system's answer has ${what}`);
const record = (value: unknown, what = "no JSON object"): Json => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(what);
  return value as Json;
};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown, max = 500): string => (typeof value === "string" ? value.slice(0, max) : "");
const maybe = (value: unknown, max = 40): string | null => (typeof value === "string" ? value.slice(0, max) : null);
const count = (value: unknown): number => (typeof value === "number" && Number.isSafeInteger(value) ? value : 0);
const concept = (value: unknown): string => {
  const c = typeof value === "object" && value !== null ? (value as Json) : {};
  const coding = list(c.coding).map((x) => record(x, "a coding that is not an object"));
  return text(c.text) || text(coding[0]?.display) || text(coding[0]?.code);
};
const display = (value: unknown): string =>
  typeof value === "object" && value !== null ? text((value as Json).display) : "";
const refOf = (value: unknown): string =>
  typeof value === "object" && value !== null ? text((value as Json).reference, 130) : "";
const extensionOf = (resource: Json, url: string): Json | undefined =>
  list(resource.extension).find((e) => record(e).url === url) as Json | undefined;
/** The personal code an extension holds as valueIdentifier. */
const codeIn = (resource: Json, url: string): string | null =>
  maybe(record(extensionOf(resource, url)?.valueIdentifier ?? {}).value, 11);
const money = (resource: Json, url: string): number | null => {
  const found = extensionOf(resource, url);
  const value = found?.valueMoney ?? found?.valueQuantity;
  const amount = typeof value === "object" && value !== null ? (value as Json).value : undefined;
  return typeof amount === "number" ? Math.round(amount * (found?.valueMoney ? 100 : 1)) : null;
};

/** The resources of a searchset Bundle (matches and includes). */
function entries(bundle: unknown): Json[] {
  const b = record(bundle);
  if (b.resourceType !== "Bundle") throw bad("no searchset Bundle");
  return list(b.entry).map((e) => record(record(e).resource, "a Bundle entry without a resource"));
}

const codingOf = (consent: Json, system: string) =>
  list(record(consent.scope ?? {}).coding)
    .concat(list(consent.category).flatMap((c) => list(record(c).coding)))
    .map((c) => record(c))
    .find((c) => c.system === system);

/** The health system's closure: active, scope patient-privacy, provision deny (its read-guard.ts). */
const isClosure = (consent: Json) =>
  consent.status === "active" &&
  record(consent.provision ?? {}).type === "deny" &&
  codingOf(consent, CONSENT_SCOPE)?.code === "patient-privacy";

/**
 * The health information system's `fhir` service and the fund's `insurance` service, as the
 * person logged in (X-Road-UserId): the health system answers a patient their own data only
 * and lets no one else close, reopen or declare for them.
 */
export class MyHealth {
  readonly #fhir: PersonalService;
  readonly #insurance: PersonalService;

  constructor(
    xroad: XRoadCalls,
    client: string,
    config: Pick<HealthConfig, "fhirService" | "insuranceService">,
    purpose: string,
  ) {
    this.#fhir = new PersonalService(xroad, { client, service: config.fhirService, purpose });
    this.#insurance = new PersonalService(xroad, { client, service: config.insuranceService, purpose });
  }

  async #search(code: string, type: string, extra = ""): Promise<Json[]> {
    const patient = encodeURIComponent(`${PERSONAL_CODE_SYSTEM}|${code}`);
    return entries(await this.#fhir.call(code, "GET", `/${type}?patient:identifier=${patient}&_count=${PAGE}${extra}`));
  }

  async #patientId(code: string): Promise<string | undefined> {
    const identifier = encodeURIComponent(`${PERSONAL_CODE_SYSTEM}|${code}`);
    const [patient] = entries(await this.#fhir.call(code, "GET", `/Patient?identifier=${identifier}`));
    return patient ? text(patient.id, 64) : undefined;
  }

  async record(code: string): Promise<HealthRecord> {
    return (await this.#read(code)).record;
  }

  /** The record and the patient's id (for a Consent's `patient`), none when the system does not know them. */
  async #read(code: string): Promise<{ record: HealthRecord; patient?: string }> {
    const patient = await this.#patientId(code);
    if (!patient)
      return {
        record: {
          found: false,
          wholeRecordClosedBy: null,
          documents: [],
          visits: [],
          declarations: declarations([]),
          representatives: [],
        },
      };
    const [consents, compositions, references, encounters, mandates] = await Promise.all([
      this.#search(code, "Consent"),
      this.#search(code, "Composition"),
      this.#search(code, "DocumentReference"),
      this.#search(code, "Encounter"),
      this.#search(code, "RelatedPerson"),
    ]);
    const closures = consents.filter(isClosure);
    const whole = closures.find((c) => list(record(c.provision).data).length === 0);
    const closedBy = (ref: string) =>
      maybe(
        closures.find((c) => list(record(c.provision).data).some((d) => refOf(record(d).reference) === ref))?.id,
        64,
      );
    const documents: HealthDocument[] = [
      ...compositions.map((c) => {
        const ref = `Composition/${text(c.id, 64)}`;
        return {
          ref,
          title: text(c.title) || concept(c.type),
          date: maybe(c.date),
          author: list(c.author).map(display).filter(Boolean).join(", "),
          status: text(c.status, 20),
          closedBy: closedBy(ref),
        };
      }),
      ...references.map((d) => {
        const ref = `DocumentReference/${text(d.id, 64)}`;
        const attachment = record(record(list(d.content)[0] ?? {}).attachment ?? {});
        return {
          ref,
          title: text(d.description) || text(attachment.title) || concept(d.type),
          date: maybe(d.date),
          author: list(d.author).map(display).filter(Boolean).join(", "),
          status: text(d.status, 20),
          closedBy: closedBy(ref),
        };
      }),
    ].sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
    const visits = encounters
      .map((e) => {
        const ref = `Encounter/${text(e.id, 64)}`;
        const period = record(e.period ?? {});
        const kind = record(e.class ?? {});
        return {
          ref,
          start: maybe(period.start),
          end: maybe(period.end),
          kind: list(e.type).map(concept).filter(Boolean)[0] ?? (text(kind.display) || text(kind.code)),
          provider: display(e.serviceProvider),
          status: text(e.status, 20),
          closedBy: closedBy(ref),
        };
      })
      .sort((a, b) => (b.start ?? "").localeCompare(a.start ?? ""));
    return {
      patient,
      record: {
        found: true,
        wholeRecordClosedBy: maybe(whole?.id, 64),
        documents,
        visits,
        declarations: declarations(consents),
        representatives: mandates.map(representativeOf).sort((a, b) => (b.since ?? "").localeCompare(a.since ?? "")),
      },
    };
  }

  async prescriptions(code: string): Promise<HealthPrescription[]> {
    const [requests, dispenses] = await Promise.all([
      this.#search(code, "MedicationRequest", "&_include=MedicationRequest:medication"),
      this.#search(code, "MedicationDispense"),
    ]);
    const medicines = new Map(
      requests
        .filter((r) => r.resourceType === "Medication")
        .map((m) => [`Medication/${text(m.id, 64)}`, concept(m.code)]),
    );
    return requests
      .filter((r) => r.resourceType === "MedicationRequest")
      .map((r) => {
        const id = text(r.id, 64);
        const dispense = record(r.dispenseRequest ?? {});
        const packages = count(record(dispense.quantity ?? {}).value);
        const allowed = count(dispense.numberOfRepeatsAllowed) + 1;
        const own = dispenses
          .filter((d) => list(d.authorizingPrescription).some((p) => refOf(p) === `MedicationRequest/${id}`))
          .sort((a, b) => text(b.whenHandedOver).localeCompare(text(a.whenHandedOver)));
        const handed = own.reduce((sum, d) => sum + count(record(d.quantity ?? {}).value), 0);
        const medication = record(r.medicationReference ?? {});
        return {
          id,
          medicine: medicines.get(refOf(medication)) || text(medication.display) || refOf(medication),
          dosage: list(r.dosageInstruction)
            .map((d) => text(record(d).text))
            .join("; "),
          status: text(r.status, 20),
          authoredOn: maybe(r.authoredOn),
          validUntil: maybe(record(dispense.validityPeriod ?? {}).end),
          packages,
          dispensingsAllowed: allowed,
          // Nothing is dispensed of a completed (or stopped) one any more.
          dispensingsLeft: ["draft", "active"].includes(text(r.status)) ? Math.max(0, allowed - own.length) : 0,
          packagesLeft: ["draft", "active"].includes(text(r.status)) ? Math.max(0, packages - handed) : 0,
          type:
            extensionOf(r, EXTENSION.prescriptionType)?.valueCode === "named-representative"
              ? ("named-representative" as const)
              : ("public" as const),
          namedRepresentative: codeIn(r, EXTENSION.namedRepresentative),
          dispenses: own.map((d) => ({
            when: maybe(d.whenHandedOver),
            packages: count(record(d.quantity ?? {}).value),
            pharmacy: list(d.performer)
              .map((p) => display(record(p).actor))
              .filter(Boolean)
              .join(", "),
            priceCents: money(d, EXTENSION.price),
            patientShareCents: money(d, EXTENSION.patientShare),
            fundShareCents: money(d, EXTENSION.fundShare),
            buyer: codeIn(d, EXTENSION.buyer),
          })),
        };
      })
      .sort((a, b) => (b.authoredOn ?? "").localeCompare(a.authoredOn ?? ""));
  }

  async insurance(code: string): Promise<HealthInsurance> {
    const answer = record(await this.#insurance.call(code, "GET", `/persons/${code}/insurance`));
    if (typeof answer.insured !== "boolean") throw bad("no insured answer");
    const period = answer.period === null || answer.period === undefined ? null : record(answer.period);
    return {
      insured: answer.insured,
      on: text(answer.on, 10),
      period: period
        ? { basis: text(period.basis, 20), start: text(period.start, 10), end: maybe(period.end, 10) }
        : null,
    };
  }

  /** Who read the person's data: the health system's AuditEvents about them, newest first. */
  async reads(code: string): Promise<HealthRead[]> {
    const events = await this.#search(code, "AuditEvent");
    return events
      .map((event) => {
        const agents = list(event.agent).map((a) => record(a));
        const person = record(agents.find((a) => a.requestor === true)?.who ?? {});
        const organisation = record(agents.find((a) => a.requestor !== true)?.who ?? {});
        const purpose = record(list(event.purposeOfEvent)[0] ?? {});
        return {
          at: text(event.recorded, 40),
          professional: text(person.display, 200),
          professionalCode: text(record(person.identifier ?? {}).value, 20),
          organisation: text(organisation.display, 200),
          purpose: text(purpose.text),
          emergency: list(purpose.coding).some(
            (c) => record(c).system === PURPOSE_OF_USE && record(c).code === "ETREAT",
          ),
          refused: event.outcome === "4",
          resources: list(event.entity)
            .map((e) => refOf(record(e).what))
            .filter((r) => r && !r.startsWith("Patient/")),
        };
      })
      .sort((a, b) => b.at.localeCompare(a.at));
  }

  /** Closes one document (`Composition/<id>`, `DocumentReference/<id>`) or, without one, the whole record. */
  async close(code: string, document?: string): Promise<HealthRecord> {
    const { record: now, patient } = await this.#read(code);
    if (!patient) throw noRecord();
    if (now.wholeRecordClosedBy)
      throw new PortalError("PORTAL_HEALTH_ALREADY_CLOSED", "your whole record is closed already");
    if (document !== undefined) {
      const found = now.documents.find((d) => d.ref === document);
      if (!found) throw new PortalError("PORTAL_HEALTH_UNKNOWN", `your record has no ${document}`);
      if (found.closedBy) throw new PortalError("PORTAL_HEALTH_ALREADY_CLOSED", `${document} is closed already`);
    }
    await this.#fhir.call(code, "POST", "/Consent", {
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: CONSENT_SCOPE, code: "patient-privacy" }] },
      category: [{ coding: [PATIENT_CONSENT] }],
      patient: { reference: `Patient/${patient}` },
      dateTime: new Date().toISOString(),
      provision: {
        type: "deny",
        ...(document ? { data: [{ meaning: "instance", reference: { reference: document } }] } : {}),
      },
    });
    return this.record(code);
  }

  /** Reopens what a closure of the person's closed: the Consent made inactive (FHIR update). */
  async reopen(code: string, consentId: string): Promise<HealthRecord> {
    const consent = (await this.#search(code, "Consent")).find((c) => c.id === consentId);
    if (!consent || !isClosure(consent))
      throw new PortalError("PORTAL_HEALTH_UNKNOWN", `you have no closure ${consentId} in force`);
    const { meta: _meta, ...body } = consent;
    await this.#fhir.call(code, "PUT", `/Consent/${encodeURIComponent(consentId)}`, { ...body, status: "inactive" });
    return this.record(code);
  }

  /**
   * Gives REPRESENTATIVE a mandate to act for the person in health matters (collect a
   * prescription the doctor names them on), until UNTIL (a date, inclusive) or until ended.
   */
  async appoint(code: string, representative: string, until?: string): Promise<HealthRecord> {
    const { record: now, patient } = await this.#read(code);
    if (!patient) throw noRecord();
    if (representative === code)
      throw new PortalError("PORTAL_INPUT", "you cannot be your own representative", {
        details: { field: "personalCode" },
      });
    if (now.representatives.some((r) => r.personalCode === representative && r.status === "valid"))
      throw new PortalError("PORTAL_HEALTH_ALREADY_REPRESENTATIVE", `${representative} represents you already`);
    await this.#fhir.call(code, "POST", "/RelatedPerson", {
      resourceType: "RelatedPerson",
      active: true,
      patient: { reference: `Patient/${patient}` },
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: representative }],
      relationship: [{ coding: [REPRESENTATIVE] }],
      ...(until ? { period: { end: until } } : {}),
    });
    return this.record(code);
  }

  /** Ends a representative's mandate now (the RelatedPerson made inactive, FHIR update). */
  async endMandate(code: string, id: string): Promise<HealthRecord> {
    const mandate = (await this.#search(code, "RelatedPerson")).find((m) => m.id === id);
    if (!mandate || representativeOf(mandate).status === "ended")
      throw new PortalError("PORTAL_HEALTH_UNKNOWN", `you have no mandate ${id} in force`);
    const { meta: _meta, ...body } = mandate;
    await this.#fhir.call(code, "PUT", `/RelatedPerson/${encodeURIComponent(id)}`, { ...body, active: false });
    return this.record(code);
  }

  /**
   * Declares (or withdraws) an intent: one Consent per kind (scope adr, an advance directive),
   * provision permit (consent) or deny (refuse), made inactive for none; changed in place.
   */
  async declare(code: string, kind: DeclarationKind, choice: DeclarationChoice): Promise<HealthRecord> {
    const consents = await this.#search(code, "Consent");
    const current = consents.find((c) => codingOf(c, DECLARATION_SYSTEM)?.code === kind);
    const body = (patient: string) => ({
      resourceType: "Consent",
      status: choice === "none" ? "inactive" : "active",
      scope: { coding: [{ system: CONSENT_SCOPE, code: "adr" }] },
      category: [{ coding: [PATIENT_CONSENT] }, { coding: [{ system: DECLARATION_SYSTEM, code: kind }] }],
      patient: { reference: `Patient/${patient}` },
      dateTime: new Date().toISOString(),
      provision: { type: choice === "refuse" ? "deny" : "permit" },
    });
    if (current) {
      const patient = refOf(current.patient).replace(/^Patient\//, "");
      await this.#fhir.call(code, "PUT", `/Consent/${encodeURIComponent(text(current.id, 64))}`, {
        ...body(patient),
        id: current.id,
      });
    } else if (choice !== "none") {
      const patient = await this.#patientId(code);
      if (!patient) throw noRecord();
      await this.#fhir.call(code, "POST", "/Consent", body(patient));
    }
    return this.record(code);
  }
}

const noRecord = () =>
  new PortalError("PORTAL_HEALTH_NO_RECORD", "the health information system holds no record of you yet");

/** The declaration of each kind in force (the latest active Consent of the kind). */
function declarations(consents: readonly Json[]): HealthDeclaration[] {
  return DECLARATION_KINDS.map((kind) => {
    const consent = consents.find((c) => codingOf(c, DECLARATION_SYSTEM)?.code === kind);
    const active = consent?.status === "active";
    return {
      kind,
      choice: !active ? "none" : record(consent.provision ?? {}).type === "deny" ? "refuse" : "consent",
      consent: maybe(consent?.id, 64),
      since: active ? maybe(consent.dateTime) : null,
    };
  });
}

/** A RelatedPerson as the person's representative, its status at this moment. */
function representativeOf(mandate: Json): HealthRepresentative {
  const period = record(mandate.period ?? {});
  const since = maybe(period.start);
  const until = maybe(period.end);
  const now = new Date().toISOString();
  const ended =
    mandate.active === false || (until !== null && (until.length <= 10 ? `${until}T23:59:59.999Z` : until) < now);
  return {
    id: text(mandate.id, 64),
    personalCode: text(
      list(mandate.identifier)
        .map((i) => record(i))
        .find((i) => i.system === PERSONAL_CODE_SYSTEM)?.value,
      11,
    ),
    since,
    until,
    status: ended ? "ended" : since !== null && since > now ? "pending" : "valid",
  };
}
