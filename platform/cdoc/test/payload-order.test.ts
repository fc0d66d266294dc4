// The payload is nonce | ciphertext | tag, in that order, whatever the pace of the file it is
// written to: a slow disk must not let the tag overtake the last ciphertext bytes.
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { test } from "node:test";
import { NONCE_LENGTH, TAG_LENGTH } from "../src/envelope.ts";
import { writePayload } from "../src/payload.ts";

/** A destination that takes one small chunk at a time, each taken a moment later. */
function slowSink(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      setTimeout(done, 2);
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

test("writePayload to a slow destination: the tag is written last, and the payload decrypts", async () => {
  const cek = randomBytes(32);
  const aad = Buffer.from("CDOC20payload-test");
  const { out, bytes } = slowSink();
  // Incompressible input, so the ciphertext spans many chunks.
  await writePayload(out, cek, aad, Readable.from([randomBytes(200_000)]));
  await new Promise<void>((resolve) => out.end(resolve));
  const written = bytes();
  const decipher = createDecipheriv("chacha20-poly1305", cek, written.subarray(0, NONCE_LENGTH), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(written.subarray(written.length - TAG_LENGTH));
  decipher.update(written.subarray(NONCE_LENGTH, written.length - TAG_LENGTH));
  assert.doesNotThrow(() => decipher.final(), "the tag verifies over the ciphertext before it");
});
