// Every altered byte is refused; the parser meets arbitrary bytes with CdocError only.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import * as flatbuffers from "flatbuffers";
import { Header } from "../src/generated/header_generated.ts";
import { CdocError, decryptFile, encryptFiles, parseContainer } from "../src/index.ts";
import { inputFiles, listAll } from "./helpers.ts";

const secret = randomBytes(32);
const key = { type: "symmetric", label: "s", key: secret } as const;

async function smallContainer(): Promise<Buffer> {
  const out = join(temporaryDirectory(), "x.cdoc2");
  await encryptFiles({ files: inputFiles({ "note.txt": "tere\n" }).paths, recipients: [key], out });
  return readFileSync(out);
}

async function refused(bytes: Buffer, dir: string): Promise<string> {
  const file = join(dir, "t.cdoc2");
  writeFileSync(file, bytes);
  const out = join(dir, "out");
  try {
    await decryptFile({ file, key, outputDir: out });
  } catch (e) {
    assert.ok(e instanceof CdocError, `not a CdocError: ${e}`);
    assert.deepEqual(listAll(out), [], "a refused container left files behind");
    return e.code;
  }
  assert.fail("an altered container decrypted");
}

test("every single-byte change of prelude, header, HMAC and payload is refused, nothing written", async () => {
  const original = await smallContainer();
  const dir = temporaryDirectory();
  const codes = new Set<string>();
  // Each position once, with an arbitrary non-zero XOR mask (a property over every byte).
  const masks = fc.sample(fc.integer({ min: 1, max: 255 }), original.length);
  for (let i = 0; i < original.length; i++) {
    const altered = Buffer.from(original);
    altered[i] = altered[i]! ^ masks[i]!;
    codes.add(await refused(altered, dir));
  }
  // The header's changes fail its HMAC (or its parsing), the payload's the Poly1305 tag.
  assert.ok(
    codes.has("CDOC_HEADER_HMAC") && codes.has("CDOC_PAYLOAD_AUTH") && codes.has("CDOC_FORMAT"),
    [...codes].join(),
  );
});

test("a truncated or extended payload is refused by the tag", async () => {
  const original = await smallContainer();
  const dir = temporaryDirectory();
  assert.equal(await refused(original.subarray(0, original.length - 1), dir), "CDOC_PAYLOAD_AUTH");
  assert.equal(await refused(Buffer.concat([original, Buffer.from([0])]), dir), "CDOC_PAYLOAD_AUTH");
  assert.equal(await refused(original.subarray(0, original.length - 40), dir), "CDOC_PAYLOAD_AUTH");
});

test("fuzz: arbitrary bytes, and arbitrary headers in a well-framed container, raise only CdocError", async () => {
  const original = await smallContainer();
  const headerLength = original.readUInt32BE(5);
  const onlyCdocError = (bytes: Uint8Array) => {
    try {
      parseContainer(bytes);
    } catch (e) {
      if (!(e instanceof CdocError)) throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), onlyCdocError), { numRuns: 2000 });
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 67, maxLength: 600 }), (header) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(header.length);
      onlyCdocError(Buffer.concat([Buffer.from("CDOC\x02", "latin1"), length, header, randomBytes(32 + 60)]));
    }),
    { numRuns: 2000 },
  );
  // The real header with random bytes changed: FlatBuffers offsets pointing anywhere.
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(headerLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      (changes) => {
        const altered = Buffer.from(original);
        for (const [at, value] of changes) altered[9 + at] = value;
        onlyCdocError(altered);
      },
    ),
    { numRuns: 3000 },
  );
});

test("a recipients vector claiming more elements than the header can hold is CDOC_FORMAT", async () => {
  const original = await smallContainer();
  const header = original.subarray(9, 9 + original.readUInt32BE(5));
  const bb = new flatbuffers.ByteBuffer(header);
  const root = Header.getRootAsHeader(bb);
  const vector = bb.__vector(root.bb_pos + bb.__offset(root.bb_pos, 4));
  const altered = Buffer.from(original);
  altered.writeUInt32LE(0x7fffffff, 9 + vector - 4);
  assert.throws(
    () => parseContainer(altered),
    (e: unknown) => e instanceof CdocError && e.code === "CDOC_FORMAT",
  );
});
