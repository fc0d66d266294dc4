import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * Every file and directory under `root` (itself included) that another local user could
 * read, as "mode path": the rule is owner-only (0600 files, 0700 directories), whatever
 * the umask. A file renamed away while the tree is read is skipped.
 */
export function notOwnerOnly(root: string): string[] {
  const open: string[] = [];
  for (const path of [root, ...readdirSync(root, { recursive: true }).map((entry) => join(root, String(entry)))]) {
    let mode: number;
    try {
      mode = lstatSync(path).mode;
    } catch {
      continue;
    }
    if (mode & 0o077) open.push(`${(mode & 0o777).toString(8)} ${path}`);
  }
  return open;
}

export interface DialectTarget {
  dialect: DialectName;
  /** Opens a fresh, isolated store for this dialect (own file or own schema), closed and dropped after the file. */
  open<DB>(options: Omit<StorageOptions, "dataDir" | "url" | "schema">): Promise<Storage<DB>>;
  /** Options that point a component at the same isolated place, e.g. for a child process. */
  location(component: string): { dataDir: string; url?: string; schema?: string };
}

/** Whether this is a CI run (env CI=true, as CI services set it; any value but "false" or "0" counts). */
export const IN_CI = (process.env.CI ?? "") !== "" && !["false", "0"].includes(process.env.CI!);

/**
 * The `skip` option for tests that need something the machine may lack (a browser, a
 * database): `false` when it is there; its absence fails the run under CI and is only a
 * visible skip elsewhere, never a silent pass.
 */
export function skipUnlessAvailable(available: boolean, missing: string): false | string {
  if (available) return false;
  if (IN_CI) throw new Error(`required in CI: ${missing}`);
  return missing;
}

/**
 * The storage back ends every storage test runs on (STYLE.md 6). PostgreSQL is required
 * in CI; elsewhere it is skipped with a note when the server cannot be reached.
 */
export async function dialectTargets(): Promise<DialectTarget[]> {
  const targets: DialectTarget[] = [sqliteTarget()];
  const missing = skipUnlessAvailable(
    await isPostgresReachable(),
    `PostgreSQL at ${TEST_POSTGRES_URL} is not reachable (.ci/run starts it)`,
  );
  if (missing) console.warn(`# ${missing}: storage tests run on SQLite only`);
  else targets.push(postgresTarget());
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

/**
 * Test ports come from a pool outside the kernel's ephemeral range (ip_local_port_range), so
 * no listen(0) and no outgoing connection's source port can take one between choosing and
 * binding it; RIIK_TEST_PORTS=LOW-HIGH sets another pool. Test processes running side by side
 * reserve each port with an exclusive lock file naming their pid, held until they exit, so
 * two never hand out the same port.
 */
function portPool(): { low: number; high: number } {
  const configured = /^(\d+)-(\d+)$/.exec(process.env.RIIK_TEST_PORTS ?? "");
  if (configured) return { low: Number(configured[1]), high: Number(configured[2]) };
  let ephemeral = [32768, 60999];
  try {
    ephemeral = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  } catch {}
  const [first = 32768, last = 60999] = ephemeral;
  // Below the ephemeral range if it leaves room there (Linux: 20000-32767), else above it.
  return first - 20_000 >= 1000 ? { low: 20_000, high: first - 1 } : { low: last + 1, high: 65535 };
}

const LOCK_DIR = join(tmpdir(), `riik-test-ports-${process.getuid?.() ?? "user"}`);
const reserved = new Set<number>();
process.once("exit", () => {
  for (const port of reserved) rmSync(join(LOCK_DIR, String(port)), { force: true });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes PORT's lock file for this process; a lock whose process is gone is taken over. */
function lockPort(port: number): boolean {
  mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  const lock = join(LOCK_DIR, String(port));
  const create = () => {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  };
  if (create()) return true;
  // Stale (its process was killed): only the holder of PORT.reclaim may remove it, so two
  // processes never both take it over. A reclaim lock left by a killed process retires the port.
  const reclaim = `${lock}.reclaim`;
  try {
    writeFileSync(reclaim, String(process.pid), { flag: "wx", mode: 0o600 });
  } catch {
    return false;
  }
  try {
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(lock, "utf8"));
    } catch {}
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return false;
    rmSync(lock, { force: true });
    return create();
  } finally {
    rmSync(reclaim, { force: true });
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function reserve(port: number): Promise<boolean> {
  if (reserved.has(port) || !lockPort(port)) return false;
  reserved.add(port);
  if (await isPortFree(port)) return true;
  release(port);
  return false;
}

function release(port: number): void {
  reserved.delete(port);
  rmSync(join(LOCK_DIR, String(port)), { force: true });
}

/**
 * The first of `count` consecutive loopback ports reserved for this process (for services
 * whose URL must be known before they start, or laid out from a base port). Each is free
 * when handed out and no other test process gets it while this one runs.
 */
export async function freePortRange(count: number): Promise<number> {
  const { low, high } = portPool();
  const bases = high - low + 2 - count;
  if (bases <= 0) throw new Error(`the test port pool ${low}-${high} has no ${count} consecutive ports`);
  const start = Math.floor(Math.random() * bases);
  // Every base once, from a random start, so concurrent processes rarely contend.
  for (let i = 0; i < bases; i++) {
    const base = low + ((start + i) % bases);
    const taken: number[] = [];
    for (let port = base; port < base + count && (await reserve(port)); port++) taken.push(port);
    if (taken.length === count) return base;
    for (const port of taken) release(port);
  }
  throw new Error(`no ${count} consecutive free ports left in the test port pool ${low}-${high} on 127.0.0.1`);
}

/** A loopback port reserved for this process (see freePortRange). */
export function freePort(): Promise<number> {
  return freePortRange(1);
}
export { RIIK_BIN, type RiikRun, type RiikRunOptions, runRiik } from "./riik-command.ts";
