import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { notOwnerOnly, temporaryDirectory } from "@riik/core/testing";
import { issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { CdocError, containerInfo, type DecryptionKey, decryptFile, encryptFiles } from "../src/index.ts";
import { inputFiles, listAll } from "./helpers.ts";

const ec = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const secret = randomBytes(32);
const content = { "a.txt": "first file\n", "b.bin": randomBytes(70_000) };

async function encrypted(recipients: Parameters<typeof encryptFiles>[0]["recipients"]): Promise<string> {
  const { paths } = inputFiles(content);
  const out = join(temporaryDirectory("riik-cdoc-enc-"), "x.cdoc2");
  await encryptFiles({ files: paths, recipients, out });
  assert.equal(statSync(out).mode & 0o777, 0o600);
  return out;
}

async function opens(file: string, key: DecryptionKey): Promise<void> {
  const dir = join(temporaryDirectory("riik-cdoc-dec-"), "out");
  assert.deepEqual((await decryptFile({ file, key, outputDir: dir })).sort(), ["a.txt", "b.bin"]);
  assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), content["a.txt"]);
  assert.ok(readFileSync(join(dir, "b.bin")).equals(content["b.bin"]));
  assert.deepEqual(notOwnerOnly(dir), []);
  assert.deepEqual(listAll(dir), ["a.txt", "b.bin"]);
}

const refusedAs = (code: string) => (e: unknown) => e instanceof CdocError && e.code === code;

test("round trip: one container for an EC key, an RSA key, a password and a secret; each opens it", async () => {
  const file = await encrypted([
    { type: "public-key", key: ec.publicKey, label: "Mari EC" },
    { type: "public-key", key: rsa.publicKey, label: "Jaan RSA" },
    { type: "password", label: "kevad", password: "Kui Arno isaga koolimajja jõudis", iterations: 1000 },
    { type: "symmetric", label: "ops", key: secret },
  ]);
  assert.deepEqual(
    containerInfo(file).map((r) => [r.type, r.label]),
    [
      ["ecc", "Mari EC"],
      ["rsa", "Jaan RSA"],
      ["password", "kevad"],
      ["symmetric", "ops"],
    ],
  );
  await opens(file, { type: "private-key", key: ec.privateKey });
  await opens(file, { type: "private-key", key: rsa.privateKey });
  await opens(file, { type: "password", label: "kevad", password: "Kui Arno isaga koolimajja jõudis" });
  await opens(file, { type: "password", password: "Kui Arno isaga koolimajja jõudis" });
  await opens(file, { type: "symmetric", label: "ops", key: secret });
});

test("round trip: the default PBKDF2 iteration count (600 000) is written and opens", async () => {
  const file = await encrypted([{ type: "password", label: "pw", password: "correct horse battery" }]);
  await opens(file, { type: "password", label: "pw", password: "correct horse battery" });
});

test("round trip: a riik ID card file's authentication key (secp384r1), decrypted with PIN1", async () => {
  const { services } = await startTestTrustServices();
  const card = await issueCard(services, {
    personalCode: "38001085718",
    givenName: "Mari",
    surname: "Maasikas",
    pin1: "1234",
    pin2: "12345",
  });
  const { cardPublicKey } = await import("../src/index.ts");
  const file = await encrypted([{ type: "public-key", key: cardPublicKey(card), label: "MAASIKAS,MARI,38001085718" }]);
  await opens(file, { type: "card", card, pin1: "1234" });
  await assert.rejects(
    decryptFile({ file, key: { type: "card", card, pin1: "9999" }, outputDir: temporaryDirectory() }),
    (e: unknown) => (e as { code?: string }).code === "CARD_WRONG_PIN",
  );
});

test("wrong keys: another EC key is not a recipient; a wrong password or secret fails the header HMAC", async () => {
  const file = await encrypted([
    { type: "public-key", key: ec.publicKey },
    { type: "password", label: "pw", password: "right password", iterations: 1000 },
    { type: "symmetric", label: "s", key: secret },
  ]);
  const out = temporaryDirectory();
  const other = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  await assert.rejects(
    decryptFile({ file, key: { type: "private-key", key: other.privateKey }, outputDir: out }),
    refusedAs("CDOC_NOT_RECIPIENT"),
  );
  await assert.rejects(
    decryptFile({ file, key: { type: "private-key", key: rsa.privateKey }, outputDir: out }),
    refusedAs("CDOC_NOT_RECIPIENT"),
  );
  await assert.rejects(
    decryptFile({ file, key: { type: "password", label: "pw", password: "wrong password" }, outputDir: out }),
    refusedAs("CDOC_HEADER_HMAC"),
  );
  await assert.rejects(
    decryptFile({ file, key: { type: "symmetric", label: "s", key: randomBytes(32) }, outputDir: out }),
    refusedAs("CDOC_HEADER_HMAC"),
  );
  await assert.rejects(
    decryptFile({ file, key: { type: "symmetric", label: "other", key: secret }, outputDir: out }),
    refusedAs("CDOC_NOT_RECIPIENT"),
  );
  assert.deepEqual(listAll(out), []);
});

test("existing files are never overwritten: the container, and a file in the output directory", async () => {
  const file = await encrypted([{ type: "symmetric", label: "s", key: secret }]);
  await assert.rejects(
    encryptFiles({
      files: inputFiles({ c: "x" }).paths,
      recipients: [{ type: "symmetric", label: "s", key: secret }],
      out: file,
    }),
    refusedAs("CDOC_OUTPUT_EXISTS"),
  );
  const out = temporaryDirectory();
  inputFiles({});
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(out, "b.bin"), "mine");
  await assert.rejects(
    decryptFile({ file, key: { type: "symmetric", label: "s", key: secret }, outputDir: out }),
    refusedAs("CDOC_OUTPUT_EXISTS"),
  );
  assert.deepEqual(listAll(out), ["b.bin"]);
  assert.equal(readFileSync(join(out, "b.bin"), "utf8"), "mine");
});

test("arguments: no recipient, no file, a short secret, a short password are refused before writing", async () => {
  const out = join(temporaryDirectory(), "x.cdoc2");
  const files = inputFiles({ a: "a" }).paths;
  await assert.rejects(encryptFiles({ files, recipients: [], out }), refusedAs("CDOC_ARGUMENT"));
  await assert.rejects(
    encryptFiles({ files: [], recipients: [{ type: "symmetric", label: "s", key: secret }], out }),
    refusedAs("CDOC_ARGUMENT"),
  );
  await assert.rejects(
    encryptFiles({ files, recipients: [{ type: "symmetric", label: "s", key: randomBytes(16) }], out }),
    refusedAs("CDOC_ARGUMENT"),
  );
  await assert.rejects(
    encryptFiles({ files, recipients: [{ type: "password", label: "p", password: "short" }], out }),
    refusedAs("CDOC_ARGUMENT"),
  );
  assert.deepEqual(listAll(join(out, "..")), []);
});
