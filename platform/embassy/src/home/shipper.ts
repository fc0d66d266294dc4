import { EventEmitter } from "node:events";
import { createHttpService, type RegistryDefinition, type RiikFastify, type Storage } from "@riik/core";
import { CheckpointMonitor, LedgerClient } from "@riik/ledger";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type MasterKey, readMasterKeyFile } from "../crypto/master-key.ts";
import { EMBASSY_ERRORS, EmbassyError } from "../errors.ts";
import { NO_QUERY } from "../node/schemas.ts";
import { resolveRegistry } from "../registry/registry.ts";
import { anchorOnce } from "./anchorer.ts";
import type { ShipperConfig } from "./config.ts";
import { backoffMs, type ShipperContext, type ShipperEvents, sleep } from "./context.ts";
import { Cutter } from "./cutter.ts";
import { DataKeys } from "./data-keys.ts";
import { DeliveryBoard, type DeliveryStatus } from "./delivery-status.ts";
import { EmbassyClient } from "./embassy-client.ts";
import { HomeRegistry } from "./home-registry.ts";
import { shipperMetrics } from "./metrics.ts";
import { openOutbox, type ShipperDb } from "./outbox.ts";
import { sendLoop } from "./sender.ts";

export interface ShipperOptions {
  /**
   * The registries this shipper may replicate, by name (the CLI passes the population
   * register's); a configuration entry naming a `module` loads its definition from there.
   */
  registries?: readonly RegistryDefinition[];
  logger?: Logger;
  /** The clock for cut delays, snapshot intervals, gap timeouts and key ages (tests inject one). */
  now?: () => number;
}

/**
 * The shipper at home, a coordinator of loops that are each restartable at any point:
 * - cut (per registry, Cutter): journal -> segments and periodic snapshots in the outbox;
 * - anchor (anchorOnce): outbox digests -> ledger signatures, in batches;
 * - send (per embassy and registry, sendLoop): anchored segments, from where the embassy stands;
 * - status (DeliveryBoard): lag per delivery, for /v1/status and /metrics.
 */
export class Shipper {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly app: RiikFastify;
  readonly events = new EventEmitter<ShipperEvents>();
  statusUrl: string | undefined;
  private readonly context: ShipperContext;
  private readonly keys: DataKeys;
  private readonly ledger: LedgerClient;
  private readonly board: DeliveryBoard;
  private readonly clients = new Map<string, EmbassyClient>();
  private readonly cutters = new Map<string, Cutter>();
  private running = false;
  private loops: Promise<void>[] = [];

  private constructor(
    readonly config: ShipperConfig,
    readonly store: Storage<ShipperDb>,
    master: MasterKey,
    options: ShipperOptions,
  ) {
    const service = createHttpService({
      name: "embassy-shipper",
      errors: EMBASSY_ERRORS,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.app = service.app;
    this.metrics = service.metrics;
    this.logger = service.logger;
    this.context = {
      config,
      store,
      now: options.now ?? Date.now,
      logger: this.logger,
      events: this.events,
      metrics: shipperMetrics(this.metrics),
    };
    this.keys = new DataKeys(this.context, master);
    this.board = new DeliveryBoard(this.context);
    this.ledger = new LedgerClient({
      url: config.ledgerUrl,
      monitor: new CheckpointMonitor({ logKey: config.ledgerKey }),
    });
    for (const e of config.embassies) this.clients.set(e.name, new EmbassyClient(e.url, config.tls));
    this.app.get("/v1/status", { schema: { querystring: NO_QUERY } }, async () => ({ deliveries: this.deliveries() }));
  }

  static async open(config: ShipperConfig, options: ShipperOptions = {}): Promise<Shipper> {
    const master = readMasterKeyFile(config.masterKeyFile);
    const shipper = new Shipper(config, await openOutbox(config), master, options);
    try {
      for (const entry of config.registries) {
        const definition = await resolveRegistry(entry.name, options.registries ?? [], entry.module);
        const registry = await HomeRegistry.open(definition, entry);
        const cutter = await Cutter.resume(shipper.context, registry, shipper.keys, shipper.clients).catch(
          async (error) => {
            await registry.close();
            throw error;
          },
        );
        shipper.cutters.set(entry.name, cutter);
      }
    } catch (error) {
      await shipper.close();
      throw error;
    }
    return shipper;
  }

  /** Starts the loops (and the status server when configured). */
  async start(options: { statusPort?: number } = {}): Promise<void> {
    this.running = true;
    const port = options.statusPort ?? this.config.status?.port;
    if (port !== undefined) {
      const host = this.config.status?.host ?? "127.0.0.1";
      await this.app.listen({ port, host });
      const address = this.app.server.address();
      this.statusUrl = `http://${host}:${typeof address === "object" && address ? address.port : port}`;
    }
    for (const [name, cutter] of this.cutters) this.loops.push(this.loop(`cut ${name}`, () => cutter.cutOnce()));
    this.loops.push(this.loop("anchor", () => anchorOnce(this.context, this.ledger)));
    for (const [embassy, client] of this.clients)
      for (const registry of this.cutters.keys())
        this.loops.push(sendLoop(this.context, this.board, client, embassy, registry, () => this.running));
    this.loops.push(
      this.loop("status", async () => {
        await this.refreshStatus();
        return false;
      }),
    );
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
    this.loops = [];
    await this.app.close().catch(() => undefined);
    for (const client of this.clients.values()) await client.close().catch(() => undefined);
    for (const cutter of this.cutters.values()) await cutter.registry.close();
    await this.store.close();
  }

  /** One pass of a registry's cut loop; true when it did work. */
  cutOnce(registry: string): Promise<boolean> {
    return this.cutter(registry).cutOnce();
  }

  /** A consistent snapshot of a registry at its journal head; its chain index. */
  snapshot(registry: string): Promise<number> {
    return this.cutter(registry).snapshot();
  }

  deliveries(): DeliveryStatus[] {
    return this.board.list();
  }

  refreshStatus(): Promise<DeliveryStatus[]> {
    return this.board.refresh(this.cutters.values(), this.keys.currentId);
  }

  /** For tests and the drill: the shipper's own database. */
  get db(): Kysely<ShipperDb> {
    return this.store.db;
  }

  private cutter(registry: string): Cutter {
    const cutter = this.cutters.get(registry);
    if (!cutter) throw new EmbassyError("EMBASSY_UNKNOWN_REGISTRY", `this shipper does not replicate ${registry}`);
    return cutter;
  }

  /** Runs `body` while the shipper runs: at once again when it did work, after pollMs when not, backing off on failure. */
  private loop(name: string, body: () => Promise<boolean>): Promise<void> {
    return (async () => {
      let failures = 0;
      while (this.running) {
        try {
          const busy = await body();
          failures = 0;
          if (!busy) await sleep(this.config.pollMs);
        } catch (error) {
          failures += 1;
          this.logger.warn({ loop: name, err: (error as Error).message }, "shipper loop failed; retrying");
          await sleep(backoffMs(this.config, failures));
        }
      }
    })();
  }
}
