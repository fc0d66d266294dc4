import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { EmbassyError } from "../errors.ts";

export const MASTER_KEY_FORMAT = "riik-embassy-master-key/v1";

/**
 * The state master key: 256 random bits that never leave home. It only wraps data keys
 * (envelope encryption); restore needs this file and nothing else secret.
 */
export interface MasterKey {
  /** Short public fingerprint: hex of the first 8 bytes of SHA-256("riik-embassy-master-key" || key). */
  readonly id: string;
  readonly key: Buffer;
}

export function masterKeyId(key: Uint8Array): string {
  return createHash("sha256").update("riik-embassy-master-key").update(key).digest("hex").slice(0, 16);
}

export function generateMasterKey(): MasterKey {
  const key = randomBytes(32);
  return Object.freeze({ id: masterKeyId(key), key });
}

/** Writes a new master key file, readable by its owner only; never replaces one. */
export function writeMasterKeyFile(path: string, masterKey: MasterKey = generateMasterKey()): MasterKey {
  if (existsSync(path))
    throw new EmbassyError("EMBASSY_ALREADY_INITIALISED", `${path} already holds a master key; refusing to replace it`);
  privateDirectory(dirname(path));
  const body = { format: MASTER_KEY_FORMAT, id: masterKey.id, key: masterKey.key.toString("base64") };
  writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
  return masterKey;
}

export function readMasterKeyFile(path: string): MasterKey {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new EmbassyError("KEY_FILE", `cannot read the master key file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0)
    throw new EmbassyError("KEY_FILE", `${path} is readable by others; chmod 600 it`);
  let parsed: { format?: unknown; id?: unknown; key?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EmbassyError("KEY_FILE", `${path} is not a master key file (not JSON)`, { cause });
  }
  const key = typeof parsed.key === "string" ? Buffer.from(parsed.key, "base64") : Buffer.alloc(0);
  if (parsed.format !== MASTER_KEY_FORMAT || key.length !== 32 || key.toString("base64") !== parsed.key)
    throw new EmbassyError("KEY_FILE", `${path} is not a ${MASTER_KEY_FORMAT} file with a 32-byte key`);
  const id = masterKeyId(key);
  if (parsed.id !== id) throw new EmbassyError("KEY_FILE", `${path}: the key id ${parsed.id} does not match the key`);
  return Object.freeze({ id, key });
}
