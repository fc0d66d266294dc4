import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { CalendarStore } from "../src/calendar/store.ts";
import { CheckpointMonitor } from "../src/client/checkpoint-monitor.ts";
import { LedgerClient } from "../src/client/ledger-client.ts";
import { createLedgerServer } from "../src/server.ts";
import type { LedgerSignature } from "../src/signature/signature-file.ts";
import { verifySignature } from "../src/signature/verify.ts";
import { ledgerSigner, startWitness } from "./fixtures/helpers.ts";

const fixture = fileURLToPath(new URL("./fixtures/ledger-process.ts", import.meta.url));

async function spawnLedger(options: object): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  child.stdout!.setEncoding("utf8");
  // Keep reading stdout for the whole life of the child: a closed pipe would kill it.
  let buffered = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.includes("\n")) resolve(JSON.parse(buffered.split("\n")[0]!).url);
    });
    child.once("exit", () => reject(new Error(`ledger exited before listening: ${buffered}`)));
  });
  return { child, url };
}

for (const target of await dialectTargets()) {
  describe(`ledger crash safety on ${target.dialect}`, () => {
    it("after kill -9 while rounds close: old signatures verify, no fork, the witness cosigns the next checkpoint", async () => {
      const signer = ledgerSigner();
      const keyDir = temporaryDirectory("riik-ledger-keys-");
      writeFileSync(join(keyDir, "ledger.key"), `${signer.privateText}\n`, { mode: 0o600 });
      const witness = await startWitness(signer);
      const { url: databaseUrl, ...location } = target.location("ledger");
      const options = { ...location, databaseUrl, keyDir, origin: signer.name, roundMs: 10, witnesses: [witness.url] };

      const first = await spawnLedger(options);
      const client = new LedgerClient({ url: first.url, timeoutMs: 10_000 });
      const issued: Array<{ digest: Buffer; signature: LedgerSignature }> = [];
      // Kill the ledger once 150 signatures are acknowledged: an event, not a polled sleep (#22).
      let enough!: () => void;
      const reached = new Promise<void>((resolve) => {
        enough = resolve;
      });
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const digests = [randomBytes(32), randomBytes(32), randomBytes(32)];
          try {
            const signatures = await client.aggregate(
              digests.map((digest) => ({ algorithm: "SHA-256" as const, digest })),
            );
            signatures.forEach((signature, i) => {
              issued.push({ digest: digests[i]!, signature });
            });
            if (issued.length >= 150) enough();
          } catch {
            return; // the ledger died under us: that request was never acknowledged
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      // Bounded: if every worker fails first, the race ends and the assertion says so.
      await Promise.race([reached, Promise.all(workers)]);
      assert.ok(issued.length >= 150, `only ${issued.length} signatures acknowledged before the workers stopped`);
      first.child.kill("SIGKILL");
      await once(first.child, "exit");
      stop = true;
      await Promise.all(workers);

      const second = await spawnLedger(options);
      const client2 = new LedgerClient({ url: second.url });
      const [fresh] = await client2.aggregate([{ algorithm: "SHA-256", digest: randomBytes(32) }]);
      // The witness accepted the first checkpoint after the restart.
      verifySignature(fresh!, Buffer.from(fresh!.hash.digest, "hex"), {
        kind: "key",
        logKey: signer.verifierKey,
        witnesses: [witness.signer.verifierKey],
        minWitnesses: 1,
      });
      const monitor = new CheckpointMonitor({ logKey: signer.verifierKey });
      await monitor.observe(fresh!.checkpoint, () => []);
      for (const { digest, signature } of issued) {
        verifySignature(signature, digest, { kind: "key", logKey: signer.verifierKey });
        // Every checkpoint handed out before the crash is consistent with the one after it.
        await monitor.observe(signature.checkpoint, (a, b) => client2.consistency(a, b));
      }
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    });

    it("refuses to start on a calendar whose stored leaf was changed", async () => {
      const signer = ledgerSigner();
      // SQLite targets share one directory; this test needs a calendar of its own.
      const location = target.dialect === "sqlite" ? { dataDir: temporaryDirectory() } : target.location("tampered");
      const keyDir = temporaryDirectory("riik-ledger-keys-");
      const serverOptions = {
        ...location,
        databaseUrl: location.url,
        keyDir,
        signer,
        origin: signer.name,
        roundMs: 10,
      };
      const server = await createLedgerServer(serverOptions);
      const url = await server.listen(0);
      await new LedgerClient({ url }).anchor([Buffer.from("a")]);
      await new LedgerClient({ url }).anchor([Buffer.from("b")]);
      await server.close();
      const store = await CalendarStore.open(location);
      const [row] = await store.leaves();
      const leaf = Buffer.from(row!.leaf);
      leaf[40]! ^= 1; // one byte of the round root
      await store.storage.db.updateTable("calendar_leaf").set({ leaf }).where("round_index", "=", 0).execute();
      await store.close();
      await assert.rejects(createLedgerServer(serverOptions), {
        code: "CALENDAR_TAMPERED",
      });
    });
  });
}
