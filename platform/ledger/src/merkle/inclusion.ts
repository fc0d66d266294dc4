import { LedgerError } from "../errors.ts";
import { bytesEqual, HASH_SIZE, nodeHash } from "./hash.ts";

function checkHash(name: string, value: Uint8Array): void {
  if (value.length !== HASH_SIZE) {
    throw new LedgerError("MERKLE_HASH_LENGTH", `${name} must be ${HASH_SIZE} bytes, got ${value.length}`);
  }
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LedgerError("MERKLE_SIZE", `${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Recomputes the root from an inclusion proof: the verification algorithm of RFC 9162
 * section 2.1.3.2 for the RFC 6962 section 2.1.1 audit path. Throws on an index outside
 * the tree, a proof of the wrong length, or hashes of the wrong size.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize("index", index);
  checkSize("size", size);
  if (index >= size) {
    throw new LedgerError("MERKLE_INDEX_OUT_OF_RANGE", `leaf index ${index} is outside a tree of size ${size}`);
  }
  checkHash("leaf hash", leaf);
  proof.forEach((p, i) => {
    checkHash(`proof[${i}]`, p);
  });
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) {
      throw new LedgerError("MERKLE_PROOF_LENGTH", `inclusion proof for ${index} in ${size} has too many hashes`);
    }
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    throw new LedgerError("MERKLE_PROOF_LENGTH", `inclusion proof for ${index} in ${size} has too few hashes`);
  }
  return r;
}

/** RFC 9162 section 2.1.3.2: checks that `leaf` is at `index` of the tree of `size` with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash("root", root);
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!bytesEqual(computed, root)) {
    throw new LedgerError("MERKLE_ROOT_MISMATCH", `inclusion proof for ${index} in ${size} does not lead to the root`);
  }
}

export { checkHash, checkSize };
