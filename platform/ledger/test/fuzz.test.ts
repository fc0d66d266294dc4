import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeImprint } from "../src/aggregator/imprint.ts";
import { encodeCalendarLeaf } from "../src/calendar/leaf.ts";
import { leafHash } from "../src/merkle/hash.ts";
import { formatCheckpoint, parseCheckpoint } from "../src/note/checkpoint.ts";
import { cosign, verifyCosignature } from "../src/note/cosignature.ts";
import { parseNote, parseSignatureLine, signNote, verifyNote } from "../src/note/signed-note.ts";
import { generateSigner, SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519 } from "../src/note/verifier-key.ts";
import { decodePublicationCode, encodePublicationCode } from "../src/publication/publication-code.ts";
import { parsePublicationsFile, signPublicationsFile } from "../src/publication/publications-file.ts";
import { formatSignature, parseSignature, SIGNATURE_FORMAT } from "../src/signature/signature-file.ts";
import { verifySignature } from "../src/signature/verify.ts";
import { refusalCode } from "./fixtures/refusal.ts";

/**
 * #22: every parser of untrusted ledger bytes, fed generated and mutated valid input. Each
 * property names the one code a corruption must give: a crash or another code fails it.
 */

const log = generateSigner("riik.test/fuzz-ledger", SIGNATURE_TYPE_ED25519);
const witness = generateSigner("riik.test/fuzz-witness", SIGNATURE_TYPE_COSIGNATURE_V1);
const root = createHash("sha256").update("root").digest();
const checkpointText = formatCheckpoint({ origin: log.name, size: 7, root, extensions: [] });
const signedCheckpoint = signNote(checkpointText, log);

/** A signature file over DIGEST, checkpoint signed by the real ledger key. */
function signatureFile(digest: Buffer): string {
  const round = leafHash(encodeImprint({ algorithm: "SHA-256", digest }));
  const leaf = encodeCalendarLeaf({ round: 0, time: 1_700_000_000_000, size: 1, root: round });
  const text = formatCheckpoint({ origin: log.name, size: 1, root: leafHash(leaf), extensions: [] });
  return formatSignature({
    format: SIGNATURE_FORMAT,
    hash: { algorithm: "SHA-256", digest: digest.toString("hex") },
    aggregation: { index: 0, path: [] },
    calendar: { leaf: leaf.toString("base64"), proof: [] },
    checkpoint: signNote(text, log),
  });
}

/** Flips one bit of BYTES at a generated position. */
function flip(bytes: Uint8Array, position: number, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[position % copy.length]! ^= 1 << (bit % 8);
  return copy;
}

describe("#22 fuzz: ledger signature files", () => {
  const digest = createHash("sha256").update("otsus").digest();
  const good = signatureFile(digest);

  it("arbitrary text and bytes are SIGNATURE_MALFORMED", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.json({ maxDepth: 3 })), (text) => {
        assert.equal(
          refusalCode(() => parseSignature(text)),
          "SIGNATURE_MALFORMED",
        );
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        assert.equal(
          refusalCode(() => parseSignature(bytes)),
          "SIGNATURE_MALFORMED",
        );
      }),
    );
  });

  it("a truncated signature file is SIGNATURE_MALFORMED", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 2 }), (end) => {
        assert.equal(
          refusalCode(() => parseSignature(good.slice(0, end))),
          "SIGNATURE_MALFORMED",
        );
      }),
    );
  });

  it("a deliberately broken checkpoint signature is VERIFY_BAD_SIGNATURE against the ledger key", () => {
    const parsed = parseSignature(good);
    verifySignature(parsed, digest, { kind: "key", logKey: log.verifierKey });
    const note = parseNote(parsed.checkpoint);
    const line = note.signatures[0]!;
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (position, bit) => {
        const broken = flip(line.signature, position, bit);
        const checkpoint = `${note.text}\n\u2014 ${line.name} ${Buffer.concat([line.keyId, broken]).toString("base64")}\n`;
        const sig = parseSignature(JSON.stringify({ ...parsed, checkpoint }));
        assert.equal(
          refusalCode(() => verifySignature(sig, digest, { kind: "key", logKey: log.verifierKey })),
          "VERIFY_BAD_SIGNATURE",
        );
      }),
    );
  });

  it("a changed document digest is VERIFY_WRONG_HASH", () => {
    const parsed = parseSignature(good);
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (position, bit) => {
        assert.equal(
          refusalCode(() =>
            verifySignature(parsed, flip(digest, position, bit), { kind: "key", logKey: log.verifierKey }),
          ),
          "VERIFY_WRONG_HASH",
        );
      }),
    );
  });
});

describe("#22 fuzz: C2SP signed notes and tlog-checkpoints", () => {
  it("any bit flipped in the Ed25519 signature is NOTE_BAD_SIGNATURE", () => {
    const note = parseNote(signedCheckpoint);
    const line = note.signatures[0]!;
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (position, bit) => {
        const broken = { ...note, signatures: [{ ...line, signature: flip(line.signature, position, bit) }] };
        assert.equal(
          refusalCode(() => verifyNote(broken, log.verifierKey)),
          "NOTE_BAD_SIGNATURE",
        );
      }),
    );
  });

  it("a mutated signed checkpoint is NOTE_MALFORMED, or its signature fails (NOTE_BAD_SIGNATURE / NOTE_UNKNOWN_KEY)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), (position, insert) => {
        const at = position % signedCheckpoint.length;
        const mutated = signedCheckpoint.slice(0, at) + insert + signedCheckpoint.slice(at);
        const parsedCode = refusalCode(() => parseNote(mutated));
        if (parsedCode !== undefined) {
          assert.equal(parsedCode, "NOTE_MALFORMED");
          return;
        }
        const note = parseNote(mutated);
        const verified = refusalCode(() => verifyNote(note, log.verifierKey));
        // The one harmless change: text inserted as an extra, unknown signature line.
        if (verified === undefined) assert.equal(note.text, checkpointText);
        else assert.ok(["NOTE_BAD_SIGNATURE", "NOTE_UNKNOWN_KEY"].includes(verified), verified);
      }),
    );
  });

  it("checkpoint bodies: arbitrary text is CHECKPOINT_MALFORMED, and what parses is canonical", () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), (position, insert) => {
        const at = position % checkpointText.length;
        const mutated = checkpointText.slice(0, at) + insert + checkpointText.slice(at);
        const found = refusalCode(() => parseCheckpoint(mutated));
        if (found !== undefined) assert.equal(found, "CHECKPOINT_MALFORMED");
        else assert.equal(formatCheckpoint(parseCheckpoint(mutated)), mutated);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const found = refusalCode(() => parseCheckpoint(text));
        if (found !== undefined) assert.equal(found, "CHECKPOINT_MALFORMED");
        else assert.equal(formatCheckpoint(parseCheckpoint(text)), text);
      }),
    );
  });

  it("cosignature/v1: any bit flipped is NOTE_BAD_SIGNATURE, arbitrary lengths too", () => {
    const line = parseSignatureLine(cosign(checkpointText, witness, 1_700_000_000));
    assert.equal(verifyCosignature(checkpointText, line, witness.verifierKey), 1_700_000_000);
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (position, bit) => {
        const broken = { ...line, signature: flip(line.signature, position, bit) };
        assert.equal(
          refusalCode(() => verifyCosignature(checkpointText, broken, witness.verifierKey)),
          "NOTE_BAD_SIGNATURE",
        );
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const forged = { ...line, signature: bytes };
        assert.equal(
          refusalCode(() => verifyCosignature(checkpointText, forged, witness.verifierKey)),
          "NOTE_BAD_SIGNATURE",
        );
      }),
    );
  });
});

describe("#22 fuzz: publication codes and publications files", () => {
  const publication = { size: 12, root };
  const record = { ...publication, publishedAt: 1_700_000_000_000, code: encodePublicationCode(publication) };
  const file = signPublicationsFile(log.name, [record], log);

  it("arbitrary publication codes are PUBLICATION_CODE_MALFORMED or _CHECKSUM; a typo is caught", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const found = refusalCode(() => decodePublicationCode(text));
        assert.match(String(found), /^PUBLICATION_CODE_(MALFORMED|CHECKSUM)$/);
      }),
    );
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    fc.assert(
      fc.property(fc.nat(), fc.nat(alphabet.length - 1), (position, letter) => {
        const at = position % record.code.length;
        if (!alphabet.includes(record.code[at]!) || record.code[at] === alphabet[letter]) return;
        const typo = record.code.slice(0, at) + alphabet[letter] + record.code.slice(at + 1);
        const found = refusalCode(() => decodePublicationCode(typo));
        assert.match(String(found), /^PUBLICATION_CODE_(MALFORMED|CHECKSUM)$/, typo);
      }),
    );
  });

  it("arbitrary text is PUBLICATIONS_FILE_MALFORMED", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        assert.equal(
          refusalCode(() => parsePublicationsFile(text)),
          "PUBLICATIONS_FILE_MALFORMED",
        );
      }),
    );
  });

  it("a deliberately broken publications-file signature is NOTE_BAD_SIGNATURE with the ledger key", () => {
    parsePublicationsFile(file, log.verifierKey);
    const note = parseNote(file);
    const line = note.signatures[0]!;
    fc.assert(
      fc.property(fc.nat(), fc.nat(7), (position, bit) => {
        const broken = `${note.text}\n\u2014 ${line.name} ${Buffer.concat([line.keyId, flip(line.signature, position, bit)]).toString("base64")}\n`;
        assert.equal(
          refusalCode(() => parsePublicationsFile(broken, log.verifierKey)),
          "NOTE_BAD_SIGNATURE",
        );
      }),
    );
  });

  it("a changed publication line is refused: malformed, or a signature that no longer verifies", () => {
    const body = note(file);
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 2 }), (position, insert) => {
        const at = position % (body.length - 1);
        const mutated = file.slice(0, at) + insert + file.slice(at);
        const found = refusalCode(() => parsePublicationsFile(mutated, log.verifierKey));
        assert.ok(
          ["PUBLICATIONS_FILE_MALFORMED", "NOTE_BAD_SIGNATURE", "NOTE_UNKNOWN_KEY"].includes(found!),
          `${JSON.stringify(insert)} at ${at}: ${found}`,
        );
      }),
    );
  });
});

/** The signed text of a note: mutations inside it must break the signature. */
function note(text: string): string {
  return parseNote(text).text;
}
