// Finding #22.1: restore of the real population register, not a stand-in. The shipper is given
// the register's definition (embassyRegistry: migrations, tables, applyChange), ships
// a seeded register and later changes of address, and restore rebuilds every table equal.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStorage, type Storage } from "@riik/core";
import { parseVerifierKey } from "@riik/ledger";
import {
  demoPersons,
  embassyRegistry,
  openPopulationRegister,
  populationRegisterMigrations,
  seedPopulation,
} from "@riik/population-register";
import { sql } from "kysely";
import { EmbassyClient, readMasterKeyFile, readTlsMaterial, restoreRegistry, Shipper, tlsFiles } from "../src/index.ts";
import { harness, readVkey, startEmbassy, whenTrue } from "./fixtures/harness.ts";

/**
 * Every row of the register's tables, in a stable order. Not the journal, Kysely's
 * bookkeeping, the outbox or the publish/subscribe state: those are the home register's
 * deliveries, not its data, and a restored register starts them afresh.
 */
async function contents(storage: Storage<any>): Promise<Record<string, unknown[]>> {
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'
    and name not like 'sqlite_%' and name not like 'kysely_%' and name <> 'change_journal'
    and name <> 'event_outbox' and name not like 'pubsub_%' order by name`.execute(storage.db);
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables.rows) {
    const columns = await sql<{ cid: number }>`select cid from pragma_table_info(${name})`.execute(storage.db);
    const order = sql.raw(columns.rows.map((c) => String(c.cid + 1)).join(", "));
    out[name] = (await sql`select * from ${sql.table(name)} order by ${order}`.execute(storage.db)).rows;
  }
  return out;
}

describe("restore of the real population register", async () => {
  const h = await harness();
  const lux = await startEmbassy(h, "lux");
  const registerDir = join(h.root, "population-register");
  await seedPopulation({ dataDir: registerDir, persons: 200 });
  const shipper = await Shipper.open(
    h.writeConfig([{ name: "lux", url: lux.url }], {
      registries: [{ name: "population-register", dataDir: "population-register" }],
    }),
    { registries: [embassyRegistry] },
  );
  after(async () => {
    await shipper.close();
    await lux.server.close();
    await h.registry.close();
    await h.ledger.close();
  });

  it("finding #22.1: ships the seeded register and changes of address, restores every table equal", async () => {
    const register = await openPopulationRegister({ dataDir: registerDir });
    after(() => register.close());
    const journalHead = async () =>
      Number(
        (
          await register.db
            .selectFrom("change_journal" as never)
            .select(sql<number>`max(seq)`.as("seq"))
            .executeTakeFirst()
        )?.seq ?? 0,
      );
    const heldAll = async () => {
      const [d] = await shipper.refreshStatus();
      return d !== undefined && d.ackedSeq === (await journalHead()) && d.lagSegments === 0;
    };
    await shipper.start();
    await whenTrue(shipper.events, ["delivered"], heldAll, "the embassy to hold the seeded register");

    // Changes after the snapshot: restore applies these through the register's own applyChange.
    const [first, second] = await demoPersons({ dataDir: registerDir }, 2);
    assert.ok(first && second);
    const moved = await register.changeAddress(first.personalCode, {
      county: "Tartu maakond",
      municipality: "Tartu linn",
      settlement: "Tartu linn",
      street: "Ülikooli tn",
      house: "18",
      apartment: null,
      postalCode: "50090",
      ehakCode: "0793",
    });
    await register.changeAddress(second.personalCode, {
      county: "Harju maakond",
      municipality: "Tallinn",
      settlement: "Kesklinna linnaosa",
      street: "Narva mnt",
      house: "5/7",
      apartment: "12",
      postalCode: "10117",
      ehakCode: null,
    });
    await whenTrue(shipper.events, ["delivered"], heldAll, "the embassy to hold the changes of address");

    const client = new EmbassyClient(lux.url, readTlsMaterial(tlsFiles(h.homeDir, "client")));
    after(() => client.close());
    const to = join(h.root, "restored");
    const report = await restoreRegistry({
      definition: embassyRegistry,
      source: client,
      masterKeys: [readMasterKeyFile(join(h.root, "master.key"))],
      ledgerKey: parseVerifierKey(readVkey(h.ledgerKeyFile)),
      to,
    });
    assert.equal(report.lastSeq, await journalHead());
    assert.ok(report.changes >= 2, `${report.changes} changes applied after the snapshot`);

    const restored = await openStorage<any>({
      component: embassyRegistry.component,
      dataDir: to,
      migrations: populationRegisterMigrations,
    });
    after(() => restored.close());
    const home = await contents(register.storage);
    assert.ok((home.person?.length ?? 0) >= 200);
    assert.deepEqual(await contents(restored), home);
    const restoredRegister = await openPopulationRegister({ dataDir: to });
    after(() => restoredRegister.close());
    assert.deepEqual(await restoredRegister.currentAddress(first.personalCode), moved);
  });
});
