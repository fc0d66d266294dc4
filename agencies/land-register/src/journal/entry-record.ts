// A register part's entries: every change (the part opened, an application entered or
// refused) is a record (canonical JSON, RFC 8785) chained to the part's previous record by its
// SHA-256, whose digest is anchored in the integrity ledger (@riik/ledger) before the entry is
// stored. Anyone holding a record and its keyless signature verifies it offline against the
// ledger's key: `riik ledger verify RECORD SIG --key ledger.vkey`.
import { createHash } from "node:crypto";
import { canonicalJson } from "@riik/core";
import { type DigestAnchor, ledgerDigestAnchor } from "@riik/ledger";
import { LandRegisterError } from "../errors.ts";

export interface EntryRecord {
  format: "riik-land-entry/1";
  registerPart: string;
  /** The entry's number within the register part, from 1. */
  seq: number;
  decision: "opened" | "entered" | "refused";
  /** The application's journal number (rank by arrival); null for the opening. */
  journal: number | null;
  application: string | null;
  at: string;
  /** Who decided: the registrar's X-Road client. */
  by: string;
  /** SHA-256 (hex) of the deed's bytes as signed, when an application is decided. */
  deed: string | null;
  /** SHA-256 (hex) of the register part's content (parts I-IV, canonical JSON) after the entry. */
  content: string;
  /** Why an application was refused. */
  reason?: string;
  /** SHA-256 (hex) of the previous record's bytes; null for the first. */
  previous: string | null;
}

export const recordBytes = (record: EntryRecord): string => canonicalJson(record);
export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Where an entry's digest is anchored: it answers the keyless signature file (riik-ledger-signature/v1 text). */
export type EntryAnchor = DigestAnchor;

/** The integrity ledger at `url`. */
export const ledgerAnchor = (url: string): EntryAnchor =>
  ledgerDigestAnchor(
    url,
    (cause) =>
      new LandRegisterError("LEDGER_UNAVAILABLE", `the integrity ledger did not anchor the entry: ${cause.message}`, {
        cause,
      }),
  );
