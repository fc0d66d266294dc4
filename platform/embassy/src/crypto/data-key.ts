import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { EmbassyError } from "../errors.ts";
import type { MasterKey } from "./master-key.ts";

/**
 * Envelope encryption: each segment is encrypted under a random 256-bit data key; data
 * keys are wrapped (AES-256-GCM, NIST SP 800-38D) under the master key, and the wrapped key
 * travels in every segment header. Rotation starts a new data key for new segments; old
 * segments keep theirs, so history is never re-encrypted.
 */
export interface DataKey {
  readonly id: string;
  readonly masterId: string;
  readonly key: Buffer;
  /** nonce (12) || ciphertext (32) || tag (16), base64. */
  readonly wrapped: string;
  readonly createdAt: string;
}

const wrapAad = (masterId: string, id: string) => Buffer.from(`riik-embassy-data-key/v1\n${masterId}\n${id}\n`);

export function generateDataKey(master: MasterKey, now = new Date()): DataKey {
  const id = `dk-${now.toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(6).toString("hex")}`;
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", master.key, nonce);
  cipher.setAAD(wrapAad(master.id, id));
  const wrapped = Buffer.concat([nonce, cipher.update(key), cipher.final(), cipher.getAuthTag()]).toString("base64");
  return Object.freeze({ id, masterId: master.id, key, wrapped, createdAt: now.toISOString() });
}

/** Unwraps a data key with one of the given master keys; KEY_WRONG names the key that is needed. */
export function unwrapDataKey(
  masters: readonly MasterKey[],
  wrappedKey: { id: string; master: string; wrapped: string },
): Buffer {
  const master = masters.find((m) => m.id === wrappedKey.master);
  if (!master)
    throw new EmbassyError(
      "KEY_WRONG",
      `the data is encrypted under master key ${wrappedKey.master}; the key file given is ${masters.map((m) => m.id).join(", ") || "none"}`,
      { details: { needed: wrappedKey.master } },
    );
  const bytes = Buffer.from(wrappedKey.wrapped, "base64");
  if (bytes.length !== 60)
    throw new EmbassyError("SEGMENT_MALFORMED", `wrapped data key ${wrappedKey.id} is not 60 bytes`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", master.key, bytes.subarray(0, 12));
    decipher.setAAD(wrapAad(master.id, wrappedKey.id));
    decipher.setAuthTag(bytes.subarray(44));
    return Buffer.concat([decipher.update(bytes.subarray(12, 44)), decipher.final()]);
  } catch (cause) {
    // The id matched but the tag did not: the key file or the wrapped key was altered.
    throw new EmbassyError("KEY_WRONG", `data key ${wrappedKey.id} does not unwrap under master key ${master.id}`, {
      cause,
    });
  }
}
