// Issue #18: the trust services' keys in a hardware token (SoftHSM2 here). `riik pki init
// --pkcs11` makes every key inside the token, `riik pki serve` signs with them, and openssl
// accepts a certificate, an OCSP response and a time-stamp made so.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort, RIIK_BIN, runRiik, temporaryDirectory } from "@riik/core/testing";
import { openTrustServices } from "../src/index.ts";
import { issueTestCard, opensslOcsp, run, skipWithoutSoftHsm as skip, softHsmToken } from "./helpers.ts";

const KEYS = ["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"];

describe("trust services with their keys in a PKCS#11 token", { skip }, async () => {
  const token = skip ? undefined : softHsmToken("riik-ca");
  if (!token) return;
  const out = temporaryDirectory("riik-pki-hsm-");
  const dir = join(out, "pki");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  const init = await runRiik([
    ...["pki", "init", "--dir", dir, "--url", url],
    ...["--pkcs11", token.module, "--token-label", token.label, "--pin-file", token.pinFile],
  ]);
  assert.equal(init.code, 0, init.stderr);

  it("records where the keys are in pki.json, never the PIN, and writes no key file", () => {
    const text = readFileSync(join(dir, "pki.json"), "utf8");
    const config = JSON.parse(text);
    assert.deepEqual(config.pkcs11, {
      module: token.module,
      tokenLabel: "riik-ca",
      pinFile: token.pinFile,
      keyLabels: Object.fromEntries(KEYS.map((k) => [k, k])),
    });
    assert.doesNotMatch(text, new RegExp(token.pin));
    const files = readdirSync(dir, { recursive: true }).map(String);
    assert.deepEqual(
      files.filter((f) => /keys|\.key|\.pem$|passphrase/.test(f)),
      [],
    );
    for (const file of files.filter((f) => f.endsWith(".crt")))
      assert.doesNotMatch(readFileSync(join(dir, file), "utf8"), /PRIVATE KEY/);
  });

  it("refuses a second init into the same token before making any key", async () => {
    const again = await runRiik([
      ...["pki", "init", "--dir", join(out, "again"), "--url", url],
      ...["--pkcs11", token.module, "--token-label", token.label, "--pin-file", token.pinFile],
    ]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /PKI_ALREADY_INITIALISED: the token already holds keys labelled root, esteid/);
  });

  it("keeps every private key in the token, sensitive and never extractable", async () => {
    const { stdout } = await run("pkcs11-tool", [
      ...["--module", token.module, "--token-label", token.label, "--login", "--pin", token.pin],
      ...["--list-objects", "--type", "privkey"],
    ]);
    const objects = stdout.split(/^(?=Private Key Object)/m).filter((o) => o.startsWith("Private Key Object"));
    const labels = objects.map((o) => /label:\s+(\S+)/.exec(o)?.[1]);
    assert.deepEqual(labels.sort(), [...KEYS].sort());
    for (const object of objects) {
      assert.match(object, /Access:\s+sensitive, always sensitive, never extractable, local/, object);
      assert.match(object, /Usage:\s+sign\n/, object);
    }
  });

  it("issues a certificate with the CA key in the token, which openssl verifies", async () => {
    const services = await openTrustServices(dir);
    try {
      assert.equal(services.cas.esteid.keys.privateKey.extractable, false);
      const { authPath } = await issueTestCard(services, out);
      const ca = (name: string) => join(dir, "ca", `${name}.crt`);
      const { stdout } = await run("openssl", ["verify", "-CAfile", ca("root"), "-untrusted", ca("esteid"), authPath]);
      assert.match(stdout, /: OK/);
    } finally {
      await services.close();
    }
  });

  it("riik pki serve answers OCSP and time-stamp requests signed in the token", async () => {
    const services = await openTrustServices(dir);
    const { authPath } = await issueTestCard(services, out, "48707282714");
    await services.close();

    const serve = spawn(process.execPath, [RIIK_BIN, "pki", "serve", "--dir", dir, "--port", String(port)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
    });
    after(() => serve.kill("SIGTERM"));
    let stderr = "";
    serve.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    // serve prints its URLs once it listens.
    await new Promise<void>((resolve, reject) => {
      let stdout = "";
      serve.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (/^tsa /m.test(stdout)) resolve();
      });
      serve.once("exit", (code) => reject(new Error(`riik pki serve exited with ${code}: ${stderr}`)));
    });

    const ocsp = await opensslOcsp(dir, url, authPath);
    assert.match(ocsp, /: good/);

    const data = join(out, "data.txt");
    writeFileSync(data, "Riigikogu otsus nr 18\n");
    const query = join(out, "q.tsq");
    const reply = join(out, "r.tsr");
    await run("openssl", ["ts", "-query", "-data", data, "-sha384", "-cert", "-out", query]);
    const response = await fetch(`${url}/tsa`, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query" },
      body: readFileSync(query),
    });
    assert.equal(response.status, 200);
    writeFileSync(reply, new Uint8Array(await response.arrayBuffer()));
    const ca = (name: string) => join(dir, "ca", `${name}.crt`);
    const verified = await run("openssl", [
      ...["ts", "-verify", "-data", data, "-in", reply],
      ...["-CAfile", ca("root"), "-untrusted", ca("tsa")],
    ]);
    assert.match(verified.stdout, /Verification: OK/);

    serve.kill("SIGTERM");
    const [code] = await once(serve, "exit");
    assert.equal(code, 0, stderr);
  });
});
