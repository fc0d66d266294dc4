// The reference implementation's published test vectors (test/vectors/README.md) open here.
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { CdocError, containerInfo, type DecryptionKey, decryptFile } from "../src/index.ts";
import { listAll, REFERENCE_SECRET, VECTORS } from "./helpers.ts";

const ec = createPrivateKey(readFileSync(join(VECTORS, "cdoc2client_expired_priv.key")));
const rsa = createPrivateKey(readFileSync(join(VECTORS, "rsa_priv.pem")));
const password: DecryptionKey = { type: "password", label: "passwordlabel", password: "myPlainTextPassword" };

const cases: [string, DecryptionKey, string][] = [
  ["ec_simple.cdoc2", { type: "private-key", key: ec }, "ecc"],
  ["ec_simple_old_version_DO_NOT_DELETE.cdoc2", { type: "private-key", key: ec }, "ecc"],
  ["v1.2-ec_simple_with_formatted_key_label.cdoc", { type: "private-key", key: ec }, "ecc"],
  ["rsa_simple.cdoc2", { type: "private-key", key: rsa }, "rsa"],
  ["v1.2-rsa_simple_with_formatted_key_label.cdoc", { type: "private-key", key: rsa }, "rsa"],
  ["password_old_version_DO_NOT_DELETE.cdoc2", password, "password"],
  ["v1.2-password_with_formatted_key_label.cdoc", password, "password"],
  ["symmetric.cdoc2", { type: "symmetric", label: "create_symmetric_label", key: REFERENCE_SECRET }, "symmetric"],
  [
    "symmetric_v1.0.0.cdoc2",
    { type: "symmetric", label: "create_symmetric_label", key: REFERENCE_SECRET },
    "symmetric",
  ],
  [
    "v1.4-symmetric_with_formatted_key_label.cdoc",
    { type: "symmetric", label: "mylabel", key: REFERENCE_SECRET },
    "symmetric",
  ],
];

for (const [file, key, type] of cases) {
  test(`reference vector ${file} decrypts to the reference's README.md`, async () => {
    assert.equal(containerInfo(join(VECTORS, file))[0]?.type, type);
    const out = temporaryDirectory("riik-cdoc-vec-");
    const names = await decryptFile({ file: join(VECTORS, file), key, outputDir: out });
    assert.deepEqual(names, ["README.md"]);
    assert.match(readFileSync(join(out, "README.md"), "utf8"), /CDOC/);
  });
}

test("reference vector with a POSIX long file name (over 100 bytes, UTF-8) extracts under its full name", async () => {
  const out = temporaryDirectory("riik-cdoc-vec-");
  const key: DecryptionKey = { type: "symmetric", label: "test_label", key: REFERENCE_SECRET };
  const [name] = await decryptFile({ file: join(VECTORS, "symmetric_longfilename.cdoc2"), key, outputDir: out });
  assert.ok(name?.startsWith("long_filename_\u2620_AAAA") && Buffer.byteLength(name) > 100);
  assert.equal(readFileSync(join(out, name ?? ""), "utf8"), "Hello from create_symmetric_longfilename()\n");
});

test("reference vectors: the formatted key labels read as the reference prints them", () => {
  const [pw] = containerInfo(join(VECTORS, "v1.2-password_with_formatted_key_label.cdoc"));
  assert.equal(pw?.keyLabel, "data:V=1&LABEL=passwordlabel&TYPE=pw");
  assert.equal(pw?.label, "passwordlabel");
  const [secret] = containerInfo(join(VECTORS, "v1.4-symmetric_with_formatted_key_label.cdoc"));
  assert.equal(secret?.label, "mylabel");
  const [cert] = containerInfo(join(VECTORS, "v1.2-ec_simple_with_formatted_key_label.cdoc"));
  assert.equal(cert?.label, "cdoc20-client");
});

test("reference vector with the wrong password or secret: header HMAC refused, nothing written", async () => {
  const out = temporaryDirectory("riik-cdoc-vec-");
  await assert.rejects(
    decryptFile({
      file: join(VECTORS, "v1.2-password_with_formatted_key_label.cdoc"),
      key: { ...password, password: "myPlainTextPassworD" },
      outputDir: out,
    }),
    (e: unknown) => e instanceof CdocError && e.code === "CDOC_HEADER_HMAC",
  );
  await assert.rejects(
    decryptFile({ file: join(VECTORS, "rsa_simple.cdoc2"), key: { type: "private-key", key: ec }, outputDir: out }),
    (e: unknown) => e instanceof CdocError && e.code === "CDOC_NOT_RECIPIENT",
  );
  assert.deepEqual(listAll(out), []);
});
