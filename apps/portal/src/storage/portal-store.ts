// The portal's own store (SQLite in dataDir, or PostgreSQL): what must outlive a restart of
// the portal. Today the bounds on anonymous forms per client address (DESIGN.md: "anti-replay
// and abuse limits survive restarts and are bounded per client"); sessions are still in memory.
import {
  type ClientBound,
  ClientBounds,
  type ClientBoundTable,
  type ComponentMigration,
  openStorage,
  type Storage,
} from "@riik/core";
import type { Kysely } from "kysely";
import { PortalError } from "../errors.ts";

export const PORTAL_COMPONENT = "portal";

export interface PortalDb {
  /** Per bound (e.g. `e-residency-application`) and client (an IPv4 address or an IPv6 /64). */
  client_bound: ClientBoundTable;
}

export const portalMigrations: Readonly<Record<string, ComponentMigration>> = {
  // The shape of core's clientBoundMigration, from before it (bound and client as varchar(64)).
  "0001_client_bound": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("client_bound")
        .addColumn("bound", "varchar(64)", (c) => c.notNull())
        .addColumn("client", "varchar(64)", (c) => c.notNull())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .addColumn("requests", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("client_bound_pk", ["bound", "client"])
        .execute();
      await db.schema.createIndex("client_bound_window").on("client_bound").column("window_start").execute();
    },
  },
};

export class PortalStore {
  readonly #bounds: ClientBounds;

  constructor(readonly storage: Storage<PortalDb>) {
    this.#bounds = new ClientBounds(storage.db);
  }

  /**
   * Counts one request of CLIENT under BOUND in its fixed window (core's ClientBounds: atomic,
   * refused ones count too, ended windows deleted); past `max` PORTAL_RATE_LIMITED with the
   * seconds until the window ends. WHO names the client in the refusal ("address", "person").
   */
  async count(bound: ClientBound, client: string, now = Date.now(), who = "address"): Promise<void> {
    const admission = await this.#bounds.admit(bound, client, new Date(now));
    if (!admission.admitted)
      throw new PortalError("PORTAL_RATE_LIMITED", `too many requests from this ${who}; try again later`, {
        details: { retryAfterSeconds: admission.retryAfterSeconds },
      });
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

/** Opens (and migrates) the portal's store: `portal.sqlite` in DATADIR, or the schema riik_portal at URL. */
export async function openPortalStore(location: { dataDir: string; url?: string; schema?: string }) {
  return new PortalStore(
    await openStorage<PortalDb>({ component: PORTAL_COMPONENT, migrations: portalMigrations, ...location }),
  );
}
