import type { EventEmitter } from "node:events";
import type { Storage } from "@riik/core";
import type { Logger } from "pino";
import type { SegmentKind } from "../format/segment.ts";
import type { ShipperConfig } from "./config.ts";
import type { ShipperMetrics } from "./metrics.ts";
import type { ShipperDb } from "./outbox.ts";

/** What the shipper reports as it goes, so that callers wait on progress instead of polling. */
export interface ShipperEvents {
  cut: [{ registry: string; index: number; kind: SegmentKind; lastSeq: number }];
  anchored: [{ segments: number }];
  delivered: [{ embassy: string; registry: string; index: number; lastSeq: number }];
}

/** What every part of the shipper shares: its configuration, outbox, clock, log, events and metrics. */
export interface ShipperContext {
  readonly config: ShipperConfig;
  readonly store: Storage<ShipperDb>;
  /** The clock for cut delays, snapshot intervals, gap timeouts and key ages (tests inject one). */
  readonly now: () => number;
  readonly logger: Logger;
  readonly events: EventEmitter<ShipperEvents>;
  readonly metrics: ShipperMetrics;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pause after `failures` failures in a row: doubling from pollMs, at most 10 s. */
export const backoffMs = (config: ShipperConfig, failures: number) =>
  Math.min(10_000, config.pollMs * 2 ** Math.min(failures, 6));
