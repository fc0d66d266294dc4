import { EMPTY_ROOT, nodeHash } from "./hash.ts";

/**
 * A complete RFC 6962 tree over one batch of leaf hashes, kept level by level so that
 * every audit path costs log2(n) lookups. A level with an odd count carries its last
 * node up unchanged: that is the same tree as the recursive definition of RFC 6962
 * section 2.1, whose right subtrees are the "left-over" nodes.
 */
export class BatchTree {
  private readonly levels: Uint8Array[][];
  /** JSON string literals of base64 node hashes, filled on first use: upper nodes are on many paths. */
  private readonly encoded: Array<Array<string | undefined>>;

  constructor(leaves: readonly Uint8Array[]) {
    this.levels = [leaves.slice()];
    let current = this.levels[0]!;
    while (current.length > 1) {
      const next: Uint8Array[] = new Array(Math.ceil(current.length / 2));
      for (let i = 0; i + 1 < current.length; i += 2) next[i / 2] = nodeHash(current[i]!, current[i + 1]!);
      if (current.length % 2 === 1) next[next.length - 1] = current[current.length - 1]!;
      this.levels.push(next);
      current = next;
    }
    this.encoded = this.levels.map((level) => new Array(level.length));
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  get root(): Uint8Array {
    const top = this.levels[this.levels.length - 1]!;
    return top.length === 0 ? EMPTY_ROOT : top[0]!;
  }

  /** The audit path as the inside of a JSON array of base64 strings: `"…","…"`. */
  pathJson(index: number): string {
    let out = "";
    let i = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const sibling = i ^ 1;
      if (sibling < this.levels[level]!.length) {
        const cache = this.encoded[level]!;
        let text = cache[sibling];
        if (text === undefined) {
          text = `"${Buffer.from(this.levels[level]![sibling]!).toString("base64")}"`;
          cache[sibling] = text;
        }
        out = out === "" ? text : `${out},${text}`;
      }
      i >>= 1;
    }
    return out;
  }

  /** RFC 6962 section 2.1.1 audit path of leaf `index`, leaf side first. */
  path(index: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const nodes = this.levels[level]!;
      const sibling = i ^ 1;
      if (sibling < nodes.length) out.push(nodes[sibling]!);
      i >>= 1;
    }
    return out;
  }
}
