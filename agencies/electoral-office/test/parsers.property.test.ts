// Parsers of untrusted bytes, as properties (fast-check): an archive with any byte changed is
// refused with a typed error, arbitrary bytes and JSON never crash the readers, and the answer
// embedding of §4.12.2 round-trips.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeInts, encodeInts, isElement, p, pow, q } from "../src/belenios/group.ts";
import {
  checkPrivateCredential,
  ElectoralOfficeError,
  generatePrivateCredential,
  parseBallot,
  verifyElectionRecord,
} from "../src/index.ts";

const archive = readFileSync(join(import.meta.dirname, "vectors", "belenios-2.0-tool-archive.bel"));

describe("parsers of untrusted election data", () => {
  it("any single changed byte of an archive makes it invalid, with a code, never a crash", () => {
    fc.assert(
      fc.property(fc.nat({ max: archive.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const copy = Buffer.from(archive);
        copy[at] = ((copy[at] as number) + delta) % 256;
        const report = verifyElectionRecord(copy);
        assert.equal(report.valid, false);
        assert.ok(
          ["CHAIN_BROKEN", "RECORD_MALFORMED"].includes(report.error?.code ?? ""),
          report.error?.message ?? "no error",
        );
      }),
      { numRuns: 60 },
    );
  });

  it("arbitrary bytes and truncations are refused as malformed", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.nat({ max: archive.length - 1 }).map((n) => archive.subarray(0, n)),
        ),
        (bytes) => {
          const report = verifyElectionRecord(bytes);
          assert.equal(report.valid, false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a ballot parser given any JSON throws only typed errors", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseBallot(text);
          assert.fail("an arbitrary text parsed as a ballot");
        } catch (error) {
          assert.ok(error instanceof ElectoralOfficeError || error instanceof SyntaxError, String(error));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("group_encode / group_decode round-trip every vector of 8-bit values", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }), (values) => {
        assert.deepEqual(decodeInts(values.length, encodeInts(values)), values);
      }),
      { numRuns: 50 },
    );
  });

  it("membership by Jacobi symbol agrees with Belenios' x^q = 1 on elements, non-residues and out-of-range numbers", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: p + 5n }), fc.boolean(), (x, square) => {
        const candidate = square ? (x * x) % p : x;
        assert.equal(isElement(candidate), candidate > 0n && candidate < p && pow(candidate, q) === 1n);
      }),
      { numRuns: 40 },
    );
  });

  it("generated private credentials carry a valid checksum", () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        checkPrivateCredential(generatePrivateCredential());
      }),
      { numRuns: 50 },
    );
    assert.throws(() => checkPrivateCredential("WcZ-1U4-YgR-jL5-H98"), { code: "CREDENTIAL_INVALID" });
  });
});
