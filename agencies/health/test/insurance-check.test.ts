// The prescription centre asks the health insurance fund before each dispensing, through real
// security servers (xroad's sandbox: the centre as OTHER on ss1, the fund behind ss2): an insured
// patient pays their share, an uninsured one the full price, and without the fund's answer
// nothing is dispensed (INSURANCE_UNAVAILABLE, nothing written).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MedicationDispense } from "@medplum/fhirtypes";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { XRoadRestClient } from "@riik/kit";
import { startTestTrustServices } from "@riik/pki/testing";
import {
  OTHER,
  PROVIDER_SUBSYSTEM,
  registerAtProvider,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import {
  buyerExtension,
  EXTENSION,
  type HealthInsuranceServer,
  healthInsuranceDescriptor,
  PERSONAL_CODE_SYSTEM,
  startHealthInsurance,
  XRoadInsuranceCheck,
} from "../src/index.ts";
import { PHARMACY, signedPrescription as signedPrescriptionFor, startWorld, type World } from "./fixture.ts";

const trust = await startTestTrustServices();

describe("the prescription centre asks the health insurance fund over X-Road before it reimburses", () => {
  let sb: Sandbox;
  let fund: HealthInsuranceServer;
  let world: World;
  let fundClosed = false;
  before(async () => {
    const dir = temporaryDirectory("riik-health-insurance-check-");
    sb = await startSandbox({ dir, dataTracker: true });
    fund = await startHealthInsurance({ dataDir: `${dir}/fund`, port: 0 });
    // The fund's registration as riik up applies it at ss2, OTHER (the centre here) its client.
    const registration = healthInsuranceDescriptor.exchange!(
      { dir, insuranceClients: [OTHER], reportingClients: [] } as never,
      { subsystem: PROVIDER_SUBSYSTEM, url: fund.url },
    );
    await registerAtProvider(sb, registration);
    const check = new XRoadInsuranceCheck(
      new XRoadRestClient({ securityServer: sb.ss1.client, client: OTHER }),
      `${PROVIDER_SUBSYSTEM}/insurance`,
    );
    world = await startWorld({ dataDir: `${dir}/health` }, trust, check);
  });
  after(async () => {
    await world?.close();
    if (!fundClosed) await fund?.close();
    await sb?.stop();
  });

  const pharmacistOf = () => ({
    organization: PHARMACY,
    person: world.pharmacist.code,
    purpose: "Retsepti väljastamine",
    emergency: false,
  });
  const signedPrescription = (patientId: string) => signedPrescriptionFor(world, trust, patientId);

  const dispense = (id: string) =>
    world.system.centre.dispense(pharmacistOf(), {
      resourceType: "MedicationDispense",
      authorizingPrescription: [{ reference: `MedicationRequest/${id}` }],
      quantity: { value: 2 },
      // A public prescription: whoever the pharmacist identified collects it.
      extension: [buyerExtension(world.patient.code)],
    }) as Promise<unknown> as Promise<MedicationDispense>;
  const extension = (d: MedicationDispense, url: string) => d.extension?.find((e) => e.url === url);

  test("insured: the fund's part is paid; not insured: the patient pays the full price; the fund down: nothing dispensed", async () => {
    // The fixture's patient, insured as an employee since 2020.
    await fund.register.record({
      personalCode: world.patient.code,
      basis: "employment",
      start: "2020-01-01",
      end: null,
    });
    const insured = await dispense(await signedPrescription(world.patient.id));
    // 2 × €4.00 at 90 %: the fixed €1.27, then 10 % of the remaining €6.73.
    assert.equal(extension(insured, EXTENSION.patientShare)?.valueMoney?.value, 1.94);
    assert.equal(extension(insured, EXTENSION.fundShare)?.valueMoney?.value, 6.06);
    assert.equal(extension(insured, EXTENSION.insured)?.valueBoolean, true);

    // A second patient whose insurance ended last year.
    const code = generatePersonalCode("1985-02-14", "male", 23);
    await fund.register.record({ personalCode: code, basis: "employment", start: "2015-01-01", end: "2025-12-31" });
    const other = (await world.as(undefined).create({
      resourceType: "Patient",
      body: { resourceType: "Patient", identifier: [{ system: PERSONAL_CODE_SYSTEM, value: code }] } as never,
    })) as unknown as { id: string };
    const uninsuredId = await signedPrescription(other.id);
    const uninsured = await dispense(uninsuredId);
    assert.equal(extension(uninsured, EXTENSION.price)?.valueMoney?.value, 8);
    assert.equal(extension(uninsured, EXTENSION.patientShare)?.valueMoney?.value, 8);
    assert.equal(extension(uninsured, EXTENSION.fundShare)?.valueMoney?.value, 0);
    assert.equal(extension(uninsured, EXTENSION.insured)?.valueBoolean, false);

    // The fund stops answering: the pharmacist is told to try again, and nothing was written.
    const dispensings = async () =>
      (
        await world.system.store.db
          .selectFrom("prescription")
          .select("dispensings")
          .where("id", "=", uninsuredId)
          .executeTakeFirstOrThrow()
      ).dispensings;
    const before = await dispensings();
    await fund.close();
    fundClosed = true;
    await assert.rejects(
      dispense(uninsuredId),
      (e: unknown) => (e as { code?: string }).code === "INSURANCE_UNAVAILABLE",
    );
    assert.equal(await dispensings(), before);
  });
});
