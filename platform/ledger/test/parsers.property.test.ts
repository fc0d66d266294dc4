import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { LedgerClient } from "../src/client/ledger-client.ts";
import type { LedgerErrorCode } from "../src/errors.ts";
import { leafHash } from "../src/merkle/hash.ts";
import { MerkleLog } from "../src/merkle/tree.ts";
import { formatCheckpoint } from "../src/note/checkpoint.ts";
import { countCosignatures } from "../src/note/cosignature.ts";
import { parseNote, signNote, verifyNote } from "../src/note/signed-note.ts";
import {
  generateSigner,
  parseVerifierKey,
  parseVerifierKeys,
  SIGNATURE_TYPE_COSIGNATURE_V1,
} from "../src/note/verifier-key.ts";
import { formatPublicationsText, parsePublicationsFile } from "../src/publication/publications-file.ts";
import { LEDGER_ERRORS } from "../src/server.ts";
import { type LedgerSignature, parseSignature } from "../src/signature/signature-file.ts";
import { type VerificationPolicy, verifySignature } from "../src/signature/verify.ts";
import { createWitnessService } from "../src/witness/server.ts";
import { Witness } from "../src/witness/witness.ts";
import { ledgerSigner, startLedger, startWitness } from "./fixtures/helpers.ts";
import { refusalCode } from "./fixtures/refusal.ts";

/**
 * #22: the ledger's parsers fed mutations of real artefacts (made by an in-process ledger
 * and witness). Only a LedgerError with the expected code passes: a crash, a foreign error
 * or another code fails the property.
 */

const digestOf = (text: string) => createHash("sha256").update(text).digest();

/** Flips one bit of one character, keeping the text a string (the bytes of a file). */
function flipChar(text: string, position: number, bit: number): string {
  const at = position % text.length;
  return text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << (bit % 7))) + text.slice(at + 1);
}

/** A signed-note signature line with one bit of its signature flipped. */
function breakLine(note: string, keyName: string, position: number, bit: number): string {
  const parsed = parseNote(note);
  const lines = parsed.signatures.map((s) => {
    const bytes = Buffer.from(s.signature);
    if (s.name === keyName) bytes[position % bytes.length]! ^= 1 << (bit % 8);
    return `\u2014 ${s.name} ${Buffer.concat([s.keyId, bytes]).toString("base64")}\n`;
  });
  return `${parsed.text}\n${lines.join("")}`;
}

describe("#22 property: ledger parsers on mutated real artefacts", () => {
  it("signature files, checkpoints, cosignatures, verifier keys and publications files from a real ledger", async (t) => {
    const log = ledgerSigner("riik.test/property-ledger");
    const witness = await startWitness(log);
    const { url, server } = await startLedger({ signer: log, origin: log.name, witnesses: [witness.url] });
    const client = new LedgerClient({ url });
    await client.anchor([Buffer.from("esimene")]);
    const [signed] = await client.anchor([Buffer.from("teine")]);
    await client.anchor([Buffer.from("kolmas")]);
    assert.ok(await server.publisher.publish());
    const extended = await client.extend(signed!);
    const publications = await client.publications();
    const digest = digestOf("teine");
    const withWitness: VerificationPolicy = {
      kind: "key",
      logKey: log.verifierKey,
      witnesses: [witness.signer.verifierKey],
      minWitnesses: 1,
    };
    const fileText = JSON.stringify(extended, null, 2);
    const good = verifySignature(parseSignature(fileText), digest, withWitness);
    assert.deepEqual(good.witnesses, [witness.signer.name]);

    await t.test("verifier keys: arbitrary text and mutated real keys are VKEY_MALFORMED", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 120 }), (text) => {
          assert.equal(
            refusalCode(() => parseVerifierKey(text)),
            "VKEY_MALFORMED",
          );
        }),
      );
      for (const key of [log.verifierKey.text, witness.signer.verifierKey.text]) {
        fc.assert(
          fc.property(fc.nat(), fc.nat(6), (position, bit) => {
            const mutated = flipChar(key, position, bit);
            const found = refusalCode(() => parseVerifierKey(mutated));
            // Only a flip to whitespace at either end is trimmed away, leaving the key.
            if (found === undefined) assert.equal(mutated.trim(), key);
            else assert.equal(found, "VKEY_MALFORMED");
          }),
        );
      }
      fc.assert(
        fc.property(fc.array(fc.string({ maxLength: 60 }), { maxLength: 4 }), (lines) => {
          const found = refusalCode(() => parseVerifierKeys([log.verifierKey.text, ...lines].join("\n")));
          if (found !== undefined) assert.equal(found, "VKEY_MALFORMED");
        }),
      );
    });

    await t.test(
      "the served checkpoint as bytes: a flipped bit is NOTE_MALFORMED or fails its signatures",
      async () => {
        const served = Buffer.from(await (await fetch(`${url}/checkpoint`)).arrayBuffer());
        const keys = [witness.signer.verifierKey];
        fc.assert(
          fc.property(fc.nat(), fc.nat(7), (position, bit) => {
            const bytes = Buffer.from(served);
            bytes[position % bytes.length]! ^= 1 << bit;
            let note: ReturnType<typeof parseNote> | undefined;
            const parsed = refusalCode(() => {
              note = parseNote(bytes);
            });
            if (parsed !== undefined) return assert.equal(parsed, "NOTE_MALFORMED");
            let valid: string[] = [];
            const found =
              refusalCode(() => verifyNote(note!, log.verifierKey)) ??
              refusalCode(() => {
                valid = countCosignatures(note!, keys).valid;
              });
            // Signed-note ignores unknown signatures: a flip in a signer's name drops that
            // signature, so the witness counts as missing; never a fully verified note.
            if (found === undefined) assert.deepEqual(valid, [], `accepted a flip at ${position % bytes.length}`);
            else assert.ok(["NOTE_BAD_SIGNATURE", "NOTE_UNKNOWN_KEY"].includes(found), found);
          }),
          { numRuns: 300 },
        );
      },
    );

    await t.test("a bit flipped anywhere in a signature file: SIGNATURE_MALFORMED or a VERIFY_* refusal", () => {
      const refusals = [
        "SIGNATURE_MALFORMED",
        "VERIFY_WRONG_HASH",
        "VERIFY_BROKEN_PATH",
        "VERIFY_BAD_SIGNATURE",
        "VERIFY_UNKNOWN_KEY",
        "VERIFY_TOO_FEW_WITNESSES",
        "VERIFY_INCONSISTENT_CHECKPOINTS",
      ];
      fc.assert(
        fc.property(fc.nat(), fc.nat(6), (position, bit) => {
          const mutated = flipChar(fileText, position, bit);
          let report: unknown;
          const found = refusalCode(() => {
            report = verifySignature(parseSignature(mutated), digest, withWitness);
          });
          // Accepted only if the flip changed nothing that is signed (JSON whitespace). The
          // publication time is signed by nothing (the code holds size and root only), so a
          // changed but canonical time is the one difference a report may show.
          if (found === undefined) {
            const { publication, ...rest } = report as typeof good;
            const { publication: expected, ...wanted } = good;
            assert.deepEqual(rest, wanted, `accepted: flip at ${position % fileText.length}`);
            assert.deepEqual({ ...publication, publishedAt: "" }, { ...expected, publishedAt: "" });
          } else assert.ok(refusals.includes(found), found);
        }),
        { numRuns: 300 },
      );
    });

    await t.test("each field replaced by arbitrary JSON is refused with that field's code", () => {
      const fields: Record<string, { get: (s: any) => any; codes: LedgerErrorCode[] }> = {
        format: { get: (s) => s, codes: [] },
        "hash.algorithm": { get: (s) => s.hash, codes: [] },
        "hash.digest": { get: (s) => s.hash, codes: ["VERIFY_WRONG_HASH"] },
        "aggregation.index": { get: (s) => s.aggregation, codes: ["VERIFY_BROKEN_PATH"] },
        "aggregation.path": { get: (s) => s.aggregation, codes: ["VERIFY_BROKEN_PATH"] },
        "calendar.leaf": { get: (s) => s.calendar, codes: ["VERIFY_BROKEN_PATH"] },
        "calendar.proof": { get: (s) => s.calendar, codes: ["VERIFY_BROKEN_PATH"] },
        checkpoint: { get: (s) => s, codes: ["VERIFY_BAD_SIGNATURE", "VERIFY_UNKNOWN_KEY", "VERIFY_BROKEN_PATH"] },
        // Fixed with this test: a lowercase or badly checksummed code was taken (or refused as
        // PUBLICATION_CODE_*) instead of being a malformed signature file.
        "publication.code": { get: (s) => s.publication, codes: ["VERIFY_BROKEN_PATH"] },
        "publication.proof": { get: (s) => s.publication, codes: ["VERIFY_BROKEN_PATH"] },
        "publication.consistency": { get: (s) => s.publication, codes: ["VERIFY_INCONSISTENT_CHECKPOINTS"] },
      };
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(fields)), fc.jsonValue({ maxDepth: 2 }), (field, value) => {
          const copy = JSON.parse(fileText) as LedgerSignature;
          const name = field.split(".").at(-1)!;
          const { get, codes } = fields[field]!;
          if (JSON.stringify(get(copy)[name]) === JSON.stringify(value)) return;
          get(copy)[name] = value;
          const found = refusalCode(() => verifySignature(parseSignature(JSON.stringify(copy)), digest, withWitness));
          assert.ok(
            found === "SIGNATURE_MALFORMED" || codes.includes(found!),
            `${field}=${JSON.stringify(value)}: ${found}`,
          );
        }),
        { numRuns: 400 },
      );
    });

    await t.test("a broken checkpoint signature or cosignature is VERIFY_BAD_SIGNATURE; a missing one too few", () => {
      for (const name of [log.name, witness.signer.name]) {
        fc.assert(
          fc.property(fc.nat(), fc.nat(7), (position, bit) => {
            const checkpoint = breakLine(extended.checkpoint, name, position, bit);
            assert.equal(
              refusalCode(() => verifySignature({ ...extended, checkpoint }, digest, withWitness)),
              "VERIFY_BAD_SIGNATURE",
            );
          }),
        );
      }
      const note = parseNote(extended.checkpoint);
      const logLine = note.signatures.find((s) => s.name === log.name)!;
      const unwitnessed = `${note.text}\n\u2014 ${log.name} ${Buffer.concat([logLine.keyId, logLine.signature]).toString("base64")}\n`;
      assert.equal(
        refusalCode(() => verifySignature({ ...extended, checkpoint: unwitnessed }, digest, withWitness)),
        "VERIFY_TOO_FEW_WITNESSES",
      );
    });

    await t.test("a publications file: a broken signature is NOTE_BAD_SIGNATURE / VERIFY_BAD_SIGNATURE", () => {
      const policy = { kind: "publications-file", file: publications, key: log.verifierKey } as const;
      assert.equal(verifySignature(extended, digest, policy).publication?.code, extended.publication?.code);
      fc.assert(
        fc.property(fc.nat(), fc.nat(7), (position, bit) => {
          const file = breakLine(publications, log.name, position, bit);
          assert.equal(
            refusalCode(() => parsePublicationsFile(file, log.verifierKey)),
            "NOTE_BAD_SIGNATURE",
          );
          assert.equal(
            refusalCode(() => verifySignature(extended, digest, { ...policy, file })),
            "VERIFY_BAD_SIGNATURE",
          );
        }),
      );
    });

    await t.test("publications-file lines, validly signed: PUBLICATIONS_FILE_MALFORMED unless canonical", () => {
      // Fixed before this test: a bad code in a line leaked PUBLICATION_CODE_*, and a lenient
      // time ("1") or a lowercase code was accepted in signed text.
      const record = server.publisher.publications[0]!;
      const canonical = `${record.size} ${new Date(record.publishedAt).toISOString()} ${record.code}`;
      const line = fc.oneof(
        fc.string({ maxLength: 90 }),
        fc.tuple(fc.nat(), fc.nat(6)).map(([position, bit]) => flipChar(canonical, position, bit)),
        fc.constantFrom(
          `${record.size} 1 ${record.code}`,
          `${record.size} ${new Date(record.publishedAt).toISOString()} ${record.code.toLowerCase()}`,
          `0${canonical}`,
          `${record.size} ${new Date(record.publishedAt).toISOString()} ${"A".repeat(72)}`,
        ),
      );
      fc.assert(
        fc.property(line, (text) => {
          const body = `riik-ledger-publications/v1\n${log.name}\n${text}\n`;
          const file = signed(body);
          let parsed: ReturnType<typeof parsePublicationsFile> | undefined;
          const found = refusalCode(() => {
            parsed = parsePublicationsFile(file, log.verifierKey);
          });
          if (found !== undefined) assert.equal(found, "PUBLICATIONS_FILE_MALFORMED", JSON.stringify(text));
          else assert.equal(formatPublicationsText(parsed!.origin, parsed!.publications), body);
        }),
        { numRuns: 300 },
      );
      function signed(body: string): string {
        const signature = log.signRaw(Buffer.from(body));
        return `${body}\n\u2014 ${log.name} ${Buffer.concat([log.verifierKey.keyId, signature]).toString("base64")}\n`;
      }
      assert.equal(
        refusalCode(() => parsePublicationsFile(signed(`riik-ledger-publications/v1\n${log.name}\n${canonical}\n`))),
        undefined,
      );
    });
  });
});

describe("#22 property: tlog-witness add-checkpoint requests", () => {
  it("a mutated real request answers a WITNESS_* code (or the 409 size), and the witness keeps cosigning", async () => {
    const log = ledgerSigner("riik.test/property-witnessed");
    const witness = await Witness.open({
      signer: generateSigner("riik.test/property-witness", SIGNATURE_TYPE_COSIGNATURE_V1),
      logs: [log.verifierKey],
      dataDir: temporaryDirectory("riik-witness-"),
    });
    const { app } = createWitnessService(witness);
    try {
      const tree = new MerkleLog();
      for (let i = 0; i < 40; i++) tree.append(leafHash(Buffer.from(`leaf ${i}`)));
      const request = (old: number, size: number) =>
        `old ${old}\n${tree
          .consistencyProof(old, size)
          .map((p) => `${Buffer.from(p).toString("base64")}\n`)
          .join(
            "",
          )}\n${signNote(formatCheckpoint({ origin: log.name, size, root: tree.root(size), extensions: [] }), log)}`;
      const post = async (payload: string) => {
        const response = await app.inject({
          method: "POST",
          url: "/add-checkpoint",
          payload,
          headers: { "content-type": "text/plain" },
        });
        return { status: response.statusCode, body: response.body };
      };
      assert.equal((await post(request(0, 5))).status, 200);
      const good = request(5, 30);
      const statuses: Record<number, LedgerErrorCode[]> = {
        400: ["WITNESS_MALFORMED", "WITNESS_OLD_SIZE"],
        403: ["WITNESS_BAD_SIGNATURE"],
        404: ["WITNESS_UNKNOWN_LOG"],
        422: ["WITNESS_INCONSISTENT"],
      };
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.nat(6), async (position, bit) => {
          const mutated = flipChar(good, position, bit);
          const { status, body } = await post(mutated);
          // 409 is tlog-witness's "your old size is not mine", answered as text/x.tlog.size.
          if (status === 409) return assert.equal(body, "5\n");
          assert.notEqual(
            status,
            200,
            `accepted: ${JSON.stringify(mutated.slice((position % good.length) - 5, (position % good.length) + 5))}`,
          );
          const { code: found } = JSON.parse(body) as { code: LedgerErrorCode };
          assert.ok(statuses[status]?.includes(found), `${status} ${found}`);
        }),
        { numRuns: 200 },
      );
      assert.equal((await post(good)).status, 200);
    } finally {
      await app.close();
      await witness.close();
    }
  });
});

describe("#10 catalogue: codes the server never raises", () => {
  it("VERIFY_* (a verifier's verdict on a submitted signature) answer 422, not 500", () => {
    const verify = Object.entries(LEDGER_ERRORS).filter(([name]) => name.startsWith("VERIFY_"));
    assert.ok(verify.length >= 9);
    for (const [name, { status }] of verify) assert.equal(status, 422, name);
  });
});
