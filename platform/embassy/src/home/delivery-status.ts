import type { ShipperContext } from "./context.ts";
import type { Cutter } from "./cutter.ts";

/** Replication status of one registry at one embassy (`riik embassy status`, /v1/status, /metrics). */
export interface DeliveryStatus {
  embassy: string;
  registry: string;
  /** Journal head at home. */
  journalSeq: number;
  /** Chain head at home (cut segments). */
  chainIndex: number;
  ackedIndex: number;
  ackedSeq: number;
  ackedAt: string | null;
  lagChanges: number;
  lagSegments: number;
  /** Age of the oldest change at home that the embassy does not hold; 0 when it holds all. */
  lagSeconds: number;
  /** The data key new segments are sealed under (rotation shows as a new id). */
  keyId: string | null;
  lastError: string | null;
}

const key = (embassy: string, registry: string) => `${embassy}\u0000${registry}`;

/** The status of every delivery, computed from the outbox and the journals, and the send errors seen. */
export class DeliveryBoard {
  private readonly status = new Map<string, DeliveryStatus>();
  private readonly errors = new Map<string, string | null>();

  constructor(private readonly context: ShipperContext) {}

  list(): DeliveryStatus[] {
    return [...this.status.values()];
  }

  /** The sender's last error for a delivery; null once a send succeeds again. */
  setError(embassy: string, registry: string, error: string | null): void {
    this.errors.set(key(embassy, registry), error);
    const shown = this.status.get(key(embassy, registry));
    if (shown) shown.lastError = error;
  }

  /** Recomputes every delivery's lag and sets the gauges. */
  async refresh(cutters: Iterable<Cutter>, keyId: string | null): Promise<DeliveryStatus[]> {
    const { store, config, now, metrics } = this.context;
    const deliveries = await store.db.selectFrom("shipper_delivery").selectAll().execute();
    for (const cutter of cutters) {
      const { name, storage, paused } = cutter.registry;
      const journal = (await storage.db
        .selectFrom("change_journal")
        .select(["seq", "at"])
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst()) as { seq: number; at: string } | undefined;
      const journalSeq = Number(journal?.seq ?? 0);
      metrics.journalSeq.set({ registry: name }, journalSeq);
      for (const e of config.embassies) {
        const d = deliveries.find((x) => x.embassy === e.name && x.registry === name);
        const ackedSeq = Number(d?.last_seq ?? 0);
        const ackedIndex = d ? Number(d.idx) : -1;
        let lagSeconds = 0;
        if (ackedSeq < journalSeq || !d) {
          const next = (await storage.db
            .selectFrom("change_journal")
            .select("at")
            .where("seq", ">", d ? ackedSeq : 0)
            .orderBy("seq")
            .limit(1)
            .executeTakeFirst()) as { at: string } | undefined;
          if (next) lagSeconds = Math.max(0, (now() - Date.parse(next.at)) / 1000);
        }
        const chainIndex = cutter.head?.index ?? -1;
        const status: DeliveryStatus = {
          embassy: e.name,
          registry: name,
          journalSeq,
          chainIndex,
          ackedIndex,
          ackedSeq,
          ackedAt: d?.acked_at ?? null,
          lagChanges: Math.max(0, journalSeq - ackedSeq),
          lagSegments: Math.max(0, chainIndex - ackedIndex),
          lagSeconds,
          keyId,
          lastError: paused ?? this.errors.get(key(e.name, name)) ?? null,
        };
        this.status.set(key(e.name, name), status);
        const labels = { embassy: e.name, registry: name };
        metrics.lagSeconds.set(labels, status.lagSeconds);
        metrics.lagSegments.set(labels, status.lagSegments);
        metrics.lagChanges.set(labels, status.lagChanges);
        metrics.ackedSeq.set(labels, ackedSeq);
      }
    }
    return this.list();
  }
}
