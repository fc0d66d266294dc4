import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { RiikError } from "../errors.ts";

export type StorageErrorCode = "STORAGE_URL" | "STORAGE_COMPONENT" | "STORAGE_MIGRATION" | "STORAGE_OPEN";
export class StorageError extends RiikError<StorageErrorCode> {}

export type DialectName = "sqlite" | "postgres";

/**
 * A component's migration. It receives the dialect so that the few column types that
 * differ (binary, auto-increment keys) come from `columnTypes`, while the schema stays one.
 */
export interface ComponentMigration {
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

export interface StorageOptions {
  /** Short lowercase name: the SQLite file name and the PostgreSQL schema (riik_<component>). */
  component: string;
  /** Directory holding `<component>.sqlite` when no URL is given. */
  dataDir: string;
  /** `postgres://…`; falls back to RIIK_DATABASE_URL; absent means SQLite. */
  url?: string | undefined;
  /** Overrides the PostgreSQL schema name (tests isolate themselves this way). */
  schema?: string;
  /** Migrations by name; applied in name order, each in its own transaction, under a lock. */
  migrations: Readonly<Record<string, ComponentMigration>>;
}

export interface Storage<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  /** Where the data lives, for logs: a file path or the schema in a URL with the password removed. */
  readonly location: string;
  /** The PostgreSQL schema holding this component's tables. */
  readonly schema?: string;
  close(): Promise<void>;
}

// int8 comes back from pg as a string; our counters and epoch milliseconds fit in 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

const COMPONENT_NAME = /^[a-z][a-z0-9_]{0,30}$/;

export function resolveDatabaseUrl(url: string | undefined): string | undefined {
  const chosen = url ?? process.env.RIIK_DATABASE_URL;
  return chosen === "" ? undefined : chosen;
}

export async function openStorage<DB>(options: StorageOptions): Promise<Storage<DB>> {
  if (!COMPONENT_NAME.test(options.component)) {
    throw new StorageError(
      "STORAGE_COMPONENT",
      `component name ${JSON.stringify(options.component)} must match ${COMPONENT_NAME}`,
    );
  }
  const url = resolveDatabaseUrl(options.url);
  const opened = url ? await openPostgres<DB>(url, options) : openSqlite<DB>(options);
  try {
    await migrate(opened, options.migrations);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

function openSqlite<DB>(options: StorageOptions): Storage<DB> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, `${options.component}.sqlite`);
  // Registers hold personal data: owner only, whatever the umask. SQLite would create the
  // file 0644 and gives -wal and -shm the main file's mode (os_unix.c findCreateFileMode,
  // unixOpenSharedMemory), so the main file is made 0600 first; files from before are tightened.
  closeSync(openSync(file, "a", 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
  const database = new SQLite(file);
  // WAL with synchronous=FULL: a commit is on disk before it is acknowledged, and a
  // kill -9 or power loss mid-transaction rolls back to the last commit.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = FULL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: "sqlite", location: file, close: () => db.destroy() };
}

async function openPostgres<DB>(url: string, options: StorageOptions): Promise<Storage<DB>> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new StorageError(
      "STORAGE_URL",
      "the database URL is not a URL; expected postgres://user@host:port/database",
      { cause },
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StorageError("STORAGE_URL", `unsupported database URL scheme ${parsed.protocol}; use postgres://`);
  }
  const schema = options.schema ?? `riik_${options.component}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StorageError("STORAGE_COMPONENT", `schema name ${JSON.stringify(schema)} is not a plain identifier`);
  }
  const setup = new pg.Client({ connectionString: url });
  try {
    await setup.connect();
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (cause) {
    throw new StorageError("STORAGE_OPEN", `cannot open PostgreSQL at ${redact(parsed)}: ${(cause as Error).message}`, {
      cause,
    });
  } finally {
    await setup.end().catch(() => undefined);
  }
  // Every connection of the pool sees only this component's schema.
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 10 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: "postgres", schema, location: `${redact(parsed)} schema ${schema}`, close: () => db.destroy() };
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.password = "";
  return copy.href;
}

async function migrate(storage: Storage<any>, migrations: StorageOptions["migrations"]): Promise<void> {
  const { db, dialect, schema } = storage;
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, migration] of Object.entries(migrations)) {
        out[name] = { up: (trx) => migration.up(trx, dialect) };
      }
      return out;
    },
  };
  const { error, results } = await new Migrator({
    db,
    provider,
    // Kysely looks for its bookkeeping tables across all schemas unless told which one.
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new StorageError("STORAGE_MIGRATION", `migration ${failed} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The column types that differ between the two back ends. */
export function columnTypes(dialect: DialectName) {
  return {
    binary: dialect === "sqlite" ? ("blob" as const) : sql`bytea`,
    /** Auto-incrementing 64-bit primary key. */
    serialId: dialect === "sqlite" ? ("integer" as const) : ("bigserial" as const),
  };
}
