// Keys in hardware (issue #18): the central server's configuration key and the security
// servers' signing keys made inside a SoftHSM2 token by `riik central init` and `riik ss init
// --pkcs11`, used by real server processes, and checked by tools that are not ours.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { canonicalJson } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { Agent, request } from "undici";
import { skipWithoutSoftHsm as skip, softHsmToken } from "../../pki/test/helpers.ts";
import { CENTRAL_KEY_LABEL, readCentralConfig } from "../src/central/server.ts";
import { openSigningKey, readSecurityServerConfig, signKeyLabel } from "../src/ss/config.ts";
import { CONSUMER, PETS, riik, type Sandbox, SS1, SS2, startSandbox } from "./fixtures/sandbox.ts";

const TOKEN = "riik-xroad";
const dir = temporaryDirectory("riik-xroad-pkcs11-");
let sb: Sandbox;
// Made here, not in a hook: its temporary directory is removed after the whole file.
const token = skip ? { module: "", pin: "", pinFile: "" } : softHsmToken(TOKEN);

before(async () => {
  if (skip) return;
  sb = await startSandbox({ dir, pkcs11: { module: token.module, tokenLabel: TOKEN, pinFile: token.pinFile } });
});
after(async () => {
  await sb?.stop();
});

/** `pkcs11-tool --list-objects` (OpenSC): what the token itself says about its objects. */
function tokenObjects(): string {
  return execFileSync(
    "pkcs11-tool",
    ["--module", token.module, "--token-label", TOKEN, "--login", "--pin", token.pin, "--list-objects"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** The block pkcs11-tool prints for the private key labelled `label`. */
function privateKeyObject(label: string): string {
  const block = tokenObjects()
    .split(/\n(?=\S)/)
    .find((b) => b.startsWith("Private Key Object") && b.includes(`label:      ${label}\n`));
  assert.ok(block, `the token holds no private key ${label}:\n${tokenObjects()}`);
  return block;
}

/** openssl verifies `signature` over `data` with the public key of the PEM certificate at `certPath`. */
function opensslVerify(certPath: string, data: Uint8Array, signature: Uint8Array, digest: string): string {
  const pub = join(dir, "pub.pem");
  writeFileSync(pub, execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-pubkey"]));
  writeFileSync(join(dir, "data"), data);
  writeFileSync(join(dir, "sig"), signature);
  return execFileSync(
    "openssl",
    ["dgst", `-${digest}`, "-verify", pub, "-signature", join(dir, "sig"), join(dir, "data")],
    { encoding: "utf8" },
  );
}

describe("keys in a PKCS#11 token", { skip }, () => {
  it("central init leaves no key file: central.json names the token, the key is sensitive and never extractable", () => {
    const centralDir = join(dir, "central");
    assert.equal(existsSync(join(centralDir, "conf-signing.key.pem")), false);
    const config = readCentralConfig(centralDir);
    assert.deepEqual(config.pkcs11, {
      module: token.module,
      tokenLabel: TOKEN,
      pinFile: token.pinFile,
      keyLabel: CENTRAL_KEY_LABEL,
    });
    assert.doesNotMatch(readFileSync(join(centralDir, "central.json"), "utf8"), /1234/);
    const key = privateKeyObject(CENTRAL_KEY_LABEL);
    assert.match(key, /Access:.*\bsensitive\b/);
    assert.match(key, /never extractable/);
    assert.match(key, /\blocal\b/); // CKA_LOCAL: generated inside the token, not imported
  });

  it("the served global configuration is signed in the token, and openssl verifies it with the anchor's certificate", async () => {
    const reply = await request(`${sb.centralUrl}/globalconf`);
    assert.equal(reply.statusCode, 200);
    const document = (await reply.body.json()) as {
      content: unknown;
      signature: { algorithm: string; value: string };
    };
    assert.equal(document.signature.algorithm, "ecdsa-with-SHA384");
    const certPath = join(sb.centralDir, "conf-signing.crt");
    const out = opensslVerify(
      certPath,
      Buffer.from(canonicalJson(document.content)),
      Buffer.from(document.signature.value, "base64"),
      "sha384",
    );
    assert.match(out, /Verified OK/);
    // The certificate is self-signed by the token key too.
    const certificate = new X509Certificate(readFileSync(certPath));
    assert.ok(certificate.verify(certificate.publicKey));
  });

  it("ss init leaves no signing key file; the seal certificate certifies the token's key, which signs", async () => {
    const config = readSecurityServerConfig(sb.ss1.config);
    assert.equal(config.files.signKey, undefined);
    assert.equal(existsSync(join(sb.ss1.dir, "keys/sign.key.pem")), false);
    assert.equal(config.pkcs11?.keyLabel, signKeyLabel(SS1));
    assert.match(privateKeyObject(signKeyLabel(SS1)), /never extractable/);
    assert.match(privateKeyObject(signKeyLabel(SS2)), /never extractable/);
    // The authentication key (mutual TLS) stays a file: Node's TLS signs only with keys it holds.
    assert.equal(existsSync(join(sb.ss1.dir, "keys/auth.key.pem")), true);
    const signer = await openSigningKey(config);
    try {
      const data = Buffer.from("riik pkcs11 seal");
      const out = opensslVerify(join(sb.ss1.dir, "sign.crt"), data, await signer.sign(data), "sha384");
      assert.match(out, /Verified OK/);
    } finally {
      signer.close();
    }
  });

  it("two security servers exchange a message both signed in the token and verified by the other side", async () => {
    const is = new Agent({ connect: { cert: sb.isCert.cert, key: sb.isCert.key, rejectUnauthorized: false } });
    try {
      const reply = await request(`${sb.ss1.clientTls}/r1/${PETS}/v2/pets/1124`, {
        headers: { "x-road-client": CONSUMER },
        dispatcher: is,
      });
      const body = await reply.body.text();
      assert.equal(reply.statusCode, 200, body);
      assert.equal(JSON.parse(body).id, 1124);
    } finally {
      await is.close();
    }
    // A second init on the same token cannot replace a key the token holds.
    assert.throws(
      () =>
        riik([
          "central",
          "init",
          "--dir",
          join(dir, "central-again"),
          "--instance",
          "EE",
          "--pkcs11",
          token.module,
          "--token-label",
          TOKEN,
          "--pin-file",
          token.pinFile,
        ]),
      (e: { stderr?: string }) =>
        /PKI_ALREADY_INITIALISED|already holds a key central-conf-signing/.test(e.stderr ?? ""),
    );
  });
});
