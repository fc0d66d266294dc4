// The portal's own store (SQLite in dataDir, or PostgreSQL): what must outlive a restart of
// the portal. Today the bounds on anonymous forms per client address (DESIGN.md: "anti-replay
// and abuse limits survive restarts and are bounded per client"); sessions are still in memory.
import { type ComponentMigration, openStorage, type Storage } from "@riik/core";
import type { Kysely } from "kysely";
import { PortalError } from "../errors.ts";

export const PORTAL_COMPONENT = "portal";

interface BoundTable {
  /** What is bounded, e.g. `e-residency-application`. */
  bound: string;
  /** The client it is counted for: an IPv4 address or an IPv6 /64. */
  client: string;
  /** Epoch milliseconds when this client's current window began. */
  window_start: number;
  requests: number;
}

export interface PortalDb {
  client_bound: BoundTable;
}

export const portalMigrations: Readonly<Record<string, ComponentMigration>> = {
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

export interface ClientBound {
  /** What is bounded; one row per client under this name. */
  name: string;
  /** Requests one client may make per window. */
  max: number;
  windowMs: number;
}

export class PortalStore {
  constructor(readonly storage: Storage<PortalDb>) {}

  /**
   * Counts one request of CLIENT under BOUND in its fixed window, in one atomic upsert (two
   * requests cannot both read the old count); past `max` PORTAL_RATE_LIMITED with the seconds
   * until the window ends. Refused requests count too, so a flood does not reopen the window.
   * Windows that ended are deleted first, so the table holds one row per recent client.
   */
  async count(bound: ClientBound, client: string, now = Date.now()): Promise<void> {
    const stale = now - bound.windowMs;
    const db = this.storage.db;
    await db.deleteFrom("client_bound").where("window_start", "<=", stale).execute();
    const row = await db
      .insertInto("client_bound")
      .values({ bound: bound.name, client, window_start: now, requests: 1 })
      .onConflict((oc) =>
        oc.columns(["bound", "client"]).doUpdateSet((eb) => {
          const ended = eb("client_bound.window_start", "<=", stale);
          return {
            requests: eb
              .case()
              .when(ended)
              .then(1)
              .else(eb("client_bound.requests", "+", 1))
              .end(),
            window_start: eb.case().when(ended).then(now).else(eb.ref("client_bound.window_start")).end(),
          };
        }),
      )
      .returning(["requests", "window_start"])
      .executeTakeFirstOrThrow();
    if (Number(row.requests) > bound.max)
      throw new PortalError("PORTAL_RATE_LIMITED", "too many requests from this address; try again later", {
        details: {
          retryAfterSeconds: Math.max(1, Math.ceil((Number(row.window_start) + bound.windowMs - now) / 1000)),
        },
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
