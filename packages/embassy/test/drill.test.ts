// The continuity drill on a mini-state: a registry process stand-in (HTTP over the test
// registry), an embassy over mTLS, the ledger and the shipper; the drill destroys the
// registry's data, restores it, and the shipper continues the chain afterwards.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openStorage, type Storage } from "@riik/core";
import Fastify from "fastify";
import { runDrill, Shipper } from "../src/index.ts";
import { harness, startEmbassy, until } from "./fixtures/harness.ts";
import { embassyRegistry, migrations, person, writePersons } from "./fixtures/test-registry.ts";

describe("continuity drill", () => {
  it("destroys, restores, restarts, checks, and replication continues", async () => {
    const h = await harness();
    await h.registry.close();
    const lux = await startEmbassy(h, "lux");
    const config = h.writeConfig([{ name: "lux", url: lux.url }]);
    let storage: Storage<any> | undefined = await openStorage<any>({
      component: embassyRegistry.component,
      dataDir: h.registryDir,
      migrations,
    });
    const app = Fastify();
    app.get("/healthz", async (_q, reply) => (storage ? { status: "ok" } : reply.status(503).send({})));
    app.get("/persons/:code", async (request) =>
      storage!.db
        .selectFrom("person")
        .select(["personal_code", "given_name", "surname"])
        .where("personal_code", "=", (request.params as { code: string }).code)
        .executeTakeFirst(),
    );
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const shipper = await Shipper.open(config);
    after(async () => {
      await shipper.close();
      await app.close();
      await storage?.close();
      await lux.server.close();
      await h.ledger.close();
    });
    await shipper.start();
    for (let i = 0; i < 20; i++) await writePersons(storage.db, [person(i)]);
    await until(async () => (await shipper.refreshStatus())[0]?.ackedSeq === 20, 30_000, "replication");
    writeFileSync(
      join(h.root, "state.json"),
      JSON.stringify({
        services: {
          "test-register": { url },
          embassy: { url: lux.url, config: h.configFile },
          ledger: { url: h.ledgerUrl },
        },
        drill: { checks: [{ name: "person query", url: `${url}/persons/${person(7).personal_code}` }] },
      }),
    );
    const report = await runDrill({
      dataDir: h.root,
      registry: "test-register",
      control: {
        async stop() {
          await storage!.close();
          storage = undefined;
        },
        async start() {
          storage = await openStorage<any>({
            component: embassyRegistry.component,
            dataDir: h.registryDir,
            migrations,
          });
        },
      },
    });
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.homeSeq, 20);
    assert.equal(report.recoveryPointChanges, 0);
    assert.equal(report.restore.lastSeq, 20);
    assert.ok(report.checks.some((c) => c.name === "person query" && c.after.includes(person(7).given_name)));

    // The restored registry takes new writes; the shipper continues the same chain.
    await writePersons(storage!.db, [person(100)]);
    await until(async () => (await shipper.refreshStatus())[0]?.ackedSeq === 21, 30_000, "replication after restore");
    assert.equal((await shipper.refreshStatus())[0]?.lastError, null);
  });
});
