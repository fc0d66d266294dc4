// The agencies of issue #14 for the portal's tests: the real e-Business Register behind real
// security servers (xroad's sandbox: ss1 the portal's and the auth service's, ss2 the
// register's), real trust services and the real auth service, whose mandates service reads
// board members' rights from the register over X-Road. The population register is a stand-in
// that knows no family (no minor children), so the rights listed are the register's alone.
// Applying for e-Residency goes to the real agency's `applications` service (contract D,
// agencies/e-residency) behind the same security servers.
// Issue #13's providers are the real ones behind ss2 too: the state inbox's `mailbox` service
// (@riik/inbox) and the Social Insurance Board's `family-benefits` service; a birth is given
// to the Board directly (`offerOnBirth`), and its inbox notice delivered as the Board writes it.
// The Tax and Customs Board's `income-tax-returns` service is the real one behind ss2 as well;
// a person's year is declared to it as an employer's and a pension fund's systems do
// (`declareTaxYear`), and its population register is the test's residents.
// Issue #16's health information system (`fhir`) and the health insurance fund (`insurance`)
// are the real ones behind ss2; a patient's record is written into the health system's store
// as a clinic's and a pharmacy's systems would have written it (`seedHealth`), and a doctor
// reads it as the clinic's security server delivers the read (`readAsDoctor`).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after } from "node:test";
import { type BusinessRegisterServer, startBusinessRegister } from "@riik/business-register";
import { businessRegisterDescriptor } from "@riik/business-register/descriptor";
import { generatePersonalCode, registryCodeFor } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { type DirectoryServer, serveDirectory } from "@riik/directory";
import { createEResidencyService, openEResidencyOffice } from "@riik/e-residency";
import {
  buyerExtension,
  EMERGENCY_HEADER,
  EXTENSION,
  LICENCE_SYSTEM,
  PERSONAL_CODE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  ROLE_SYSTEM,
  SAMPLE_MEDICINES,
  startHealth,
  startHealthInsurance,
} from "@riik/health";
import { createInboxService, type InboxStore, openInboxStore } from "@riik/inbox";
import type { MemberService } from "@riik/kit";
import { caCertificatePath, readCertificate } from "@riik/pki";
import {
  createSocialInsuranceService,
  type Offer,
  openSocialInsuranceBoard,
  type SocialInsuranceBoard,
} from "@riik/social-insurance";
import { createTaxBoardService, openTaxBoard, type Resident, type TaxBoard } from "@riik/tax-board";
import {
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  READER,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { portalDescriptor } from "../src/descriptor.ts";
import { startWorld, type TestWorld } from "./helpers.ts";

const APPLICATIONS = `${PROVIDER_SUBSYSTEM}/applications`;
const COMPANIES = `${PROVIDER_SUBSYSTEM}/companies`;
const COMPANY_PERSONS = `${PROVIDER_SUBSYSTEM}/company-persons`;
const RIGHTS = `${PROVIDER_SUBSYSTEM}/representation-rights`;
const FAMILY = `${PROVIDER_SUBSYSTEM}/rr`;
const E_RESIDENCY = `${PROVIDER_SUBSYSTEM}/e-residency-applications`;
const MAILBOX = `${PROVIDER_SUBSYSTEM}/mailbox`;
const MESSAGES = `${PROVIDER_SUBSYSTEM}/messages`;
const FAMILY_BENEFITS = `${PROVIDER_SUBSYSTEM}/family-benefits`;
const TAX_RETURNS = `${PROVIDER_SUBSYSTEM}/income-tax-returns`;
const FHIR = `${PROVIDER_SUBSYSTEM}/fhir`;
const INSURANCE = `${PROVIDER_SUBSYSTEM}/insurance`;
/** The tax year the tests' returns are for: 2025's opened on 15 February 2026 (the Board's clock is set there). */
export const TAX_YEAR = 2025;
/** The Board's subsystem as the inbox names the sender of its notices. */
export const BOARD = "EE/GOV/70001975/benefits";

/** The population register's answer for a person it does not know: no family, so no minor children. */
function noFamily(): Server {
  return createServer((_request, response) => {
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ code: "PERSON_NOT_FOUND", message: "no such person" }));
  });
}

export interface Agencies {
  world: TestWorld;
  register: BusinessRegisterServer;
  /** The portal configured for both agencies. */
  url: string;
  /** What reached the e-Residency agency: paths and whether an X-Road-UserId came along. */
  agencyRequests: Array<{ path: string; userId: string | undefined }>;
  /** Another portal with the same configuration and store: the first one restarted. */
  startPortalAgain(): ReturnType<TestWorld["startPortal"]>;
  inbox: InboxStore;
  /** The certificate directory (slapd) over the world's trust services, its HTTP lookup the portal's. */
  directory: DirectoryServer;
  board: SocialInsuranceBoard;
  /**
   * A child born to MOTHER (and FATHER): the Board's offer without an application, and the
   * notice in each parent's state inbox as the Board writes it (its serve.ts, offer.created).
   */
  offerOnBirth(mother: string, father: string): Promise<{ offer: Offer; child: string }>;
  taxBoard: TaxBoard;
  /**
   * PERSON a resident who earned €1,500 a month in TAX_YEAR at an employer of their own, €250
   * income tax withheld a month, and paid €1,000 into a III pillar fund: the employer's twelve
   * payroll declarations and the fund's, sent as their systems send them. Gives the two registry codes.
   */
  declareTaxYear(person: string): Promise<{ employer: string; fund: string }>;
  /**
   * PATIENT's record in the health system: a visit at the clinic (Encounter) with two visit
   * summaries (Composition) by its doctor, and a signed prescription (3 packages, 3 dispensings)
   * of which a pharmacy dispensed 1; insured since 2020 as an employee. Gives the ids.
   */
  seedHealth(patient: string): Promise<{ visit: string; summaries: [string, string]; prescription: string }>;
  /** The clinic's doctor reads PATH (`/Composition/ID`) for a purpose, as an emergency with `emergency`. */
  readAsDoctor(path: string, emergency?: boolean): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The clinic's doctor as the health system's AuditEvents name them. */
  doctor: { personalCode: string; name: string; clinic: string };
}

let births = 0;
let patients = 0;
let taxpayers = 0;

/** Listens on a free loopback port; closed after the file. */
async function served(service: MemberService): Promise<string> {
  const url = await service.listen({ port: 0 });
  after(() => service.close());
  return url;
}

/** Starts it all at the top level of a test file (the helpers close what they start after the file). */
export async function startAgencies(options: { applicationsPerHour?: number } = {}): Promise<Agencies> {
  const dir = temporaryDirectory("riik-portal-business-");
  // With the provider's Data Tracker: the person sees each use of their data (the tax return's reads).
  const sb: Sandbox = await startSandbox({ dir, dataTracker: true });
  const world = await startWorld({
    mandates: {
      securityServer: sb.ss1.client,
      client: OTHER,
      personsService: FAMILY,
      representationRightsService: RIGHTS,
    },
  });
  const register = await startBusinessRegister({
    dataDir: `${dir}/business-register`,
    port: 0,
    trustAnchors: [readCertificate(caCertificatePath(`${world.dir}/pki`, "root"))],
  });
  const inbox = await openInboxStore({ dataDir: `${dir}/inbox` });
  const inboxUrl = await served(
    createInboxService(inbox, {
      messagesClients: [BOARD, OTHER],
      mailboxClients: [OTHER],
      personSenderClients: [OTHER],
    }),
  );
  const directory = await serveDirectory({
    dir: `${dir}/directory`,
    port: await freePort(),
    httpPort: await freePort(),
    pkiDir: `${world.dir}/pki`,
    intervalMs: 500,
  });
  const board = await openSocialInsuranceBoard({ dataDir: `${dir}/social-insurance` });
  const boardUrl = await served(createSocialInsuranceService(board));
  const residents = new Map<string, Resident>();
  const taxBoard = await openTaxBoard({ dataDir: `${dir}/tax-board` });
  const taxBoardUrl = await served(
    createTaxBoardService(taxBoard, {
      population: {
        resident: async (code) => residents.get(code) ?? null,
        exists: async (code) => residents.has(code),
      },
      now: () => new Date("2026-03-02T09:00:00Z"),
    }),
  );
  const health = await startHealth({
    dataDir: `${dir}/health`,
    port: 0,
    trust: caCertificatePath(`${world.dir}/pki`, "root"),
  });
  const insurance = await startHealthInsurance({ dataDir: `${dir}/health-insurance`, port: 0 });
  const family = noFamily();
  const familyPort = await freePort();
  await new Promise<void>((done) => family.listen(familyPort, "127.0.0.1", done));

  // The register's services on ss2, and the rights the portal's descriptor asks for (as OTHER).
  const admin = (path: string, method = "GET", body?: unknown) =>
    json(`${sb.ss2.admin}${path}`, { method, token: sb.ss2.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  const at = encodeURIComponent(PROVIDER_SUBSYSTEM);
  // The services as the register's own descriptor declares them (personal data or not), at ss2.
  const declared =
    businessRegisterDescriptor.exchange?.({ dir, trust: "root.crt", applicationsClients: [] } as never, {
      subsystem: PROVIDER_SUBSYSTEM,
      url: register.url,
    })?.services ?? [];
  const services = new Map(declared.map((service) => [service.code, service.personalData ?? false]));
  // Contract E's `applications` (personal: founders' codes), until the register's descriptor declares it.
  if (!services.has("applications")) services.set("applications", true);
  const agencyRequests: Agencies["agencyRequests"] = [];
  // The real e-Residency agency's contract D service (agencies/e-residency), a hook noting what reaches it.
  const eResidency = await openEResidencyOffice(
    { dataDir: `${dir}/e-residency` },
    { trustAnchors: [readCertificate(caCertificatePath(`${world.dir}/pki`, "root"))], officials: [] },
  );
  const eResidencyService = createEResidencyService(eResidency);
  eResidencyService.app.addHook("onRequest", async (request) => {
    agencyRequests.push({ path: request.url, userId: request.headers["x-road-userid"] as string | undefined });
  });
  await admin(`/api/v1/clients/${at}/services`, "POST", {
    serviceCode: "e-residency-applications",
    url: await served(eResidencyService),
    personalData: false,
  });
  for (const [code, personalData] of services)
    await admin(`/api/v1/clients/${at}/services`, "POST", { serviceCode: code, url: register.url, personalData });
  for (const [serviceCode, url] of [
    ["mailbox", inboxUrl],
    ["family-benefits", boardUrl],
    ["income-tax-returns", taxBoardUrl],
    ["fhir", `${health.url}/fhir`],
    ["insurance", insurance.url],
  ] as const)
    await admin(`/api/v1/clients/${at}/services`, "POST", { serviceCode, url, personalData: true });
  // The inbox's `messages` as its descriptor declares it: a delivery, not a person's data.
  await admin(`/api/v1/clients/${at}/services`, "POST", {
    serviceCode: "messages",
    url: inboxUrl,
    personalData: false,
  });
  await admin(`/api/v1/clients/${at}/services`, "POST", {
    serviceCode: "rr",
    url: `http://127.0.0.1:${familyPort}`,
    personalData: true,
  });
  const portalConfig = {
    publicOrigin: "http://127.0.0.1:1",
    securityServer: { url: sb.ss1.client },
    portalClient: OTHER,
    auth: { issuer: "http://127.0.0.1:1", clientId: "portal", clientSecret: "x".repeat(32) },
    trustedCaFiles: ["ca.pem"],
    businessRegister: {
      applicationsService: APPLICATIONS,
      companiesService: COMPANIES,
      companyPersonsService: COMPANY_PERSONS,
    },
    eResidency: { applicationsService: E_RESIDENCY, applicationsPerAddressPerHour: options.applicationsPerHour ?? 3 },
    inbox: { mailboxService: MAILBOX, messagesService: MESSAGES },
    encryption: { directoryUrl: directory.httpUrl, sendsPerPersonPerHour: 3 },
    benefits: { familyBenefitsService: FAMILY_BENEFITS },
    taxReturn: { returnsService: TAX_RETURNS },
    // A low bound on health writes, so the representatives test reaches it.
    health: { fhirService: FHIR, insuranceService: INSURANCE, writesPerPersonPerHour: 12 },
    dataTrackerClient: READER,
    dataTrackerProviders: [PROVIDER_SUBSYSTEM],
  };
  const wanted = portalDescriptor.exchange?.(portalConfig as never, { subsystem: OTHER, url: "" });
  const rights = (wanted?.access ?? []).filter((r) => r.service.startsWith(PROVIDER_SUBSYSTEM));
  assert.ok(rights.length >= 4, "the descriptor asks for the register's services");
  for (const right of rights)
    for (const path of right.paths)
      await admin(`/api/v1/clients/${at}/services/${right.service.split("/").at(-1)}/access`, "POST", {
        subject: right.subject,
        method: right.method,
        path,
      });
  // The auth service's mandates (the board's rights, the family) as OTHER too.
  for (const [code, path] of [
    ["representation-rights", "/persons/*/representation-rights"],
    ["rr", "/persons/*/family"],
  ] as const)
    await admin(`/api/v1/clients/${at}/services/${code}/access`, "POST", { subject: OTHER, method: "GET", path });
  for (const ss of [sb.ss1, sb.ss2]) await json(`${ss.admin}/api/v1/refresh`, { method: "POST", token: ss.token });

  const { publicOrigin: _, auth: __, trustedCaFiles: ___, ...shared } = portalConfig;
  const startPortalAgain = () => world.startPortal({ ...shared, dataDir: `${dir}/portal` });
  const { url } = await startPortalAgain();
  const offerOnBirth = async (mother: string, father: string) => {
    births += 1;
    const child = generatePersonalCode("2026-11-02", births % 2 ? "female" : "male", 600 + births);
    const offer = await board.onBirth({ child, mother, father }, []);
    const euro = (cents: number) => `${(cents / 100).toFixed(2)} EUR`;
    const lines = offer.lines.map((l) => `- ${euro(l.amountCents)}: ${l.why}`).join("\n");
    for (const recipient of [mother, father])
      await inbox.send(
        { client: BOARD },
        {
          recipient,
          subject: "Peretoetused lapse sünni puhul / Family benefits for your child",
          body: `A child was born in your family (${child}). You are entitled to these benefits, without an application:\n${lines}\n\nConfirm in the state portal which parent receives them and to which account (offer ${offer.id}).`,
          idempotencyKey: `offer.created-${offer.id}-${recipient}`,
        },
      );
    return { offer, child };
  };
  const declareTaxYear = async (person: string) => {
    taxpayers += 1;
    // Each taxpayer's own payers: a payer's later declaration for a period replaces its earlier one.
    const employer = registryCodeFor("company", 800_000 + taxpayers);
    const fund = registryCodeFor("company", 810_000 + taxpayers);
    residents.set(person, { personalCode: person, birthDate: "1985-03-14", children: [] });
    for (let month = 1; month <= 12; month++) {
      const mm = String(month).padStart(2, "0");
      await taxBoard.declarePayroll(`EE/COM/${employer}/palk`, {
        declarationId: `tsd-${TAX_YEAR}-${mm}`,
        payer: employer,
        month: `${TAX_YEAR}-${mm}`,
        employees: [
          {
            personalCode: person,
            grossCents: 150_000,
            incomeTaxWithheldCents: 25_000,
            socialTaxCents: 49_500,
            unemploymentInsuranceEmployeeCents: 2_400,
            unemploymentInsuranceEmployerCents: 1_200,
            fundedPensionCents: 3_000,
          },
        ],
      });
    }
    await taxBoard.declareYear("voluntary-pension", `EE/COM/${fund}/pensionid`, {
      declarationId: `iii-${TAX_YEAR}`,
      payer: fund,
      year: TAX_YEAR,
      persons: [{ personalCode: person, amountCents: 100_000 }],
    });
    return { employer, fund };
  };
  // The clinic, its doctor (an active role with a licence) and a pharmacy, as the registers feed them.
  const { store } = health.system;
  const write = (resource: Record<string, unknown> & { resourceType: string }, patient: string | null = null) =>
    store.write((w) => store.insert(w, resource, patient, new Date()));
  const doctor = {
    personalCode: generatePersonalCode("1975-05-05", "female", 77),
    name: "Katrin Kask",
    clinic: "Lossi Perearstikeskus",
  };
  const clinicCode = registryCodeFor("company", 900_001);
  const clinic = await write({
    resourceType: "Organization",
    identifier: [{ system: REGISTRY_CODE_SYSTEM, value: clinicCode }],
    name: doctor.clinic,
  });
  const practitioner = await write({
    resourceType: "Practitioner",
    identifier: [{ system: PERSONAL_CODE_SYSTEM, value: doctor.personalCode }],
    name: [{ given: ["Katrin"], family: "Kask" }],
  });
  const role = await write({
    resourceType: "PractitionerRole",
    active: true,
    identifier: [{ system: LICENCE_SYSTEM, value: "D07712" }],
    period: { start: "2020-01-01" },
    practitioner: { reference: `Practitioner/${practitioner.id}` },
    organization: { reference: `Organization/${clinic.id}` },
    code: [{ coding: [{ system: ROLE_SYSTEM, code: "doctor" }] }],
  });
  const medicine = SAMPLE_MEDICINES[0]!;
  const seedHealth = async (patientCode: string) => {
    patients += 1;
    const patient = await write(
      {
        resourceType: "Patient",
        identifier: [{ system: PERSONAL_CODE_SYSTEM, value: patientCode }],
        name: [{ given: ["Patsient"], family: `Number ${patients}` }],
      },
      patientCode,
    );
    const subject = { reference: `Patient/${patient.id}` };
    const author = [{ reference: `PractitionerRole/${role.id}`, display: doctor.name }];
    const visit = await write(
      {
        resourceType: "Encounter",
        status: "finished",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" },
        type: [{ text: "Perearsti vastuvõtt" }],
        subject,
        period: { start: "2026-10-01T09:00:00Z", end: "2026-10-01T09:30:00Z" },
        serviceProvider: { reference: `Organization/${clinic.id}`, display: doctor.clinic },
      },
      patientCode,
    );
    const summary = (title: string, date: string) =>
      write(
        {
          resourceType: "Composition",
          status: "final",
          type: { coding: [{ system: "http://loinc.org", code: "34133-9" }], text: "Visit summary" },
          subject,
          encounter: { reference: `Encounter/${visit.id}` },
          date,
          author,
          title,
        },
        patientCode,
      );
    const first = await summary("Ambulatoorne epikriis: gripp", "2026-10-01T09:30:00Z");
    const second = await summary("Ambulatoorne epikriis: kontroll", "2026-10-08T09:30:00Z");
    const prescription = await write(
      {
        resourceType: "MedicationRequest",
        status: "active",
        intent: "order",
        medicationReference: { reference: `Medication/${medicine.code}` },
        subject,
        requester: { reference: `PractitionerRole/${role.id}`, display: "D07712" },
        authoredOn: "2026-10-01T09:20:00Z",
        dosageInstruction: [{ text: "1 tablett 2 korda päevas" }],
        dispenseRequest: {
          quantity: { value: 3 },
          numberOfRepeatsAllowed: 2,
          validityPeriod: { start: "2026-10-01", end: "2026-11-29" },
        },
      },
      patientCode,
    );
    const money = (value: number) => ({ valueMoney: { value, currency: "EUR" } });
    await write(
      {
        resourceType: "MedicationDispense",
        status: "completed",
        medicationReference: { reference: `Medication/${medicine.code}`, display: medicine.name },
        subject,
        performer: [{ actor: { reference: `PractitionerRole/${role.id}`, display: "Raekoja Apteek" } }],
        authorizingPrescription: [{ reference: `MedicationRequest/${prescription.id}` }],
        quantity: { value: 1, unit: "package" },
        whenHandedOver: "2026-10-02T12:00:00Z",
        extension: [
          { url: EXTENSION.price, ...money(8.4) },
          { url: EXTENSION.patientShare, ...money(3.73) },
          { url: EXTENSION.fundShare, ...money(4.67) },
          { url: EXTENSION.remaining, valueQuantity: { value: 2, unit: "package" } },
          buyerExtension(patientCode),
        ],
      },
      patientCode,
    );
    await insurance.register.record({ personalCode: patientCode, basis: "employment", start: "2020-01-01", end: null });
    return { visit: visit.id, summaries: [first.id, second.id] as [string, string], prescription: prescription.id };
  };
  // What the clinic's security server delivers (PR-REST 4.3): its client id, the doctor, the purpose.
  const readAsDoctor = async (path: string, emergency = false) => {
    const response = await fetch(`${health.url}/fhir${path}`, {
      headers: {
        "x-road-client": `EE/COM/${clinicCode}/his`,
        "x-road-userid": `EE${doctor.personalCode}`,
        "x-road-issue": emergency ? "Kiirabi: teadvuseta patsient" : "Ravi jätkamine",
        ...(emergency ? { [EMERGENCY_HEADER]: "ETREAT" } : {}),
      },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  after(async () => {
    await insurance.close();
    await health.close();
    await taxBoard.close();
    await board.close();
    await inbox.close();
    await directory.close();
    await register.close();
    await new Promise((done) => family.close(done));
    await eResidency.close();
    await sb.stop();
  });
  return {
    world,
    register,
    url,
    agencyRequests,
    startPortalAgain,
    inbox,
    directory,
    board,
    offerOnBirth,
    taxBoard,
    declareTaxYear,
    seedHealth,
    readAsDoctor,
    doctor,
  };
}
