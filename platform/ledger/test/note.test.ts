import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { formatCheckpoint, parseCheckpoint } from "../src/note/checkpoint.ts";
import { cosign, countCosignatures, verifyCosignature } from "../src/note/cosignature.ts";
import { parseNote, signaturesBy, signNote, verifyNote } from "../src/note/signed-note.ts";
import {
  generateSigner,
  keyId,
  parseSigner,
  parseVerifierKey,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
} from "../src/note/verifier-key.ts";
import vectors from "./vectors/c2sp-signed-note.json" with { type: "json" };

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Node's Ed25519 on a raw 32-byte key, with no code of ours between the bytes and the check. */
function nodeVerify(rawKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, rawKey]), format: "der", type: "spki" });
  return verify(null, message, key, signature);
}

/** OpenSSL's Ed25519 (pkeyutl -rawin), a second implementation that shares nothing with node's API. */
function opensslVerify(rawKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const dir = temporaryDirectory("riik-openssl-");
  const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([SPKI_PREFIX, rawKey]).toString("base64")}\n-----END PUBLIC KEY-----\n`;
  writeFileSync(join(dir, "key.pem"), pem);
  writeFileSync(join(dir, "msg"), message);
  writeFileSync(join(dir, "sig"), signature);
  try {
    const out = execFileSync(
      "openssl",
      [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        join(dir, "key.pem"),
        "-rawin",
        "-in",
        join(dir, "msg"),
        "-sigfile",
        join(dir, "sig"),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    ).toString();
    return out.includes("Signature Verified Successfully");
  } catch {
    return false;
  }
}

describe("C2SP signed-note", () => {
  it("verifies the Go sumdb/note vector and re-creates it byte for byte from the private key", () => {
    const key = parseVerifierKey(vectors.ed25519.vkey);
    assert.equal(key.name, "PeterNeumann");
    const note = parseNote(vectors.ed25519.note);
    assert.equal(note.text, vectors.ed25519.text);
    verifyNote(note, key);
    const signer = parseSigner(vectors.ed25519.skey);
    assert.equal(signer.verifierKey.text, vectors.ed25519.vkey);
    assert.equal(signNote(vectors.ed25519.text, signer), vectors.ed25519.note);
  });

  it("derives key IDs as SHA-256(name || 0x0A || type || key)[:4]", () => {
    const key = parseVerifierKey(vectors.ed25519.vkey);
    assert.equal(Buffer.from(keyId(key.name, 0x01, key.publicKey)).toString("hex"), "c74f20a3");
    assert.throws(() => parseVerifierKey(vectors.ed25519.vkey.replace("c74f20a3", "c74f20a4")), {
      code: "VKEY_MALFORMED",
    });
    assert.throws(() => parseVerifierKey("PeterNeumann+c74f20a3"), { code: "VKEY_MALFORMED" });
    assert.throws(() => parseVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"), {
      code: "VKEY_MALFORMED",
    });
  });

  it("rejects a changed text, ignores unknown keys, and refuses notes without a known signature", () => {
    const key = parseVerifierKey(vectors.ed25519.vkey);
    const tampered = parseNote(vectors.ed25519.note.replace("cryptography", "cryptographY"));
    assert.throws(() => verifyNote(tampered, key), { code: "NOTE_BAD_SIGNATURE" });
    const other = generateSigner("PeterNeumann", SIGNATURE_TYPE_ED25519);
    const byOther = parseNote(signNote(vectors.ed25519.text, other));
    assert.throws(() => verifyNote(byOther, key), { code: "NOTE_UNKNOWN_KEY" });
  });

  it("rejects malformed notes", () => {
    const good = vectors.ed25519.note;
    for (const bad of [
      good.slice(0, -1), // no final newline
      good.replace("\n\n", "\n"), // no blank line
      good.replace("\u2014", "-"), // not an em dash
      good.replace("problem,", "problem,\u0007"), // control character
      `${vectors.ed25519.text}\n`, // no signature
    ]) {
      assert.throws(() => parseNote(bad), { code: "NOTE_MALFORMED" }, JSON.stringify(bad.slice(-30)));
    }
  });

  it("never throws anything but a typed error on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseNote(text);
        } catch (error) {
          assert.equal((error as { code?: string }).code, "NOTE_MALFORMED");
        }
      }),
    );
  });
});

describe("C2SP tlog-checkpoint", () => {
  it("round-trips and rejects non-canonical sizes and roots", () => {
    const text = formatCheckpoint({
      origin: "example.com/log",
      size: 20852163,
      root: Buffer.alloc(32, 7),
      extensions: [],
    });
    assert.equal(text, `example.com/log\n20852163\n${Buffer.alloc(32, 7).toString("base64")}\n`);
    assert.deepEqual(parseCheckpoint(text).size, 20852163);
    assert.throws(() => parseCheckpoint(text.replace("20852163", "020852163")), { code: "CHECKPOINT_MALFORMED" });
    assert.throws(() => parseCheckpoint(text.replace("20852163", "-1")), { code: "CHECKPOINT_MALFORMED" });
    assert.throws(() => parseCheckpoint("example.com/log\n1\nAAAA\n"), { code: "CHECKPOINT_MALFORMED" });
    assert.throws(() => parseCheckpoint("example.com/log\n1\n"), { code: "CHECKPOINT_MALFORMED" });
  });

  it("verifies a real Ed25519 log signature on a public checkpoint", () => {
    const note = parseNote(vectors.cosignatureV1.checkpoint);
    verifyNote(note, parseVerifierKey(vectors.cosignatureV1.logVkey));
    assert.equal(parseCheckpoint(note.text).size, 1432088532);
  });

  it("our checkpoint signature verifies with node's crypto and with openssl over exactly the note text", () => {
    const signer = generateSigner("riik.test/ledger", SIGNATURE_TYPE_ED25519);
    const text = formatCheckpoint({ origin: "riik.test/ledger", size: 5, root: Buffer.alloc(32, 1), extensions: [] });
    const note = signNote(text, signer);
    // Parse the signature line by hand: "— name base64(keyID || sig)\n" after the blank line.
    const line = note.split("\n\n")[1]!;
    assert.ok(line.startsWith("\u2014 riik.test/ledger "));
    const blob = Buffer.from(line.trim().split(" ")[2]!, "base64");
    assert.equal(blob.length, 68);
    const publicKey = signer.verifierKey.publicKey;
    const expectedId = createHash("sha256")
      .update(Buffer.concat([Buffer.from("riik.test/ledger\n\x01", "binary"), publicKey]))
      .digest()
      .subarray(0, 4);
    assert.deepEqual(blob.subarray(0, 4), expectedId);
    const message = Buffer.from(text, "utf8");
    assert.ok(nodeVerify(publicKey, message, blob.subarray(4)));
    assert.ok(opensslVerify(publicKey, message, blob.subarray(4)));
    assert.ok(!opensslVerify(publicKey, Buffer.from(text.replace("5", "6")), blob.subarray(4)));
  });
});

describe("C2SP tlog-cosignature (cosignature/v1)", () => {
  it("verifies a real witness cosignature from the public witness network", () => {
    const note = parseNote(vectors.cosignatureV1.checkpoint);
    const witness = parseVerifierKey(vectors.cosignatureV1.witnessVkey);
    assert.equal(witness.type, SIGNATURE_TYPE_COSIGNATURE_V1);
    const [line] = signaturesBy(note, witness);
    assert.ok(line);
    const timestamp = verifyCosignature(note.text, line, witness);
    assert.ok(timestamp > 1_700_000_000);
    assert.deepEqual(countCosignatures(note, [witness]).valid, ["remora.n621.de"]);
  });

  it("signs 'cosignature/v1\\ntime <t>\\n' + body with a type 0x04 key, checked by openssl", () => {
    const witness = generateSigner("riik.test/witness", SIGNATURE_TYPE_COSIGNATURE_V1);
    const body = formatCheckpoint({ origin: "riik.test/ledger", size: 9, root: Buffer.alloc(32, 3), extensions: [] });
    const line = cosign(body, witness, 1679315147);
    const blob = Buffer.from(line.trim().split(" ")[2]!, "base64");
    assert.equal(blob.length, 4 + 8 + 64);
    const expectedId = createHash("sha256")
      .update(Buffer.concat([Buffer.from("riik.test/witness\n\x04", "binary"), witness.verifierKey.publicKey]))
      .digest()
      .subarray(0, 4);
    assert.deepEqual(blob.subarray(0, 4), expectedId);
    assert.equal(blob.readBigUInt64BE(4), 1679315147n);
    const message = Buffer.from(`cosignature/v1\ntime 1679315147\n${body}`, "utf8");
    assert.ok(opensslVerify(witness.verifierKey.publicKey, message, blob.subarray(12)));
    assert.ok(nodeVerify(witness.verifierKey.publicKey, message, blob.subarray(12)));
  });

  it("a cosignature by a known witness that does not verify rejects the note", () => {
    const witness = generateSigner("riik.test/witness", SIGNATURE_TYPE_COSIGNATURE_V1);
    const log = generateSigner("riik.test/ledger", SIGNATURE_TYPE_ED25519);
    const body = formatCheckpoint({ origin: "riik.test/ledger", size: 9, root: Buffer.alloc(32, 3), extensions: [] });
    const otherBody = body.replace("9", "10");
    const note = parseNote(`${signNote(body, log)}${cosign(otherBody, witness)}`);
    assert.throws(() => countCosignatures(note, [witness.verifierKey]), { code: "NOTE_BAD_SIGNATURE" });
  });
});
