import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type {
  Bundle,
  Extension,
  Resource as FhirResource,
  MedicationDispense,
  MedicationRequest,
} from "@medplum/fhirtypes";
import {
  ASIC_E,
  buyerExtension,
  EXTENSION,
  HealthError,
  type HealthErrorCode,
  kindExtensions,
  PERSONAL_CODE_SYSTEM,
  signedDocument,
  signedFileName,
  startHealth,
  startHealthInsurance,
} from "@riik/health";
import { healthDescriptor, healthInsuranceDescriptor } from "@riik/health/descriptor";
import { XRoadClientError, XRoadRestClient } from "@riik/kit";
import { cardCertificate, ocspUrlOf, readCardFile } from "@riik/pki";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import { CLINIC_SYSTEM, HEALTH_SYSTEM, PHARMACY_SYSTEM } from "@riik/state";
import { type Command, InvalidArgumentError, Option } from "commander";
import { Type } from "typebox";
import { securityServerUrl, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

const FHIR_SERVICE = `${HEALTH_SYSTEM}/fhir`;
/** What every FHIR answer is checked for; the rest of the resource passes through as it came. */
const RESOURCE = Type.Object({ resourceType: Type.String(), id: Type.String() }, { additionalProperties: true });
const BUNDLE = Type.Object(
  {
    resourceType: Type.Literal("Bundle"),
    entry: Type.Optional(Type.Array(Type.Object({ resource: RESOURCE }, { additionalProperties: true }))),
  },
  { additionalProperties: true },
);
/** LOINC 11488-4 "Consult note": the visit summary's document type. */
const CONSULT_NOTE = { coding: [{ system: "http://loinc.org", code: "11488-4", display: "Consult note" }] };
/** The media type of an ASiC-E container (ETSI EN 319 162-1 A.1). */

const personalCode = (value: string): string => {
  if (!/^[1-8][0-9]{10}$/.test(value)) throw new InvalidArgumentError("must be an 11-digit personal code");
  return value;
};
const count = (value: string): number => {
  if (!/^[1-9][0-9]{0,3}$/.test(value)) throw new InvalidArgumentError("must be a whole number from 1");
  return Number(value);
};

interface Connection {
  data?: string;
  securityServer?: string;
  client: string;
  service: string;
  issue: string;
}

/** A resource as the health system stores it: with its id (its StoredResource). */
type Resource = FhirResource & { id: string };

/**
 * The FHIR calls of one professional over X-Road: through the caller's own security server,
 * X-Road-UserId the professional, X-Road-Issue the purpose. A refusal is the health system's
 * own code (its OperationOutcome's) when X-Road passes it on, else the X-Road error as it came.
 */
class Fhir {
  readonly #xroad: XRoadRestClient;
  constructor(
    readonly options: Connection,
    readonly professional: string,
  ) {
    this.#xroad = new XRoadRestClient({ securityServer: securityServerUrl(options), client: options.client });
  }

  async #call<T>(
    method: "GET" | "POST",
    path: string,
    answer: typeof RESOURCE | typeof BUNDLE,
    body?: unknown,
  ): Promise<T> {
    try {
      const result = await this.#xroad.call({
        service: this.options.service,
        path,
        method,
        answer,
        ...(body === undefined ? {} : { body }),
        userId: `EE${this.professional}`,
        issue: this.options.issue,
      });
      return result.body as T;
    } catch (error) {
      // The health system's own code and message, when X-Road passes them on (details.providerCode).
      const details = error instanceof XRoadClientError ? error.details : undefined;
      if (typeof details?.providerCode === "string") {
        const message = typeof details.providerMessage === "string" ? details.providerMessage : String(error);
        throw new HealthError(details.providerCode as HealthErrorCode, message, { cause: error });
      }
      throw error;
    }
  }

  read = (type: string, id: string) => this.#call<Resource>("GET", `/${type}/${encodeURIComponent(id)}`, RESOURCE);
  create = (resource: Record<string, unknown> & { resourceType: string }) =>
    this.#call<Resource>("POST", `/${resource.resourceType}`, RESOURCE, resource);
  post = (path: string, body: unknown) => this.#call<Resource>("POST", path, RESOURCE, body);
  async search(type: string, query: Record<string, string>): Promise<Resource[]> {
    const bundle = await this.#call<Bundle>("GET", `/${type}?${new URLSearchParams(query)}`, BUNDLE);
    return (bundle.entry ?? []).filter((e) => e.search?.mode !== "include").map((e) => e.resource as Resource);
  }

  /** The one resource of `type` with the personal code, or RESOURCE_NOT_FOUND. */
  async byPersonalCode(type: "Patient" | "Practitioner", code: string): Promise<Resource> {
    const [found] = await this.search(type, { identifier: `${PERSONAL_CODE_SYSTEM}|${code}` });
    if (!found)
      throw new HealthError("RESOURCE_NOT_FOUND", `the health information system has no ${type} with the code ${code}`);
    return found;
  }

  close = () => this.#xroad.close();
}

/** Signs `document` as the one data file `name` of an ASiC-E container with the card (XAdES B-LT). */
async function signAs(card: string, pin2: string, name: string, document: string): Promise<Uint8Array> {
  const file = readCardFile(card);
  const ocspUrl = ocspUrlOf(cardCertificate(file, "signing"));
  if (!ocspUrl) throw new HealthError("SIGNATURE_INVALID", `${card}: its signing certificate names no OCSP responder`);
  const container = createContainer([
    { name, mediaType: "application/fhir+json", data: new TextEncoder().encode(document) },
  ]);
  const signed = await signContainer(container, await cardFileSigner(file, pin2), {
    tsaUrl: new URL("/tsa", ocspUrl).toString(),
    ocspUrl,
    level: "LT",
  });
  return writeContainer(signed.container);
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const euros = (dispense: MedicationDispense, url: string) =>
  dispense.extension?.find((e: Extension) => e.url === url)?.valueMoney?.value;
const remainingOf = (dispense: MedicationDispense) =>
  dispense.extension?.find((e: Extension) => e.url === EXTENSION.remaining)?.valueQuantity?.value;

export function registerHealthCommands(program: Command): void {
  const health = program
    .command("health")
    .description(
      "the health information system: a FHIR R4 API, e-prescriptions, closures and every read shown to the patient",
    );
  servedCommand(health, healthDescriptor, async (config) => {
    const server = await startHealth({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trust: config.trust,
      ...(config.xroadSecurityServer && config.xroadClient && config.insuranceService
        ? {
            insurance: {
              securityServer: config.xroadSecurityServer,
              client: config.xroadClient,
              service: config.insuranceService,
            },
          }
        : {}),
    });
    process.stdout.write(`health information system listening at ${server.url} (FHIR: ${server.url}/fhir/metadata)\n`);
    await untilSignalled();
    await server.close();
  });

  // The provider's and the pharmacy's information systems as commands.
  const call = (name: string, description: string, client: string, issue: string) =>
    health
      .command(name)
      .description(description)
      .option("--data <dir>", "the data directory of a state started by riik up (finds the security server)")
      .option("--security-server <url>", "the client URL of the caller's security server (instead of --data)")
      .option("--client <id>", "X-Road-Client: the provider's or the pharmacy's subsystem", client)
      .option("--service <id>", "the health information system's FHIR service", FHIR_SERVICE)
      .option("--issue <text>", "X-Road-Issue: the purpose, shown to the patient with every read", issue);
  const card = (command: Command) =>
    command
      .requiredOption("--card <file>", "the doctor's card file (riik id issue): acts and signs as its holder")
      .addOption(
        new Option("--pin2 <pin>", "PIN2, unlocks the signing key; or set RIIK_PIN2")
          .env("RIIK_PIN2")
          .makeOptionMandatory(),
      );
  const run = async <T>(o: Connection, professional: string, work: (fhir: Fhir) => Promise<T>) => {
    const fhir = new Fhir(o, professional);
    try {
      print(await work(fhir));
    } finally {
      await fhir.close();
    }
  };

  card(
    call(
      "visit",
      "record a visit: an Encounter, its summary (Composition) and the summary signed by the doctor (DocumentReference, ASiC-E)",
      CLINIC_SYSTEM,
      "Ravi: vastuvõtt",
    ),
  )
    .requiredOption("--patient <code>", "the patient's personal code", personalCode)
    .requiredOption("--summary <text>", "what the doctor found and advised")
    .option("--title <text>", "the summary's title", "Vastuvõtu kokkuvõte")
    .action(async (o) => {
      const doctor = readCardFile(o.card).personalCode;
      await run(o, doctor, async (fhir) => {
        const patient = await fhir.byPersonalCode("Patient", o.patient);
        const author = await fhir.byPersonalCode("Practitioner", doctor);
        const now = new Date().toISOString();
        const subject = { reference: `Patient/${patient.id}` };
        const encounter = await fhir.create({
          resourceType: "Encounter",
          status: "finished",
          class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" },
          subject,
          participant: [{ individual: { reference: `Practitioner/${author.id}` } }],
          period: { start: now, end: now },
        });
        const composition = await fhir.create({
          resourceType: "Composition",
          status: "final",
          type: CONSULT_NOTE,
          subject,
          encounter: { reference: `Encounter/${encounter.id}` },
          date: now,
          author: [{ reference: `Practitioner/${author.id}` }],
          title: o.title,
          section: [{ title: o.title, text: { status: "generated", div: xhtml(o.summary) } }],
        });
        // What the doctor signs is the summary as stored, without its meta (RFC 8785), as for a prescription.
        const name = signedFileName(composition.id, "Composition");
        const container = await signAs(o.card, o.pin2, name, signedDocument(composition));
        const document = await fhir.create({
          resourceType: "DocumentReference",
          status: "current",
          docStatus: "final",
          type: CONSULT_NOTE,
          subject,
          date: now,
          author: [{ reference: `Practitioner/${author.id}` }],
          authenticator: { reference: `Practitioner/${author.id}` },
          description: o.title,
          content: [
            {
              attachment: {
                contentType: ASIC_E,
                data: Buffer.from(container).toString("base64"),
                size: container.length,
                // FHIR R4 Attachment.hash is the SHA-1 of the data, base64.
                hash: createHash("sha1").update(container).digest("base64"),
                title: name.replace(/\.json$/, ".asice"),
              },
            },
          ],
          context: {
            encounter: [{ reference: `Encounter/${encounter.id}` }],
            related: [{ reference: `Composition/${composition.id}` }],
          },
        });
        return {
          patient: o.patient,
          doctor,
          encounter: `Encounter/${encounter.id}`,
          composition: `Composition/${composition.id}`,
          signed: `DocumentReference/${document.id}`,
        };
      });
    });

  card(
    call(
      "prescribe",
      "write a prescription from the medicines register and sign it with the doctor's card",
      CLINIC_SYSTEM,
      "Ravi: retsept",
    ),
  )
    .requiredOption("--patient <code>", "the patient's personal code", personalCode)
    .requiredOption("--medicine <code>", "the medicine's code in the medicines register (GET /Medication)")
    .requiredOption("--packages <n>", "how many packages in all", count)
    .option("--dispensings <n>", "in how many dispensings at most", count, 1)
    .requiredOption("--dosage <text>", "how to take it")
    .option(
      "--named-representative <code>",
      "only the patient or this person (who holds the patient's mandate) may collect it; default: a public prescription",
      personalCode,
    )
    .action(async (o) => {
      const doctor = readCardFile(o.card).personalCode;
      await run(o, doctor, async (fhir) => {
        const patient = await fhir.byPersonalCode("Patient", o.patient);
        const author = await fhir.byPersonalCode("Practitioner", doctor);
        const draft = await fhir.create({
          resourceType: "MedicationRequest",
          intent: "order",
          medicationReference: { reference: `Medication/${o.medicine}` },
          subject: { reference: `Patient/${patient.id}` },
          // The centre names the doctor's role at the calling clinic here.
          requester: { reference: `Practitioner/${author.id}` },
          dosageInstruction: [{ text: o.dosage }],
          ...(o.namedRepresentative
            ? { extension: kindExtensions({ kind: "named-representative", representative: o.namedRepresentative }) }
            : {}),
          dispenseRequest: {
            quantity: { value: o.packages, unit: "package" },
            numberOfRepeatsAllowed: o.dispensings - 1,
          },
        });
        const container = await signAs(o.card, o.pin2, signedFileName(draft.id), signedDocument(draft));
        const signed = (await fhir.post(`/MedicationRequest/${encodeURIComponent(draft.id)}/$sign`, {
          resourceType: "Parameters",
          parameter: [{ name: "container", valueBase64Binary: Buffer.from(container).toString("base64") }],
        })) as Resource & MedicationRequest;
        return prescriptionOf(signed);
      });
    });

  call(
    "prescriptions",
    "a pharmacist lists a patient's valid prescriptions by personal code, with what remains on each",
    PHARMACY_SYSTEM,
    "Retsepti väljastamine",
  )
    .requiredOption("--pharmacist <code>", "X-Road-UserId: the pharmacist's personal code", personalCode)
    .requiredOption("--patient <code>", "the patient's personal code", personalCode)
    .action(async (o) => {
      await run(o, o.pharmacist, async (fhir) => {
        const requests = (await fhir.search("MedicationRequest", {
          "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${o.patient}`,
          status: "active",
        })) as Array<Resource & MedicationRequest>;
        const today = new Date().toISOString().slice(0, 10);
        const valid = requests.filter((r) => (r.dispenseRequest?.validityPeriod?.end ?? today) >= today);
        const listed = [];
        for (const request of valid) {
          const dispensed = (await fhir.search("MedicationDispense", {
            prescription: `MedicationRequest/${request.id}`,
          })) as MedicationDispense[];
          const last = dispensed.at(-1);
          listed.push({
            ...prescriptionOf(request),
            remaining: last ? remainingOf(last) : request.dispenseRequest?.quantity?.value,
            dispensings: dispensed.length,
          });
        }
        return { patient: o.patient, prescriptions: listed };
      });
    });

  call(
    "dispense",
    "dispense packages of a prescription: prints the patient's share, the fund's part and what remains",
    PHARMACY_SYSTEM,
    "Retsepti väljastamine",
  )
    .requiredOption("--pharmacist <code>", "X-Road-UserId: the pharmacist's personal code", personalCode)
    .requiredOption("--prescription <id>", "the prescription (MedicationRequest id, or MedicationRequest/ID)")
    .requiredOption("--packages <n>", "how many packages are handed over now", count)
    .requiredOption(
      "--buyer <code>",
      "the personal code of the person collecting, from their identity document (the patient or a representative)",
      personalCode,
    )
    .action(async (o) => {
      const id = String(o.prescription).replace(/^MedicationRequest\//, "");
      await run(o, o.pharmacist, async (fhir) => {
        const dispense = (await fhir.create({
          resourceType: "MedicationDispense",
          status: "completed",
          authorizingPrescription: [{ reference: `MedicationRequest/${id}` }],
          quantity: { value: o.packages, unit: "package" },
          extension: [buyerExtension(o.buyer)],
        })) as Resource & MedicationDispense;
        return {
          dispense: `MedicationDispense/${dispense.id}`,
          prescription: `MedicationRequest/${id}`,
          medicine: dispense.medicationReference?.display,
          packages: o.packages,
          currency: "EUR",
          price: euros(dispense, EXTENSION.price),
          patientShare: euros(dispense, EXTENSION.patientShare),
          fundShare: euros(dispense, EXTENSION.fundShare),
          remaining: remainingOf(dispense),
        };
      });
    });
}

/** The fields of a prescription a doctor and a pharmacist act on. */
function prescriptionOf(request: Resource & MedicationRequest) {
  return {
    prescription: `MedicationRequest/${request.id}`,
    status: request.status,
    type: request.extension?.find((e) => e.url === EXTENSION.prescriptionType)?.valueCode ?? "public",
    medicine: request.medicationReference?.reference,
    packages: request.dispenseRequest?.quantity?.value,
    dispensingsAllowed: (request.dispenseRequest?.numberOfRepeatsAllowed ?? 0) + 1,
    dosage: request.dosageInstruction?.[0]?.text,
    validityPeriod: request.dispenseRequest?.validityPeriod,
  };
}

/** The summary as FHIR narrative (narrative.html: XHTML in a div, text escaped). */
function xhtml(text: string): string {
  const escaped = text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  return `<div xmlns="http://www.w3.org/1999/xhtml">${escaped}</div>`;
}

/** --security-server, or the calling member's security server in riik up's state.json. */

export function registerHealthInsuranceCommands(program: Command): void {
  const fund = program
    .command("health-insurance")
    .description("the health insurance fund's register: is this person insured today");
  servedCommand(fund, healthInsuranceDescriptor, async (config) => {
    const server = await startHealthInsurance({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
    });
    process.stdout.write(`health insurance fund listening at ${server.url}\n`);
    await untilSignalled();
    await server.close();
  });
}
