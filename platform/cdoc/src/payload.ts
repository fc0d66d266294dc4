// The CDOC2 payload: nonce (12 bytes) | ChaCha20-Poly1305 (RFC 8439) ciphertext | tag (16 bytes),
// over a zlib (RFC 1950) stream of a POSIX tar. AAD = "CDOC20payload" | header | header HMAC.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDeflate, createInflate } from "node:zlib";
import * as tar from "tar-stream";
import { EntryNames } from "./entry-name.ts";
import { NONCE_LENGTH, TAG_LENGTH } from "./envelope.ts";
import { CdocError } from "./errors.ts";

/** A POSIX tar stream of `files`, each entry named by its base name (as the reference's Tar.archiveFiles). */
export function tarOfFiles(files: readonly string[]): Readable {
  const pack = tar.pack();
  (async () => {
    for (const file of files) {
      const size = statSync(file).size;
      const entry = pack.entry({ name: basename(file), size, mode: 0o600, type: "file" });
      await pipeline(createReadStream(file), entry);
    }
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e as Error));
  return pack as unknown as Readable; // a streamx stream, which node:stream pipelines accept
}

/** Writes nonce | ChaCha20-Poly1305(zlib(tar)) | tag to `out` (left open). */
export async function writePayload(
  out: Writable,
  cek: Uint8Array,
  aad: Uint8Array,
  tarStream: Readable,
): Promise<void> {
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv("chacha20-poly1305", cek, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  await writeTo(out, nonce);
  // Each ciphertext chunk is handed to `out` before the next is taken, so the tag written after
  // the pipeline is the last thing in the file. (A PassThrough piped to `out` could still hold
  // ciphertext when the pipeline ended, and the tag overtook it when the disk was slow.)
  await pipeline(tarStream, createDeflate(), cipher, async (ciphertext: AsyncIterable<Buffer>) => {
    for await (const chunk of ciphertext) await writeTo(out, chunk);
  });
  await writeTo(out, cipher.getAuthTag());
}

async function writeTo(out: Writable, chunk: Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

export interface ExtractLimits {
  /** Bound on the decompressed tar stream, in bytes. */
  maxBytes: number;
}

/** Extracts regular files of a tar stream into `dir` (which must be new and empty); returns their names. */
async function extractTar(source: Readable, dir: string): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  const accepted = new EntryNames();
  const consuming = (async () => {
    for await (const entry of extract) {
      const { type, name } = entry.header;
      const safe = accepted.accept(type === "contiguous-file" ? "file" : (type ?? undefined), name);
      if (safe === undefined) {
        entry.resume();
        continue;
      }
      const target = join(dir, safe);
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry, createWriteStream(target, { flags: "wx", mode: 0o600 }));
      names.push(safe);
    }
  })();
  await Promise.all([pipeline(source, extract), consuming]);
  return names;
}

/**
 * Decrypts `file`'s payload (from `offset` to its end) into `dir`. The tag is checked once the
 * whole ciphertext has gone through; any tar or size error is reported only after that check,
 * so a forged payload is always CDOC_PAYLOAD_AUTH. The caller discards `dir` on any error.
 */
export async function extractPayload(
  file: string,
  offset: number,
  cek: Uint8Array,
  aad: Uint8Array,
  dir: string,
  limits: ExtractLimits,
): Promise<string[]> {
  const size = statSync(file).size;
  if (size - offset < NONCE_LENGTH + TAG_LENGTH) throw new CdocError("CDOC_PAYLOAD_AUTH", "the payload is truncated");
  const nonce = await readRange(file, offset, NONCE_LENGTH);
  const tag = await readRange(file, size - TAG_LENGTH, TAG_LENGTH);
  const decipher = createDecipheriv("chacha20-poly1305", cek, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);

  const inflate = createInflate();
  let inflated = 0;
  let plainError: unknown;
  const bounded = new PassThrough();
  // Stops the plaintext side (inflate → bound → tar); the ciphertext is still read to its tag.
  const abort = (error: unknown) => {
    plainError ??= error;
    inflate.destroy();
    bounded.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  inflate.on("data", (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > limits.maxBytes) {
      abort(new CdocError("CDOC_TOO_LARGE", `the payload inflates beyond ${limits.maxBytes} bytes`));
      return;
    }
    if (!bounded.write(chunk)) inflate.pause();
  });
  bounded.on("drain", () => inflate.resume());
  inflate.on("end", () => bounded.end());
  inflate.on("error", (e) => abort(e));
  const extraction = extractTar(bounded, dir).catch((e: unknown) => {
    abort(e);
    return [] as string[];
  });
  const stopped = extraction.then(() => undefined);

  const start = offset + NONCE_LENGTH;
  const end = size - TAG_LENGTH;
  if (end > start) {
    for await (const chunk of createReadStream(file, { start, end: end - 1 })) {
      const plain = decipher.update(chunk as Buffer);
      if (plainError !== undefined || inflate.destroyed) continue;
      if (!inflate.write(plain)) await Promise.race([once(inflate, "drain").catch(() => undefined), stopped]);
    }
  }
  try {
    decipher.final();
  } catch (cause) {
    abort(new CdocError("CDOC_PAYLOAD_AUTH", "the payload's tag does not verify"));
    await extraction;
    throw new CdocError("CDOC_PAYLOAD_AUTH", "the payload's ChaCha20-Poly1305 tag does not verify", { cause });
  }
  if (!inflate.destroyed) inflate.end();
  const names = await extraction;
  if (plainError !== undefined) {
    throw plainError instanceof CdocError
      ? plainError
      : new CdocError("CDOC_TAR_ENTRY", "the decrypted payload is not a zlib-compressed tar", { cause: plainError });
  }
  return names;
}

async function readRange(file: string, start: number, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file, { start, end: start + length - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
