import { LedgerError } from "../errors.ts";
import { EMPTY_ROOT, isPowerOfTwo, nodeHash, splitPoint } from "./hash.ts";
import { HashArray } from "./hash-array.ts";

/**
 * An append-only RFC 6962 Merkle tree that keeps every *perfect* subtree hash: level l
 * holds MTH(D[i*2^l : (i+1)*2^l]) for each complete subtree. Perfect nodes never change
 * once complete, so they are exactly the hashes C2SP tlog-tiles serves, and every root,
 * inclusion proof and consistency proof for any earlier size can be derived from them.
 */
export class MerkleLog {
  private readonly levels: HashArray[] = [new HashArray()];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf hash (already RFC 6962 leaf-hashed) and completes the subtrees it closes. */
  append(leaf: Uint8Array): void {
    this.levels[0]!.push(leaf);
    let level = 0;
    let count = this.levels[0]!.length;
    while (count % 2 === 0) {
      const below = this.levels[level]!;
      const parent = nodeHash(below.at(count - 2), below.at(count - 1));
      level++;
      if (this.levels.length === level) this.levels.push(new HashArray());
      this.levels[level]!.push(parent);
      count = this.levels[level]!.length;
    }
  }

  /** Forgets leaves beyond `size` (used to roll back a round whose write failed). */
  truncate(size: number): void {
    for (let level = 0; level < this.levels.length; level++) {
      this.levels[level]!.truncate(Math.floor(size / 2 ** level));
    }
  }

  /** The perfect node at (level, index), or undefined if that subtree is not complete. */
  node(level: number, index: number): Buffer | undefined {
    const hashes = this.levels[level];
    return hashes && index < hashes.length ? hashes.at(index) : undefined;
  }

  /** Number of complete nodes at a level. */
  width(level: number): number {
    return this.levels[level]?.length ?? 0;
  }

  /** Concatenated perfect nodes [start, end) of a level. */
  nodes(level: number, start: number, end: number): Buffer {
    return this.levels[level]!.concat(start, end);
  }

  /** RFC 6962 section 2.1: MTH(D[start:end]), built from perfect nodes where it can. */
  hashRange(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if (isPowerOfTwo(n)) {
      const level = Math.log2(n);
      if (start % n === 0) {
        const node = this.node(level, start / n);
        if (node) return node;
      }
    }
    const k = splitPoint(n);
    return nodeHash(this.hashRange(start, start + k), this.hashRange(start + k, end));
  }

  /** The root of the tree at an earlier (or the current) size. */
  root(size = this.size): Uint8Array {
    this.checkSize(size);
    return this.hashRange(0, size);
  }

  /** RFC 6962 section 2.1.1: the audit path PATH(index, D[0:size]). */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size);
    if (index < 0 || index >= size) {
      throw new LedgerError("MERKLE_INDEX_OUT_OF_RANGE", `leaf ${index} is outside a tree of size ${size}`);
    }
    const proof: Uint8Array[] = [];
    this.path(index, 0, size, proof);
    return proof;
  }

  /** RFC 6962 section 2.1.2: PROOF(size1, D[0:size2]). */
  consistencyProof(size1: number, size2 = this.size): Uint8Array[] {
    this.checkSize(size2);
    if (size1 < 0 || size1 > size2) {
      throw new LedgerError("MERKLE_SIZE", `no consistency proof from ${size1} to ${size2}`);
    }
    const proof: Uint8Array[] = [];
    if (size1 > 0 && size1 < size2) this.subproof(size1, 0, size2, true, proof);
    return proof;
  }

  private path(m: number, start: number, end: number, out: Uint8Array[]): void {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.path(m, start, start + k, out);
      out.push(this.hashRange(start + k, end));
    } else {
      this.path(m - k, start + k, end, out);
      out.push(this.hashRange(start, start + k));
    }
  }

  private subproof(m: number, start: number, end: number, complete: boolean, out: Uint8Array[]): void {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push(this.hashRange(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, start + k, complete, out);
      out.push(this.hashRange(start + k, end));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(this.hashRange(start, start + k));
    }
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new LedgerError("MERKLE_SIZE", `tree size ${size} is outside 0..${this.size}`);
    }
  }
}
