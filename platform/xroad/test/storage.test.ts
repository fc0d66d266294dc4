// The central registry, the local configuration and the message log, on SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { openStorage, parseClientId } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import pino from "pino";
import { centralMigrations } from "../src/central/migrations.ts";
import { CentralRegistry } from "../src/central/registry.ts";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { type DataUse, useToRow } from "../src/datatracker/record.ts";
import { DataUseStore } from "../src/datatracker/store.ts";
import { GlobalConfIndex, type SignedGlobalConf } from "../src/globalconf/document.ts";
import { batchRootFromProof } from "../src/messagelog/batch.ts";
import { type LogRecord, MessageLog, recordHash } from "../src/messagelog/log.ts";
import { ReplayGuard } from "../src/ss/context.ts";
import { LocalConf } from "../src/ss/local-conf.ts";
import { securityServerMigrations } from "../src/ss/storage/migrations.ts";
import type { SsDb } from "../src/ss/storage/schema.ts";

const targets = await dialectTargets();
const quiet = pino({ level: "silent" });

async function certificate(): Promise<X509Certificate> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return new X509Certificate(await selfSignedCertificate(privateKey, "test"));
}

function record(i: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    side: "client",
    queryId: `q-${i}`,
    requestId: `r-${i}`,
    clientId: "EE/GOV/1/c",
    serviceId: "EE/COM/2/p/s",
    createdAt: new Date(1_700_000_000_000 + i).toISOString(),
    loggingMode: "full",
    requestHead: `riik-xroad/1 request\nGET /r1/EE/COM/2/p/s/${i}\n\n`,
    requestBody: new Uint8Array([i % 256]),
    requestBodyHash: "h",
    requestSignature: "s",
    requestSigner: "c",
    responseStatus: 200,
    responseHead: "riik-xroad/1 response\n200\n\n",
    responseBody: new Uint8Array([1, 2, 3]),
    responseBodyHash: "h2",
    responseSignature: "s2",
    responseSigner: "c2",
    peerOcsp: new Uint8Array([9, 9]),
    ...overrides,
  };
}

for (const target of targets) {
  describe(`central registry on ${target.dialect}`, () => {
    it("registers members, subsystems, servers, clients and groups, and snapshots them for the configuration", async () => {
      const storage = await target.open<any>({ component: "central", migrations: centralMigrations });
      const registry = new CentralRegistry(storage, "EE");
      await registry.addMember({ memberClass: "GOV", memberCode: "70000001", name: "Ministry" });
      await assert.rejects(registry.addMember({ memberClass: "GOV", memberCode: "70000001", name: "again" }), {
        code: "XROAD_CONFLICT",
      });
      await assert.rejects(registry.addMember({ memberClass: "G OV", memberCode: "1", name: "x" }), {
        code: "XROAD_ID_CHARACTERS",
      });
      await assert.rejects(registry.addSubsystem("EE/GOV/99/x", "x"), { code: "XROAD_NOT_FOUND" });
      await assert.rejects(registry.addSubsystem("LV/GOV/70000001/x", "x"), { code: "XROAD_ARGUMENT" });
      await registry.addSubsystem("EE/GOV/70000001/app", "App");
      const cert = await certificate();
      const request = await registry.submitRegistration("EE/GOV/70000001/ss1", "https://127.0.0.1:5500/", cert);
      await assert.rejects(registry.addServerClient("EE/GOV/70000001/ss1", "EE/GOV/70000001/app"), {
        code: "XROAD_NOT_FOUND",
      });
      assert.equal(await registry.approveRegistration(request), "EE/GOV/70000001/ss1");
      await assert.rejects(registry.approveRegistration(request), { code: "XROAD_CONFLICT" });
      await registry.addServerClient("EE/GOV/70000001/ss1", "EE/GOV/70000001/app");
      await registry.addGlobalGroup("security-servers", "all of them");
      await registry.addGroupMember("security-servers", "EE/GOV/70000001/app");
      let snapshot = await registry.snapshot();
      assert.deepEqual(snapshot.members, [
        {
          memberClass: "GOV",
          memberCode: "70000001",
          name: "Ministry",
          subsystems: [{ subsystemCode: "app", name: "App" }],
        },
      ]);
      assert.equal(snapshot.securityServers[0]!.authCertHashes[0], cert.fingerprint256.replace(/:/g, "").toLowerCase());
      assert.deepEqual(snapshot.securityServers[0]!.clients, ["EE/GOV/70000001/app"]);
      assert.deepEqual(snapshot.globalGroups[0]!.members, ["EE/GOV/70000001/app"]);
      await registry.setDisabled("EE/GOV/70000001/app", true);
      snapshot = await registry.snapshot();
      assert.deepEqual(snapshot.members[0]!.subsystems, []);
      assert.deepEqual(snapshot.securityServers[0]!.clients, []);
      await registry.removeClient("EE/GOV/70000001");
      snapshot = await registry.snapshot();
      assert.deepEqual(snapshot.members, []);
      assert.deepEqual(snapshot.globalGroups[0]!.members, []);
      await registry.saveConfiguration(1, "a", "b", "{}");
      await registry.saveConfiguration(2, "a", "b", "{}");
      assert.equal((await registry.latestConfiguration())!.version, 2);
    });
  });

  describe(`local configuration on ${target.dialect}`, () => {
    it("grants per service, per endpoint, to global and local groups", async () => {
      const storage = await target.open<any>({ component: "xroad_ss", migrations: securityServerMigrations });
      const local = new LocalConf(storage);
      await local.addClient({ id: "EE/COM/2/registry", connection: "http" });
      await assert.rejects(local.addClient({ id: "EE/COM/2/registry" }), { code: "XROAD_CONFLICT" });
      await assert.rejects(local.addClient({ id: "EE/COM/2/x", connection: "ftp" }), { code: "XROAD_ARGUMENT" });
      await local.addService("EE/COM/2/registry", {
        serviceCode: "pets",
        url: "http://127.0.0.1:9/base",
        openapi: JSON.stringify({
          openapi: "3.0.0",
          paths: { "/pets/{id}": { get: {}, delete: {} }, "/pets": { post: {} } },
        }),
      });
      await assert.rejects(local.addService("EE/COM/2/registry", { serviceCode: "listMethods", url: "http://x" }), {
        code: "XROAD_ARGUMENT",
      });
      await assert.rejects(local.addService("EE/COM/2/registry", { serviceCode: "x", url: "file:///etc/passwd" }), {
        code: "XROAD_ARGUMENT",
      });
      await local.grant("EE/COM/2/registry", "pets", { subject: "EE/GOV/1/a" });
      await local.grant("EE/COM/2/registry", "pets", { subject: "EE/GOV/1/b", method: "GET", path: "/pets/*" });
      await local.grant("EE/COM/2/registry", "pets", {
        subject: "globalgroup:readers",
        method: "GET",
        path: "/pets/**",
      });
      await local.grant("EE/COM/2/registry", "pets", { subject: "localgroup:friends", method: "POST", path: "/pets" });
      await local.setLocalGroup("EE/COM/2/registry", "friends", ["EE/GOV/1/d"]);
      await local.reload();
      const conf = new GlobalConfIndex({
        format: "riik-globalconf/1",
        content: {
          instance: "EE",
          version: 1,
          generatedAt: "",
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
          centralServer: { address: "" },
          members: [],
          securityServers: [],
          globalGroups: [{ groupCode: "readers", description: "", members: ["EE/GOV/3"] }],
          trust: { serverCas: [], roots: [], tsa: [], ledger: null },
          settings: { ocspFreshnessSeconds: 60, maxClockSkewSeconds: 60 },
        },
        signature: { algorithm: "", certificateHash: "", value: "" },
      } as SignedGlobalConf);
      const can = (client: string, method: string, path: string) =>
        local.allowed("EE/COM/2/registry", "pets", parseClientId(client), method, path, conf);
      assert.equal(can("EE/GOV/1/a", "DELETE", "/anything/at/all?x=1"), true);
      assert.equal(can("EE/GOV/1/b", "GET", "/pets/7"), true);
      assert.equal(can("EE/GOV/1/b", "GET", "/pets/7/photos"), false);
      assert.equal(can("EE/GOV/1/b", "DELETE", "/pets/7"), false);
      assert.equal(
        can("EE/GOV/3/any", "GET", "/pets/7/photos"),
        true,
        "member in a global group covers its subsystems",
      );
      assert.equal(can("EE/GOV/3/any", "POST", "/pets"), false);
      assert.equal(can("EE/GOV/1/d", "POST", "/pets"), true);
      assert.equal(can("EE/GOV/1/e", "GET", "/pets/7"), false);
      const service = local.service("EE/COM/2/registry", "pets")!;
      assert.equal(service.serviceType, "OPENAPI");
      assert.deepEqual(local.allowedEndpoints("EE/COM/2/registry", service, parseClientId("EE/GOV/1/b"), conf), [
        { method: "GET", path: "/pets/*" },
      ]);
      await local.revoke("EE/COM/2/registry", "pets", { subject: "EE/GOV/1/a" });
      await local.reload();
      assert.equal(can("EE/GOV/1/a", "GET", "/pets/1"), false);
    });
  });

  describe(`message log on ${target.dialect}`, () => {
    it("group-commits records, anchors them in batches, and detects changed or removed records", async () => {
      const storage = await target.open<any>({ component: "xroad_ss", migrations: securityServerMigrations });
      const log = new MessageLog(storage, "EE/GOV/1/ss1", () => undefined, quiet);
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => log.append(record(i, i === 3 ? { loggingMode: "metadata" } : {}))),
      );
      assert.equal(await log.anchorPending(), 1);
      await Promise.all(Array.from({ length: 7 }, (_, i) => log.append(record(100 + i))));
      assert.equal(await log.anchorPending(), 2);
      assert.equal(await log.anchorPending(), undefined);
      const [metadataOnly] = await log.find("q-3");
      assert.equal(metadataOnly!.request_body, null);
      const [evidence] = await log.evidence("q-5");
      assert.equal(evidence!.record.recordHash, recordHash(evidence!.record));
      const root = batchRootFromProof(
        evidence!.record.recordHash,
        evidence!.batch.index,
        evidence!.batch.statement.count,
        evidence!.batch.proof,
      );
      assert.equal(root, evidence!.batch.statement.root);
      assert.deepEqual((await log.verify([])).problems, []);
      await storage.db.updateTable("message_log").set({ response_status: 500 }).where("query_id", "=", "q-7").execute();
      assert.match((await log.verify([])).problems.join("\n"), /record \d+ was changed/);
      await storage.db.updateTable("message_log").set({ response_status: 200 }).where("query_id", "=", "q-7").execute();
      await storage.db.deleteFrom("message_log").where("query_id", "=", "q-102").execute();
      assert.match(
        (await log.verify([])).problems.join("\n"),
        /batch 2: records were changed, added or removed \(6 of 7\)/,
      );
      await log.stop();
    });
  });

  describe(`Data Tracker uses on ${target.dialect}`, () => {
    it("commits uses with their message, hides them until their date (injected clock), anchors and verifies them", async () => {
      const storage = await target.open<any>({ component: "xroad_ss", migrations: securityServerMigrations });
      const log = new MessageLog(storage, "EE/COM/2/ss2", () => undefined, quiet);
      let now = Date.parse("2030-01-01T00:00:00Z");
      const store = new DataUseStore(
        storage,
        "EE/COM/2/ss2",
        () => undefined,
        () => now,
      );
      const use = (i: number, overrides: Partial<DataUse> = {}): DataUse => ({
        providerId: "EE/COM/2/rr",
        subject: "EE38001085718",
        loggedAt: new Date(Date.parse("2029-06-01T00:00:00Z") + i * 1000).toISOString(),
        queryId: `q-${i}`,
        clientId: "EE/GOV/1/police",
        serviceId: "EE/COM/2/rr/persons",
        userId: "EE60001019906",
        purpose: `case ${i}`,
        processingType: "DATA_RESPONSE",
        legalBasis: null,
        consentReference: null,
        bulk: false,
        initiatorSystem: null,
        initiatorPerson: null,
        hiddenUntil: null,
        hiddenReason: null,
        ...overrides,
      });
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          log.append(record(i, { side: "server" }), [
            useToRow(
              use(
                i,
                i === 4 ? { hiddenUntil: "2031-01-01T00:00:00.000Z", hiddenReason: "Jälitustegevuse seadus §15" } : {},
              ),
            ),
          ]),
        ),
      );
      const page = { offset: 0, limit: 2, includeBulk: false };
      let found = await store.find("EE/COM/2/rr", "EE38001085718", page);
      assert.equal(found.total, 4, "the hidden use is not shown before its date");
      assert.deepEqual(
        found.uses.map((u) => u.purpose),
        ["case 3", "case 2"],
      );
      found = await store.find("EE/COM/2/rr", "EE38001085718", { ...page, offset: 2 });
      assert.deepEqual(
        found.uses.map((u) => u.purpose),
        ["case 1", "case 0"],
      );
      found = await store.find("EE/COM/2/rr", "EE38001085718", {
        ...page,
        limit: 10,
        periodStart: "2029-06-01T00:00:01.000Z",
        periodEnd: "2029-06-01T00:00:02.000Z",
      });
      assert.deepEqual(
        found.uses.map((u) => u.purpose),
        ["case 2", "case 1"],
      );
      assert.equal((await store.hidden("EE/COM/2/rr"))[0]!.visibleToPerson, false);
      now = Date.parse("2031-01-01T00:00:00Z");
      found = await store.find("EE/COM/2/rr", "EE38001085718", { ...page, limit: 10 });
      assert.equal(found.total, 5, "shown once its date has passed");
      assert.equal(found.uses[0]!.hiddenReason, "Jälitustegevuse seadus §15");
      assert.equal(await store.anchorPending(), 1);
      assert.equal(await store.anchorPending(), undefined);
      assert.deepEqual((await store.verify([])).problems, []);
      const proof = await store.proof("EE/COM/2/rr", "EE38001085718", found.uses[0]!.id);
      assert.equal(proof.batch.statement.format, "riik-datatracker-batch/1");
      await storage.db.updateTable("data_use").set({ hidden_until: null }).where("query_id", "=", "q-4").execute();
      assert.match((await store.verify([])).problems.join("\n"), /data_use record \d+ was changed/);
      await storage.db.deleteFrom("data_use").where("query_id", "=", "q-1").execute();
      assert.match((await store.verify([])).problems.join("\n"), /records were changed, added or removed \(4 of 5\)/);
      await log.stop();
    });
  });

  describe(`replay guard on ${target.dialect}`, () => {
    it("#10 replay: an id is refused after a restart and by a second instance on the same database; expired ids are pruned", async () => {
      const component = "xroad_ss_replay";
      const storage = await target.open<SsDb>({ component, migrations: securityServerMigrations });
      const log = new MessageLog(storage, "EE/COM/2/ss2", () => undefined, quiet);
      let now = Date.parse("2030-01-01T00:00:00Z");
      const clock = () => now;
      const window = 300_000;
      const first = new ReplayGuard(log, clock);
      assert.equal(await first.remember("EE/GOV/1|r-1", now, window), true);
      assert.equal(await first.remember("EE/GOV/1|r-1", now, window), false);
      // Arriving together, committed together: the second copy is the replay.
      assert.deepEqual(
        await Promise.all([first.remember("EE/GOV/1|r-0", now, window), first.remember("EE/GOV/1|r-0", now, window)]),
        [true, false],
      );
      // A restarted server: a new guard over the same store.
      assert.equal(await new ReplayGuard(log, clock).remember("EE/GOV/1|r-1", now, window), false);
      // A second instance: its own connection (and writer) on the same database.
      const second = await openStorage<SsDb>({
        component,
        migrations: securityServerMigrations,
        ...target.location(component),
      });
      const secondLog = new MessageLog(second, "EE/COM/2/ss2", () => undefined, quiet);
      try {
        const other = new ReplayGuard(secondLog, clock);
        assert.equal(await other.remember("EE/GOV/1|r-1", now, window), false);
        assert.equal(await other.remember("EE/GOV/1|r-2", now, window), true);
        assert.equal(await first.remember("EE/GOV/1|r-2", now, window), false);
        // Concurrent arrivals of one message at both instances: exactly one is accepted.
        const race = await Promise.all([
          first.remember("EE/GOV/1|r-3", now, window),
          other.remember("EE/GOV/1|r-3", now, window),
        ]);
        assert.deepEqual(race.sort(), [false, true]);
      } finally {
        await secondLog.stop();
        await second.close();
      }
      // Past the window the skew check refuses these messages, so their ids are dropped.
      now += window + 1;
      assert.equal(await first.remember("EE/GOV/1|r-4", now, window), true);
      const ids = await storage.db.selectFrom("replay_guard").select("id").orderBy("id").execute();
      assert.deepEqual(
        ids.map((row) => row.id),
        ["EE/GOV/1|r-4"],
      );
      await log.stop();
    });
  });
}
