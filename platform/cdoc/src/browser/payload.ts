// The CDOC2 payload in memory, for the page: nonce (12 bytes) | ChaCha20-Poly1305 (RFC 8439)
// ciphertext | tag (16 bytes) over a zlib (RFC 1950) stream of a POSIX tar, AAD as envelope.ts
// says. WebCrypto has no ChaCha20-Poly1305, so @noble/ciphers does it; zlib is the browser's
// CompressionStream("deflate"), which is RFC 1950 (Compression Streams, "deflate" format).
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { concatBytes, randomBytes } from "@noble/ciphers/utils.js";
import { packTar, unpackTar } from "modern-tar";
import { EntryNames } from "../entry-name.ts";
import { NONCE_LENGTH, TAG_LENGTH } from "../envelope.ts";
import { CdocError } from "../errors.ts";

/** A file inside a container: its name in the tar and its bytes. */
export interface ContainerFile {
  name: string;
  data: Uint8Array;
}

/** nonce | ChaCha20-Poly1305(zlib(tar of `files`)) | tag. */
export async function sealPayload(
  cek: Uint8Array,
  aad: Uint8Array,
  files: readonly ContainerFile[],
): Promise<Uint8Array> {
  const tar = await packTar(
    files.map((f) => ({
      header: { name: f.name, size: f.data.length, mode: 0o600, type: "file" as const },
      body: f.data,
    })),
  );
  const compressed = new Uint8Array(
    await new Response(new Blob([tar]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
  const nonce = randomBytes(NONCE_LENGTH);
  return concatBytes(nonce, chacha20poly1305(cek, nonce, aad).encrypt(compressed));
}

/**
 * The files of a payload. The tag is verified over the whole ciphertext before any byte is
 * inflated; the inflated tar is bounded by `maxBytes` and every entry name is checked.
 */
export async function openPayload(
  cek: Uint8Array,
  aad: Uint8Array,
  payload: Uint8Array,
  maxBytes: number,
): Promise<ContainerFile[]> {
  if (payload.length < NONCE_LENGTH + TAG_LENGTH) throw new CdocError("CDOC_PAYLOAD_AUTH", "the payload is truncated");
  let compressed: Uint8Array;
  try {
    compressed = chacha20poly1305(cek, payload.subarray(0, NONCE_LENGTH), aad).decrypt(payload.subarray(NONCE_LENGTH));
  } catch (cause) {
    throw new CdocError("CDOC_PAYLOAD_AUTH", "the payload's ChaCha20-Poly1305 tag does not verify", { cause });
  }
  let inflated = 0;
  const bound = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      inflated += chunk.length;
      if (inflated > maxBytes)
        controller.error(new CdocError("CDOC_TOO_LARGE", `the payload inflates beyond ${maxBytes} bytes`));
      else controller.enqueue(chunk);
    },
  });
  const tar = new Blob([compressed as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate"))
    .pipeThrough(bound);
  let entries: Awaited<ReturnType<typeof unpackTar>>;
  try {
    entries = await unpackTar(tar, { strict: true });
  } catch (cause) {
    if (cause instanceof CdocError) throw cause;
    throw new CdocError("CDOC_TAR_ENTRY", "the decrypted payload is not a zlib-compressed tar", { cause });
  }
  const files: ContainerFile[] = [];
  const names = new EntryNames();
  for (const { header, data } of entries) {
    const name = names.accept(header.type, header.name);
    if (name !== undefined) files.push({ name, data: data ?? new Uint8Array(0) });
  }
  return files;
}
