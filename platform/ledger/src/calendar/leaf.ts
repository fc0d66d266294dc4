import { LedgerError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";

/**
 * The calendar leaf: the entry the calendar log holds for one aggregation round.
 * Fixed 58 bytes, big-endian, so a tlog-tiles entry bundle carries it unchanged:
 *
 *   u8   version            0x01
 *   u64  round index        equals the leaf's index in the calendar
 *   u64  round end time     milliseconds since the Unix epoch
 *   u64  round size         number of imprints aggregated in the round
 *   u8   root algorithm     0x01 (SHA-256, KSI tag): the round tree is RFC 6962 SHA-256
 *   [32] round root         MTH of the round tree over the imprints
 *
 * The calendar leaf hash is RFC 6962's SHA-256(0x00 || leaf).
 */
export interface CalendarLeaf {
  readonly round: number;
  readonly time: number;
  readonly size: number;
  readonly root: Uint8Array;
}

export const CALENDAR_LEAF_VERSION = 0x01;
export const CALENDAR_LEAF_BYTES = 1 + 8 + 8 + 8 + 1 + HASH_SIZE;
const ROOT_ALGORITHM_SHA256 = 0x01;

export function encodeCalendarLeaf(leaf: CalendarLeaf): Buffer {
  const out = Buffer.alloc(CALENDAR_LEAF_BYTES);
  out[0] = CALENDAR_LEAF_VERSION;
  out.writeBigUInt64BE(BigInt(leaf.round), 1);
  out.writeBigUInt64BE(BigInt(leaf.time), 9);
  out.writeBigUInt64BE(BigInt(leaf.size), 17);
  out[25] = ROOT_ALGORITHM_SHA256;
  out.set(leaf.root, 26);
  return out;
}

export function decodeCalendarLeaf(bytes: Uint8Array): CalendarLeaf {
  if (bytes.length !== CALENDAR_LEAF_BYTES) {
    throw new LedgerError(
      "SIGNATURE_MALFORMED",
      `a calendar leaf is ${CALENDAR_LEAF_BYTES} bytes, got ${bytes.length}`,
    );
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view[0] !== CALENDAR_LEAF_VERSION)
    throw new LedgerError("SIGNATURE_MALFORMED", `unknown calendar leaf version ${view[0]}`);
  if (view[25] !== ROOT_ALGORITHM_SHA256) throw new LedgerError("SIGNATURE_MALFORMED", "unknown round root algorithm");
  const number = (offset: number) => {
    const value = view.readBigUInt64BE(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new LedgerError("SIGNATURE_MALFORMED", "calendar leaf field too large");
    return Number(value);
  };
  return Object.freeze({
    round: number(1),
    time: number(9),
    size: number(17),
    root: Uint8Array.from(view.subarray(26, 26 + HASH_SIZE)),
  });
}
