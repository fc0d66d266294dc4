import type { BatchTree } from "../merkle/batch-tree.ts";
import type { Imprint } from "./imprint.ts";

/** What every request of a round shares once the round is closed and committed. */
export interface ClosedRound {
  readonly round: number;
  readonly tree: BatchTree;
  /** Base64 of the 58-byte calendar leaf. */
  readonly leaf: string;
  /** Base64 inclusion proof of the leaf in the calendar at the checkpoint's size. */
  readonly calendarProof: readonly string[];
  /** The signed (and, if witnesses answered, cosigned) checkpoint note. */
  readonly checkpoint: string;
  /** `"calendar":{…},"checkpoint":"…"`: the JSON members every signature of the round shares. */
  readonly sharedJson: string;
}

/** A request's share of a closed round: its imprints are leaves [start, start + count). */
export interface RoundShare {
  readonly closed: ClosedRound;
  readonly start: number;
  readonly count: number;
}

interface Waiter {
  start: number;
  count: number;
  resolve(share: RoundShare): void;
  reject(error: unknown): void;
}

/** One open aggregation round: the imprints submitted since the previous round closed. */
export class Round {
  readonly imprints: Imprint[] = [];
  private readonly waiters: Waiter[] = [];

  get size(): number {
    return this.imprints.length;
  }

  add(imprints: readonly Imprint[]): Promise<RoundShare> {
    const start = this.imprints.length;
    for (const imprint of imprints) this.imprints.push(imprint);
    return new Promise((resolve, reject) => this.waiters.push({ start, count: imprints.length, resolve, reject }));
  }

  settle(closed: ClosedRound): void {
    for (const w of this.waiters) w.resolve({ closed, start: w.start, count: w.count });
  }

  fail(error: unknown): void {
    for (const w of this.waiters) w.reject(error);
  }
}
