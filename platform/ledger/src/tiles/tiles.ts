import { LedgerError } from "../errors.ts";
import type { MerkleLog } from "../merkle/tree.ts";

/** C2SP tlog-tiles: tiles are 8 tree levels tall, 256 hashes wide when full. */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface TilePath {
  /** Tile level L (tree level 8L), or "entries" for an entry bundle. */
  readonly level: number | "entries";
  readonly index: number;
  /** Width of a partial tile (1..255); undefined for a full tile. */
  readonly width?: number;
}

/** tlog-tiles "Merkle Tree": N as zero-padded 3-digit path elements, all but the last prefixed with x. */
export function encodeTileIndex(index: number): string {
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, "0"));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

export function formatTilePath(path: TilePath): string {
  const suffix = path.width === undefined ? "" : `.p/${path.width}`;
  return `tile/${path.level}/${encodeTileIndex(path.index)}${suffix}`;
}

/** Parses the part after `tile/`; only the canonical encoding of a path is accepted. */
export function parseTilePath(rest: string): TilePath {
  const match = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(rest);
  if (!match) throw new LedgerError("REQUEST_NOT_FOUND", `not a tile path: ${rest}`);
  const level = match[1] === "entries" ? "entries" : Number(match[1]);
  if (level !== "entries" && level > 63) throw new LedgerError("REQUEST_NOT_FOUND", "tile level above 63");
  const index = Number(match[2]!.replaceAll("x", "").replaceAll("/", ""));
  const width = match[3] === undefined ? undefined : Number(match[3]);
  if (width !== undefined && width > 255) throw new LedgerError("REQUEST_NOT_FOUND", "partial tile width above 255");
  if (!Number.isSafeInteger(index)) throw new LedgerError("REQUEST_NOT_FOUND", "tile index too large");
  const path: TilePath = width === undefined ? { level, index } : { level, index, width };
  if (formatTilePath(path) !== `tile/${rest}`) throw new LedgerError("REQUEST_NOT_FOUND", "non-canonical tile path");
  return path;
}

/**
 * The bytes of a hash tile: the perfect nodes of tree level 8L with indices
 * [N*256, N*256 + W). Only tiles whose nodes all exist are served: empty and
 * not-yet-complete tiles are 404 (tlog-tiles "Partial Tiles").
 */
export function readHashTile(log: MerkleLog, level: number, index: number, width = TILE_WIDTH): Buffer {
  const treeLevel = level * TILE_HEIGHT;
  const start = index * TILE_WIDTH;
  if (start + width > log.width(treeLevel)) {
    throw new LedgerError("REQUEST_NOT_FOUND", `tile ${level}/${index} of width ${width} does not exist yet`);
  }
  return log.nodes(treeLevel, start, start + width);
}

/** tlog-tiles "Log entries": big-endian uint16 length-prefixed entries [N*256, N*256 + W). */
export function readEntryBundle(
  entries: (i: number) => Uint8Array,
  size: number,
  index: number,
  width = TILE_WIDTH,
): Buffer {
  const start = index * TILE_WIDTH;
  if (start + width > size) {
    throw new LedgerError("REQUEST_NOT_FOUND", `entry bundle ${index} of width ${width} does not exist yet`);
  }
  const parts: Buffer[] = [];
  for (let i = start; i < start + width; i++) {
    const entry = entries(i);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(entry.length);
    parts.push(length, Buffer.from(entry));
  }
  return Buffer.concat(parts);
}
