// `riik embassy init` as riik up runs it, in process (initShipperHome): the master key and the
// client certificate are made once, owner-only, and kept when it runs again after an interrupted start.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { notOwnerOnly, temporaryDirectory } from "@riik/core/testing";
import { initTrustServices } from "@riik/pki";
import { initShipperHome, readMasterKeyFile } from "../src/index.ts";

describe("the shipper's home (riik embassy init)", async () => {
  const root = temporaryDirectory("riik-shipper-home-");
  const pkiDir = join(root, "pki");
  await (await initTrustServices({ dir: pkiDir, baseUrl: "http://127.0.0.1:1" })).close();
  const ledgerKey = join(root, "ledger.vkey");
  writeFileSync(ledgerKey, "riik.localhost/ledger+0123abcd+key\n");
  const dir = join(root, "home");

  it("makes the master key, a client certificate from the server CA and a copy of the ledger key, owner-only", async () => {
    const home = await initShipperHome({ dir, pkiDir, ledgerKey });
    assert.equal(readMasterKeyFile(home.masterKey).id, home.masterKeyId);
    const certificate = new X509Certificate(readFileSync(home.tls.cert));
    assert.match(certificate.subject, /CN=riik-embassy-shipper/);
    assert.ok(
      certificate.checkIssued(new X509Certificate(readFileSync(home.tls.ca))),
      "issued by the bundle's server CA",
    );
    assert.equal(readFileSync(home.ledgerKey!, "utf8"), readFileSync(ledgerKey, "utf8"));
    assert.deepEqual(notOwnerOnly(dir), []);
  });

  it("keeps what it made when run again", async () => {
    const before = {
      key: readFileSync(join(dir, "master.key"), "utf8"),
      cert: readFileSync(join(dir, "tls", "client.crt"), "utf8"),
    };
    const again = await initShipperHome({ dir, pkiDir });
    assert.equal(readFileSync(again.masterKey, "utf8"), before.key);
    assert.equal(readFileSync(again.tls.cert, "utf8"), before.cert);
    assert.equal(again.ledgerKey, undefined);
  });
});
