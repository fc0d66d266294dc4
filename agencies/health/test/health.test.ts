// The health information system through an independent FHIR client (fhir-kit-client) against a
// listening server, on SQLite and PostgreSQL: create/read/search/_include/paging and
// OperationOutcome naming the field; closures, the refused and the emergency read, every read
// shown to the patient; the e-prescription written, signed, dispensed half and the rest, a
// third dispense refused, an expired licence, an unlicensed pharmacy; and `riik health serve`.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AuditEvent, Bundle, MedicationDispense } from "@medplum/fhirtypes";
import { commandLine, DATA_SUBJECTS_HEADER, parseConfig } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { startTestTrustServices, type TestTrustServices } from "@riik/pki/testing";
import {
  buyerExtension,
  EMERGENCY_HEADER,
  EXTENSION,
  FHIR_SERVICE_CODE,
  HEALTH_SERVE,
  healthDescriptor,
  PERSONAL_CODE_SYSTEM,
  type StoredRow,
  signedDocument,
  signedFileName,
  startHealth,
} from "../src/index.ts";
import {
  CLINIC,
  closureOf,
  entries,
  PHARMACY,
  refusal,
  signedContainer,
  startWorld,
  UNLICENSED_PHARMACY,
  type World,
  xroadHeaders,
} from "./fixture.ts";

const PURPOSE = "Ravi: perearsti vastuvõtt";
const DAY = 86_400_000;
const trust: TestTrustServices = await startTestTrustServices();

const encounter = (patientId: string) => ({
  resourceType: "Encounter",
  status: "finished",
  class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
  subject: { reference: `Patient/${patientId}` },
  period: { start: "2026-11-20T09:00:00Z", end: "2026-11-20T09:20:00Z" },
});
const summary = (patientId: string, encounterId: string) => ({
  resourceType: "Composition",
  status: "final",
  type: { coding: [{ system: "http://loinc.org", code: "11488-4", display: "Consult note" }] },
  subject: { reference: `Patient/${patientId}` },
  encounter: { reference: `Encounter/${encounterId}` },
  date: "2026-11-20T09:20:00Z",
  author: [{ reference: "Practitioner/x" }],
  title: "Perearsti vastuvõtu kokkuvõte",
});
const observation = (patientId: string, day: string) => ({
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime: `${day}T10:00:00Z`,
  valueQuantity: { value: 72, unit: "/min" },
});

for (const target of await dialectTargets()) {
  describe(`health information system on ${target.dialect}`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(target.location("health"), trust);
    });
    after(() => world.close());

    test("create, read, search with _include and paging, CapabilityStatement; errors as OperationOutcome naming the field", async () => {
      const doctor = world.as(world.doctor.code, CLINIC, PURPOSE);
      const capabilities = (await doctor.capabilityStatement()) as unknown as {
        fhirVersion: string;
        rest: Array<{ resource: Array<{ type: string }> }>;
      };
      assert.equal(capabilities.fhirVersion, "4.0.1");
      assert.ok(capabilities.rest[0]!.resource.some((r) => r.type === "MedicationRequest"));

      const visit = (await doctor.create({
        resourceType: "Encounter",
        body: encounter(world.patient.id) as never,
      })) as unknown as { id: string };
      const note = (await doctor.create({
        resourceType: "Composition",
        body: summary(world.patient.id, visit.id) as never,
      })) as unknown as { id: string };
      const read = (await doctor.read({ resourceType: "Composition", id: note.id })) as unknown as {
        title: string;
        meta: { versionId: string };
      };
      assert.equal(read.title, "Perearsti vastuvõtu kokkuvõte");
      assert.equal(read.meta.versionId, "1");

      for (const day of ["2026-11-18", "2026-11-19", "2026-11-20"])
        await doctor.create({ resourceType: "Observation", body: observation(world.patient.id, day) as never });
      const first = (await doctor.search({
        resourceType: "Observation",
        searchParams: { patient: `Patient/${world.patient.id}`, _count: 2, _include: "Observation:patient" },
      })) as unknown as Bundle;
      assert.equal(entries(first).filter((r) => r.resourceType === "Observation").length, 2);
      assert.deepEqual(
        first.entry!.filter((e) => e.search?.mode === "include").map((e) => e.resource!.resourceType),
        ["Patient"],
      );
      const next = (await doctor.nextPage({ bundle: first as never })) as unknown as Bundle;
      assert.equal(entries(next).filter((r) => r.resourceType === "Observation").length, 1);
      assert.equal(
        next.link?.find((l) => l.relation === "next"),
        undefined,
      );
      const recent = (await doctor.search({
        resourceType: "Observation",
        searchParams: { subject: `Patient/${world.patient.id}`, date: "ge2026-11-19", status: "final" },
      })) as unknown as Bundle;
      assert.equal(entries(recent).length, 2);
      const byCode = (await doctor.search({
        resourceType: "Patient",
        searchParams: { identifier: `${PERSONAL_CODE_SYSTEM}|${world.patient.code}` },
      })) as unknown as Bundle;
      assert.deepEqual(
        entries(byCode).map((p) => p.id),
        [world.patient.id],
      );

      // The wire: application/fhir+json, the Data Tracker subject named.
      const res = await fetch(`${world.url}/fhir/Composition/${note.id}`, {
        headers: { accept: "application/fhir+json", ...xroadHeaders(world.doctor.code, CLINIC, PURPOSE) },
      });
      assert.match(res.headers.get("content-type") ?? "", /^application\/fhir\+json/);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), `EE${world.patient.code}`);

      const operator = world.as(undefined);
      const cases: Array<[() => Promise<unknown>, number, string, string[]]> = [
        [
          () => operator.create({ resourceType: "Patient", body: { resourceType: "Patient", name: [] } as never }),
          400,
          "RESOURCE_INVALID",
          ["Patient.identifier"],
        ],
        [
          () =>
            operator.create({
              resourceType: "Patient",
              body: {
                resourceType: "Patient",
                identifier: [{ system: PERSONAL_CODE_SYSTEM, value: "38001085719" }],
              } as never,
            }),
          400,
          "RESOURCE_INVALID",
          ["Patient.identifier[0].value"],
        ],
        [
          () =>
            operator.create({
              resourceType: "Patient",
              body: {
                resourceType: "Patient",
                identifier: [{ system: PERSONAL_CODE_SYSTEM, value: world.patient.code }],
              } as never,
            }),
          409,
          "IDENTIFIER_TAKEN",
          ["Patient.identifier"],
        ],
        [
          () =>
            doctor.create({
              resourceType: "Encounter",
              body: { ...encounter(world.patient.id), status: "bogus" } as never,
            }),
          400,
          "RESOURCE_INVALID",
          ["Encounter.status"],
        ],
        [
          () => doctor.create({ resourceType: "Encounter", body: encounter("nobody") as never }),
          422,
          "REFERENCE_NOT_FOUND",
          ["Encounter.subject"],
        ],
        [
          () => doctor.search({ resourceType: "Observation", searchParams: { colour: "red" } }),
          400,
          "SEARCH_INVALID",
          ["colour"],
        ],
        [
          () => doctor.search({ resourceType: "Observation", searchParams: { date: "yesterday" } }),
          400,
          "SEARCH_INVALID",
          ["date"],
        ],
        [
          () => doctor.search({ resourceType: "Observation", searchParams: { _include: "Patient:link" } }),
          400,
          "SEARCH_INVALID",
          ["_include"],
        ],
        [() => doctor.read({ resourceType: "Composition", id: "no-such" }), 404, "RESOURCE_NOT_FOUND", []],
        [
          () => operator.create({ resourceType: "AuditEvent", body: { resourceType: "AuditEvent" } as never }),
          405,
          "INTERACTION_NOT_SUPPORTED",
          [],
        ],
        [
          () => world.as(world.doctor.code, CLINIC).read({ resourceType: "Composition", id: note.id }),
          403,
          "PURPOSE_MISSING",
          [],
        ],
        [
          () => world.as(world.pharmacist.code, CLINIC, PURPOSE).read({ resourceType: "Composition", id: note.id }),
          403,
          "ROLE_REQUIRED",
          [],
        ],
        [
          () => world.as(world.expiredDoctor.code, CLINIC, PURPOSE).read({ resourceType: "Composition", id: note.id }),
          403,
          "LICENCE_EXPIRED",
          [],
        ],
        [
          () =>
            world
              .as(world.expiredDoctor.code, CLINIC)
              .create({ resourceType: "Encounter", body: encounter(world.patient.id) as never }),
          403,
          "LICENCE_EXPIRED",
          [],
        ],
      ];
      for (const [call, status, code, expression] of cases)
        assert.deepEqual(await refusal(call()), { status, code, expression }, code);
    });

    test("the patient closes a summary: a professional's read refused and logged, an emergency read allowed and flagged, all shown to the patient; reopening restores access", async () => {
      const doctor = world.as(world.doctor.code, CLINIC, PURPOSE);
      const patient = world.as(world.patient.code);
      const visit = (await doctor.create({
        resourceType: "Encounter",
        body: encounter(world.patient.id) as never,
      })) as unknown as { id: string };
      const note = (await doctor.create({
        resourceType: "Composition",
        body: summary(world.patient.id, visit.id) as never,
      })) as unknown as { id: string };
      const closure = closureOf(world.patient.id, `Composition/${note.id}`);
      assert.deepEqual(
        (await refusal(doctor.create({ resourceType: "Consent", body: closure as never }))).code,
        "NOT_THE_PATIENT",
      );
      const consent = (await patient.create({ resourceType: "Consent", body: closure as never })) as unknown as {
        id: string;
      };

      assert.deepEqual(await refusal(doctor.read({ resourceType: "Composition", id: note.id })), {
        status: 403,
        code: "DOCUMENT_CLOSED",
        expression: [],
      });
      const listed = (await doctor.search({
        resourceType: "Composition",
        searchParams: { patient: world.patient.id },
      })) as unknown as Bundle;
      assert.ok(
        !entries(listed).some((r) => r.id === note.id),
        "a closed document is left out of a professional's search",
      );
      const emergency = world.as(world.doctor.code, CLINIC, "Kiirabi: teadvuseta patsient", {
        [EMERGENCY_HEADER]: "ETREAT",
      });
      assert.equal(
        ((await emergency.read({ resourceType: "Composition", id: note.id })) as unknown as { id: string }).id,
        note.id,
      );
      // The patient reads their own closed document, and who looked.
      assert.equal(
        ((await patient.read({ resourceType: "Composition", id: note.id })) as unknown as { id: string }).id,
        note.id,
      );
      const log = entries(
        await patient.search({
          resourceType: "AuditEvent",
          searchParams: { patient: `Patient/${world.patient.id}`, _count: 100 },
        }),
      ) as AuditEvent[];
      const aboutNote = log.filter((e) => e.entity?.some((x) => x.what?.reference === `Composition/${note.id}`));
      const purposeOf = (e: AuditEvent) => e.purposeOfEvent?.[0]?.coding?.[0]?.code;
      assert.ok(
        aboutNote.some((e) => e.outcome === "4" && purposeOf(e) === "TREAT"),
        "the refused read is logged",
      );
      assert.ok(
        aboutNote.some((e) => e.outcome === "0" && purposeOf(e) === "ETREAT"),
        "the emergency read is flagged",
      );
      assert.ok(
        log.every((e) => e.agent?.[0]?.who?.identifier?.value === world.doctor.code && e.purposeOfEvent?.[0]?.text),
      );
      // Who read what is the patient's alone; an outsider's search cannot tell whether anything matched.
      assert.deepEqual(
        entries(await doctor.search({ resourceType: "AuditEvent", searchParams: { patient: world.patient.id } })),
        [],
      );
      const outsider = world.as(world.pharmacist.code, CLINIC, PURPOSE);
      assert.deepEqual(
        entries(await outsider.search({ resourceType: "Composition", searchParams: { patient: world.patient.id } })),
        [],
      );
      assert.equal(
        (
          await refusal(
            world
              .as(world.doctor.code, CLINIC)
              .search({ resourceType: "Composition", searchParams: { patient: world.patient.id } }),
          )
        ).code,
        "PURPOSE_MISSING",
      );

      await patient.update({
        resourceType: "Consent",
        id: consent.id,
        body: { ...closure, id: consent.id, status: "inactive" } as never,
      });
      assert.equal(
        ((await doctor.read({ resourceType: "Composition", id: note.id })) as unknown as { id: string }).id,
        note.id,
      );
    });

    test("e-prescription: an expired licence refused; written, signed with the doctor's card, dispensed half and the rest, a third dispense refused, nothing half-written", async () => {
      const prescribe = (code: string, packages: number, repeats: number, medicine = "metformin-500") =>
        world.as(code, CLINIC).create({
          resourceType: "MedicationRequest",
          body: {
            resourceType: "MedicationRequest",
            intent: "order",
            medicationReference: { reference: `Medication/${medicine}` },
            subject: { reference: `Patient/${world.patient.id}` },
            requester: { reference: "PractitionerRole/ignored" },
            dosageInstruction: [{ text: "1 tablet twice a day" }],
            dispenseRequest: { quantity: { value: packages, unit: "package" }, numberOfRepeatsAllowed: repeats },
          } as never,
        }) as unknown as Promise<{
          id: string;
          status: string;
          dispenseRequest: { validityPeriod: { start: string; end: string } };
        }>;
      assert.equal((await refusal(prescribe(world.expiredDoctor.code, 4, 1))).code, "LICENCE_EXPIRED");
      assert.equal((await refusal(prescribe(world.pharmacist.code, 4, 1))).code, "ROLE_REQUIRED");
      const request = await prescribe(world.doctor.code, 4, 1);
      assert.equal(request.status, "draft");
      const { start, end } = request.dispenseRequest.validityPeriod;
      assert.equal((Date.parse(end) - Date.parse(start)) / DAY, 59, "valid 60 days");

      const pharmacist = world.as(world.pharmacist.code, PHARMACY, "Retsepti väljastamine");
      const dispense = (client: ReturnType<World["as"]>, packages: number, id = request.id) =>
        client.create({
          resourceType: "MedicationDispense",
          body: {
            resourceType: "MedicationDispense",
            authorizingPrescription: [{ reference: `MedicationRequest/${id}` }],
            quantity: { value: packages },
            extension: [buyerExtension(world.patient.code)],
          } as never,
        }) as unknown as Promise<MedicationDispense>;
      assert.equal((await refusal(dispense(pharmacist, 1))).code, "PRESCRIPTION_NOT_SIGNED");

      const stored = (await world.system.store.get("MedicationRequest", request.id)) as StoredRow;
      const signed = async (text: string) =>
        Buffer.from(await signedContainer(trust, world.doctor.card!, signedFileName(request.id), text)).toString(
          "base64",
        );
      const sign = (base64: string) =>
        world.as(world.doctor.code, CLINIC).operation({
          name: "$sign",
          resourceType: "MedicationRequest",
          id: request.id,
          method: "POST",
          input: { resourceType: "Parameters", parameter: [{ name: "container", valueBase64Binary: base64 }] },
        });
      const document = signedDocument(stored.resource);
      assert.equal((await refusal(sign(await signed(document.replace("twice", "thrice"))))).code, "SIGNATURE_INVALID");
      assert.equal(((await sign(await signed(document))) as unknown as { status: string }).status, "active");

      const found = (await pharmacist.search({
        resourceType: "MedicationRequest",
        searchParams: { "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${world.patient.code}`, status: "active" },
      })) as unknown as Bundle;
      assert.deepEqual(
        entries(found).map((r) => r.id),
        [request.id],
      );

      const unlicensed = world.as(world.unlicensedPharmacist.code, UNLICENSED_PHARMACY, "Retsepti väljastamine");
      assert.equal((await refusal(dispense(unlicensed, 1))).code, "PHARMACY_NOT_LICENSED");
      // Nor may it look: an unlicensed pharmacy's pharmacist reads no prescription.
      const unlicensedSearch = unlicensed.search({
        resourceType: "MedicationRequest",
        searchParams: { "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${world.patient.code}`, status: "active" },
      });
      assert.equal((await refusal(unlicensedSearch)).code, "PHARMACY_NOT_LICENSED");
      const unlicensedRead = unlicensed.read({ resourceType: "MedicationRequest", id: request.id });
      assert.equal((await refusal(unlicensedRead)).code, "PHARMACY_NOT_LICENSED");
      assert.deepEqual(await refusal(dispense(pharmacist, 5)), {
        status: 409,
        code: "QUANTITY_EXCEEDS_REMAINING",
        expression: ["MedicationDispense.quantity.value"],
      });
      const count = async () =>
        Number(
          (
            await world.system.store.db
              .selectFrom("fhir_resource")
              .select((eb) => eb.fn.countAll().as("n"))
              .where("type", "=", "MedicationDispense")
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      const money = (d: MedicationDispense, url: string) => d.extension?.find((e) => e.url === url);
      const half = await dispense(pharmacist, 2);
      // 2 × €4.00 at 90 %: the fixed €1.27, then 10 % of the remaining €6.73.
      assert.equal(money(half, EXTENSION.patientShare)?.valueMoney?.value, 1.94);
      assert.equal(money(half, EXTENSION.fundShare)?.valueMoney?.value, 6.06);
      assert.equal(money(half, EXTENSION.remaining)?.valueQuantity?.value, 2);
      const rest = await dispense(pharmacist, 2);
      assert.equal(money(rest, EXTENSION.remaining)?.valueQuantity?.value, 0);
      assert.equal((await refusal(dispense(pharmacist, 1))).code, "PRESCRIPTION_USED");
      assert.equal(await count(), before + 2, "refusals wrote nothing");
      const after = (await world
        .as(world.doctor.code, CLINIC, PURPOSE)
        .read({ resourceType: "MedicationRequest", id: request.id })) as unknown as { status: string };
      assert.equal(after.status, "completed");
      // The doctor sees what was dispensed.
      const dispensed = (await world.as(world.doctor.code, CLINIC, PURPOSE).search({
        resourceType: "MedicationDispense",
        searchParams: { prescription: `MedicationRequest/${request.id}` },
      })) as unknown as Bundle;
      assert.equal(entries(dispensed).length, 2);

      // A narcotic is valid 30 days: a dispense on day 31 is refused.
      const narcotic = await prescribe(world.doctor.code, 1, 0, "morphine-10");
      assert.equal(
        (Date.parse(narcotic.dispenseRequest.validityPeriod.end) -
          Date.parse(narcotic.dispenseRequest.validityPeriod.start)) /
          DAY,
        29,
      );
      const narcoticRow = (await world.system.store.get("MedicationRequest", narcotic.id)) as StoredRow;
      const container = await signedContainer(
        trust,
        world.doctor.card!,
        signedFileName(narcotic.id),
        signedDocument(narcoticRow.resource),
      );
      const caller = { organization: CLINIC, person: world.doctor.code, purpose: undefined, emergency: false };
      await world.system.centre.sign(caller, narcotic.id, container);
      const later = new Date(Date.now() + 31 * DAY);
      const pharmacyCaller = {
        organization: PHARMACY,
        person: world.pharmacist.code,
        purpose: "Retsepti väljastamine",
        emergency: false,
      };
      await assert.rejects(
        world.system.centre.dispense(
          pharmacyCaller,
          {
            resourceType: "MedicationDispense",
            authorizingPrescription: [{ reference: `MedicationRequest/${narcotic.id}` }],
            quantity: { value: 1 },
            extension: [buyerExtension(world.patient.code)],
          },
          later,
        ),
        (e: unknown) => (e as { code?: string }).code === "PRESCRIPTION_EXPIRED",
      );
    });
  });
}

// `riik health serve` as the descriptor configures it.
test("serve: listens with the configured trust anchor, answers /healthz, /fhir/metadata and an OpenAPI document", async () => {
  const dir = temporaryDirectory();
  const root = join(dir, "root.crt");
  writeFileSync(root, trust.services.root.toString("pem"));
  const server = await startHealth({ dataDir: dir, port: 0, trust: root });
  try {
    assert.equal((await (await fetch(`${server.url}/healthz`)).json()).status, "ok");
    const metadata = await fetch(`${server.url}/fhir/metadata`);
    assert.match(metadata.headers.get("content-type") ?? "", /^application\/fhir\+json/);
    assert.equal((await metadata.json()).resourceType, "CapabilityStatement");
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    const operations = Object.values(openapi.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(
      (p) => Object.values(p).map((o) => o.operationId),
    );
    assert.ok(operations.length > 30 && operations.every((id) => typeof id === "string"));
    assert.ok(operations.includes("signMedicationRequest") && operations.includes("createMedicationDispense"));
  } finally {
    await server.close();
  }
});

test("the descriptor: command line, the fhir service and each client's rights", () => {
  const config = parseConfig(
    HEALTH_SERVE,
    {
      dir: "/data/health",
      trust: "/data/pki/ca/root.crt",
      providerClients: ["EE/COM/10000018/his"],
      pharmacyClients: ["EE/COM/10000024/apteek"],
      portalClients: ["EE/GOV/70000001/portal"],
    },
    (problems) => new Error(JSON.stringify(problems)),
  );
  assert.deepEqual(commandLine(healthDescriptor, config).slice(0, 6), [
    "health",
    "serve",
    "--dir",
    "/data/health",
    "--port",
    "8530",
  ]);
  const exchange = healthDescriptor.exchange!(config, {
    subsystem: "EE/GOV/70009770/tis",
    url: "http://127.0.0.1:8530",
  });
  assert.deepEqual(
    exchange.services?.map((s) => [s.code, s.url, s.personalData]),
    [[FHIR_SERVICE_CODE, "http://127.0.0.1:8530/fhir", true]],
  );
  const pharmacy = exchange.access?.filter((a) => a.subject === "EE/COM/10000024/apteek") ?? [];
  assert.deepEqual(pharmacy.find((a) => a.method === "POST")?.paths, ["/MedicationDispense"]);
  assert.ok((exchange.access ?? []).every((a) => a.paths.every((p) => p === "**" || p.startsWith("/"))));
});
