// Load shedding (issue #18): a bound on requests in flight and a bounded wait queue, so that
// a flood is refused early with 503 and Retry-After (RFC 9110 §15.6.4, §10.2.3) instead of
// every request slowing until all of them time out. Event-loop delay alone would shed only
// once latency has already collapsed, and on a busy shared machine it sheds ordinary traffic.
import { RiikError } from "../errors.ts";

/**
 * How a route is treated under load: `critical` routes (OCSP, emergency lookups) keep a
 * reserved share of the slots and wait first; `exempt` is for probes (/healthz, /metrics),
 * which must answer whatever the load, and are cheap.
 */
export type LoadClass = "critical" | "normal" | "exempt";

export interface LoadLimits {
  /** Requests handled at once; beyond it they wait in the queue. */
  maxInFlight: number;
  /** Slots of maxInFlight only critical requests may use. */
  reservedForCritical: number;
  /** Requests waiting per class; beyond it they are shed at once. */
  maxQueued: number;
  /** A request waiting longer than this is shed: its client has likely given up. */
  queueTimeoutMs: number;
  /** Seconds a shed client is told to wait (Retry-After). */
  retryAfterSeconds: number;
  /** Mean event-loop delay (ms, over a second) beyond which normal routes shed; 0: off. */
  maxEventLoopDelayMs: number;
}

/** Environment variables an operator sets to tune every service of a process. */
const ENV: Readonly<Record<keyof LoadLimits, string>> = {
  maxInFlight: "RIIK_MAX_IN_FLIGHT",
  reservedForCritical: "RIIK_RESERVED_FOR_CRITICAL",
  maxQueued: "RIIK_MAX_QUEUED",
  queueTimeoutMs: "RIIK_QUEUE_TIMEOUT_MS",
  retryAfterSeconds: "RIIK_RETRY_AFTER_SECONDS",
  maxEventLoopDelayMs: "RIIK_MAX_EVENT_LOOP_DELAY_MS",
};

/**
 * The limits: a service's own over the environment's over defaults generous enough that
 * ordinary tests on a busy 2-core machine never shed (a flood is thousands, not hundreds).
 */
export function loadLimits(
  own: Partial<LoadLimits> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadLimits {
  const pick = (key: keyof LoadLimits, fallback: number): number => {
    const text = env[ENV[key]];
    const value = own[key] ?? (text === undefined || text === "" ? fallback : Number(text));
    if (!Number.isInteger(value) || value < 0)
      throw new RiikError(
        "LOAD_LIMIT_INVALID",
        `${ENV[key]} (load limit ${key}) must be a whole number ≥ 0, not ${String(value)}`,
      );
    return value;
  };
  const maxInFlight = Math.max(1, pick("maxInFlight", 512));
  return {
    maxInFlight,
    reservedForCritical: Math.min(maxInFlight - 1, pick("reservedForCritical", Math.ceil(maxInFlight / 5))),
    maxQueued: pick("maxQueued", 1024),
    queueTimeoutMs: Math.max(1, pick("queueTimeoutMs", 10_000)),
    retryAfterSeconds: Math.max(1, pick("retryAfterSeconds", 2)),
    // Off unless set: one synchronous key generation (seconds) right before the first request
    // would shed it, so on shared or test machines it sheds ordinary traffic.
    maxEventLoopDelayMs: pick("maxEventLoopDelayMs", 0),
  };
}

interface Waiter {
  admit: (admitted: boolean) => void;
  gone: () => boolean;
  timer: NodeJS.Timeout;
}

/**
 * Slots for requests in flight and a queue per class. A caller that is admitted holds a
 * slot until it calls `release()`; when one frees, the oldest critical waiter goes first.
 * Not for `exempt` requests: they never take a slot.
 */
export class LoadGate {
  #inFlight = 0;
  readonly #queues: Record<"critical" | "normal", Waiter[]> = { critical: [], normal: [] };

  constructor(readonly limits: LoadLimits) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queues.critical.length + this.#queues.normal.length;
  }

  /**
   * True once a slot is held (then `release()` must follow exactly once); false when shed:
   * the queue is full, the wait timed out, or `gone()` says the client left while waiting.
   */
  admit(cls: "critical" | "normal", gone: () => boolean = () => false): Promise<boolean> {
    if (this.#fits(cls)) {
      this.#inFlight++;
      return Promise.resolve(true);
    }
    const queue = this.#queues[cls];
    if (queue.length >= this.limits.maxQueued) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        admit: resolve,
        gone,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          resolve(false);
        }, this.limits.queueTimeoutMs),
      };
      // Not unref'd: the waiter is a request that must get its answer when its wait ends.
      queue.push(waiter);
    });
  }

  release(): void {
    this.#inFlight--;
    for (const cls of ["critical", "normal"] as const) {
      const queue = this.#queues[cls];
      while (queue.length > 0 && this.#fits(cls)) {
        const waiter = queue.shift() as Waiter;
        clearTimeout(waiter.timer);
        const leave = waiter.gone();
        if (!leave) this.#inFlight++;
        waiter.admit(!leave);
      }
    }
  }

  #fits(cls: "critical" | "normal"): boolean {
    const { maxInFlight, reservedForCritical } = this.limits;
    return this.#inFlight < (cls === "critical" ? maxInFlight : maxInFlight - reservedForCritical);
  }
}

/** The message of a shed answer: what happened and when to come back. */
export function overloadedMessage(retryAfterSeconds: number): string {
  return `the service is overloaded and sheds requests; retry after ${retryAfterSeconds} s`;
}
