import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { leafHash } from "../src/merkle/hash.ts";
import { MerkleLog } from "../src/merkle/tree.ts";
import { formatCheckpoint } from "../src/note/checkpoint.ts";
import { verifyCosignature } from "../src/note/cosignature.ts";
import { parseNote, parseSignatureLine, signNote } from "../src/note/signed-note.ts";
import { generateSigner, type NoteSigner, SIGNATURE_TYPE_COSIGNATURE_V1 } from "../src/note/verifier-key.ts";
import { createWitnessService } from "../src/witness/server.ts";
import { Witness } from "../src/witness/witness.ts";
import { ledgerSigner } from "./fixtures/helpers.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function logWith(n: number, salt = ""): MerkleLog {
  const log = new MerkleLog();
  for (let i = 0; i < n; i++) log.append(leafHash(Buffer.from(`${salt}leaf ${i}`)));
  return log;
}

function checkpointNote(signer: NoteSigner, log: MerkleLog, size: number): string {
  return signNote(formatCheckpoint({ origin: signer.name, size, root: log.root(size), extensions: [] }), signer);
}

function body(old: number, proof: Uint8Array[], note: string): string {
  return `old ${old}\n${proof.map((p) => `${b64(p)}\n`).join("")}\n${note}`;
}

for (const target of await dialectTargets()) {
  describe(`tlog-witness on ${target.dialect}`, () => {
    async function setup() {
      // Each test its own log origin: on SQLite the witness database file is shared.
      const log = ledgerSigner(`riik.test/ledger-${Math.random().toString(36).slice(2, 8)}`);
      const signer = generateSigner("riik.test/witness", SIGNATURE_TYPE_COSIGNATURE_V1);
      const location = target.location("witness");
      const witness = await Witness.open({ signer, logs: [log.verifierKey], ...location });
      const { app } = createWitnessService(witness);
      const post = async (payload: string) => {
        const response = await app.inject({
          method: "POST",
          url: "/add-checkpoint",
          payload,
          headers: { "content-type": "text/plain" },
        });
        return { status: response.statusCode, type: String(response.headers["content-type"]), text: response.body };
      };
      return { log, signer, witness, app, post };
    }

    it("answers each case with the status tlog-witness gives it", async () => {
      const { log, signer, witness, app, post } = await setup();
      const tree = logWith(10);
      // 200 from an empty state with old 0 and an empty proof; the cosignature verifies.
      const first = await post(body(0, [], checkpointNote(log, tree, 4)));
      assert.equal(first.status, 200, first.text);
      const line = parseSignatureLine(first.text);
      const note4 = parseNote(checkpointNote(log, tree, 4));
      assert.ok(verifyCosignature(note4.text, line, signer.verifierKey) > 0);
      // 409 with the witness's size as text/x.tlog.size when old does not match.
      const stale = await post(body(0, [], checkpointNote(log, tree, 6)));
      assert.equal(stale.status, 409);
      assert.equal(stale.type, "text/x.tlog.size");
      assert.equal(stale.text, "4\n");
      // 422 for a consistency proof that does not verify.
      const wrong = logWith(10, "other ");
      const bad = await post(
        body(
          4,
          tree.consistencyProof(4, 6).map((p, i) => (i === 0 ? wrong.root(1) : p)),
          checkpointNote(log, tree, 6),
        ),
      );
      assert.equal(bad.status, 422);
      // 200 with the right proof; the stored state moves to 6.
      const good = await post(body(4, tree.consistencyProof(4, 6), checkpointNote(log, tree, 6)));
      assert.equal(good.status, 200, good.text);
      assert.equal((await witness.latest(log.name))?.size, 6);
      // 400 when old is larger than the checkpoint size.
      assert.equal((await post(body(7, [], checkpointNote(log, tree, 6)))).status, 400);
      // 409 for a different root at the same size (a fork).
      const fork = await post(body(6, [], checkpointNote(log, wrong, 6)));
      assert.equal(fork.status, 409);
      assert.equal(fork.text, "6\n");
      // Same size and root again: cosigned again.
      assert.equal((await post(body(6, [], checkpointNote(log, tree, 6)))).status, 200);
      // 404 for an unknown origin, 403 for a checkpoint not signed by the trusted key.
      const strangerLog = ledgerSigner("riik.test/unknown-log");
      assert.equal((await post(body(0, [], checkpointNote(strangerLog, tree, 7)))).status, 404);
      const impostor = ledgerSigner(log.name);
      assert.equal((await post(body(6, tree.consistencyProof(6, 7), checkpointNote(impostor, tree, 7)))).status, 403);
      const forged = checkpointNote(log, tree, 7).replace(b64(tree.root(7)), b64(wrong.root(7)));
      assert.equal((await post(body(6, tree.consistencyProof(6, 7), forged))).status, 403);
      // 400 for malformed bodies.
      assert.equal((await post("old 01\n\nx")).status, 400);
      assert.equal((await post(`old 6\nnot base64!\n\n${checkpointNote(log, tree, 7)}`)).status, 400);
      assert.equal((await witness.latest(log.name))?.size, 6);
      await app.close();
      await witness.close();
    });

    it("#10 request schemas: unknown query parameters and routes get riik codes, never FST_ERR", async () => {
      const { log, app, post } = await setup();
      for (const url of ["/add-checkpoint?x=1", "/witness.vkey?x=1"]) {
        const response = await app.inject({ method: url.startsWith("/add") ? "POST" : "GET", url, payload: "" });
        assert.equal(response.statusCode, 400, url);
        assert.equal(response.json().code, "REQUEST_INVALID", url);
      }
      const missing = await app.inject({ method: "GET", url: "/add-checkpoint/x" });
      assert.equal(missing.json().code, "ROUTE_NOT_FOUND");
      const garbage = await post("old x\n");
      assert.equal(garbage.status, 400);
      assert.doesNotMatch(garbage.text, /FST_/);
      // Still serving: a well-formed first checkpoint is cosigned.
      assert.equal((await post(body(0, [], checkpointNote(log, logWith(2), 2)))).status, 200);
    });

    it("updates atomically: of concurrent requests from the same old size, one wins", async () => {
      const { log, witness, app, post } = await setup();
      const tree = logWith(40);
      assert.equal((await post(body(0, [], checkpointNote(log, tree, 2)))).status, 200);
      const sizes = [10, 20, 30, 40, 15, 25];
      const answers = await Promise.all(
        sizes.map((size) => post(body(2, tree.consistencyProof(2, size), checkpointNote(log, tree, size)))),
      );
      const winners = answers.filter((a) => a.status === 200);
      assert.equal(winners.length, 1, answers.map((a) => `${a.status} ${a.text}`).join("; "));
      const stored = (await witness.latest(log.name))!.size;
      const winnerIndex = answers.findIndex((a) => a.status === 200);
      assert.equal(stored, sizes[winnerIndex]);
      for (const a of answers.filter((x) => x.status !== 200)) {
        assert.equal(a.status, 409);
        assert.equal(a.text, `${stored}\n`);
      }
      await app.close();
      await witness.close();
    });
  });
}
