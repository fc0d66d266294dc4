import { type ErrorCatalogue, RiikError } from "@riik/core";

export type LandRegisterErrorCode =
  /** Not a cadastral code 5:3:4 digits (78401:101:0010). */
  | "CADASTRAL_CODE_INVALID"
  /** Not a fraction n/d with 0 < n ≤ d, or shares that do not sum to exactly 1. */
  | "SHARES_INVALID"
  | "REGISTER_PART_NUMBER_INVALID"
  | "PERSONAL_CODE_INVALID"
  | "REGISTRY_CODE_INVALID"
  /** A register part's content that cannot be (a unit twice, an area ≤ 0, an apartment without its share). */
  | "REGISTER_PART_INVALID"
  | "REGISTER_PART_EXISTS"
  | "REGISTER_PART_NOT_FOUND"
  /** The deed is not the JSON of a deed (riik-land-deed/1), or contradicts itself. */
  | "DEED_INVALID"
  /** The deed was changed after a party signed it (the signature's digest of deed.json does not match). */
  | "DEED_CHANGED"
  /** Not an ASiC-E container with one deed.json, or a signature that does not validate against the trust anchors. */
  | "SIGNATURE_INVALID"
  /** A required signer (seller, buyer, owner, notary) has not signed; details.missing names them. */
  | "SIGNATURE_MISSING"
  /** A seller is not an owner of the register part now, or an owner does not sell. */
  | "SELLER_NOT_OWNER"
  /** The buyer company's representative is banned from business (Commercial Code § 312). */
  | "BUYER_BANNED"
  /** The business ban check is configured and did not answer: nothing was filed (fail closed). */
  | "BAN_CHECK_UNAVAILABLE"
  /** The notary's application id was used for another deed. */
  | "APPLICATION_ID_REUSED"
  | "APPLICATION_NOT_FOUND"
  /** An earlier application on the same register part awaits its decision (rank by arrival). */
  | "RANK_BLOCKED"
  /** The application was decided already. */
  | "APPLICATION_DECIDED"
  /** Only the land registry department's registrars open register parts and decide applications. */
  | "NOT_A_REGISTRAR"
  /** The file is shown to an owner, or to a notary's or a court's subsystem only. */
  | "NO_LEGITIMATE_INTEREST"
  /** The integrity ledger did not anchor the entry; nothing was entered. */
  | "LEDGER_UNAVAILABLE";

export class LandRegisterError extends RiikError<LandRegisterErrorCode> {}

export const LAND_REGISTER_ERRORS: ErrorCatalogue<LandRegisterErrorCode> = {
  CADASTRAL_CODE_INVALID: { status: 400 },
  SHARES_INVALID: { status: 400 },
  REGISTER_PART_NUMBER_INVALID: { status: 400 },
  PERSONAL_CODE_INVALID: { status: 400 },
  REGISTRY_CODE_INVALID: { status: 400 },
  REGISTER_PART_INVALID: { status: 400 },
  REGISTER_PART_EXISTS: { status: 409 },
  REGISTER_PART_NOT_FOUND: { status: 404 },
  DEED_INVALID: { status: 400 },
  DEED_CHANGED: { status: 422 },
  SIGNATURE_INVALID: { status: 422 },
  SIGNATURE_MISSING: { status: 422 },
  SELLER_NOT_OWNER: { status: 422 },
  BUYER_BANNED: { status: 422 },
  BAN_CHECK_UNAVAILABLE: { status: 503 },
  APPLICATION_ID_REUSED: { status: 409 },
  APPLICATION_NOT_FOUND: { status: 404 },
  RANK_BLOCKED: { status: 409 },
  APPLICATION_DECIDED: { status: 409 },
  NOT_A_REGISTRAR: { status: 403 },
  NO_LEGITIMATE_INTEREST: { status: 403 },
  LEDGER_UNAVAILABLE: { status: 503 },
};
