import { HASH_SIZE } from "./hash.ts";

const CHUNK = 4096;

/**
 * A growable array of 32-byte hashes stored in large contiguous chunks, so that a calendar
 * of millions of nodes costs its bytes and not millions of small objects.
 */
export class HashArray {
  private readonly chunks: Buffer[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(value: Uint8Array): void {
    const offset = this.count % CHUNK;
    if (offset === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK * HASH_SIZE));
    this.chunks[this.chunks.length - 1]!.set(value, offset * HASH_SIZE);
    this.count++;
  }

  /** A view of hash i; callers copy it if they keep it beyond the next push. */
  at(i: number): Buffer {
    if (i < 0 || i >= this.count) throw new RangeError(`hash index ${i} outside 0..${this.count - 1}`);
    const chunk = this.chunks[Math.floor(i / CHUNK)]!;
    const offset = (i % CHUNK) * HASH_SIZE;
    return chunk.subarray(offset, offset + HASH_SIZE);
  }

  /** Hashes [start, end) concatenated, as tiles serve them. */
  concat(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe((end - start) * HASH_SIZE);
    for (let i = start; i < end; i++) out.set(this.at(i), (i - start) * HASH_SIZE);
    return out;
  }

  truncate(length: number): void {
    if (length > this.count) throw new RangeError("cannot grow by truncation");
    this.count = length;
    this.chunks.length = Math.ceil(length / CHUNK);
  }
}
