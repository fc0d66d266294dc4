// The prescription centre (Health Insurance Act § 45^1, Medicinal Products Act § 32): a doctor
// with a valid licence writes a MedicationRequest from the medicines register and signs it
// (ASiC-E, verified against the configured trust anchors only); a pharmacist at a licensed
// pharmacy dispenses all or part of it on the patient's personal code; the centre computes
// the patient's share, the fund's reimbursement and what remains. Each change is one
// transaction: a refused dispense writes nothing.
import { createHash } from "node:crypto";
import type { MedicationDispense, MedicationRequest, Money } from "@medplum/fhirtypes";
import type { ValidationOptions } from "@riik/signature";
import type { Caller } from "../access/caller.ts";
import { activeRole, checkPharmacyLicence } from "../access/role.ts";
import { fieldError, HealthError } from "../errors.ts";
import { EXTENSION } from "../fhir/identifiers.ts";
import type { ResourceBody, StoredResource } from "../fhir/resources.ts";
import { verifyAuthorSignature } from "../signatures/author-signature.ts";
import type { HealthStore } from "../storage/health-store.ts";
import type { MedicineTable, PrescriptionTable } from "../storage/schema.ts";
import type { InsuranceCheck } from "./insurance-check.ts";
import { type Medicine, medicationOf, type ReimbursementRate, sharesOf, VALIDITY_DAYS } from "./medicines.ts";
import { buyerExtension, buyerOf, checkCollector, kindExtensions, prescriptionKindOf } from "./prescription-type.ts";

const DAY_MS = 86_400_000;
const money = (cents: number): Money => ({ value: cents / 100, currency: "EUR" });

const medicineOf = (row: MedicineTable): Medicine => ({
  code: row.code,
  name: row.name,
  substance: row.substance,
  strength: row.strength,
  form: row.form,
  packageSize: Number(row.package_size),
  priceCents: Number(row.price_cents),
  reimbursementRate: Number(row.reimbursement_rate) as ReimbursementRate,
  narcotic: Number(row.narcotic) === 1,
});

export class PrescriptionCentre {
  constructor(
    readonly store: HealthStore,
    readonly trustAnchors: ValidationOptions["trustAnchors"],
    /** The fund, asked before each dispensing; without it every patient counts as insured (a centre on its own). */
    readonly insurance?: InsuranceCheck,
  ) {}

  /** Adds the medicines the register lacks (and their Medication resources). */
  async registerMedicines(medicines: readonly Medicine[], at = new Date()): Promise<void> {
    await this.store.write(async (write) => {
      for (const m of medicines) {
        const known = await write.trx
          .selectFrom("medicine")
          .select("code")
          .where("code", "=", m.code)
          .executeTakeFirst();
        if (known) continue;
        await write.trx
          .insertInto("medicine")
          .values({
            code: m.code,
            name: m.name,
            substance: m.substance,
            strength: m.strength,
            form: m.form,
            package_size: m.packageSize,
            price_cents: m.priceCents,
            reimbursement_rate: m.reimbursementRate,
            narcotic: m.narcotic ? 1 : 0,
          })
          .execute();
        const { id, ...medication } = medicationOf(m);
        await this.store.insert(write, medication, null, at, id);
      }
    }, at);
  }

  /** A doctor's prescription, a draft until signed: validity from today, 60 days or 30 for a narcotic. */
  async prescribe(caller: Caller, input: ResourceBody, at = new Date()): Promise<StoredResource> {
    const role = await activeRole(this.store, caller.person, caller.organization, at, "doctor");
    const { id: _id, meta: _meta, status: _status, ...body } = input;
    const patient = await this.store.target(body.subject.reference, "Patient", "MedicationRequest.subject");
    const code = (body.medicationReference.reference as string).replace(/^Medication\//, "");
    const medicineRow = await this.store.db
      .selectFrom("medicine")
      .selectAll()
      .where("code", "=", code)
      .executeTakeFirst();
    if (!medicineRow || !body.medicationReference.reference.startsWith("Medication/"))
      throw fieldError(
        "REFERENCE_NOT_FOUND",
        "MedicationRequest.medicationReference",
        `no medicine ${body.medicationReference.reference} in the medicines register`,
      );
    const medicine = medicineOf(medicineRow);
    const days = medicine.narcotic ? VALIDITY_DAYS.narcotic : VALIDITY_DAYS.ordinary;
    const validFrom = at.toISOString().slice(0, 10);
    const validUntil = new Date(Date.parse(validFrom) + (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const repeats = body.dispenseRequest.numberOfRepeatsAllowed ?? 0;
    const kind = await prescriptionKindOf(this.store, body as ResourceBody, patient.patientCode!, at);
    const others = (Array.isArray(body.extension) ? body.extension : []).filter(
      (e: { url?: string }) => e.url !== EXTENSION.prescriptionType && e.url !== EXTENSION.namedRepresentative,
    );
    const request: ResourceBody = {
      ...body,
      extension: [...others, ...kindExtensions(kind)],
      status: "draft",
      authoredOn: at.toISOString(),
      requester: { reference: `PractitionerRole/${role.role.id}`, display: role.licence },
      dispenseRequest: {
        ...body.dispenseRequest,
        numberOfRepeatsAllowed: repeats,
        validityPeriod: { start: validFrom, end: validUntil },
      },
    };
    return this.store.write(async (write) => {
      const stored = await this.store.insert(write, request, patient.patientCode, at);
      await write.trx
        .insertInto("prescription")
        .values({
          id: stored.id,
          patient_code: patient.patientCode!,
          prescriber_code: role.personalCode,
          medicine_code: medicine.code,
          quantity: body.dispenseRequest.quantity.value,
          dispensings_allowed: repeats + 1,
          dispensed_quantity: 0,
          dispensings: 0,
          valid_from: validFrom,
          valid_until: validUntil,
          status: "draft",
          container: null,
          container_sha256: null,
          signed_at: null,
          kind: kind.kind,
          representative_code: kind.representative,
        })
        .execute();
      return stored;
    }, at);
  }

  /**
   * The prescriber's signature: an ASiC-E container whose one data file is the draft's
   * canonical JSON, valid against the configured trust anchors, signed by the prescriber
   * (their personal code in the certificate). The prescription becomes active.
   */
  async sign(caller: Caller, id: string, container: Uint8Array, at = new Date()): Promise<StoredResource> {
    const current = await this.store.get("MedicationRequest", id);
    const row = await this.store.db.selectFrom("prescription").selectAll().where("id", "=", id).executeTakeFirst();
    if (!current || !row) throw new HealthError("RESOURCE_NOT_FOUND", `no MedicationRequest/${id}`);
    if (row.status !== "draft")
      throw new HealthError("PRESCRIPTION_ALREADY_SIGNED", `MedicationRequest/${id} is signed`);
    if (caller.person !== row.prescriber_code)
      throw new HealthError("SIGNER_NOT_PRESCRIBER", "only the prescribing doctor signs the prescription");
    await verifyAuthorSignature(
      container,
      current.resource,
      row.prescriber_code,
      this.trustAnchors,
      new HealthError("SIGNER_NOT_PRESCRIBER", "the container is signed by someone other than the prescribing doctor"),
    );
    return this.store.write(async (write) => {
      const updated = await write.trx
        .updateTable("prescription")
        .set({
          status: "active",
          container: Buffer.from(container).toString("base64"),
          container_sha256: createHash("sha256").update(container).digest("hex"),
          signed_at: at.toISOString(),
        })
        .where("id", "=", id)
        .where("status", "=", "draft")
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new HealthError("PRESCRIPTION_ALREADY_SIGNED", `MedicationRequest/${id} is signed`);
      return this.store.update(write, { ...current.resource, status: "active" } as StoredResource, at);
    }, at);
  }

  /**
   * A pharmacist dispenses `quantity` packages of a valid prescription to the buyer they
   * identified: one transaction that checks the pharmacy's licence, the prescription's
   * signature, validity, who may collect it, dispensings left and remaining quantity, then records the MedicationDispense with the shares and updates
   * the prescription. Any refusal leaves everything as it was.
   */
  async dispense(caller: Caller, input: ResourceBody, at = new Date()): Promise<StoredResource> {
    const role = await activeRole(this.store, caller.person, caller.organization, at, "pharmacist");
    checkPharmacyLicence(role, at);
    const reference = input.authorizingPrescription[0].reference as string;
    const quantity = input.quantity.value as number;
    const buyer = buyerOf(input);
    const insured = await this.#insured(reference, caller.person, at);
    return this.store.write(async (write) => {
      const { trx } = write;
      const id = reference.startsWith("MedicationRequest/") ? reference.slice("MedicationRequest/".length) : "";
      // On PostgreSQL the row is locked until commit: two pharmacies cannot both take the last package.
      const row: PrescriptionTable | undefined = await trx
        .selectFrom("prescription")
        .selectAll()
        .where("id", "=", id)
        .$if(this.store.store.dialect === "postgres", (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row)
        throw fieldError(
          "REFERENCE_NOT_FOUND",
          "MedicationDispense.authorizingPrescription[0]",
          `no prescription ${reference}`,
        );
      if (row.status === "draft")
        throw new HealthError("PRESCRIPTION_NOT_SIGNED", `${reference} is not signed by the doctor`);
      const remaining = Number(row.quantity) - Number(row.dispensed_quantity);
      if (row.status === "completed" || remaining <= 0 || Number(row.dispensings) >= Number(row.dispensings_allowed))
        throw new HealthError("PRESCRIPTION_USED", `${reference} has been dispensed in full`);
      if (at.toISOString().slice(0, 10) > row.valid_until || at.toISOString().slice(0, 10) < row.valid_from)
        throw new HealthError("PRESCRIPTION_EXPIRED", `${reference} was valid until ${row.valid_until}`);
      await checkCollector(this.store, row, buyer, at, trx);
      if (quantity > remaining)
        throw fieldError(
          "QUANTITY_EXCEEDS_REMAINING",
          "MedicationDispense.quantity.value",
          `${quantity} packages asked, ${remaining} remain on ${reference}`,
        );
      const medicine = medicineOf(
        await trx.selectFrom("medicine").selectAll().where("code", "=", row.medicine_code).executeTakeFirstOrThrow(),
      );
      const shares = sharesOf(medicine, quantity, insured);
      const left = remaining - quantity;
      const dispensings = Number(row.dispensings) + 1;
      const done = left === 0 || dispensings >= Number(row.dispensings_allowed);
      const request = (await this.store.get("MedicationRequest", id, trx))!.resource as MedicationRequest &
        StoredResource;
      const dispense: MedicationDispense & { resourceType: "MedicationDispense" } = {
        resourceType: "MedicationDispense",
        status: "completed",
        medicationReference: { reference: `Medication/${medicine.code}`, display: medicine.name },
        subject: request.subject!,
        performer: [
          { actor: { reference: `PractitionerRole/${role.role.id}`, display: role.organization.name ?? "" } },
        ],
        authorizingPrescription: [{ reference }],
        quantity: { value: quantity, unit: "package" },
        whenHandedOver: at.toISOString(),
        extension: [
          { url: EXTENSION.price, valueMoney: money(shares.priceCents) },
          { url: EXTENSION.patientShare, valueMoney: money(shares.patientCents) },
          { url: EXTENSION.fundShare, valueMoney: money(shares.fundCents) },
          { url: EXTENSION.insured, valueBoolean: insured },
          { url: EXTENSION.remaining, valueQuantity: { value: left, unit: "package" } },
          buyerExtension(buyer),
        ],
      };
      const stored = await this.store.insert(write, dispense as ResourceBody, row.patient_code, at);
      await trx
        .updateTable("prescription")
        .set({
          dispensed_quantity: Number(row.dispensed_quantity) + quantity,
          dispensings,
          status: done ? "completed" : "active",
        })
        .where("id", "=", id)
        .execute();
      if (done) await this.store.update(write, { ...request, status: "completed" }, at);
      return stored;
    }, at);
  }

  /**
   * Whether the fund insures the prescription's patient today, asked outside the dispensing's
   * transaction (an X-Road call must not hold a lock); an unknown prescription is left to the
   * transaction to refuse.
   */
  async #insured(reference: string, pharmacist: string | undefined, at: Date): Promise<boolean> {
    if (!this.insurance) return true;
    const id = reference.startsWith("MedicationRequest/") ? reference.slice("MedicationRequest/".length) : "";
    const row = await this.store.db
      .selectFrom("prescription")
      .select("patient_code")
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return true;
    return this.insurance.insured(row.patient_code, at.toISOString().slice(0, 10), {
      pharmacist: pharmacist ?? "",
      prescription: reference,
    });
  }
}
