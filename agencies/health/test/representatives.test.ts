// A patient's representatives and who may collect a prescription, through fhir-kit-client on
// both databases: the patient names a representative (RelatedPerson) and ends the mandate; a
// doctor writes a named-representative prescription; the pharmacist identifies the buyer, and
// a stranger, or the representative after the mandate ended, is refused with nothing written.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Bundle, MedicationDispense, MedicationRequest, RelatedPerson } from "@medplum/fhirtypes";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { startTestTrustServices } from "@riik/pki/testing";
import {
  buyerExtension,
  EXTENSION,
  kindExtensions,
  PERSONAL_CODE_SYSTEM,
  REPRESENTATIVE_RELATIONSHIP,
} from "../src/index.ts";
import {
  CLINIC,
  entries,
  PHARMACY,
  refusal,
  signedPrescription,
  startWorld,
  type World,
  xroadHeaders,
} from "./fixture.ts";

const trust = await startTestTrustServices();
const representative = generatePersonalCode("1962-05-06", "female", 311);
const stranger = generatePersonalCode("1971-08-09", "male", 312);

for (const target of await dialectTargets()) {
  describe(`representatives and collecting prescriptions on ${target.dialect}`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(target.location("health_representatives"), trust);
    });
    after(() => world?.close());

    const mandate = (code: string, period?: RelatedPerson["period"]) => ({
      resourceType: "RelatedPerson",
      patient: { reference: `Patient/${world.patient.id}` },
      identifier: [{ system: PERSONAL_CODE_SYSTEM, value: code }],
      ...(period ? { period } : {}),
    });
    const name = (as: string, body: object) =>
      world.as(as).create({ resourceType: "RelatedPerson", body: body as never }) as unknown as Promise<
        RelatedPerson & { id: string }
      >;
    const pharmacist = () => world.as(world.pharmacist.code, PHARMACY, "Retsepti väljastamine");
    const dispense = (prescription: string, buyer?: string) =>
      pharmacist().create({
        resourceType: "MedicationDispense",
        body: {
          resourceType: "MedicationDispense",
          authorizingPrescription: [{ reference: `MedicationRequest/${prescription}` }],
          quantity: { value: 1 },
          ...(buyer ? { extension: [buyerExtension(buyer)] } : {}),
        } as never,
      }) as unknown as Promise<MedicationDispense>;
    const dispensed = async (prescription: string) =>
      Number(
        (
          await world.system.store.db
            .selectFrom("prescription")
            .select("dispensed_quantity")
            .where("id", "=", prescription)
            .executeTakeFirstOrThrow()
        ).dispensed_quantity,
      );

    test("the patient names a representative and ends the mandate; no one else can, and a mandate is checked", async () => {
      assert.equal((await refusal(name(world.doctor.code, mandate(representative)))).code, "NOT_THE_PATIENT");
      assert.deepEqual(await refusal(name(world.patient.code, mandate(world.patient.code))), {
        status: 400,
        code: "RESOURCE_INVALID",
        expression: ["RelatedPerson.identifier"],
      });
      assert.deepEqual(await refusal(name(world.patient.code, mandate(representative, { end: "2020-01-01" }))), {
        status: 400,
        code: "RESOURCE_INVALID",
        expression: ["RelatedPerson.period.end"],
      });
      const named = await name(world.patient.code, mandate(representative));
      assert.equal(named.active, true);
      assert.deepEqual(named.relationship?.[0]?.coding, [REPRESENTATIVE_RELATIONSHIP]);
      assert.ok(named.period?.start, "the mandate begins when it is given");
      assert.equal((await refusal(name(world.patient.code, mandate(representative)))).code, "IDENTIFIER_TAKEN");

      // The answer names the representative too: it is their data as well (the Data Tracker).
      const raw = await fetch(`${world.url}/fhir/RelatedPerson/${named.id}`, {
        headers: xroadHeaders(world.patient.code),
      });
      const subjects = raw.headers.get(DATA_SUBJECTS_HEADER) ?? "";
      assert.ok(subjects.includes(`EE${representative}`) && subjects.includes(`EE${world.patient.code}`), subjects);

      // Only the patient ends it, and the representative cannot be swapped in place.
      const update = (as: string, body: object) =>
        world.as(as).update({ resourceType: "RelatedPerson", id: named.id, body: body as never });
      assert.equal((await refusal(update(world.doctor.code, { ...named, active: false }))).code, "NOT_THE_PATIENT");
      assert.equal(
        (await refusal(update(world.patient.code, { ...named, identifier: mandate(stranger).identifier }))).code,
        "RESOURCE_INVALID",
      );
      const ended = (await update(world.patient.code, { ...named, active: false })) as unknown as RelatedPerson;
      assert.equal(ended.active, false);
      assert.ok(ended.period?.end && Date.parse(ended.period.end) <= Date.now(), "ended now");
      const listed = (await world.as(world.patient.code).search({
        resourceType: "RelatedPerson",
        searchParams: { "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${world.patient.code}` },
      })) as unknown as Bundle;
      assert.deepEqual(
        entries(listed).map((r) => (r as RelatedPerson).active),
        [false],
      );
    });

    test("a named-representative prescription: collected by the patient or the person named while the mandate holds, by no one else", async () => {
      const named = await name(world.patient.code, mandate(representative));
      const kind = (code: string) => ({
        extension: kindExtensions({ kind: "named-representative", representative: code }),
      });
      // The doctor names only someone the patient chose.
      await assert.rejects(
        signedPrescription(world, trust, world.patient.id, kind(stranger)),
        (e: { code?: string; details?: { expression?: string[] } }) =>
          e.code === "REFERENCE_NOT_FOUND" && e.details?.expression?.[0] === "MedicationRequest.extension[1]",
      );
      await assert.rejects(
        signedPrescription(world, trust, world.patient.id, {
          extension: [{ url: EXTENSION.prescriptionType, valueCode: "secret" }],
        }),
        (e: { code?: string }) => e.code === "RESOURCE_INVALID",
      );
      const id = await signedPrescription(world, trust, world.patient.id, kind(representative));
      const found = (await pharmacist().search({
        resourceType: "MedicationRequest",
        searchParams: { "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${world.patient.code}`, status: "active" },
      })) as unknown as Bundle;
      const written = entries(found).find((r) => r.id === id) as MedicationRequest | undefined;
      assert.equal(
        written?.extension?.find((e) => e.url === EXTENSION.prescriptionType)?.valueCode,
        "named-representative",
      );

      assert.deepEqual(await refusal(dispense(id)), {
        status: 400,
        code: "RESOURCE_INVALID",
        expression: ["MedicationDispense.extension"],
      });
      assert.equal((await refusal(dispense(id, stranger))).code, "BUYER_NOT_ENTITLED");
      const collected = await dispense(id, representative);
      assert.equal(collected.extension?.find((e) => e.url === EXTENSION.buyer)?.valueIdentifier?.value, representative);
      assert.equal(await dispensed(id), 1);

      await world.as(world.patient.code).update({
        resourceType: "RelatedPerson",
        id: named.id!,
        body: { ...named, active: false } as never,
      });
      assert.deepEqual(await refusal(dispense(id, representative)), {
        status: 403,
        code: "REPRESENTATIVE_MANDATE_ENDED",
        expression: [],
      });
      assert.equal(await dispensed(id), 1, "the refusals wrote nothing");
      const own = await dispense(id, world.patient.code);
      assert.equal(own.extension?.find((e) => e.url === EXTENSION.remaining)?.valueQuantity?.value, 2);
    });

    test("a public prescription is collected by whoever the pharmacist identified, and the dispense says who", async () => {
      const id = await signedPrescription(world, trust, world.patient.id);
      const collected = await dispense(id, stranger);
      assert.equal(collected.extension?.find((e) => e.url === EXTENSION.buyer)?.valueIdentifier?.value, stranger);
      // The doctor sees who collected it.
      const seen = (await world.as(world.doctor.code, CLINIC, "Ravi: retsepti jälgimine").search({
        resourceType: "MedicationDispense",
        searchParams: { prescription: `MedicationRequest/${id}` },
      })) as unknown as Bundle;
      assert.equal(
        (entries(seen)[0] as MedicationDispense | undefined)?.extension?.find((e) => e.url === EXTENSION.buyer)
          ?.valueIdentifier?.value,
        stranger,
      );
    });
  });
}
