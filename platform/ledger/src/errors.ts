import { RiikError } from "@riik/core";

/**
 * Every refusal of the ledger, grouped by concern. Verification failures (VERIFY_*) are
 * what `riik ledger verify` prints; HTTP services map the rest through their catalogues.
 */
export type LedgerErrorCode =
  // RFC 6962 proofs
  | "MERKLE_INDEX_OUT_OF_RANGE"
  | "MERKLE_PROOF_LENGTH"
  | "MERKLE_HASH_LENGTH"
  | "MERKLE_ROOT_MISMATCH"
  | "MERKLE_SIZE"
  // C2SP signed notes, verifier keys, checkpoints
  | "NOTE_MALFORMED"
  | "NOTE_UNKNOWN_KEY"
  | "NOTE_BAD_SIGNATURE"
  | "VKEY_MALFORMED"
  | "CHECKPOINT_MALFORMED"
  // requests to the aggregator
  | "REQUEST_MALFORMED"
  | "REQUEST_ALGORITHM"
  | "REQUEST_DIGEST"
  | "REQUEST_TOO_MANY_HASHES"
  | "REQUEST_NOT_FOUND"
  | "LEDGER_UNAVAILABLE"
  // calendar and its storage
  | "CALENDAR_TAMPERED"
  | "CALENDAR_FORK"
  // witness protocol (C2SP tlog-witness)
  | "WITNESS_MALFORMED"
  | "WITNESS_UNKNOWN_LOG"
  | "WITNESS_BAD_SIGNATURE"
  | "WITNESS_OLD_SIZE"
  | "WITNESS_CONFLICT"
  | "WITNESS_INCONSISTENT"
  // publications
  | "PUBLICATION_CODE_MALFORMED"
  | "PUBLICATION_CODE_CHECKSUM"
  | "PUBLICATION_NOT_FOUND"
  | "PUBLICATIONS_FILE_MALFORMED"
  // the signature file and its verification
  | "SIGNATURE_MALFORMED"
  | "VERIFY_WRONG_HASH"
  | "VERIFY_BROKEN_PATH"
  | "VERIFY_UNKNOWN_KEY"
  | "VERIFY_BAD_SIGNATURE"
  | "VERIFY_TOO_FEW_WITNESSES"
  | "VERIFY_INCONSISTENT_CHECKPOINTS"
  | "VERIFY_PUBLICATION_MISMATCH"
  | "VERIFY_NOT_EXTENDED"
  | "VERIFY_NO_TRUST_ANCHOR"
  // talking to a ledger over HTTP
  | "CLIENT_HTTP";

export class LedgerError extends RiikError<LedgerErrorCode> {}

export function isLedgerError(value: unknown, code?: LedgerErrorCode): value is LedgerError {
  return value instanceof LedgerError && (code === undefined || value.code === code);
}
