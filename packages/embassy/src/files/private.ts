import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStorage, resolveDatabaseUrl, type Storage, type StorageOptions } from "@riik/core";

// Everything the embassy writes (keys, certificates, segments, snapshots, restored
// registries) is its owner's alone. A mode given at creation is masked by the umask, so
// each helper sets the mode again afterwards: 0700 directories, 0600 files, whatever the umask.

/** Creates the directory if needed (with its parents) and makes it 0700. */
export function privateDirectory(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  return path;
}

/** Writes a 0600 file; `flag: "wx"` never replaces an existing one. */
export function writePrivateFile(path: string, data: string | Uint8Array, flag: "w" | "wx" = "w"): void {
  writeFileSync(path, data, { mode: 0o600, flag });
  chmodSync(path, 0o600);
}

/**
 * Opens a component's storage, SQLite files 0600 in a 0700 directory. SQLite gives the
 * -wal and -shm files the mode of the database file (os_unix.c, findCreateFileMode), so
 * the database file is created 0600 before SQLite opens it.
 */
export function openPrivateStorage<DB>(options: StorageOptions): Promise<Storage<DB>> {
  if (resolveDatabaseUrl(options.url) === undefined) {
    privateDirectory(options.dataDir);
    const file = join(options.dataDir, `${options.component}.sqlite`);
    closeSync(openSync(file, "a", 0o600));
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  }
  return openStorage<DB>(options);
}
