// The accident case's timeline: every step is a record (canonical JSON) chained to the one
// before by its SHA-256, and its digest is anchored in the integrity ledger (@riik/ledger), so
// anyone holding the record and its keyless signature verifies it offline against the ledger's
// key (`riik ledger verify RECORD SIG --key ledger.vkey`).
import { createHash } from "node:crypto";
import { canonicalJson } from "@riik/core";
import { type DigestAnchor, ledgerDigestAnchor } from "@riik/ledger";
import { MotorInsuranceError } from "../errors.ts";

export const CASE_STEPS = [
  "reported",
  "joined",
  "signed-by-A",
  "signed-by-B",
  "accepted-by-insurer",
  "liability-decided",
  "claim-paid",
  "claim-refused",
  "closed",
] as const;
export type CaseStep = (typeof CASE_STEPS)[number];

export interface TimelineRecord {
  format: "riik-accident-event/1";
  case: string;
  seq: number;
  step: CaseStep;
  at: string;
  /** Who acted: EE + personal code of a driver, or the insurer's X-Road client. */
  by: string;
  /** SHA-256 of the statement as it was at this step (hex), once there is one. */
  statement: string | null;
  /** What the step decided (liability, amount), if anything. */
  data: Record<string, unknown>;
  /** SHA-256 (hex) of the previous record's bytes; null for the first. */
  previous: string | null;
}

export const recordBytes = (record: TimelineRecord): string => canonicalJson(record);
export const sha256Hex = (text: string | Uint8Array): string => createHash("sha256").update(text).digest("hex");

/** Where a step's digest is anchored: its keyless signature file (riik-ledger-signature/v1 text). */
export type TimelineAnchor = DigestAnchor;

/** The integrity ledger at `url`. */
export const ledgerAnchor = (url: string): TimelineAnchor =>
  ledgerDigestAnchor(
    url,
    (cause) =>
      new MotorInsuranceError("LEDGER_UNAVAILABLE", `the integrity ledger did not anchor the step: ${cause.message}`, {
        cause,
      }),
  );
