/**
 * A minimal DER reader (ITU-T X.690 8.1, 10.1: definite lengths in the shortest form) for
 * the few structures the browser opens itself: EncryptedPrivateKeyInfo (RFC 5958 3),
 * PBES2 parameters (RFC 8018 A.4) and the PrivateKeyInfo inside. Anything else is refused.
 */
export interface DerNode {
  /** The identifier octet (single-byte tags only: everything these structures use). */
  readonly tag: number;
  readonly constructed: boolean;
  /** The contents octets. */
  readonly value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

export class DerError extends Error {}

export const TAG = Object.freeze({ INTEGER: 0x02, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30 });

export function readDer(bytes: Uint8Array, offset = 0): DerNode {
  if (offset + 2 > bytes.length) throw new DerError("truncated DER");
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let length = bytes[offset + 1] as number;
  let at = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError("indefinite or oversized length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[at + i] as number);
    if (length < 0x80 || (count > 1 && bytes[at] === 0)) throw new DerError("non-minimal length");
    at += count;
  }
  const end = at + length;
  if (end > bytes.length) throw new DerError("truncated DER");
  return { tag, constructed: (tag & 0x20) !== 0, value: bytes.subarray(at, end), end };
}

/** Reads one element that must fill `bytes` exactly. */
export function readWhole(bytes: Uint8Array, tag?: number): DerNode {
  const node = readDer(bytes);
  if (node.end !== bytes.length) throw new DerError("trailing bytes after DER");
  if (tag !== undefined && node.tag !== tag) throw new DerError(`expected tag ${tag}, got ${node.tag}`);
  return node;
}

export function children(node: DerNode): DerNode[] {
  if (!node.constructed) throw new DerError("not a constructed element");
  const out: DerNode[] = [];
  for (let at = 0; at < node.value.length; ) {
    const child = readDer(node.value, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

export function expect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw new DerError(`${what} is missing or has the wrong type`);
  return node;
}

/** OBJECT IDENTIFIER contents → dotted decimal (X.690 8.19). */
export function oidOf(node: DerNode): string {
  if (node.tag !== TAG.OID || node.value.length === 0) throw new DerError("not an OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let value = 0;
  for (const byte of node.value) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OID arc too large");
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join(".");
}

/** A small non-negative INTEGER (iteration counts, key lengths). */
export function smallInteger(node: DerNode): number {
  if (node.tag !== TAG.INTEGER || node.value.length === 0 || node.value.length > 6) throw new DerError("bad INTEGER");
  if ((node.value[0] as number) & 0x80) throw new DerError("negative INTEGER");
  let n = 0;
  for (const byte of node.value) n = n * 256 + byte;
  return n;
}
