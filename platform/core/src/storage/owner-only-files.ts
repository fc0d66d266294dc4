import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { RiikError } from "../errors.ts";

/**
 * Writes FILE.tmp, syncs it, renames it over FILE and syncs the directory: a crash leaves the
 * old or the new file, whole. Owner-only (0600) whatever the umask or a leftover FILE.tmp:
 * state files name persons, keys and database URLs.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    if (typeof data === "string") writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Creates DIR (and missing parents) owner-only (0700), and makes an existing one so. */
export function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * A secret (a bearer token) kept in FILE, trimmed: refused (SECRET_FILE) when others may read
 * the file or it holds nothing, so a leaked or empty secret is not used.
 */
export function readSecretFile(path: string, what: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8").trim();
  } catch (cause) {
    throw new RiikError("SECRET_FILE", `${what}: ${path} cannot be read`, { cause });
  }
  if ((mode & 0o077) !== 0)
    throw new RiikError("SECRET_FILE", `${what}: ${path} must be readable by its owner only (chmod 600)`);
  if (text.length === 0) throw new RiikError("SECRET_FILE", `${what}: ${path} is empty`);
  return text;
}
