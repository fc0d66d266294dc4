// A visit summary's document carries its author's signature: the DocumentReference's ASiC-E is
// verified when it is written (the Composition as stored, signed with the writing doctor's card,
// valid against the configured root only). Through fhir-kit-client against a listening server.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { ASIC_E, type StoredRow, signedDocument, signedFileName } from "../src/index.ts";
import { CLINIC, PIN2, refusal, signedContainer, startWorld } from "./fixture.ts";

const trust = await startTestTrustServices();
const world = await startWorld({ dataDir: temporaryDirectory("riik-health-documents-") }, trust);
after(() => world.close());
const PURPOSE = "Ravi: perearsti vastuvõtt";

test("a document is accepted only with its author's valid signature of the summary as stored", async () => {
  const doctor = world.as(world.doctor.code, CLINIC, PURPOSE);
  const subject = { reference: `Patient/${world.patient.id}` };
  const composition = (await doctor.create({
    resourceType: "Composition",
    body: {
      resourceType: "Composition",
      status: "final",
      type: { coding: [{ system: "http://loinc.org", code: "11488-4" }] },
      subject,
      date: "2026-11-20T09:20:00Z",
      author: [{ reference: "Practitioner/x" }],
      title: "Perearsti vastuvõtu kokkuvõte",
    } as never,
  })) as unknown as { id: string };
  const stored = (await world.system.store.get("Composition", composition.id)) as StoredRow;
  const signed = (text: string, card: CardFile = world.doctor.card!) =>
    signedContainer(trust, card, signedFileName(composition.id, "Composition"), text);
  const document = (container: Uint8Array | undefined, hash?: string) =>
    doctor.create({
      resourceType: "DocumentReference",
      body: {
        resourceType: "DocumentReference",
        status: "current",
        subject,
        content: [
          {
            attachment: container
              ? {
                  contentType: ASIC_E,
                  data: Buffer.from(container).toString("base64"),
                  hash: hash ?? createHash("sha1").update(container).digest("base64"),
                }
              : { contentType: "text/plain", data: Buffer.from("unsigned").toString("base64") },
          },
        ],
        context: { related: [{ reference: `Composition/${composition.id}` }] },
      } as never,
    });

  const good = await signed(signedDocument(stored.resource));
  const created = (await document(good)) as unknown as { id: string };
  assert.ok(created.id);

  assert.equal((await refusal(document(undefined))).code, "SIGNATURE_INVALID", "no signature");
  const altered = await signed(signedDocument(stored.resource).replace("kokkuvõte", "kokkuvõtted"));
  assert.equal((await refusal(document(altered))).code, "SIGNATURE_INVALID", "the summary changed after signing");
  assert.equal(
    (await refusal(document(good, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="))).code,
    "SIGNATURE_INVALID",
    "a wrong hash",
  );
  const someone = await issueCard(trust.services, {
    personalCode: generatePersonalCode("1980-05-06", "male", 77),
    givenName: "Keegi",
    surname: "Teine",
    pin1: "1234",
    pin2: PIN2,
  });
  const byOther = await signed(signedDocument(stored.resource), someone);
  assert.deepEqual((await refusal(document(byOther))).code, "SIGNER_NOT_AUTHOR");
  const notZip = new TextEncoder().encode("not a container");
  assert.equal((await refusal(document(notZip))).code, "SIGNATURE_INVALID");
});
