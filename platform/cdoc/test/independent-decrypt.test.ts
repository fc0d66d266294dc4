// Containers riik writes, opened by code no one here wrote: flatc (Debian's flatbuffers-compiler)
// generates a Python reader from the reference's own schema (vectors/schema, the commit of the
// vectors), and pyca/cryptography (OpenSSL) does ECDH, RSA-OAEP, HKDF, HMAC and ChaCha20-Poly1305
// in independent/cdoc2_decrypt.py, which only follows the specification's steps. The reference
// CLI itself is not built: it needs Maven Central, which this machine cannot reach.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { skipUnlessAvailable, temporaryDirectory } from "@riik/core/testing";
import { encryptForPublicKeys } from "../src/browser/index.ts";
import { encryptFiles } from "../src/index.ts";
import { tlsPoint } from "../src/recipients/ecc-public-key.ts";
import { inputFiles, VECTORS } from "./helpers.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dirname, "independent", "cdoc2_decrypt.py");

function available(): boolean {
  try {
    execFileSync("flatc", ["--version"], { stdio: "ignore" });
    execFileSync(PYTHON, ["-c", "import flatbuffers, cryptography"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const skip = skipUnlessAvailable(
  available(),
  "flatc and Debian's python3 with flatbuffers and cryptography (apt-get install flatbuffers-compiler python3-flatbuffers python3-cryptography)",
);

/** flatc's Python reader of the reference schema, generated into a fresh directory. */
function generatedReader(): string {
  const dir = temporaryDirectory("riik-cdoc-fbpy-");
  const schema = join(VECTORS, "schema");
  execFileSync("flatc", ["--python", "-o", dir, join(schema, "header.fbs"), join(schema, "recipients.fbs")]);
  return dir;
}

async function independentlyDecrypted(reader: string, container: string, keyPem: string) {
  const out = temporaryDirectory("riik-cdoc-py-out-");
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, reader, container, keyPem, out]);
  return Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((name) => [name, readFileSync(join(out, name), "utf8")]),
  );
}

const EC_KEY = join(VECTORS, "cdoc2client_expired_priv.key");
const RSA_KEY = join(VECTORS, "rsa_priv.pem");
const publicOf = (file: string) => createPublicKey(createPrivateKey(readFileSync(file)));

test("riik's containers for the reference's published EC and RSA keys open by the specification's steps in independent code", {
  skip,
}, async () => {
  const reader = generatedReader();
  const dir = temporaryDirectory("riik-cdoc-indep-");
  const { paths } = inputFiles({ "leping.txt": "Müüja ja ostja lepivad kokku.\n", "lisa.txt": "Lisa 1\n" });
  const file = join(dir, "both.cdoc2");
  await encryptFiles({
    files: paths,
    recipients: [
      { type: "public-key", key: publicOf(EC_KEY), label: "reference EC" },
      { type: "public-key", key: publicOf(RSA_KEY), label: "reference RSA" },
    ],
    out: file,
  });
  const expected = { "leping.txt": "Müüja ja ostja lepivad kokku.\n", "lisa.txt": "Lisa 1\n" };
  assert.deepEqual(await independentlyDecrypted(reader, file, EC_KEY), expected);
  assert.deepEqual(await independentlyDecrypted(reader, file, RSA_KEY), expected);

  // The page's containers (@riik/cdoc/browser) too.
  const page = join(dir, "page.cdoc2");
  writeFileSync(
    page,
    await encryptForPublicKeys(
      [{ name: "otsus.txt", data: new TextEncoder().encode("Otsus: kinnitada.\n") }],
      [{ keyLabel: "data:V=1&TYPE=pub_key&LABEL=reference%20EC", publicKey: tlsPoint(publicOf(EC_KEY)) }],
    ),
  );
  assert.deepEqual(await independentlyDecrypted(reader, page, EC_KEY), { "otsus.txt": "Otsus: kinnitada.\n" });

  // The independent decryptor is not lenient: one altered payload byte and it refuses.
  const altered = readFileSync(file);
  const at = altered.length - 20;
  altered.writeUInt8(altered.readUInt8(at) ^ 1, at);
  const tampered = join(dir, "tampered.cdoc2");
  writeFileSync(tampered, altered);
  await assert.rejects(independentlyDecrypted(reader, tampered, EC_KEY), /InvalidTag/);
});
