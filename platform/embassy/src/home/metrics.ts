import { Counter, Gauge, type Registry } from "prom-client";

/** The shipper's Prometheus series (README "Metrics and status"), registered on its service's registry. */
export function shipperMetrics(registry: Registry) {
  const labels = ["embassy", "registry"];
  const registers = [registry];
  return {
    lagSeconds: new Gauge({
      name: "riik_embassy_lag_seconds",
      help: "Age of the oldest change an embassy does not hold",
      labelNames: labels,
      registers,
    }),
    lagSegments: new Gauge({
      name: "riik_embassy_lag_segments",
      help: "Segments cut at home that an embassy does not hold",
      labelNames: labels,
      registers,
    }),
    lagChanges: new Gauge({
      name: "riik_embassy_lag_changes",
      help: "Journal changes at home that an embassy does not hold",
      labelNames: labels,
      registers,
    }),
    ackedSeq: new Gauge({
      name: "riik_embassy_acked_seq",
      help: "Last journal seq an embassy acknowledged",
      labelNames: labels,
      registers,
    }),
    journalSeq: new Gauge({
      name: "riik_embassy_journal_seq",
      help: "Journal head at home",
      labelNames: ["registry"],
      registers,
    }),
    shipped: new Counter({
      name: "riik_embassy_segments_shipped_total",
      help: "Segments acknowledged by an embassy",
      labelNames: labels,
      registers,
    }),
    bytes: new Counter({
      name: "riik_embassy_bytes_shipped_total",
      help: "Segment bytes acknowledged by an embassy",
      labelNames: labels,
      registers,
    }),
    cut: new Counter({
      name: "riik_embassy_segments_cut_total",
      help: "Segments and snapshot parts cut",
      labelNames: ["registry", "kind"],
      registers,
    }),
    refused: new Counter({
      name: "riik_embassy_segments_refused_total",
      help: "Segments an embassy refused, by code",
      labelNames: ["embassy", "code"],
      registers,
    }),
  };
}

export type ShipperMetrics = ReturnType<typeof shipperMetrics>;
