import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BatchTree } from "../src/merkle/batch-tree.ts";
import { verifyConsistency } from "../src/merkle/consistency.ts";
import { EMPTY_ROOT, leafHash, nodeHash } from "../src/merkle/hash.ts";
import { rootFromInclusionProof, verifyInclusion } from "../src/merkle/inclusion.ts";
import { MerkleLog } from "../src/merkle/tree.ts";
import rfc6962 from "./vectors/rfc6962.json" with { type: "json" };
import consistencyVectors from "./vectors/transparency-dev-consistency.json" with { type: "json" };
import inclusionVectors from "./vectors/transparency-dev-inclusion.json" with { type: "json" };

const hex = (s: string) => Buffer.from(s, "hex");
const b64 = (s: string) => Buffer.from(s, "base64");

function logOf(leaves: Uint8Array[]): MerkleLog {
  const log = new MerkleLog();
  for (const leaf of leaves) log.append(leafHash(leaf));
  return log;
}

/** A deliberately naive RFC 6962 section 2.1 MTH, to check the optimised trees against. */
function naiveRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return createHash("sha256").digest();
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

describe("RFC 6962 hashing (transparency-dev vectors)", () => {
  const leaves = rfc6962.leaves.map(hex);

  it("computes the empty root and the roots of sizes 1..8", () => {
    assert.equal(Buffer.from(EMPTY_ROOT).toString("hex"), rfc6962.emptyRoot);
    const log = logOf(leaves);
    rfc6962.roots.forEach((root, i) => {
      assert.equal(Buffer.from(log.root(i + 1)).toString("hex"), root, `root of size ${i + 1}`);
      assert.equal(Buffer.from(new BatchTree(leaves.slice(0, i + 1).map(leafHash)).root).toString("hex"), root);
    });
    assert.equal(Buffer.from(log.root(0)).toString("hex"), rfc6962.emptyRoot);
  });

  it("produces and verifies the published inclusion proofs", () => {
    const log = logOf(leaves);
    for (const v of rfc6962.inclusionProofs) {
      const index = v.leaf - 1;
      const proof = log.inclusionProof(index, v.size);
      assert.deepEqual(
        proof.map((p) => Buffer.from(p).toString("hex")),
        v.proof,
      );
      const batch = new BatchTree(leaves.slice(0, v.size).map(leafHash));
      assert.deepEqual(
        batch.path(index).map((p) => Buffer.from(p).toString("hex")),
        v.proof,
      );
      verifyInclusion(index, v.size, leafHash(leaves[index]!), v.proof.map(hex), hex(rfc6962.roots[v.size - 1]!));
    }
  });

  it("produces and verifies the published consistency proofs", () => {
    const log = logOf(leaves);
    for (const v of rfc6962.consistencyProofs) {
      assert.deepEqual(
        log.consistencyProof(v.size1, v.size2).map((p) => Buffer.from(p).toString("hex")),
        v.proof,
      );
      verifyConsistency(
        v.size1,
        v.size2,
        v.proof.map(hex),
        hex(rfc6962.roots[v.size1 - 1]!),
        hex(rfc6962.roots[v.size2 - 1]!),
      );
    }
  });

  it("agrees with every transparency-dev inclusion test file", () => {
    for (const v of inclusionVectors.vectors) {
      const run = () => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
      if (v.wantErr) assert.throws(run, { name: "LedgerError" }, v.file);
      else run();
    }
  });

  it("agrees with every transparency-dev consistency test file", () => {
    for (const v of consistencyVectors.vectors) {
      const run = () => verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      if (v.wantErr) assert.throws(run, { name: "LedgerError" }, v.file);
      else run();
    }
  });
});

describe("RFC 6962 boundary cases", () => {
  const leaf = leafHash(Buffer.from("data"));

  it("one-leaf tree: the root is the leaf hash and the proof is empty", () => {
    verifyInclusion(0, 1, leaf, [], leaf);
    assert.throws(() => verifyInclusion(0, 1, leaf, [leaf], leaf), { code: "MERKLE_PROOF_LENGTH" });
    assert.throws(() => verifyInclusion(0, 1, leaf, [], EMPTY_ROOT), { code: "MERKLE_ROOT_MISMATCH" });
    assert.throws(() => verifyInclusion(0, 1, new Uint8Array(0), [], leaf), { code: "MERKLE_HASH_LENGTH" });
  });

  it("index at or beyond the size, and an empty tree, are out of range", () => {
    assert.throws(() => verifyInclusion(1, 1, leaf, [], leaf), { code: "MERKLE_INDEX_OUT_OF_RANGE" });
    assert.throws(() => verifyInclusion(0, 0, leaf, [], leaf), { code: "MERKLE_INDEX_OUT_OF_RANGE" });
    assert.throws(() => verifyInclusion(-1, 4, leaf, [], leaf), { code: "MERKLE_SIZE" });
    assert.throws(() => logOf([Buffer.from("a")]).inclusionProof(1, 1), { code: "MERKLE_INDEX_OUT_OF_RANGE" });
  });

  it("truncated and extended paths are refused by length", () => {
    const leaves = rfc6962.leaves.map(hex);
    const log = logOf(leaves);
    const proof = log.inclusionProof(2, 8);
    assert.throws(() => rootFromInclusionProof(2, 8, leafHash(leaves[2]!), proof.slice(0, -1)), {
      code: "MERKLE_PROOF_LENGTH",
    });
    assert.throws(() => rootFromInclusionProof(2, 8, leafHash(leaves[2]!), [...proof, proof[0]!]), {
      code: "MERKLE_PROOF_LENGTH",
    });
  });

  it("trivial consistency: 0 to n and n to n with the same root need empty proofs", () => {
    const root = hex(rfc6962.roots[3]!);
    verifyConsistency(0, 4, [], EMPTY_ROOT, root);
    verifyConsistency(4, 4, [], root, root);
    assert.throws(() => verifyConsistency(4, 4, [], root, EMPTY_ROOT), { code: "MERKLE_ROOT_MISMATCH" });
    assert.throws(() => verifyConsistency(4, 4, [root], root, root), { code: "MERKLE_PROOF_LENGTH" });
    assert.throws(() => verifyConsistency(5, 4, [], root, root), { code: "MERKLE_SIZE" });
  });
});

describe("Merkle properties", () => {
  it("incremental log, batch tree and the naive definition agree; every proof verifies", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 }), (leaves) => {
        const log = logOf(leaves);
        const batch = new BatchTree(leaves.map(leafHash));
        const n = leaves.length;
        assert.deepEqual(Buffer.from(log.root()), Buffer.from(naiveRoot(leaves)));
        assert.deepEqual(Buffer.from(batch.root), Buffer.from(naiveRoot(leaves)));
        for (let i = 0; i < n; i++) {
          assert.deepEqual(batch.path(i), log.inclusionProof(i, n));
          assert.deepEqual(
            JSON.parse(`[${batch.pathJson(i)}]`),
            batch.path(i).map((p) => Buffer.from(p).toString("base64")),
          );
          verifyInclusion(i, n, leafHash(leaves[i]!), batch.path(i), batch.root);
        }
        for (let m = 0; m <= n; m++) {
          verifyConsistency(m, n, log.consistencyProof(m, n), log.root(m), log.root(n));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a proof with any flipped bit fails", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.nat(), (n, a, bit) => {
        const leaves = Array.from({ length: n }, (_, i) => Buffer.from([i]));
        const log = logOf(leaves);
        const index = a % n;
        const proof = log.inclusionProof(index, n).map((p) => Buffer.from(p));
        const target = proof[bit % proof.length]!;
        target[(bit >> 3) % 32]! ^= 1 << (bit % 8);
        assert.throws(() => verifyInclusion(index, n, leafHash(leaves[index]!), proof, log.root()), {
          code: "MERKLE_ROOT_MISMATCH",
        });
      }),
    );
  });
});
