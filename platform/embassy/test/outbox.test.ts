// Finding #22.2: the shipper's outbox (the chain at home, data keys, deliveries) on SQLite
// and on PostgreSQL, from the same file: the chain as stored links up, every segment is
// anchored, a reopened shipper continues the chain from its store (PostgreSQL hands bigints
// back as text), a rotated data key is picked up, and restore equals the registry.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStorage } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { parseVerifierKey } from "@riik/ledger";
import { GENESIS } from "../src/format/segment.ts";
import {
  EmbassyClient,
  readMasterKeyFile,
  readTlsMaterial,
  restoreRegistry,
  rotateShipperKey,
  Shipper,
  tlsFiles,
} from "../src/index.ts";
import { harness, REGISTRY_MODULE, readVkey, startEmbassy, whenTrue } from "./fixtures/harness.ts";
import { embassyRegistry, migrations, person, writePersons } from "./fixtures/test-registry.ts";

const h = await harness();
after(async () => {
  await h.registry.close();
  await h.ledger.close();
});

for (const target of await dialectTargets()) {
  describe(`the shipper's outbox on ${target.dialect}`, () => {
    it("finding #22.2: chains, anchors, delivers, survives a reopen, rotates keys, and restores", async () => {
      // One embassy per back end: both chains are test-register's.
      const lux = await startEmbassy(h, `lux-${target.dialect}`);
      after(() => lux.server.close());
      const at = target.location("embassy_shipper");
      const registryAt = target.location("test_register");
      const registry = await openStorage<any>({
        component: embassyRegistry.component,
        dataDir: join(registryAt.dataDir, `registry-${target.dialect}`),
        url: registryAt.url ?? "",
        ...(registryAt.schema ? { schema: registryAt.schema } : {}),
        migrations,
      });
      after(() => registry.close());
      const name = "test-register";
      const config = h.writeConfig([{ name: "lux", url: lux.url }], {
        home: `home-${target.dialect}`,
        ...(at.url ? { databaseUrl: at.url, databaseSchema: at.schema! } : {}),
        registries: [
          registryAt.url
            ? { name, databaseUrl: registryAt.url, schema: registryAt.schema!, module: REGISTRY_MODULE }
            : { name, dataDir: join(registryAt.dataDir, `registry-${target.dialect}`), module: REGISTRY_MODULE },
        ],
      });
      const delivered = (shipper: Shipper, seq: number) =>
        whenTrue(
          shipper.events,
          ["delivered"],
          async () => {
            const [d] = await shipper.refreshStatus();
            return d?.ackedSeq === seq && d.lagSegments === 0 && d.lastError === null;
          },
          `the embassy to hold seq ${seq} (${target.dialect})`,
        );

      let shipper = await Shipper.open(config);
      await writePersons(registry.db, [person(1), person(2), person(3)]);
      await shipper.start();
      for (let i = 0; i < 5; i++)
        await writePersons(
          registry.db,
          Array.from({ length: 30 }, (_, j) => person(10 + i * 30 + j)),
        );
      await delivered(shipper, 153);
      await shipper.snapshot(name);
      await writePersons(registry.db, [{ ...person(1), surname: "MovedZq" }]);
      await delivered(shipper, 154);
      const firstKey = (await shipper.refreshStatus())[0]!.keyId;
      await shipper.close();

      // The outbox as stored: contiguous, linked by digest, every segment anchored.
      const reopened = await Shipper.open(config);
      shipper = reopened;
      after(() => reopened.close());
      const rows = await shipper.db.selectFrom("shipper_segment").selectAll().orderBy("idx").execute();
      assert.ok(rows.length >= 4, `${rows.length} segments`);
      let previous = GENESIS;
      for (const [i, row] of rows.entries()) {
        assert.equal(Number(row.idx), i);
        const header = JSON.parse(Buffer.from(row.header).toString("utf8"));
        assert.equal(header.previous, previous, `segment ${i} links to ${i - 1}`);
        assert.equal(header.registry, name);
        assert.notEqual(row.signature, null, `segment ${i} is anchored`);
        previous = row.digest;
      }
      assert.deepEqual(
        rows.filter((r) => r.kind === "snapshot" && Number(r.snapshot_last) === 1).length >= 2,
        true,
        "the first snapshot and the one cut by hand",
      );
      const deliveries = await shipper.db.selectFrom("shipper_delivery").selectAll().execute();
      assert.equal(deliveries.length, 1);
      assert.equal(Number(deliveries[0]!.idx), rows.length - 1);
      assert.equal(Number(deliveries[0]!.last_seq), 154);

      // A rotated data key reaches the reopened shipper; the chain continues from the store.
      const rotated = await rotateShipperKey(config);
      assert.notEqual(rotated, firstKey);
      await shipper.start();
      await writePersons(registry.db, [person(900)]);
      await delivered(shipper, 155);
      const [status] = await shipper.refreshStatus();
      assert.equal(status!.keyId, rotated);
      assert.equal(status!.chainIndex, rows.length);
      const newest = await shipper.db
        .selectFrom("shipper_segment")
        .select(["header"])
        .where("idx", "=", rows.length)
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(Buffer.from(newest.header).toString("utf8")).key.id, rotated);

      const client = new EmbassyClient(lux.url, readTlsMaterial(tlsFiles(h.homeDir, "client")));
      after(() => client.close());
      const to = join(h.root, `restored-${target.dialect}`);
      const report = await restoreRegistry({
        definition: embassyRegistry,
        source: client,
        masterKeys: [readMasterKeyFile(join(h.root, "master.key"))],
        ledgerKey: parseVerifierKey(readVkey(h.ledgerKeyFile)),
        to,
      });
      assert.equal(report.lastSeq, 155);
      const restored = await openStorage<any>({ component: embassyRegistry.component, dataDir: to, migrations });
      after(() => restored.close());
      const persons = (db: typeof restored.db) =>
        db.selectFrom("person").select(["personal_code", "given_name", "surname"]).orderBy("personal_code").execute();
      assert.deepEqual(await persons(restored.db), await persons(registry.db));
    });
  });
}
