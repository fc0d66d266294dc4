// Keys in hardware (issue #18): the ledger's checkpoint key (Ed25519, C2SP signed-note type
// 0x01) inside a SoftHSM2 token, beside the trust services' ECDSA keys, checked by openssl.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { Pkcs11KeyStore, PkiError } from "@riik/pki";
import { skipWithoutSoftHsm as skip, softHsmToken } from "../../pki/test/helpers.ts";
import { isLedgerError } from "../src/errors.ts";
import { type LedgerTokenKey, readTokenKey, writeTokenKey } from "../src/note/key-file.ts";
import { parseNote, signNote, verifyNote } from "../src/note/signed-note.ts";
import { SIGNATURE_TYPE_ED25519, tokenSigner } from "../src/note/verifier-key.ts";
import { createLedgerServer, type LedgerServer } from "../src/server.ts";

const TOKEN = "riik-ledger";
// Made here, not in a hook: its temporary directory is removed after the whole file.
const token = skip ? { module: "", pin: "", pinFile: "" } : softHsmToken(TOKEN);
const dir = temporaryDirectory("riik-ledger-pkcs11-");
const ORIGIN = "riik.test/ledger";
const config = { module: token.module, tokenLabel: TOKEN, pinFile: token.pinFile };
let server: LedgerServer | undefined;
let store: Pkcs11KeyStore | undefined;
after(async () => {
  await server?.close();
  store?.close();
});

describe("the ledger's key in a PKCS#11 token", { skip }, () => {
  it("is made inside the token beside an ECDSA key, never extractable, and the ECDSA key is still found", async () => {
    const first = await Pkcs11KeyStore.open(config);
    try {
      await first.generate("ca-root", "p384");
      const key = first.ed25519("ledger-checkpoint", { create: true });
      assert.equal(key.publicKey.length, 32);
      assert.throws(
        () => first.ed25519("ledger-checkpoint", { create: true }),
        (e: unknown) => e instanceof PkiError && e.code === "PKI_ALREADY_INITIALISED",
      );
    } finally {
      first.close();
    }
    // node-webcrypto-p11 cannot represent an Ed25519 key; the store must still open and list the rest.
    const again = await Pkcs11KeyStore.open(config);
    try {
      assert.equal(again.has("ca-root"), true);
      assert.throws(
        () => again.ed25519("no-such-key"),
        (e: unknown) => e instanceof PkiError && e.code === "PKI_KEY_MISSING",
      );
    } finally {
      again.close();
    }
    const objects = execFileSync(
      "pkcs11-tool",
      ["--module", token.module, "--token-label", TOKEN, "--login", "--pin", token.pin, "--list-objects"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const block = objects
      .split(/\n(?=\S)/)
      .find(
        (b) =>
          b.startsWith("Private Key Object") &&
          /EC_EDWARDS|EDDSA|label:\s+ledger-checkpoint/.test(b) &&
          b.includes("ledger-checkpoint"),
      );
    assert.ok(block, objects);
    assert.match(block, /never extractable/);
  });

  it("signs checkpoints our verifier and openssl accept; the ledger takes the token key and refuses to fall back to a file key", async () => {
    store = await Pkcs11KeyStore.open(config);
    const signer = tokenSigner(ORIGIN, SIGNATURE_TYPE_ED25519, store.ed25519("ledger-checkpoint"));
    const text = `${ORIGIN}\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`;
    const note = parseNote(signNote(text, signer));
    verifyNote(note, signer.verifierKey);
    // openssl: the raw Ed25519 signature over the note text (signed-note, "Ed25519 signatures").
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), signer.verifierKey.publicKey]);
    writeFileSync(join(dir, "pub.der"), spki);
    writeFileSync(join(dir, "text"), text);
    writeFileSync(join(dir, "sig"), note.signatures[0]!.signature);
    const out = execFileSync(
      "openssl",
      [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-keyform",
        "DER",
        "-inkey",
        join(dir, "pub.der"),
        "-rawin",
        "-in",
        join(dir, "text"),
        "-sigfile",
        join(dir, "sig"),
      ],
      { encoding: "utf8" },
    );
    assert.match(out, /Signature Verified Successfully/);

    const keyDir = join(dir, "ledger");
    const key: LedgerTokenKey = { ...config, keyLabel: "ledger-checkpoint" };
    writeTokenKey(keyDir, key, signer);
    assert.deepEqual(readTokenKey(keyDir), key);
    await assert.rejects(createLedgerServer({ dataDir: keyDir, origin: ORIGIN }), (e: unknown) =>
      isLedgerError(e, "VKEY_MALFORMED"),
    );
    server = await createLedgerServer({ dataDir: keyDir, origin: ORIGIN, signer, roundMs: 10 });
    assert.equal(server.signer.verifierKey.text, signer.verifierKey.text);
  });
});
