import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import {
  buildOcspRequest,
  OID,
  PkiError,
  parseCardFile,
  parseOcspRequest,
  parseTimeStampRequest,
} from "../src/index.ts";
import { issueTestCard, startTestTrustServices } from "./helpers.ts";

/** Valid bytes with one byte changed, a slice cut out, or bytes appended: the shapes real corruption takes. */
function mutations(valid: Uint8Array) {
  return fc.oneof(
    fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
      const copy = Uint8Array.from(valid);
      copy[at] = copy[at]! ^ x;
      return copy;
    }),
    fc
      .tuple(fc.nat(valid.length), fc.nat(valid.length))
      .map(([a, b]) => Uint8Array.from([...valid.subarray(0, Math.min(a, b)), ...valid.subarray(Math.max(a, b))])),
    fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => Uint8Array.from([...valid, ...tail])),
    fc.uint8Array({ maxLength: 512 }),
  );
}

function onlyTyped(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof PkiError, `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

describe("parsers of untrusted bytes throw only typed errors (property tests)", async () => {
  const { dir, services } = await startTestTrustServices();
  const { card } = await issueTestCard(services, dir);
  const ocspRequest = buildOcspRequest(
    new x509.X509Certificate(card.authentication.certificate),
    services.cas.esteid.certificate,
    new Uint8Array(16),
  );
  // A TimeStampReq for a SHA-256 imprint, as openssl ts -query writes it.
  const tsq = Buffer.from(`30390201013031300d060960864801650304020105000420${"ab".repeat(32)}0101ff`, "hex");
  tsq[1] = tsq.length - 2;

  it("parseOcspRequest", () => {
    assert.equal(parseOcspRequest(ocspRequest).certIds.length, 1);
    fc.assert(
      fc.property(mutations(ocspRequest), (bytes) => onlyTyped(() => parseOcspRequest(bytes))),
      { numRuns: 5000 },
    );
  });

  it("parseTimeStampRequest", () => {
    assert.equal(parseTimeStampRequest(tsq, OID.policyTimeStamping).version, 1);
    fc.assert(
      fc.property(mutations(tsq), (bytes) => onlyTyped(() => parseTimeStampRequest(bytes, OID.policyTimeStamping))),
      { numRuns: 5000 },
    );
  });

  it("parseCardFile", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => onlyTyped(() => parseCardFile(text))),
      { numRuns: 500 },
    );
  });
});
