import { LedgerError } from "../errors.ts";
import { bytesEqual, isPowerOfTwo, nodeHash } from "./hash.ts";
import { checkHash, checkSize } from "./inclusion.ts";

/**
 * Verifies a consistency proof between the tree of size1 with root1 and the tree of
 * size2 with root2: the algorithm of RFC 9162 section 2.1.4.2 for the RFC 6962 section
 * 2.1.2 proof. Sizes that are trivially consistent (0, or equal) need an empty proof.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize("size1", size1);
  checkSize("size2", size2);
  if (size2 < size1) {
    throw new LedgerError("MERKLE_SIZE", `size2 ${size2} is smaller than size1 ${size1}`);
  }
  proof.forEach((p, i) => {
    checkHash(`proof[${i}]`, p);
  });
  if (size1 === size2) {
    if (proof.length > 0) {
      throw new LedgerError("MERKLE_PROOF_LENGTH", "a proof between equal sizes must be empty");
    }
    if (!bytesEqual(root1, root2)) {
      throw new LedgerError("MERKLE_ROOT_MISMATCH", `two different roots for the same size ${size1}`);
    }
    return;
  }
  if (size1 === 0) {
    if (proof.length > 0) throw new LedgerError("MERKLE_PROOF_LENGTH", "a proof from the empty tree must be empty");
    return;
  }
  checkHash("root1", root1);
  checkHash("root2", root2);
  if (proof.length === 0) {
    throw new LedgerError("MERKLE_PROOF_LENGTH", `empty consistency proof from ${size1} to ${size2}`);
  }
  // Step 1: when size1 is a power of two, its root is the first node of the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) {
      throw new LedgerError("MERKLE_PROOF_LENGTH", `consistency proof from ${size1} to ${size2} is too long`);
    }
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    throw new LedgerError("MERKLE_PROOF_LENGTH", `consistency proof from ${size1} to ${size2} is too short`);
  }
  if (!bytesEqual(fr, root1) || !bytesEqual(sr, root2)) {
    throw new LedgerError(
      "MERKLE_ROOT_MISMATCH",
      `consistency proof from ${size1} to ${size2} does not match the roots`,
    );
  }
}
