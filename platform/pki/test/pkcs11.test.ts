import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PkiError } from "../src/errors.ts";
import { Pkcs11KeyStore } from "../src/keystore/pkcs11-key-store.ts";
import { skipWithoutSoftHsm as skip, softHsmToken } from "./helpers.ts";

// Made here, not in a hook: its temporary directory is removed after the whole file.
const { module: MODULE, pinFile, dir } = skip ? { module: "", pinFile: "", dir: "" } : softHsmToken("riik-test");

test("keys are made inside the token, cannot leave it, and sign", { skip }, async () => {
  const store = await Pkcs11KeyStore.open({ module: MODULE, tokenLabel: "riik-test", pinFile });
  try {
    assert.equal(store.has("ca-root"), false);
    const pair = await store.generate("ca-root", "p384");
    assert.equal(pair.privateKey.extractable, false);
    await assert.rejects(store.crypto.subtle.exportKey("pkcs8", pair.privateKey));
    await assert.rejects(
      store.generate("ca-root", "p384"),
      (e: unknown) => e instanceof PkiError && e.code === "PKI_ALREADY_INITIALISED",
    );
    const data = new TextEncoder().encode("riik");
    const params = { name: "ECDSA", hash: "SHA-384" };
    const signature = await store.crypto.subtle.sign(params, pair.privateKey, data);
    assert.ok(await store.crypto.subtle.verify(params, pair.publicKey, signature, data));
    await store.generate("ocsp", "rsa2048");
  } finally {
    store.close();
  }
  const reopened = await Pkcs11KeyStore.open({ module: MODULE, tokenLabel: "riik-test", pinFile });
  try {
    assert.equal(reopened.has("ca-root"), true);
    const loaded = await reopened.load("ca-root");
    assert.equal(loaded.privateKey.extractable, false);
    assert.equal((await reopened.load("ocsp")).privateKey.algorithm.name, "RSASSA-PKCS1-v1_5");
    await assert.rejects(reopened.load("tsa"), (e: unknown) => e instanceof PkiError && e.code === "PKI_KEY_MISSING");
  } finally {
    reopened.close();
  }
  // The token itself refuses CKA_VALUE of the private key.
  const out = execFileSync(
    "pkcs11-tool",
    ["--module", MODULE, "--login", "--pin", "1234", "--read-object", "--type", "privkey", "--label", "ca-root"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    },
  ).toString();
  assert.equal(out.length, 0);
});

test("a wrong PIN is a typed error a person can act on", { skip }, async () => {
  const wrong = join(dir, "wrong-pin");
  writeFileSync(wrong, "0000\n", { mode: 0o600 });
  await assert.rejects(
    Pkcs11KeyStore.open({ module: MODULE, tokenLabel: "riik-test", pinFile: wrong }),
    (e: unknown) => {
      assert.ok(e instanceof PkiError);
      assert.equal(e.code, "PKI_KEY_PASSPHRASE");
      assert.match(e.message, /refused the user PIN: check the PIN file/);
      assert.doesNotMatch(e.message, /0000/);
      return true;
    },
  );
  const loose = join(dir, "loose-pin");
  writeFileSync(loose, "1234\n", { mode: 0o644 });
  await assert.rejects(Pkcs11KeyStore.open({ module: MODULE, tokenLabel: "riik-test", pinFile: loose }), /chmod 600/);
});

test("a token is found by its label; an unknown label names the tokens there are", { skip }, async () => {
  await assert.rejects(Pkcs11KeyStore.open({ module: MODULE, tokenLabel: "riik-other", pinFile }), (e: unknown) => {
    assert.ok(e instanceof PkiError);
    assert.equal(e.code, "PKI_ARGUMENT");
    assert.match(e.message, /no token labelled "riik-other" in .*libsofthsm2\.so \(tokens: "riik-test"/);
    return true;
  });
});
