import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { CheckpointMonitor } from "../src/client/checkpoint-monitor.ts";
import { LedgerClient } from "../src/client/ledger-client.ts";
import { leafHash, nodeHash } from "../src/merkle/hash.ts";
import { parseCheckpoint } from "../src/note/checkpoint.ts";
import { parseNote } from "../src/note/signed-note.ts";
import { generateSigner, SIGNATURE_TYPE_COSIGNATURE_V1 } from "../src/note/verifier-key.ts";
import { decodePublicationCode, encodePublicationCode } from "../src/publication/publication-code.ts";
import { parsePublicationsFile } from "../src/publication/publications-file.ts";
import { type LedgerSignature, parseSignature } from "../src/signature/signature-file.ts";
import { verifySignature } from "../src/signature/verify.ts";
import { aggregate, ledgerSigner, sha256hex, startLedger, startWitness } from "./fixtures/helpers.ts";

const digestOf = (text: string) => createHash("sha256").update(text).digest();

describe("ledger service", () => {
  it("aggregates SHA-256, SHA-384 and SHA-512 imprints into one round and signs them", async () => {
    const { url, server } = await startLedger();
    const docs = ["tere", "maailm", "riik"];
    const hashes = [
      { algorithm: "SHA-256", digest: sha256hex(docs[0]!) },
      { algorithm: "SHA-384", digest: createHash("sha384").update(docs[1]!).digest("base64") },
      { algorithm: "sha512", digest: createHash("sha512").update(docs[2]!).digest("hex") },
    ];
    const { status, body } = await aggregate(url, hashes);
    assert.equal(status, 200);
    assert.equal(body.signatures.length, 3);
    const algorithms = ["sha256", "sha384", "sha512"] as const;
    body.signatures.forEach((s: LedgerSignature, i: number) => {
      const signature = parseSignature(JSON.stringify(s));
      const report = verifySignature(signature, createHash(algorithms[i]!).update(docs[i]!).digest(), {
        kind: "key",
        logKey: server.signer.verifierKey,
      });
      assert.equal(report.round, 0);
      assert.equal(report.roundSize, 3);
      assert.equal(report.origin, server.origin);
    });
  });

  it("serves the calendar as tlog-tiles from which an auditor recomputes the checkpoint", async () => {
    const { url } = await startLedger();
    for (let i = 0; i < 5; i++) await aggregate(url, [{ algorithm: "SHA-256", digest: sha256hex(`doc ${i}`) }]);
    const note = await (await fetch(`${url}/checkpoint`)).text();
    const checkpoint = parseCheckpoint(parseNote(note).text);
    assert.equal(checkpoint.size, 5);
    const tile = Buffer.from(await (await fetch(`${url}/tile/0/000.p/5`)).arrayBuffer());
    assert.equal(tile.length, 5 * 32);
    const bundle = Buffer.from(await (await fetch(`${url}/tile/entries/000.p/5`)).arrayBuffer());
    const entries: Buffer[] = [];
    for (let offset = 0; offset < bundle.length; ) {
      const length = bundle.readUInt16BE(offset);
      entries.push(bundle.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    assert.equal(entries.length, 5);
    entries.forEach((entry, i) => {
      assert.deepEqual(leafHash(entry), tile.subarray(i * 32, (i + 1) * 32));
    });
    const h = (i: number) => tile.subarray(i * 32, (i + 1) * 32);
    const root = nodeHash(nodeHash(nodeHash(h(0), h(1)), nodeHash(h(2), h(3))), h(4));
    assert.deepEqual(root, Buffer.from(checkpoint.root));
    assert.equal((await fetch(`${url}/tile/0/000.p/6`)).status, 404);
    assert.equal((await fetch(`${url}/tile/0/000`)).status, 404);
    assert.equal((await fetch(`${url}/tile/0/x000/000.p/5`)).status, 404);
    assert.equal((await fetch(`${url}/tile/1/000.p/1`)).status, 404);
  });

  it("refuses bad input with typed errors and keeps serving", async () => {
    const { url } = await startLedger({ maxHashesPerRequest: 3 });
    const post = async (body: string) => {
      const r = await fetch(`${url}/v1/aggregate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return { status: r.status, body: (await r.json()) as { code: string } };
    };
    assert.deepEqual((await post("{not json")).body.code, "REQUEST_MALFORMED");
    assert.equal((await post('{"hashes":[]}')).body.code, "REQUEST_MALFORMED");
    assert.equal((await post('{"hashes":[{"algorithm":"MD5","digest":"00"}]}')).body.code, "REQUEST_ALGORITHM");
    const short = await post(`{"hashes":[{"algorithm":"SHA-256","digest":"${"ab".repeat(31)}"}]}`);
    assert.equal(short.status, 400);
    assert.equal(short.body.code, "REQUEST_DIGEST");
    const many = await post(
      JSON.stringify({ hashes: Array(4).fill({ algorithm: "SHA-256", digest: sha256hex("x") }) }),
    );
    assert.equal(many.status, 413);
    assert.equal(many.body.code, "REQUEST_TOO_MANY_HASHES");
    const huge = await fetch(`${url}/v1/aggregate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"hashes":[],"pad":"${"x".repeat(5 * 1024 * 1024)}"}`,
    });
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${url}/v1/extend?round=abc`)).status, 400);
    const ok = await aggregate(url, [{ algorithm: "SHA-256", digest: sha256hex("still alive") }]);
    assert.equal(ok.status, 200);
  });

  it("#10 request schemas: malformed queries, params and bodies get riik codes, never FST_ERR, and it keeps serving", async () => {
    const { url } = await startLedger();
    const code = async (path: string, init?: RequestInit) => {
      const r = await fetch(`${url}${path}`, init);
      const body = (await r.json()) as { code: string };
      assert.doesNotMatch(body.code, /^FST_/, path);
      return { status: r.status, code: body.code };
    };
    const json = (body: string): RequestInit => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    for (const path of [
      "/v1/extend?round=abc",
      "/v1/extend?round=-1",
      "/v1/extend?round=0&from=x",
      "/v1/extend?round=0&extra=1",
      "/v1/extend",
      "/v1/consistency?to=1",
      "/v1/consistency?from=1e400",
      "/checkpoint?x=1",
      "/ledger.vkey?x=1",
      "/v1/publications?x=1",
      `/tile/${"0/".repeat(100)}000`,
    ]) {
      assert.deepEqual(await code(path), { status: 400, code: "REQUEST_INVALID" }, path);
    }
    for (const body of [
      '{"hashes":[{"algorithm":5,"digest":"00"}]}',
      '{"hashes":[],"more":1}',
      '{"hashes":"x"}',
      "[]",
    ]) {
      assert.deepEqual(await code("/v1/aggregate", json(body)), { status: 400, code: "REQUEST_INVALID" }, body);
    }
    assert.deepEqual(
      await code("/v1/aggregate", { method: "POST", headers: { "content-type": "text/xml" }, body: "<x/>" }),
      {
        status: 415,
        code: "CONTENT_TYPE_UNSUPPORTED",
      },
    );
    assert.deepEqual(await code("/nowhere"), { status: 404, code: "ROUTE_NOT_FOUND" });
    const ok = await aggregate(url, [{ algorithm: "SHA-256", digest: sha256hex("served after refusals") }]);
    assert.equal(ok.status, 200);
  });

  it("detects tampering with the document, the signature and the checkpoint by code", async () => {
    const { url, server } = await startLedger();
    const { body } = await aggregate(url, [
      { algorithm: "SHA-256", digest: sha256hex("a") },
      { algorithm: "SHA-256", digest: sha256hex("b") },
      { algorithm: "SHA-256", digest: sha256hex("c") },
    ]);
    const signature: LedgerSignature = body.signatures[1];
    const policy = { kind: "key", logKey: server.signer.verifierKey } as const;
    const digest = digestOf("b");
    verifySignature(signature, digest, policy);
    const code = (run: () => unknown) => {
      try {
        run();
        return "VALID";
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    const flip = (b64: string, byte = 0) => {
      const bytes = Buffer.from(b64, "base64");
      bytes[byte]! ^= 1;
      return bytes.toString("base64");
    };
    assert.equal(
      code(() => verifySignature(signature, digestOf("B"), policy)),
      "VERIFY_WRONG_HASH",
    );
    const badPath = {
      ...signature,
      aggregation: {
        ...signature.aggregation,
        path: [flip(signature.aggregation.path[0]!), ...signature.aggregation.path.slice(1)],
      },
    };
    assert.equal(
      code(() => verifySignature(badPath, digest, policy)),
      "VERIFY_BROKEN_PATH",
    );
    const badIndex = { ...signature, aggregation: { ...signature.aggregation, index: 0 } };
    assert.equal(
      code(() => verifySignature(badIndex, digest, policy)),
      "VERIFY_BROKEN_PATH",
    );
    const badLeaf = { ...signature, calendar: { ...signature.calendar, leaf: flip(signature.calendar.leaf, 12) } };
    assert.equal(
      code(() => verifySignature(badLeaf, digest, policy)),
      "VERIFY_BROKEN_PATH",
    );
    const [text, sigs] = signature.checkpoint.split("\n\n") as [string, string];
    const sigLine = sigs.trim().split(" ");
    const badSig = `${text}\n\n${sigLine[0]} ${sigLine[1]} ${flip(sigLine[2]!, 10)}\n`;
    assert.equal(
      code(() => verifySignature({ ...signature, checkpoint: badSig }, digest, policy)),
      "VERIFY_BAD_SIGNATURE",
    );
    const stranger = ledgerSigner(server.origin).verifierKey;
    assert.equal(
      code(() => verifySignature(signature, digest, { kind: "key", logKey: stranger })),
      "VERIFY_UNKNOWN_KEY",
    );
    // One byte of the signature file: whatever it hits, the file no longer verifies.
    const file = JSON.stringify(signature);
    let rejected = 0;
    for (let i = 0; i < file.length; i += 7) {
      const bytes = Buffer.from(file);
      bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41;
      const result = code(() => verifySignature(parseSignature(bytes), digest, policy));
      if (result !== "VALID") rejected++;
      else assert.fail(`changing byte ${i} of the signature went unnoticed`);
    }
    assert.ok(rejected > 10);
  });

  it("publishes, extends, and verifies from the publication code alone", async () => {
    const { url, server } = await startLedger();
    const client = new LedgerClient({ url });
    const [signature] = await client.anchor([Buffer.from("record one")]);
    assert.throws(() => verifySignature(signature!, digestOf("record one"), { kind: "publication", code: "AAAA" }), {
      code: "VERIFY_NOT_EXTENDED",
    });
    await assert.rejects(client.extend(signature!), { code: "PUBLICATION_NOT_FOUND" });
    await client.anchor([Buffer.from("record two")]);
    const publication = await server.publisher.publish();
    assert.ok(publication);
    assert.match(publication.code, /^([A-Z2-7]{6}-){11}[A-Z2-7]{6}$/);
    const extended = await client.extend(signature!);
    const report = verifySignature(extended, digestOf("record one"), {
      kind: "publication",
      code: publication.code.toLowerCase(),
    });
    assert.equal(report.publication?.size, publication.size);
    const file = await client.publications();
    assert.equal(parsePublicationsFile(file, server.signer.verifierKey).publications.length, 1);
    verifySignature(extended, digestOf("record one"), {
      kind: "publications-file",
      file,
      key: server.signer.verifierKey,
    });
    const typo = publication.code.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    assert.throws(() => decodePublicationCode(typo), { code: "PUBLICATION_CODE_CHECKSUM" });
    const other = encodePublicationCode({ size: 1, root: Buffer.alloc(32) });
    assert.throws(() => verifySignature(extended, digestOf("record one"), { kind: "publication", code: other }), {
      code: "VERIFY_PUBLICATION_MISMATCH",
    });
    const tamperedFile = file.replace(publication.code, other);
    assert.throws(
      () =>
        verifySignature(extended, digestOf("record one"), {
          kind: "publications-file",
          file: tamperedFile,
          key: server.signer.verifierKey,
        }),
      { code: "VERIFY_BAD_SIGNATURE" },
    );
  });

  it("collects cosignatures from its witnesses and verifiers apply K-of-N", async () => {
    const signer = ledgerSigner();
    const w1 = await startWitness(signer);
    const w2 = await startWitness(signer);
    const { url } = await startLedger({ signer, origin: signer.name, witnesses: [w1.url, w2.url] });
    const client = new LedgerClient({ url });
    await client.anchor([Buffer.from("first")]);
    const [signature] = await client.anchor([Buffer.from("second")]);
    const digest = digestOf("second");
    const keys = [w1.signer.verifierKey, w2.signer.verifierKey];
    const report = verifySignature(signature!, digest, {
      kind: "key",
      logKey: signer.verifierKey,
      witnesses: keys,
      minWitnesses: 2,
    });
    assert.equal(report.witnesses.length, 2);
    const absent = generateSigner("riik.test/absent", SIGNATURE_TYPE_COSIGNATURE_V1).verifierKey;
    assert.throws(
      () =>
        verifySignature(signature!, digest, {
          kind: "key",
          logKey: signer.verifierKey,
          witnesses: [absent, keys[0]!],
          minWitnesses: 2,
        }),
      { code: "VERIFY_TOO_FEW_WITNESSES" },
    );
    assert.equal((await w1.witness.latest(signer.name))?.size, 2);
  });

  it("a client that saw one checkpoint refuses a split view", async () => {
    const signer = ledgerSigner();
    const a = await startLedger({ signer, origin: signer.name });
    const b = await startLedger({ signer, origin: signer.name });
    const monitor = new CheckpointMonitor({ logKey: signer.verifierKey });
    const clientA = new LedgerClient({ url: a.url, monitor });
    await clientA.anchor([Buffer.from("one")]);
    await clientA.anchor([Buffer.from("two")]);
    // The same key signs a different history on another instance: a fork of the log.
    await new LedgerClient({ url: b.url }).anchor([Buffer.from("evil one")]);
    const [forked] = await new LedgerClient({ url: b.url }).anchor([Buffer.from("evil two")]);
    await assert.rejects(
      monitor.observe(forked!.checkpoint, (x, y) => new LedgerClient({ url: b.url }).consistency(x, y)),
      { code: "VERIFY_INCONSISTENT_CHECKPOINTS" },
    );
    const [later] = await clientA.anchor([Buffer.from("three")]);
    assert.equal(parseCheckpoint(parseNote(later!.checkpoint).text).size, 3);
    assert.equal(monitor.latest?.checkpoint.size, 3);
  });
});
