// FHIR versions through fhir-kit-client on both databases (R4 http.html#vread, #history): every
// create and update keeps its version; the Location a create answers is a version that reads;
// vread and an instance's history follow the access rules of the resource as it is now (a
// closed document is closed in every version), and a professional's read of them is audited.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AuditEvent, Bundle, CapabilityStatement, Consent, MedicationRequest } from "@medplum/fhirtypes";
import { dialectTargets } from "@riik/core/testing";
import { startTestTrustServices } from "@riik/pki/testing";
import {
  CLINIC,
  closureOf,
  entries,
  PHARMACY,
  refusal,
  signedPrescription,
  startWorld,
  type World,
  xroadHeaders,
} from "./fixture.ts";

const trust = await startTestTrustServices();
const PURPOSE = "Retsepti väljastamine";

for (const target of await dialectTargets()) {
  describe(`resource versions on ${target.dialect}`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(target.location("health_history"), trust);
    });
    after(() => world?.close());

    test("a closure's versions: the Location reads, vread answers each version, the history lists them newest first", async () => {
      const closure = closureOf(world.patient.id);
      const created = await fetch(`${world.url}/fhir/Consent`, {
        method: "POST",
        headers: { ...xroadHeaders(world.patient.code), "content-type": "application/fhir+json" },
        body: JSON.stringify(closure),
      });
      assert.equal(created.status, 201);
      const consent = (await created.json()) as Consent & { id: string };
      const location = created.headers.get("location") ?? "";
      assert.equal(location, `${world.url}/fhir/Consent/${consent.id}/_history/1`);
      const atLocation = await fetch(location, { headers: xroadHeaders(world.patient.code) });
      assert.equal(atLocation.status, 200);
      assert.equal(atLocation.headers.get("etag"), 'W/"1"');

      const patient = world.as(world.patient.code);
      await patient.update({
        resourceType: "Consent",
        id: consent.id,
        body: { ...closure, id: consent.id, status: "inactive" } as never,
      });
      const first = (await patient.vread({
        resourceType: "Consent",
        id: consent.id,
        version: "1",
      })) as unknown as Consent;
      assert.deepEqual([first.status, first.meta?.versionId], ["active", "1"]);
      const history = (await patient.resourceHistory({ resourceType: "Consent", id: consent.id })) as unknown as Bundle;
      assert.equal(history.type, "history");
      assert.deepEqual(
        (history.entry ?? []).map((e) => [
          (e.resource as Consent).status,
          e.resource?.meta?.versionId,
          e.request?.method,
          e.response?.etag,
        ]),
        [
          ["inactive", "2", "PUT", 'W/"2"'],
          ["active", "1", "POST", 'W/"1"'],
        ],
      );
      assert.equal(
        (await refusal(patient.vread({ resourceType: "Consent", id: consent.id, version: "3" }))).code,
        "RESOURCE_NOT_FOUND",
      );
      const malformed = await fetch(`${world.url}/fhir/Consent/${consent.id}/_history/0`, {
        headers: xroadHeaders(world.patient.code),
      });
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as { resourceType: string }).resourceType, "OperationOutcome");
    });

    test("a prescription's draft and signed versions: a pharmacist's vread is audited, a reader without a purpose or role refused", async () => {
      const id = await signedPrescription(world, trust, world.patient.id);
      const pharmacist = world.as(world.pharmacist.code, PHARMACY, PURPOSE);
      const draft = (await pharmacist.vread({
        resourceType: "MedicationRequest",
        id,
        version: "1",
      })) as unknown as MedicationRequest;
      assert.equal(draft.status, "draft");
      const versions = (await pharmacist.resourceHistory({
        resourceType: "MedicationRequest",
        id,
      })) as unknown as Bundle;
      assert.deepEqual(
        entries(versions).map((r) => (r as MedicationRequest).status),
        ["active", "draft"],
      );
      const events = (await world.as(world.patient.code).search({
        resourceType: "AuditEvent",
        searchParams: { entity: `MedicationRequest/${id}` },
      })) as unknown as Bundle;
      assert.deepEqual(
        entries(events)
          .map((e) => (e as AuditEvent).subtype?.[0]?.code)
          .sort(),
        ["history-instance", "vread"],
      );
      const noPurpose = world.as(world.pharmacist.code, PHARMACY);
      assert.equal(
        (await refusal(noPurpose.vread({ resourceType: "MedicationRequest", id, version: "1" }))).code,
        "PURPOSE_MISSING",
      );
      const stranger = world.as(world.expiredDoctor.code, CLINIC, PURPOSE);
      assert.equal(
        (await refusal(stranger.resourceHistory({ resourceType: "MedicationRequest", id }))).code,
        "LICENCE_EXPIRED",
      );
    });

    test("the CapabilityStatement offers vread and the history of an instance", async () => {
      const statement = (await world.as(undefined).capabilityStatement()) as unknown as CapabilityStatement;
      const consent = statement.rest?.[0]?.resource?.find((r) => r.type === "Consent");
      assert.deepEqual(
        consent?.interaction?.map((i) => i.code),
        ["read", "vread", "history-instance", "search-type", "create", "update"],
      );
      assert.equal(consent?.versioning, "versioned");
    });
  });
}
