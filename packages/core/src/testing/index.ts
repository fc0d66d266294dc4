import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import pg from "pg";
import { type DialectName, openStorage, type Storage, type StorageOptions } from "../storage/storage.ts";

/** The PostgreSQL the tests use; the machine runs one on 127.0.0.1 with trust auth. */
export const TEST_POSTGRES_URL = process.env.RIIK_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let postgresReachable: Promise<boolean> | undefined;

export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("select 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresReachable;
}

/** A temporary directory removed when the test file ends. */
export function temporaryDirectory(prefix = "riik-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface DialectTarget {
  dialect: DialectName;
  /** Opens a fresh, isolated store for this dialect (own file or own schema), closed and dropped after the file. */
  open<DB>(options: Omit<StorageOptions, "dataDir" | "url" | "schema">): Promise<Storage<DB>>;
  /** Options that point a component at the same isolated place, e.g. for a child process. */
  location(component: string): { dataDir: string; url?: string; schema?: string };
}

/**
 * The storage back ends every storage test runs on (STYLE.md 6). PostgreSQL is required
 * in CI; elsewhere it is skipped with a note when the server cannot be reached.
 */
export async function dialectTargets(): Promise<DialectTarget[]> {
  const targets: DialectTarget[] = [sqliteTarget()];
  if (await isPostgresReachable()) targets.push(postgresTarget());
  else if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${TEST_POSTGRES_URL} is not reachable`);
  else console.warn(`# PostgreSQL at ${TEST_POSTGRES_URL} not reachable: storage tests run on SQLite only`);
  return targets;
}

function sqliteTarget(): DialectTarget {
  const dataDir = temporaryDirectory();
  return {
    dialect: "sqlite",
    location: () => ({ dataDir }),
    open: async (options) => {
      const storage = await openStorage<any>({ ...options, dataDir });
      after(() => storage.close());
      return storage;
    },
  };
}

function postgresTarget(): DialectTarget {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const schemaOf = (component: string) => `t_${component}_${suffix}`.slice(0, 63);
  const schemas = new Set<string>();
  after(async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return {
    dialect: "postgres",
    location: (component) => {
      schemas.add(schemaOf(component));
      return { dataDir: tmpdir(), url: TEST_POSTGRES_URL, schema: schemaOf(component) };
    },
    open: async (options) => {
      const schema = schemaOf(options.component);
      schemas.add(schema);
      const storage = await openStorage<any>({ ...options, dataDir: tmpdir(), url: TEST_POSTGRES_URL, schema });
      after(() => storage.close());
      return storage;
    },
  };
}

/** A TCP port free on loopback right now (for services whose URL must be known before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive loopback ports that are free right now, chosen at random
 * in 20000-39999 (away from riik's default 8800), for services laid out from a base port.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await isPortFree(port);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}
