// How often one client (an address, an X-Road member, …) may do a bounded thing: a fixed
// window per client counted in the component's own database, so that a restart does not
// reopen the bound and the table holds one row per (bound, client) whose window has not
// ended (DESIGN.md: "anti-replay and abuse limits survive restarts and are bounded per client").
import { type Kysely, sql } from "kysely";
import type { ComponentMigration } from "./storage.ts";

/** The table every component keeps its bounds in, unless it names another of the same shape. */
export const CLIENT_BOUND_TABLE = "client_bound";

export interface ClientBoundTable {
  /** What is bounded (`ClientBound.name`). */
  bound: string;
  /** Whom it is counted for. */
  client: string;
  /** Epoch milliseconds when this client's current window began. */
  window_start: number;
  /** Requests in that window, refused ones included. */
  requests: number;
}

export interface ClientBound {
  /** What is bounded, e.g. `e-residency-application`; one row per client under this name. */
  name: string;
  /** Requests one client may make per window. */
  max: number;
  windowMs: number;
  /**
   * Windows on the clock (every `windowMs` from the epoch: each UTC hour from :00) instead of
   * from the client's first request.
   */
  aligned?: boolean;
}

export type ClientAdmission =
  | { admitted: true; requests: number }
  | {
      admitted: false;
      requests: number;
      /** Whole seconds until the window ends (at least 1): the HTTP Retry-After (RFC 9110 §10.2.3). */
      retryAfterSeconds: number;
    };

/** The bounds table (`CLIENT_BOUND_TABLE` or TABLE): primary key (bound, client), purged by window start. */
export function clientBoundMigration(table: string = CLIENT_BOUND_TABLE): ComponentMigration {
  return {
    async up(db) {
      await db.schema
        .createTable(table)
        .addColumn("bound", "text", (c) => c.notNull())
        .addColumn("client", "text", (c) => c.notNull())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .addColumn("requests", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["bound", "client"])
        .execute();
      await db.schema.createIndex(`${table}_window`).on(table).column("window_start").execute();
    },
  };
}

/**
 * The bounds of one component, in its table. Each admission is one atomic upsert (two
 * requests cannot both read the old count, on SQLite or PostgreSQL); refused requests count
 * too, so a flood does not reopen the window early.
 */
export class ClientBounds {
  constructor(
    private readonly db: Kysely<any>,
    private readonly table: string = CLIENT_BOUND_TABLE,
  ) {}

  /**
   * Counts one request of CLIENT under BOUND at NOW. In DB when given (a transaction: the
   * count then stands or falls with it), else in its own statements. Windows of BOUND that
   * ended are deleted first, so the table stays one row per recently seen client.
   */
  async admit(bound: ClientBound, client: string, now: Date, db: Kysely<any> = this.db): Promise<ClientAdmission> {
    const at = now.getTime();
    const start = bound.aligned ? at - (at % bound.windowMs) : at;
    await this.purge(bound, now, db);
    const existing = (column: string) => sql.ref(`${this.table}.${column}`);
    // A window that ended starts afresh even if the purge missed it (a row written since).
    const ended = sql`${existing("window_start")} <= ${at - bound.windowMs}`;
    const row = await db
      .insertInto(this.table)
      .values({ bound: bound.name, client, window_start: start, requests: 1 })
      .onConflict((oc) =>
        oc.columns(["bound", "client"]).doUpdateSet({
          requests: sql`case when ${ended} then 1 else ${existing("requests")} + 1 end`,
          window_start: sql`case when ${ended} then ${start} else ${existing("window_start")} end`,
        }),
      )
      .returning(["requests", "window_start"])
      .executeTakeFirstOrThrow();
    const requests = Number(row.requests);
    if (requests <= bound.max) return { admitted: true, requests };
    const retryAfterSeconds = Math.max(1, Math.ceil((Number(row.window_start) + bound.windowMs - at) / 1000));
    return { admitted: false, requests, retryAfterSeconds };
  }

  /** Deletes the windows of BOUND that ended by NOW; returns how many. */
  async purge(bound: Pick<ClientBound, "name" | "windowMs">, now: Date, db: Kysely<any> = this.db): Promise<number> {
    const deleted = await db
      .deleteFrom(this.table)
      .where("bound", "=", bound.name)
      .where("window_start", "<=", now.getTime() - bound.windowMs)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}
