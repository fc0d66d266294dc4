// Interoperability the other way round: what belenios-tool 2.0 itself wrote (test/vectors) is
// read and accepted by riik's code — its credentials derive to the same public credentials, and
// its whole archive (threshold trustees, mixnet question, shuffles, decryptions) verifies.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkPrivateCredential, publicCredential, verifyElectionArchive } from "../src/index.ts";

const dir = join(import.meta.dirname, "vectors");
const vectors = JSON.parse(readFileSync(join(dir, "belenios-2.0.json"), "utf8")) as {
  uuid: string;
  private_credentials: string[];
  public_credentials: string[];
  result: number[][][];
};

describe("belenios-tool 2.0 vectors", () => {
  it("private credentials derive (PBKDF2, uuid salt) to belenios-tool's public credentials", () => {
    const derived = vectors.private_credentials.map((c) => {
      checkPrivateCredential(c);
      return publicCredential(vectors.uuid, c).toString();
    });
    assert.deepEqual(derived.sort(), [...vectors.public_credentials].sort());
  });

  it("belenios-tool's own archive passes riik's verifier with the same result", async () => {
    const report = await verifyElectionArchive(join(dir, "belenios-2.0-tool-archive.bel"));
    assert.equal(report.valid, true, JSON.stringify(report.error));
    assert.deepEqual(report.result, vectors.result);
    assert.equal(report.shuffles, 2);
  });
});
