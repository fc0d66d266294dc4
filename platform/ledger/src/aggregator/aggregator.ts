import { setTimeout as sleep } from "node:timers/promises";
import { LedgerError } from "../errors.ts";
import type { Imprint } from "./imprint.ts";
import { type ClosedRound, Round, type RoundShare } from "./round.ts";

export interface AggregatorOptions {
  /** Round length in milliseconds (10 ms at the least). */
  roundMs: number;
  /** Imprints the open round may hold before new requests are refused with LEDGER_UNAVAILABLE. */
  maxPending?: number;
  /** Builds, commits and signs a round; called for one round at a time, in order. */
  close(round: Round): Promise<ClosedRound>;
  onError?(error: unknown): void;
}

/**
 * Batches submitted imprints into rounds. A round closes when its time is up and the
 * previous round has been committed, so rounds are strictly sequential, and a slow
 * commit makes the next round larger instead of queueing many small ones.
 */
export class Aggregator {
  private open = new Round();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly maxPending: number;

  constructor(private readonly options: AggregatorOptions) {
    if (!Number.isFinite(options.roundMs) || options.roundMs < 10) {
      throw new LedgerError("REQUEST_MALFORMED", `round length must be at least 10 ms, got ${options.roundMs}`);
    }
    this.maxPending = options.maxPending ?? 2_000_000;
  }

  get pending(): number {
    return this.open.size;
  }

  submit(imprints: readonly Imprint[]): Promise<RoundShare> {
    if (!this.running) return Promise.reject(new LedgerError("LEDGER_UNAVAILABLE", "the aggregator is not running"));
    if (this.open.size + imprints.length > this.maxPending) {
      return Promise.reject(new LedgerError("LEDGER_UNAVAILABLE", "the current round is full; retry shortly"));
    }
    return this.open.add(imprints);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops taking requests, closes the round in progress, and resolves when it is committed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    if (this.open.size > 0) await this.closeOpen();
  }

  private async run(): Promise<void> {
    let next = Date.now() + this.options.roundMs;
    while (this.running) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + this.options.roundMs, Date.now());
      if (this.open.size > 0) await this.closeOpen();
    }
  }

  private async closeOpen(): Promise<void> {
    const round = this.open;
    this.open = new Round();
    try {
      round.settle(await this.options.close(round));
    } catch (error) {
      this.options.onError?.(error);
      round.fail(
        error instanceof LedgerError
          ? error
          : new LedgerError("LEDGER_UNAVAILABLE", "the round could not be committed", { cause: error }),
      );
    }
  }
}
