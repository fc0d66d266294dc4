import { type ErrorCatalogue, RiikError } from "@riik/core";

/**
 * Every refusal of the data embassy has one code. Tamper and continuity codes are what the
 * embassy answers at receipt and what restore reports, so an operator reads the same word
 * in both places.
 */
export type EmbassyErrorCode =
  // arguments, configuration, files
  | "EMBASSY_ARGUMENT"
  | "EMBASSY_CONFIG"
  | "EMBASSY_ALREADY_INITIALISED"
  | "EMBASSY_UNKNOWN_REGISTRY"
  | "EMBASSY_UNAUTHORISED"
  | "EMBASSY_UNREACHABLE"
  | "EMBASSY_NOT_FOUND"
  // keys
  | "KEY_FILE"
  | "KEY_WRONG"
  // the segment format
  | "SEGMENT_MALFORMED"
  | "SEGMENT_TOO_LARGE"
  // integrity and continuity
  | "SEGMENT_TAMPERED"
  | "CHAIN_GAP"
  | "CHAIN_BROKEN"
  | "CHAIN_REORDERED"
  | "CHAIN_FORK"
  | "SNAPSHOT_REPLAYED"
  | "SNAPSHOT_INCOMPLETE"
  | "ANCHOR_INVALID"
  | "ANCHOR_MISSING"
  // a verifier (the embassy node, restore) given no ledger key to check anchors against
  | "VERIFY_NO_TRUST_ANCHOR"
  // home side
  | "JOURNAL_REGRESSED"
  | "LEDGER_UNAVAILABLE"
  // restore
  | "RESTORE_TARGET_EXISTS"
  | "RESTORE_NOTHING"
  | "RESTORE_FAILED"
  | "DRILL_FAILED";

export class EmbassyError extends RiikError<EmbassyErrorCode> {}

export const isEmbassyError = (value: unknown, code?: EmbassyErrorCode): value is EmbassyError =>
  value instanceof EmbassyError && (code === undefined || value.code === code);

/**
 * HTTP statuses of the embassy node's and the shipper's APIs (one catalogue, STYLE.md 3).
 * Typed by the code union: a new code without a status does not compile.
 */
export const EMBASSY_ERRORS: ErrorCatalogue<EmbassyErrorCode> = Object.freeze({
  EMBASSY_ARGUMENT: { status: 400 },
  EMBASSY_CONFIG: { status: 500 },
  EMBASSY_ALREADY_INITIALISED: { status: 409 },
  EMBASSY_UNKNOWN_REGISTRY: { status: 404 },
  EMBASSY_UNAUTHORISED: { status: 403 },
  // An embassy the shipper or restore cannot reach: a bad gateway from the caller's side.
  EMBASSY_UNREACHABLE: { status: 502 },
  EMBASSY_NOT_FOUND: { status: 404 },
  KEY_FILE: { status: 500 },
  KEY_WRONG: { status: 422 },
  SEGMENT_MALFORMED: { status: 400 },
  SEGMENT_TOO_LARGE: { status: 413 },
  SEGMENT_TAMPERED: { status: 422 },
  CHAIN_GAP: { status: 409 },
  CHAIN_BROKEN: { status: 409 },
  CHAIN_REORDERED: { status: 409 },
  CHAIN_FORK: { status: 409 },
  SNAPSHOT_REPLAYED: { status: 409 },
  SNAPSHOT_INCOMPLETE: { status: 409 },
  ANCHOR_INVALID: { status: 422 },
  ANCHOR_MISSING: { status: 422 },
  VERIFY_NO_TRUST_ANCHOR: { status: 400 },
  JOURNAL_REGRESSED: { status: 409 },
  LEDGER_UNAVAILABLE: { status: 503 },
  RESTORE_TARGET_EXISTS: { status: 409 },
  RESTORE_NOTHING: { status: 404 },
  RESTORE_FAILED: { status: 500 },
  DRILL_FAILED: { status: 500 },
});
