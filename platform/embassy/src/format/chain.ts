import { isLedgerError, type VerificationPolicy, type VerifierKey, verifySignature } from "@riik/ledger";
import { EmbassyError } from "../errors.ts";
import { GENESIS, type Segment, type SegmentHeader } from "./segment.ts";

/** What a holder needs to know of the last segment of a chain to check the next one. */
export interface ChainHead {
  readonly index: number;
  readonly digest: string;
  readonly lastSeq: number;
  readonly kind: SegmentHeader["kind"];
  readonly snapshot?: SegmentHeader["snapshot"];
}

/** The columns both the shipper's and the embassy's stores keep for the newest segment. */
export interface HeadRow {
  idx: number;
  digest: string;
  last_seq: number;
  kind: SegmentHeader["kind"];
  snapshot_id: number | null;
  snapshot_part: number | null;
  snapshot_last: number | null;
}

export const HEAD_COLUMNS = [
  "idx",
  "digest",
  "last_seq",
  "kind",
  "snapshot_id",
  "snapshot_part",
  "snapshot_last",
] as const;

/** A chain head from a stored segment row (numbers may come back as strings from PostgreSQL). */
export const headFromRow = (row: HeadRow): ChainHead => ({
  index: Number(row.idx),
  digest: row.digest,
  lastSeq: Number(row.last_seq),
  kind: row.kind,
  ...(row.kind === "snapshot"
    ? {
        snapshot: {
          id: Number(row.snapshot_id),
          part: Number(row.snapshot_part),
          last: Number(row.snapshot_last) === 1,
        },
      }
    : {}),
});

export const headOf = (segment: Segment): ChainHead => ({
  index: segment.header.index,
  digest: segment.digest,
  lastSeq: segment.header.lastSeq,
  kind: segment.header.kind,
  ...(segment.header.snapshot ? { snapshot: segment.header.snapshot } : {}),
});

/**
 * Checks that `segment` continues the chain whose last segment is `head` (undefined: an
 * empty chain): the next index, the previous digest, contiguous journal sequence numbers,
 * and snapshot parts in order. Used by the embassy at receipt and by restore.
 */
export function checkContinuation(head: ChainHead | undefined, segment: Segment): void {
  const h = segment.header;
  const where = `${h.registry} segment ${h.index}`;
  const expectedIndex = head ? head.index + 1 : 0;
  if (h.index > expectedIndex)
    throw new EmbassyError(
      "CHAIN_GAP",
      `${where}: the chain holds up to ${expectedIndex - 1}; segment ${expectedIndex} is missing`,
      {
        details: { expected: expectedIndex, got: h.index },
      },
    );
  if (h.index < expectedIndex)
    throw new EmbassyError(
      h.kind === "snapshot" ? "SNAPSHOT_REPLAYED" : "CHAIN_REORDERED",
      `${where} comes after segment ${expectedIndex - 1}: ${h.kind === "snapshot" ? "an old snapshot replayed" : "out of order"}`,
      { details: { expected: expectedIndex, got: h.index } },
    );
  const previous = head?.digest ?? GENESIS;
  if (h.previous !== previous)
    throw new EmbassyError(
      "CHAIN_BROKEN",
      `${where} does not continue the chain: previous ${h.previous.slice(0, 16)}…, head ${previous.slice(0, 16)}…`,
      {
        details: { expected: previous, got: h.previous },
      },
    );
  if (head) {
    if (h.afterSeq !== head.lastSeq)
      throw new EmbassyError(
        "CHAIN_GAP",
        `${where} starts after journal seq ${h.afterSeq}, the chain ends at ${head.lastSeq}`,
        { details: { expected: head.lastSeq, got: h.afterSeq } },
      );
  } else if (h.kind === "changes" && h.afterSeq !== 0)
    throw new EmbassyError("CHAIN_GAP", `${where}: a chain starts with a snapshot or with journal seq 1`);
  const open = head?.snapshot && !head.snapshot.last ? head.snapshot : undefined;
  if (open && (h.kind !== "snapshot" || h.snapshot!.id !== open.id || h.snapshot!.part !== open.part + 1))
    throw new EmbassyError("SNAPSHOT_INCOMPLETE", `${where}: snapshot ${open.id} stops after part ${open.part}`);
  if (!open && h.kind === "snapshot" && h.snapshot!.part !== 0)
    throw new EmbassyError(
      "SNAPSHOT_INCOMPLETE",
      `${where}: snapshot part ${h.snapshot!.part} without its earlier parts`,
    );
}

/** Checks the segment's ledger signature offline with the ledger's verifier key. */
export function checkAnchor(
  segment: Segment,
  logKey: VerifierKey,
  witnesses: readonly VerifierKey[] = [],
  minWitnesses = 0,
) {
  const where = `${segment.header.registry} segment ${segment.header.index}`;
  if (!segment.signature) throw new EmbassyError("ANCHOR_MISSING", `${where} carries no ledger signature`);
  const policy: VerificationPolicy = { kind: "key", logKey, witnesses, minWitnesses };
  try {
    return verifySignature(segment.signature, Buffer.from(segment.digest, "hex"), policy);
  } catch (cause) {
    const code = isLedgerError(cause) ? cause.code : "unknown";
    throw new EmbassyError(
      code === "VERIFY_WRONG_HASH" ? "SEGMENT_TAMPERED" : "ANCHOR_INVALID",
      code === "VERIFY_WRONG_HASH"
        ? `${where}: the segment is not the one anchored in the ledger (digest differs)`
        : `${where}: the ledger signature does not verify (${code}: ${(cause as Error).message})`,
      { cause, details: { ledgerCode: code } },
    );
  }
}
