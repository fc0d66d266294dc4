import { chmodSync, mkdirSync, writeFileSync } from "node:fs";

// What the embassy writes besides its databases (core's openStorage makes those 0600): keys,
// certificates, the directories holding them and restored registries are its owner's alone.
// A mode given at creation is masked by the umask, so each helper sets it again afterwards.

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
