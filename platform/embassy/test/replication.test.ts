import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStorage } from "@riik/core";
import { parseVerifierKey } from "@riik/ledger";
import { EmbassyClient, readMasterKeyFile, readTlsMaterial, restoreRegistry, Shipper, tlsFiles } from "../src/index.ts";
import { harness, readVkey, startEmbassy, whenTrue } from "./fixtures/harness.ts";
import { deletePerson, embassyRegistry, migrations, person, writePersons } from "./fixtures/test-registry.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile());
}

describe("replication to two embassies and restore", async () => {
  const h = await harness();
  const lux = await startEmbassy(h, "lux");
  const tll = await startEmbassy(h, "tll");
  const config = h.writeConfig([
    { name: "lux", url: lux.url },
    { name: "tll", url: tll.url },
  ]);
  const shipper = await Shipper.open(config);
  after(async () => {
    await shipper.close();
    await lux.server.close();
    await tll.server.close();
    await h.registry.close();
    await h.ledger.close();
  });

  it("ships, reports status, and restores the same data", async () => {
    await writePersons(h.registry.db, [person(1), person(2), person(3)]);
    await shipper.start({ statusPort: 0 });
    for (let batch = 0; batch < 10; batch++)
      await writePersons(
        h.registry.db,
        Array.from({ length: 50 }, (_, i) => person(100 + batch * 50 + i)),
      );
    await deletePerson(h.registry.db, person(2).personal_code);
    await shipper.snapshot("test-register");
    await writePersons(h.registry.db, [{ ...person(1), surname: "ChangedZq" }]);
    const last = 3 + 500 + 1 + 1;
    await whenTrue(
      shipper.events,
      ["delivered"],
      async () => {
        const s = await shipper.refreshStatus();
        return s.length === 2 && s.every((d) => d.ackedSeq === last && d.lagChanges === 0 && d.lagSegments === 0);
      },
      "both embassies to hold everything",
    );
    const status = (await (await fetch(`${shipper.statusUrl}/v1/status`)).json()) as { deliveries: unknown[] };
    assert.equal(status.deliveries.length, 2);
    const metrics = await (await fetch(`${shipper.statusUrl}/metrics`)).text();
    assert.match(metrics, /riik_embassy_lag_seconds\{embassy="lux",registry="test-register"/);
    assert.match(metrics, /riik_embassy_lag_segments\{embassy="tll",registry="test-register"/);

    const client = new EmbassyClient(lux.url, readTlsMaterial(tlsFiles(h.homeDir, "client")));
    after(() => client.close());
    const holdings = await client.holdings();
    assert.equal(holdings[0]!.registry, "test-register");
    assert.equal(holdings[0]!.head.lastSeq, last);
    assert.ok(holdings[0]!.snapshots.length >= 2);

    const to = join(h.root, "restored");
    const report = await restoreRegistry({
      definition: embassyRegistry,
      source: client,
      masterKeys: [readMasterKeyFile(join(h.root, "master.key"))],
      ledgerKey: parseVerifierKey(readVkey(h.ledgerKeyFile)),
      to,
    });
    assert.equal(report.lastSeq, last);
    const restored = await openStorage<any>({ component: embassyRegistry.component, dataDir: to, migrations });
    after(() => restored.close());
    const rows = (db: typeof restored.db) =>
      db.selectFrom("person").select(["personal_code", "given_name", "surname"]).orderBy("personal_code").execute();
    assert.deepEqual(await rows(restored.db), await rows(h.registry.db));
    assert.equal(
      (await rows(restored.db)).find((p: any) => p.personal_code === person(1).personal_code)?.surname,
      "ChangedZq",
    );
    const journal = await restored.db
      .selectFrom("change_journal")
      .select((eb) => eb.fn.max("seq").as("m"))
      .executeTakeFirst();
    assert.equal(Number(journal?.m), last);
    assert.deepEqual(
      readdirSync(to).filter((f) => f.startsWith(".restore")),
      [],
    );
  });

  it("leaves no plaintext personal data in an embassy's storage", () => {
    // Whole values only: a needle of two or three bytes turns up by chance in kilobytes of ciphertext.
    const needles = [
      person(1).personal_code,
      person(150).personal_code,
      person(3).given_name,
      person(3).surname,
      person(42).surname,
    ];
    for (const embassy of [lux, tll]) {
      const files = filesUnder(embassy.dir).filter((f) => !f.includes("/tls/"));
      assert.ok(files.some((f) => f.endsWith(".sqlite")));
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const needle of needles)
          assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `${needle} found in ${file}`);
      }
    }
    // The same needles are in the home registry: the test would see them if they leaked.
    const home = Buffer.concat(filesUnder(h.registryDir).map((f) => readFileSync(f)));
    assert.notEqual(home.indexOf(Buffer.from(person(150).personal_code)), -1);
  });
});
