// npm run bench -- cdoc
// CDOC2 encryption and decryption of one 100 MB file (random bytes, so compression gains nothing),
// symmetric-key recipient, against raw node:crypto ChaCha20-Poly1305 over the same bytes in the
// same run: what the container costs on top of the cipher (zlib, tar, file I/O). The page's code
// (@riik/cdoc/browser: in memory, Compression Streams, @noble/ciphers) is timed on the same bytes
// for an EC P-384 recipient, on Node's WebCrypto. BENCH_MB resizes.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptFile, encryptFiles } from "@riik/cdoc";
import { agreeWith, decryptWithKeyAgreement, encryptForPublicKeys } from "@riik/cdoc/browser";

const MB = Number(process.env.BENCH_MB ?? 100);
const dir = mkdtempSync(join(tmpdir(), "riik-bench-cdoc-"));
try {
  const data = randomBytes(MB * 1024 * 1024);
  const input = join(dir, "data.bin");
  writeFileSync(input, data, { mode: 0o600 });
  const key = { type: "symmetric", label: "bench", key: randomBytes(32) } as const;

  const timed = async (label: string, work: () => Promise<unknown> | unknown): Promise<number> => {
    const start = performance.now();
    await work();
    const mbPerSecond = MB / ((performance.now() - start) / 1000);
    console.log(`${label.padEnd(52)} ${mbPerSecond.toFixed(1).padStart(8)} MB/s`);
    return mbPerSecond;
  };

  const cek = randomBytes(32);
  const nonce = randomBytes(12);
  let ciphertext = Buffer.alloc(0);
  let tag = Buffer.alloc(0);
  const chunk = 1024 * 1024;
  const rawEncrypt = await timed("raw ChaCha20-Poly1305 encrypt (node:crypto, 1 MB chunks)", () => {
    const cipher = createCipheriv("chacha20-poly1305", cek, nonce, { authTagLength: 16 });
    const parts: Buffer[] = [];
    for (let i = 0; i < data.length; i += chunk) parts.push(cipher.update(data.subarray(i, i + chunk)));
    parts.push(cipher.final());
    ciphertext = Buffer.concat(parts);
    tag = cipher.getAuthTag();
  });
  const rawDecrypt = await timed("raw ChaCha20-Poly1305 decrypt (node:crypto, 1 MB chunks)", () => {
    const decipher = createDecipheriv("chacha20-poly1305", cek, nonce, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    for (let i = 0; i < ciphertext.length; i += chunk) decipher.update(ciphertext.subarray(i, i + chunk));
    decipher.final();
  });
  const container = join(dir, "data.cdoc2");
  const encrypt = await timed(`CDOC2 encrypt (${MB} MB file → container, streamed)`, () =>
    encryptFiles({ files: [input], recipients: [key], out: container }),
  );
  const decrypt = await timed(`CDOC2 decrypt (container → verified file, streamed)`, () =>
    decryptFile({ file: container, key, outputDir: join(dir, "out") }),
  );
  const ec = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-384" }, true, ["deriveBits"]);
  const point = new Uint8Array(await crypto.subtle.exportKey("raw", ec.publicKey));
  let sealed: Uint8Array = new Uint8Array(0);
  await timed(`page encrypt (${MB} MB in memory, @noble/ciphers)`, async () => {
    sealed = await encryptForPublicKeys([{ name: "data.bin", data }], [{ keyLabel: "bench", publicKey: point }]);
  });
  await timed("page decrypt (in memory, tag before inflate)", () =>
    decryptWithKeyAgreement(
      sealed,
      { publicKey: point, agree: (s) => agreeWith(ec.privateKey, s) },
      2 * MB * 1024 * 1024,
    ),
  );
  console.log(
    `ratio: CDOC2 encrypt ${(encrypt / rawEncrypt).toFixed(3)}, decrypt ${(decrypt / rawDecrypt).toFixed(3)} of raw ChaCha20-Poly1305`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
