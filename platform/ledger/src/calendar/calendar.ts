import { LedgerError } from "../errors.ts";
import { bytesEqual, leafHash } from "../merkle/hash.ts";
import { MerkleLog } from "../merkle/tree.ts";
import { type Checkpoint, formatCheckpoint, parseCheckpoint } from "../note/checkpoint.ts";
import { formatNote, parseNote, signNote, verifyNote } from "../note/signed-note.ts";
import type { NoteSigner } from "../note/verifier-key.ts";
import { type CalendarLeaf, decodeCalendarLeaf, encodeCalendarLeaf } from "./leaf.ts";
import type { CalendarStore } from "./store.ts";

export interface LatestCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The checkpoint note text (body), the bytes every signature covers. */
  readonly text: string;
  /** The signed note, with whatever cosignatures were attached. */
  readonly note: string;
}

/**
 * The calendar: an append-only RFC 6962 log with one leaf per aggregation round, whose
 * every size is committed by a checkpoint signed with the ledger key (C2SP
 * tlog-checkpoint). It lives in memory and is rebuilt from the store on start, where
 * the stored leaves are checked against the last signed checkpoint: a changed or
 * missing leaf stops the ledger with CALENDAR_TAMPERED instead of signing a fork.
 */
export class Calendar {
  private readonly log = new MerkleLog();
  private readonly leafData: Buffer[] = [];
  private current: LatestCheckpoint | undefined;

  private constructor(
    private readonly store: CalendarStore,
    private readonly signer: NoteSigner,
    readonly origin: string,
  ) {}

  static async open(store: CalendarStore, signer: NoteSigner, origin: string): Promise<Calendar> {
    const calendar = new Calendar(store, signer, origin);
    const rows = await store.leaves();
    rows.forEach((row, position) => {
      if (row.round !== position) {
        throw new LedgerError("CALENDAR_TAMPERED", `calendar leaf ${position} is missing (found round ${row.round})`);
      }
      let decoded: CalendarLeaf;
      try {
        decoded = decodeCalendarLeaf(row.leaf);
      } catch (cause) {
        throw new LedgerError("CALENDAR_TAMPERED", `stored calendar leaf ${position} is unreadable`, { cause });
      }
      if (decoded.round !== position) {
        throw new LedgerError("CALENDAR_TAMPERED", `stored calendar leaf ${position} claims round ${decoded.round}`);
      }
      calendar.leafData.push(row.leaf);
      calendar.log.append(leafHash(row.leaf));
    });
    const latest = await store.latestCheckpoint();
    if (latest) {
      let checkpoint: Checkpoint;
      try {
        const note = parseNote(latest.note);
        verifyNote(note, signer.verifierKey);
        checkpoint = parseCheckpoint(note.text);
        calendar.current = { checkpoint, text: note.text, note: latest.note };
      } catch (cause) {
        throw new LedgerError("CALENDAR_TAMPERED", `the stored checkpoint does not verify with the ledger key`, {
          cause,
        });
      }
      if (checkpoint.origin !== origin) {
        throw new LedgerError(
          "CALENDAR_TAMPERED",
          `the calendar belongs to origin ${checkpoint.origin}, not ${origin}`,
        );
      }
      if (checkpoint.size !== calendar.size || !bytesEqual(checkpoint.root, calendar.log.root())) {
        throw new LedgerError(
          "CALENDAR_TAMPERED",
          `the stored calendar (${calendar.size} leaves) does not match its last signed checkpoint (size ${checkpoint.size})`,
        );
      }
    } else if (calendar.size > 0) {
      throw new LedgerError("CALENDAR_TAMPERED", "calendar leaves without any signed checkpoint");
    }
    return calendar;
  }

  get size(): number {
    return this.log.size;
  }

  get latest(): LatestCheckpoint | undefined {
    return this.current;
  }

  get tree(): MerkleLog {
    return this.log;
  }

  leaf(round: number): Buffer {
    const leaf = this.leafData[round];
    if (!leaf) throw new LedgerError("REQUEST_NOT_FOUND", `no round ${round} in a calendar of ${this.size}`);
    return leaf;
  }

  /**
   * Appends one round, signs the checkpoint of the new size and commits both in one
   * transaction. If the commit fails the round is forgotten, so the same size can be
   * signed again only over the same (uncommitted, never published) state or a new one.
   */
  async appendRound(round: Omit<CalendarLeaf, "round">, now = Date.now()): Promise<{ round: number; leaf: Buffer }> {
    const index = this.size;
    const leaf = encodeCalendarLeaf({ ...round, round: index });
    this.log.append(leafHash(leaf));
    this.leafData.push(leaf);
    try {
      const checkpoint: Checkpoint = { origin: this.origin, size: this.size, root: this.log.root(), extensions: [] };
      const text = formatCheckpoint(checkpoint);
      const note = signNote(text, this.signer);
      await this.store.appendRound(index, leaf, note, now);
      this.current = { checkpoint, text, note };
    } catch (error) {
      this.log.truncate(index);
      this.leafData.length = index;
      throw error;
    }
    return { round: index, leaf };
  }

  /** Adds cosignature lines to the latest checkpoint (if it is still the latest) and stores it. */
  async attachCosignatures(size: number, lines: readonly string[]): Promise<void> {
    const current = this.current;
    if (!current || current.checkpoint.size !== size || lines.length === 0) return;
    const note = parseNote(current.note);
    const known = new Set(note.signatures.map((s) => s.line));
    const extra = lines
      .filter((line) => !known.has(line))
      .map((line) => parseNote(`${current.text}\n${line}`).signatures[0]!);
    const updated = formatNote({ text: note.text, signatures: [...note.signatures, ...extra] });
    await this.store.updateCheckpointNote(size, updated);
    if (this.current === current) this.current = { ...current, note: updated };
  }
}
