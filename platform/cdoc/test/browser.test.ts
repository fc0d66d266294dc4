// @riik/cdoc/browser, run here on Node's WebCrypto and Compression Streams (the same APIs the
// page uses): containers the page writes open with the command line's code and the reference's
// steps, containers written elsewhere open in the page, and every alteration is refused.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { issueCard } from "@riik/pki";
import { parseCardText } from "@riik/pki/browser";
import { startTestTrustServices } from "@riik/pki/testing";
import fc from "fast-check";
import * as tar from "tar-stream";
import {
  agreeWith,
  CdocError,
  type ContainerFile,
  cardKeyAgreement,
  decryptWithKeyAgreement,
  encryptForPublicKeys,
  type KeyAgreement,
} from "../src/browser/index.ts";
import { encryptTar } from "../src/container.ts";
import { cardPublicKey, decryptFile, encryptFiles } from "../src/index.ts";
import { tlsPoint } from "../src/recipients/ecc-public-key.ts";
import { inputFiles, VECTORS } from "./helpers.ts";

/** A Node private key as the page holds one: a non-extractable WebCrypto ECDH key. */
async function pageKey(key: KeyObject): Promise<KeyAgreement> {
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDH", namedCurve: "P-384" }, false, [
    "deriveBits",
  ]);
  return { publicKey: tlsPoint(key), agree: (sender) => agreeWith(privateKey, sender) };
}

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (e: unknown) => (e as { code?: string }).code === code);

const bytes = (text: string) => new TextEncoder().encode(text);

async function cards() {
  const { services } = await startTestTrustServices();
  const issue = (personalCode: string, givenName: string) =>
    issueCard(services, { personalCode, givenName, surname: "Maasikas", pin1: "1234", pin2: "12345" });
  return { mari: await issue("38001085718", "Mari"), jaan: await issue("37605030299", "Jaan") };
}

test("the page's container opens with the command line's card decryption, and the command line's in the page", async () => {
  const { mari, jaan } = await cards();
  const files: ContainerFile[] = [
    { name: "leping.txt", data: bytes("Müüja ja ostja lepivad kokku.\n") },
    { name: "empty.bin", data: new Uint8Array(0) },
    { name: "random.bin", data: randomBytes(300_000) },
  ];
  const recipients = [mari, jaan].map((card) => ({
    keyLabel: `data:V=1&TYPE=ID-card&LABEL=${card.personalCode}`,
    publicKey: tlsPoint(cardPublicKey(card)),
  }));
  const container = await encryptForPublicKeys(files, recipients);

  const dir = temporaryDirectory("riik-cdoc-page-");
  const file = join(dir, "page.cdoc2");
  writeFileSync(file, container);
  for (const card of [mari, jaan]) {
    const out = join(dir, card.personalCode);
    const names = await decryptFile({ file, key: { type: "card", card, pin1: "1234" }, outputDir: out });
    assert.deepEqual(names.sort(), ["empty.bin", "leping.txt", "random.bin"]);
    for (const f of files) assert.deepEqual(new Uint8Array(readFileSync(join(out, f.name))), new Uint8Array(f.data));
  }

  const { paths } = inputFiles({ "a.txt": "from the command line", "b.bin": randomBytes(1000) });
  const cli = join(dir, "cli.cdoc2");
  await encryptFiles({ files: paths, recipients: [{ type: "public-key", key: cardPublicKey(mari) }], out: cli });
  const opened = await decryptWithKeyAgreement(
    readFileSync(cli),
    await cardKeyAgreement(parseCardText(JSON.stringify(mari)), "1234"),
  );
  assert.deepEqual(
    opened.map((f) => f.name),
    ["a.txt", "b.bin"],
  );
  assert.equal(new TextDecoder().decode(opened[0]?.data), "from the command line");

  // Jaan's card is not a recipient of the command line's container; a wrong PIN1 never gets that far.
  await rejectsWith(
    cardKeyAgreement(parseCardText(JSON.stringify(jaan)), "1234").then((k) =>
      decryptWithKeyAgreement(readFileSync(cli), k),
    ),
    "CDOC_NOT_RECIPIENT",
  );
  await rejectsWith(cardKeyAgreement(parseCardText(JSON.stringify(mari)), "9999"), "CARD_WRONG_PIN");
});

test("the reference implementation's EC test vectors open in the page", async () => {
  const key = await pageKey(createPrivateKey(readFileSync(join(VECTORS, "cdoc2client_expired_priv.key"))));
  for (const vector of [
    "ec_simple.cdoc2",
    "ec_simple_old_version_DO_NOT_DELETE.cdoc2",
    "v1.2-ec_simple_with_formatted_key_label.cdoc",
  ]) {
    const files = await decryptWithKeyAgreement(readFileSync(join(VECTORS, vector)), key);
    assert.deepEqual(
      files.map((f) => f.name),
      ["README.md"],
      vector,
    );
    assert.match(new TextDecoder().decode(files[0]?.data), /CDOC/);
  }
});

test("property: any set of files survives page → command line and command line → page", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const key = await pageKey(privateKey);
  const name = fc
    .stringMatching(/^[A-Za-z0-9_\-. äöüõ]{1,40}$/)
    .filter((n) => n.trim() === n && n !== "." && n !== "..");
  const fileSet = fc.uniqueArray(fc.record({ name, data: fc.uint8Array({ maxLength: 5000 }) }), {
    minLength: 1,
    maxLength: 4,
    selector: (f) => f.name,
  });
  await fc.assert(
    fc.asyncProperty(fileSet, async (files) => {
      const dir = temporaryDirectory("riik-cdoc-prop-");
      const file = join(dir, "c.cdoc2");
      writeFileSync(file, await encryptForPublicKeys(files, [{ keyLabel: "k", publicKey: tlsPoint(publicKey) }]));
      const out = join(dir, "out");
      const names = await decryptFile({ file, key: { type: "private-key", key: privateKey }, outputDir: out });
      assert.deepEqual(names.sort(), files.map((f) => f.name).sort());
      for (const f of files) assert.deepEqual(new Uint8Array(readFileSync(join(out, f.name))), f.data);

      const back = join(dir, "back.cdoc2");
      await encryptFiles({
        files: files.map((f) => join(out, f.name)),
        recipients: [{ type: "public-key", key: publicKey }],
        out: back,
      });
      const opened = await decryptWithKeyAgreement(readFileSync(back), key);
      assert.deepEqual(opened.map((f) => [f.name, [...f.data]]).sort(), files.map((f) => [f.name, [...f.data]]).sort());
    }),
    { numRuns: 25 },
  );
});

test("every single-byte alteration of a page container, and any truncation or extension, is refused", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const key = await pageKey(privateKey);
  const container = await encryptForPublicKeys(
    [{ name: "a.txt", data: bytes("secret") }],
    [{ keyLabel: "k", publicKey: tlsPoint(publicKey) }],
  );
  const refusals = new Set<string>();
  for (let i = 0; i < container.length; i++) {
    const altered = container.slice();
    altered[i] = altered[i]! ^ 0x01;
    await assert.rejects(decryptWithKeyAgreement(altered, key), (e: unknown) => {
      assert.ok(e instanceof CdocError, `byte ${i}: ${String(e)}`);
      refusals.add(e.code);
      return true;
    });
  }
  // Prelude, header (or its vectors), header HMAC, and payload each have their own refusal.
  for (const code of ["CDOC_FORMAT", "CDOC_HEADER_HMAC", "CDOC_PAYLOAD_AUTH"]) assert.ok(refusals.has(code), code);
  await rejectsWith(decryptWithKeyAgreement(container.subarray(0, container.length - 1), key), "CDOC_PAYLOAD_AUTH");
  const extended = new Uint8Array(container.length + 1);
  extended.set(container);
  await rejectsWith(decryptWithKeyAgreement(extended, key), "CDOC_PAYLOAD_AUTH");
});

/** A container (for `publicKey`) whose correctly encrypted tar holds `entries`. */
async function containerWithTar(
  publicKey: KeyObject,
  entries: Array<{ name: string; type?: "file" | "symlink" | "directory"; body?: Buffer; linkname?: string }>,
): Promise<Uint8Array> {
  const pack = tar.pack();
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    if ((e.type ?? "file") === "file") pack.entry({ name: e.name, size: body.length, mode: 0o600 }, body);
    else pack.entry({ name: e.name, type: e.type, ...(e.linkname ? { linkname: e.linkname } : {}) });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  const out = join(temporaryDirectory("riik-cdoc-tar-"), "c.cdoc2");
  await encryptTar({
    tar: () => Readable.from([Buffer.concat(chunks)]),
    recipients: [{ type: "public-key", key: publicKey }],
    out,
  });
  return readFileSync(out);
}

test("hostile payloads are refused in the page: '..', absolute paths, links, duplicates, and a payload that inflates without bound", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const key = await pageKey(privateKey);
  const ok = { name: "ok.txt", body: Buffer.from("fine") };
  for (const entries of [
    [ok, { name: "../evil.txt", body: Buffer.from("x") }],
    [ok, { name: "a/../../evil.txt", body: Buffer.from("x") }],
    [{ name: "/etc/evil", body: Buffer.from("x") }],
    [ok, { name: "link", type: "symlink" as const, linkname: "/etc/passwd" }],
    [ok, ok],
  ]) {
    await rejectsWith(decryptWithKeyAgreement(await containerWithTar(publicKey, entries), key), "CDOC_TAR_ENTRY");
  }
  const bomb = await containerWithTar(publicKey, [{ name: "zeros", body: Buffer.alloc(4 * 1024 * 1024) }]);
  assert.ok(bomb.length < 64 * 1024, "four MiB of zeros compress to a few kilobytes");
  await rejectsWith(decryptWithKeyAgreement(bomb, key, 1024 * 1024), "CDOC_TOO_LARGE");
  const fine = await decryptWithKeyAgreement(bomb, key, 8 * 1024 * 1024);
  assert.equal(fine[0]?.data.length, 4 * 1024 * 1024);
});
