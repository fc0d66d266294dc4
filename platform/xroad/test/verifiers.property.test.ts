// #22 The offline verifiers read untrusted files (evidence, Data Tracker proofs): generated
// values and well-formed documents with a field of another type are XROAD_EVIDENCE_INVALID,
// a well-formed document gets a report; nothing else escapes (a TypeError fails the test).
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { type DataUse, useFromRow, useToRow } from "../src/datatracker/record.ts";
import { USE_BATCH_FORMAT, USE_PROOF_FORMAT } from "../src/datatracker/store.ts";
import { XRoadError } from "../src/errors.ts";
import { EVIDENCE_FORMAT, verifyEvidence } from "../src/evidence/evidence.ts";
import { trustAnchorFromFiles } from "../src/evidence/trust.ts";
import { verifyUsageProof } from "../src/evidence/usage-proof.ts";
import type { AnchoredStatement } from "../src/messagelog/batch.ts";
import { BATCH_FORMAT } from "../src/messagelog/log.ts";

const dir = temporaryDirectory("riik-verifiers-property-");
const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
const pem = await selfSignedCertificate(key, "a root");
writeFileSync(join(dir, "root.crt"), pem);
const anchor = trustAnchorFromFiles([join(dir, "root.crt")]);
const der = new X509Certificate(pem).raw.toString("base64");

const use: DataUse = {
  providerId: "EE/COM/2/rr",
  subject: "EE38001085718",
  loggedAt: "2030-01-01T00:00:00.000Z",
  queryId: "q-1",
  clientId: "EE/GOV/1/portal",
  serviceId: "EE/COM/2/rr/persons",
  userId: "EE38001085718",
  purpose: "a purpose",
  processingType: "DATA_RESPONSE",
  legalBasis: null,
  consentReference: null,
  bulk: false,
  initiatorSystem: null,
  initiatorPerson: null,
  hiddenUntil: null,
  hiddenReason: null,
};
const statement: AnchoredStatement = {
  format: USE_BATCH_FORMAT,
  server: "EE/COM/2/ss2",
  batch: 1,
  firstId: 1,
  lastId: 1,
  count: 1,
  root: "a".repeat(64),
  previous: "0".repeat(64),
  createdAt: "2030-01-01T00:00:01.000Z",
};
// The stored use as the store serves it: written as a row (with its hash), read back, anchored in batch 1.
const proof = {
  format: USE_PROOF_FORMAT,
  server: "EE/COM/2/ss2",
  use: useFromRow({ ...useToRow(use), id: 1, batch_id: 1 }),
  batch: { statement, index: 0, proof: [], tsaToken: null, ledger: null },
  certificates: { tsa: [der], ledger: null },
};
const evidence = {
  format: EVIDENCE_FORMAT,
  server: "EE/GOV/1/ss1",
  queryId: "q-1",
  generatedAt: "2030-01-01T00:00:02.000Z",
  messages: [
    {
      record: {
        side: "client",
        queryId: "q-1",
        requestId: "r-1",
        clientId: "EE/GOV/1/portal",
        serviceId: "EE/COM/2/rr/persons",
        createdAt: "2030-01-01T00:00:00.000Z",
        loggingMode: "metadata",
        requestHead: "GET /persons\n",
        requestBody: null,
        requestBodyHash: "",
        requestSignature: null,
        requestSigner: null,
        responseStatus: 200,
        responseHead: "200\n",
        responseBody: null,
        responseBodyHash: "",
        responseSignature: null,
        responseSigner: null,
        peerOcsp: null,
        recordHash: "b".repeat(64),
      },
      batch: { statement: { ...statement, format: BATCH_FORMAT }, index: 0, proof: [], tsaToken: null, ledger: null },
    },
  ],
  certificates: { serverCas: [der], roots: [der], tsa: [der], ledger: null },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === "object")
    return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}
const at = (value: any, path: (string | number)[]) => path.reduce((v, k) => v[k], value);
function replaced(value: Json, path: (string | number)[], next: Json): Json {
  if (path.length === 0) return next;
  const copy: any = structuredClone(value);
  at(copy, path.slice(0, -1))[path.at(-1)!] = next;
  return copy;
}
/** A value no schema slot of `original`'s kind accepts (text and nullable text take neither strings nor null). */
function otherType(original: unknown): fc.Arbitrary<Json> {
  const kinds: Record<string, fc.Arbitrary<Json>> = {
    text: fc.string({ maxLength: 6 }),
    number: fc.integer(),
    boolean: fc.boolean(),
    array: fc.array(fc.integer(), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
  };
  const kind =
    original === null || typeof original === "string" ? "text" : Array.isArray(original) ? "array" : typeof original;
  const others = Object.entries(kinds).flatMap(([name, arbitrary]) => (name === kind ? [] : [arbitrary]));
  return kind === "number" || kind === "boolean" ? fc.oneof(fc.constant(null), ...others) : fc.oneof(...others);
}

async function refused(verify: () => Promise<unknown>) {
  try {
    await verify();
  } catch (error) {
    assert.ok(error instanceof XRoadError, `not an XRoadError: ${(error as Error)?.stack}`);
    assert.equal(error.code, "XROAD_EVIDENCE_INVALID", error.message);
    return;
  }
  assert.fail("accepted as a document");
}

/** Slots whose value is free (the ledger's own answer) or not read (extra fields). */
const free = (path: (string | number)[]) =>
  path.includes("ledger") || ["id", "batchId", "generatedAt"].includes(String(path.at(-1)));

for (const [name, document, verify] of [
  ["verifyUsageProof", proof, (value: unknown) => verifyUsageProof(value, anchor)],
  ["verifyEvidence", evidence, (value: unknown) => verifyEvidence(value, anchor)],
] as const)
  describe(`#22 ${name} (fast-check)`, () => {
    it("a well-formed document gets a report (INVALID here: it is not anchored), not an error", async () => {
      const report = await verify(document);
      assert.equal(report.ok, false);
      assert.ok(report.problems.length > 0);
    });

    it("generated JSON values: XROAD_EVIDENCE_INVALID", async () => {
      await fc.assert(fc.asyncProperty(fc.jsonValue(), (value) => refused(() => verify(value))));
    });

    it("a field of another type: XROAD_EVIDENCE_INVALID", async () => {
      const slots = paths(document as unknown as Json).filter((p) => !free(p));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...slots).chain((path) => fc.tuple(fc.constant(path), otherType(at(document, path)))),
          ([path, value]) => refused(() => verify(replaced(document as unknown as Json, path, value))),
        ),
        { numRuns: 300 },
      );
    });
  });
