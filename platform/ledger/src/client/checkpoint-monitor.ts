import { isLedgerError, LedgerError } from "../errors.ts";
import { verifyConsistency } from "../merkle/consistency.ts";
import { type Checkpoint, parseCheckpoint } from "../note/checkpoint.ts";
import { countCosignatures } from "../note/cosignature.ts";
import { parseNote, verifyNote } from "../note/signed-note.ts";
import type { VerifierKey } from "../note/verifier-key.ts";

export type ConsistencySource = (
  size1: number,
  size2: number,
) => Promise<readonly Uint8Array[]> | readonly Uint8Array[];

export interface MonitorOptions {
  logKey: VerifierKey;
  witnesses?: readonly VerifierKey[];
  minWitnesses?: number;
}

/**
 * Remembers the largest checkpoint a client has verified, and accepts another one only
 * with a consistency proof between the two: a ledger showing different views to
 * different clients (a split view) is caught as VERIFY_INCONSISTENT_CHECKPOINTS.
 */
export class CheckpointMonitor {
  private state: { checkpoint: Checkpoint; note: string } | undefined;

  constructor(private readonly options: MonitorOptions) {}

  get latest(): { checkpoint: Checkpoint; note: string } | undefined {
    return this.state;
  }

  /** Starts from a checkpoint seen earlier (e.g. saved by the caller); it is verified again. */
  async restore(note: string): Promise<void> {
    this.state = undefined;
    await this.observe(note, () => []);
  }

  async observe(note: string, proofs: ConsistencySource): Promise<Checkpoint> {
    const parsed = parseNote(note);
    try {
      verifyNote(parsed, this.options.logKey);
    } catch (cause) {
      const code = isLedgerError(cause, "NOTE_UNKNOWN_KEY") ? "VERIFY_UNKNOWN_KEY" : "VERIFY_BAD_SIGNATURE";
      throw new LedgerError(code, `checkpoint: ${(cause as Error).message}`, { cause });
    }
    const checkpoint = parseCheckpoint(parsed.text);
    if (checkpoint.origin !== this.options.logKey.name) {
      throw new LedgerError(
        "VERIFY_UNKNOWN_KEY",
        `checkpoint of ${checkpoint.origin}, expected ${this.options.logKey.name}`,
      );
    }
    const required = this.options.minWitnesses ?? 0;
    if (required > 0) {
      const { valid } = countCosignatures(parsed, this.options.witnesses ?? []);
      if (valid.length < required) {
        throw new LedgerError("VERIFY_TOO_FEW_WITNESSES", `${valid.length} witness cosignatures, ${required} required`);
      }
    }
    const previous = this.state?.checkpoint;
    if (previous) {
      const [small, large] = previous.size <= checkpoint.size ? [previous, checkpoint] : [checkpoint, previous];
      try {
        const proof = small.size === large.size || small.size === 0 ? [] : await proofs(small.size, large.size);
        verifyConsistency(small.size, large.size, proof, small.root, large.root);
      } catch (cause) {
        throw new LedgerError(
          "VERIFY_INCONSISTENT_CHECKPOINTS",
          `checkpoint ${checkpoint.size} is not consistent with checkpoint ${previous.size} seen before: split view`,
          { cause },
        );
      }
      if (checkpoint.size <= previous.size) return checkpoint;
    }
    this.state = { checkpoint, note };
    return checkpoint;
  }
}
