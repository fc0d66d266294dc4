import { hash } from "node:crypto";

/** RFC 6962 trees in this package use SHA-256: its output size, the size of every node. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One scratch buffer for node hashing: hashing is synchronous, so no two calls overlap.
const scratch = Buffer.alloc(1 + 2 * HASH_SIZE);

/** RFC 6962 section 2.1: MTH({}) = SHA-256(), the hash of the empty tree. */
export const EMPTY_ROOT: Uint8Array = hash("sha256", Buffer.alloc(0), "buffer");

/** RFC 6962 section 2.1: the leaf hash MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return hash("sha256", input, "buffer");
}

/** RFC 6962 section 2.1: an interior node, SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  scratch[0] = NODE_PREFIX;
  scratch.set(left, 1);
  scratch.set(right, 1 + HASH_SIZE);
  return hash("sha256", scratch, "buffer");
}

/** The largest power of two strictly smaller than n (n > 1): the split point k of RFC 6962 section 2.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
