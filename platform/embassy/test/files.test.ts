// Finding #10.6: whatever the umask, what the embassy writes (master key, TLS keys and
// certificates, the shipper's outbox of segments and snapshots, the embassy's store, a
// restored registry) is 0600 in 0700 directories. The umask of this test process is 0, the
// most permissive: a mode left to the umask would show as 0644/0666 or 0755/0777.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { notOwnerOnly, RIIK_BIN } from "@riik/core/testing";
import { parseVerifierKey } from "@riik/ledger";
import { EmbassyClient, readMasterKeyFile, readTlsMaterial, restoreRegistry, tlsFiles } from "../src/index.ts";
import { homeWithEmbassy, readVkey, whenTrue } from "./fixtures/harness.ts";
import { embassyRegistry, person, writePersons } from "./fixtures/test-registry.ts";

process.umask(0);
const run = promisify(execFile);

describe("files the embassy writes", async () => {
  const { h, lux, shipper } = await homeWithEmbassy();

  it("finding #10.6: keys, certificates, outbox, embassy store and restored registry are 0600 in 0700 directories under umask 0", async () => {
    await writePersons(h.registry.db, [person(1), person(2)]);
    await shipper.start();
    await whenTrue(
      shipper.events,
      ["delivered"],
      async () => (await shipper.refreshStatus())[0]?.ackedSeq === 2,
      "the embassy to hold seq 2",
    );
    const client = new EmbassyClient(lux.url, readTlsMaterial(tlsFiles(h.homeDir, "client")));
    after(() => client.close());
    const restored = join(h.root, "restored", "registry");
    const report = await restoreRegistry({
      definition: embassyRegistry,
      source: client,
      masterKeys: [readMasterKeyFile(join(h.root, "master.key"))],
      ledgerKey: parseVerifierKey(readVkey(h.ledgerKeyFile)),
      to: restored,
    });
    assert.equal(report.lastSeq, 2);

    assert.equal(statSync(join(h.root, "master.key")).mode & 0o777, 0o600);
    // The home side: the shipper's outbox (segments, snapshots, data keys) and its TLS identity.
    assert.ok(readdirSync(h.homeDir).includes("embassy_shipper.sqlite-wal"), "the outbox has its WAL open");
    assert.deepEqual(notOwnerOnly(h.homeDir), []);
    // The embassy node: its store of segments and its TLS identity.
    assert.ok(readdirSync(lux.dir).includes("embassy.sqlite"));
    assert.deepEqual(notOwnerOnly(lux.dir), []);
    assert.deepEqual(readdirSync(restored), ["test_register.sqlite"]);
    assert.deepEqual(notOwnerOnly(restored), []);
  });

  it("finding #10.6: riik embassy init writes its home (master key, TLS identity, copied ledger key) owner-only", async () => {
    // The child inherits this process's umask of 0.
    const home = join(h.root, "init-home");
    await run(process.execPath, [
      RIIK_BIN,
      "embassy",
      "init",
      "--dir",
      home,
      "--pki",
      h.pkiDir,
      "--ledger-key",
      h.ledgerKeyFile,
    ]);
    assert.deepEqual(readdirSync(home).sort(), ["ledger.vkey", "master.key", "tls"]);
    assert.deepEqual(notOwnerOnly(home), []);
  });
});
