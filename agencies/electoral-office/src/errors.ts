import { type ErrorCatalogue, RiikError } from "@riik/core";

export type ElectoralOfficeErrorCode =
  /** Bytes that are not the JSON or tar structure Belenios 2.0 writes (or not in its canonical form). */
  | "RECORD_MALFORMED"
  /** A number that is not an element of the election's group or not below q. */
  | "NOT_IN_GROUP"
  /** A zero-knowledge proof or Schnorr signature that does not verify. */
  | "PROOF_INVALID"
  /** A private credential with a wrong length, alphabet or checksum (Belenios spec §4.10). */
  | "CREDENTIAL_INVALID"
  /** A ballot whose credential is not on the public credential list. */
  | "CREDENTIAL_UNKNOWN"
  /** The very same ballot submitted again (a replay): a re-vote is a new ballot, never a copy. */
  | "BALLOT_REPLAYED"
  /** A vote that cannot be encoded: wrong number of values, or a value over 8 bits. */
  | "VOTE_INVALID"
  /** The event chain is broken, out of order, or an entry does not hash to its name. */
  | "CHAIN_BROKEN"
  /** Too few partial decryptions to reach the threshold, or a share from an unknown trustee. */
  | "DECRYPTION_INCOMPLETE"
  /** The published result is not what the decrypted tally says. */
  | "RESULT_MISMATCH"
  /** The trustees' keys do not combine into the election's public key, or a key-generation check fails. */
  | "TRUSTEES_INVALID";

export class ElectoralOfficeError extends RiikError<ElectoralOfficeErrorCode> {}

/** HTTP statuses of the Office's codes, for the voting service that will serve them. */
export const ELECTORAL_OFFICE_ERRORS: ErrorCatalogue<ElectoralOfficeErrorCode> = {
  RECORD_MALFORMED: { status: 400 },
  NOT_IN_GROUP: { status: 422 },
  PROOF_INVALID: { status: 422 },
  CREDENTIAL_INVALID: { status: 400 },
  CREDENTIAL_UNKNOWN: { status: 403 },
  BALLOT_REPLAYED: { status: 409 },
  VOTE_INVALID: { status: 400 },
  CHAIN_BROKEN: { status: 422 },
  DECRYPTION_INCOMPLETE: { status: 409 },
  RESULT_MISMATCH: { status: 422 },
  TRUSTEES_INVALID: { status: 422 },
};
