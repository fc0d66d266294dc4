// Finding #22.3: the segment parser and the chain and anchor checks are the embassy's
// parsers of untrusted bytes. Generated and mutated segments are refused with the code of
// what was broken; any other exception (a crash) fails the property.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { canonicalJson } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { createLedgerServer, LedgerClient, type LedgerServer, parseVerifierKey, type VerifierKey } from "@riik/ledger";
import fc from "fast-check";
import { type DataKey, generateDataKey } from "../src/crypto/data-key.ts";
import { generateMasterKey } from "../src/crypto/master-key.ts";
import { type ChainHead, checkAnchor, checkContinuation } from "../src/format/chain.ts";
import {
  decodeSegment,
  encodeSegment,
  encodeSegmentParts,
  SEGMENT_MAGIC,
  type Segment,
  type SegmentHeaderInput,
  sealSegment,
} from "../src/format/segment.ts";
import { EMBASSY_ERRORS, EmbassyError, type EmbassyErrorCode } from "../src/index.ts";
import { harness, startEmbassy } from "./fixtures/harness.ts";

process.env.RIIK_LOG_LEVEL ??= "warn";

/** Runs `receive` and returns the refusal's code; a crash or an acceptance fails the property. */
function refusal(receive: () => unknown): EmbassyErrorCode {
  try {
    receive();
  } catch (error) {
    assert.ok(error instanceof EmbassyError, `crashed: ${(error as Error)?.constructor?.name}: ${error}`);
    return error.code;
  }
  assert.fail("accepted a broken segment");
}

const NOW = "2026-11-28T05:00:00.000Z";

describe("embassy segments under generated and mutated input (property tests)", () => {
  let ledger: LedgerServer;
  let other: LedgerServer;
  const urls = new Map<LedgerServer, string>();
  let logKey: VerifierKey;
  let dataKey: DataKey;
  let s0: Segment;
  let s1: Segment;
  let s1Bytes: Buffer;
  let head0: ChainHead;
  const anchor = async (segment: Segment, by: LedgerServer = ledger) => ({
    ...segment,
    signature: await new LedgerClient({ url: urls.get(by)! }).signDigest(Buffer.from(segment.digest, "hex")),
  });
  const changesAfter = (previous: string): SegmentHeaderInput => ({
    kind: "changes",
    registry: "test-register",
    index: 1,
    afterSeq: 5,
    lastSeq: 7,
    count: 2,
    firstAt: NOW,
    lastAt: NOW,
    previous,
    createdAt: NOW,
  });
  /** What the embassy does at receipt, in its order: parse, anchor, then chain (store.ts append). */
  const receive = (bytes: Uint8Array) => {
    const segment = decodeSegment(bytes);
    checkAnchor(segment, logKey);
    checkContinuation(head0, segment);
  };

  before(async () => {
    const dir = temporaryDirectory("riik-embassy-prop-");
    ledger = await createLedgerServer({ dataDir: join(dir, "ledger"), roundMs: 20 });
    other = await createLedgerServer({ dataDir: join(dir, "other"), roundMs: 20 });
    urls.set(ledger, await ledger.listen(0));
    urls.set(other, await other.listen(0));
    logKey = parseVerifierKey(ledger.signer.verifierKey.text);
    dataKey = generateDataKey(generateMasterKey());
    const snapshot: SegmentHeaderInput = {
      kind: "snapshot",
      registry: "test-register",
      index: 0,
      afterSeq: 5,
      lastSeq: 5,
      count: 3,
      firstAt: NOW,
      lastAt: NOW,
      snapshot: { id: 0, part: 0, last: true },
      previous: "0".repeat(64),
      createdAt: NOW,
    };
    s0 = await anchor(sealSegment(snapshot, Buffer.from('{"table":"person","columns":["a"]}\n[1]\n'), dataKey));
    head0 = { index: 0, digest: s0.digest, lastSeq: 5, kind: "snapshot", snapshot: snapshot.snapshot! };
    s1 = await anchor(sealSegment(changesAfter(s0.digest), Buffer.from('{"seq":6}\n{"seq":7}\n'), dataKey));
    s1Bytes = encodeSegment(s1);
    receive(s1Bytes); // the unbroken segment is accepted
  });
  after(async () => {
    await ledger.close();
    await other.close();
  });

  it("arbitrary bytes, with or without the magic, are SEGMENT_MALFORMED", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 2048 }), (magic, tail) => {
        const bytes = magic ? Buffer.concat([SEGMENT_MAGIC, tail]) : Buffer.from(tail);
        assert.equal(
          refusal(() => receive(bytes)),
          "SEGMENT_MALFORMED",
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("a flipped byte is refused with the code of the part it hit", () => {
    const headerLength = s1.headerBytes.length;
    const signatureStart = 16 + headerLength;
    const ciphertextStart = s1Bytes.length - s1.ciphertext.length;
    const expected = (at: number): readonly EmbassyErrorCode[] => {
      if (at < 8) return ["SEGMENT_MALFORMED"]; // magic
      if (at < 12) return ["SEGMENT_MALFORMED"]; // header length
      if (at < 12 + headerLength) return ["SEGMENT_MALFORMED", "SEGMENT_TAMPERED"]; // header: unparsable, or not the anchored one
      if (at < signatureStart) return ["SEGMENT_MALFORMED"]; // signature length
      if (at < ciphertextStart) return ["SEGMENT_MALFORMED", "ANCHOR_INVALID", "SEGMENT_TAMPERED"]; // the ledger signature
      return ["SEGMENT_TAMPERED"]; // ciphertext
    };
    fc.assert(
      fc.property(fc.nat(s1Bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bytes = Buffer.from(s1Bytes);
        bytes[at]! ^= x;
        const code = refusal(() => receive(bytes));
        assert.ok(expected(at).includes(code), `byte ${at}: ${code}, expected one of ${expected(at)}`);
      }),
      { numRuns: 5000 },
    );
  });

  it("a cut or a tail is refused: SEGMENT_MALFORMED or SEGMENT_TAMPERED, a tail always SEGMENT_TAMPERED", () => {
    fc.assert(
      fc.property(fc.nat(s1Bytes.length - 1), fc.integer({ min: 1, max: 64 }), (at, length) => {
        const bytes = Buffer.concat([s1Bytes.subarray(0, at), s1Bytes.subarray(Math.min(s1Bytes.length, at + length))]);
        assert.ok(["SEGMENT_MALFORMED", "SEGMENT_TAMPERED"].includes(refusal(() => receive(bytes))));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (tail) => {
        assert.equal(
          refusal(() => receive(Buffer.concat([s1Bytes, tail]))),
          "SEGMENT_TAMPERED",
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("a generated header with one field of the wrong type or value names that field (SEGMENT_MALFORMED)", () => {
    const header = s1.header as unknown as Record<string, unknown>;
    const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    const notACount = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      fc.integer({ max: -1 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    );
    const wrong: Record<string, fc.Arbitrary<unknown>> = {
      format: fc.oneof(notAString, fc.constant("riik-embassy-segment/v2")),
      kind: fc.oneof(notAString, fc.constant("delta")),
      registry: fc.oneof(notAString, fc.constant("Test_Register"), fc.constant("")),
      index: notACount,
      afterSeq: notACount,
      lastSeq: notACount,
      count: notACount,
      plaintextBytes: notACount,
      ciphertextBytes: fc.oneof(notACount, fc.integer({ min: 0, max: 15 })),
      firstAt: fc.oneof(notAString, fc.constant("yesterday")),
      lastAt: fc.oneof(notAString, fc.constant("2026-13-45T00:00:00Z")),
      createdAt: fc.oneof(notAString, fc.constant("")),
      previous: fc.oneof(notAString, fc.string({ maxLength: 63 }), fc.constant("A".repeat(64))),
      ciphertextDigest: fc.oneof(notAString, fc.constant("g".repeat(64))),
      key: fc.oneof(notAString, fc.constant({ id: "dk", master: "0", wrapped: "" })),
      cipher: fc.oneof(notAString, fc.constant("AES-128-GCM")),
      compression: fc.oneof(notAString, fc.constant("gzip")),
      nonce: fc.oneof(notAString, fc.constant("AAAA")),
      snapshot: fc.constant({ id: 1, part: 0, last: true }),
    };
    const fields = Object.keys(wrong);
    fc.assert(
      fc.property(
        fc.constantFrom(...fields).chain((field) => fc.tuple(fc.constant(field), wrong[field]!)),
        ([field, value]) => {
          const edited = Buffer.from(canonicalJson({ ...header, [field]: value }));
          const bytes = encodeSegmentParts(edited, JSON.stringify(s1.signature), s1.ciphertext);
          try {
            decodeSegment(bytes);
            assert.fail(`accepted ${field} = ${JSON.stringify(value)}`);
          } catch (error) {
            assert.ok(error instanceof EmbassyError, `crashed: ${error}`);
            assert.equal(error.code, "SEGMENT_MALFORMED");
            assert.ok(
              ((error.details?.fields as string[] | undefined) ?? []).includes(field),
              `${field}: ${error.message}`,
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
    // A missing field and an unknown one are named too.
    for (const field of fields.filter((f) => f !== "snapshot")) {
      const { [field]: _, ...rest } = header;
      const error = (() => {
        try {
          decodeSegment(encodeSegmentParts(Buffer.from(canonicalJson(rest)), "", s1.ciphertext));
        } catch (e) {
          return e as EmbassyError;
        }
      })();
      assert.equal(error?.code, "SEGMENT_MALFORMED", field);
      assert.ok(((error.details?.fields as string[] | undefined) ?? []).includes(field), field);
    }
  });

  it("chain continuation: a generated head and next segment get the code their relation calls for", () => {
    const hex = fc.constantFrom("a", "b", "c").map((c) => c.repeat(64));
    fc.assert(
      fc.property(
        fc.record({
          headIndex: fc.nat(20),
          headSeq: fc.nat(1000),
          headDigest: hex,
          index: fc.nat(22),
          afterSeq: fc.nat(1000),
          previous: hex,
          kind: fc.constantFrom("changes" as const, "snapshot" as const),
        }),
        (c) => {
          const snapshot = c.kind === "snapshot" ? { id: c.index, part: 0, last: true } : undefined;
          const segment = sealSegment(
            {
              kind: c.kind,
              registry: "test-register",
              index: c.index,
              afterSeq: c.afterSeq,
              lastSeq: c.kind === "snapshot" ? c.afterSeq : c.afterSeq + 1,
              count: 1,
              firstAt: NOW,
              lastAt: NOW,
              ...(snapshot ? { snapshot } : {}),
              previous: c.index === 0 ? "0".repeat(64) : c.previous,
              createdAt: NOW,
            },
            Buffer.from("{}\n"),
            dataKey,
          );
          const head: ChainHead = { index: c.headIndex, digest: c.headDigest, lastSeq: c.headSeq, kind: "changes" };
          const expected: EmbassyErrorCode | "accepted" =
            c.index > c.headIndex + 1
              ? "CHAIN_GAP"
              : c.index < c.headIndex + 1
                ? c.kind === "snapshot"
                  ? "SNAPSHOT_REPLAYED"
                  : "CHAIN_REORDERED"
                : c.previous !== c.headDigest
                  ? "CHAIN_BROKEN"
                  : c.afterSeq !== c.headSeq
                    ? "CHAIN_GAP"
                    : "accepted";
          let got: EmbassyErrorCode | "accepted" = "accepted";
          try {
            checkContinuation(head, segment);
          } catch (error) {
            assert.ok(error instanceof EmbassyError, `crashed: ${error}`);
            got = error.code;
          }
          assert.equal(got, expected, JSON.stringify(c));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("deliberately broken segments: ciphertext bit, chain link, anchor, each with its code", async () => {
    const flipped = Buffer.from(s1Bytes);
    flipped[flipped.length - 1]! ^= 0x01;
    assert.equal(
      refusal(() => receive(flipped)),
      "SEGMENT_TAMPERED",
    );
    // A validly anchored segment 1 that does not link to segment 0.
    const unlinked = await anchor(sealSegment(changesAfter("ab".repeat(32)), Buffer.from("{}\n"), dataKey));
    assert.equal(
      refusal(() => receive(encodeSegment(unlinked))),
      "CHAIN_BROKEN",
    );
    // Anchored in another ledger than the one the embassy trusts.
    const elsewhere = await anchor(s1, other);
    assert.equal(
      refusal(() => receive(encodeSegment(elsewhere))),
      "ANCHOR_INVALID",
    );
    // Segment 0's anchor on segment 1: the segment is not the one anchored.
    assert.equal(
      refusal(() => receive(encodeSegment({ ...s1, signature: s0.signature! }))),
      "SEGMENT_TAMPERED",
    );
    assert.equal(
      refusal(() => receive(encodeSegment({ ...s1, signature: undefined as never }))),
      "ANCHOR_MISSING",
    );
  });

  it("over the wire, the embassy node answers mutated segments with the code's status and keeps serving", async () => {
    const h = await harness();
    const lux = await startEmbassy(h, "lux");
    after(async () => {
      await lux.server.close();
      await h.registry.close();
      await h.ledger.close();
    });
    // This embassy trusts the harness's ledger: anchor a two-segment chain there.
    const viaHarness = async (segment: Segment) => ({
      ...segment,
      signature: await new LedgerClient({ url: h.ledgerUrl }).signDigest(Buffer.from(segment.digest, "hex")),
    });
    const w0 = await viaHarness(s0);
    const w1Bytes = encodeSegment(
      await viaHarness(sealSegment(changesAfter(w0.digest), Buffer.from('{"seq":6}\n{"seq":7}\n'), dataKey)),
    );
    const post = (payload: Buffer) =>
      lux.server.app.inject({
        method: "POST",
        url: "/v1/registries/test-register/segments",
        headers: { "content-type": "application/octet-stream" },
        payload,
      });
    assert.equal((await post(encodeSegment(w0))).statusCode, 201);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.nat(w1Bytes.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
            const bytes = Buffer.from(w1Bytes);
            bytes[at]! ^= x;
            return bytes;
          }),
          fc.nat(w1Bytes.length - 1).map((at) => Buffer.from(w1Bytes.subarray(0, at))),
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
        ),
        async (bytes) => {
          const reply = await post(bytes);
          const { code } = reply.json() as { code: EmbassyErrorCode };
          assert.ok(code in EMBASSY_ERRORS, `${reply.statusCode} ${reply.body}`);
          assert.equal(reply.statusCode, EMBASSY_ERRORS[code].status, reply.body);
          assert.ok(reply.statusCode >= 400 && reply.statusCode < 500, reply.body);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal((await lux.server.store.head("test-register"))?.index, 0);
    assert.equal((await post(w1Bytes)).statusCode, 201);
  });
});
