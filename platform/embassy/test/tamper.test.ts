import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { canonicalJson } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { LedgerClient, parseVerifierKey } from "@riik/ledger";
import { generateDataKey } from "../src/crypto/data-key.ts";
import { generateMasterKey } from "../src/crypto/master-key.ts";
import { decodeSegment, encodeSegment, encodeSegmentParts, sealSegment } from "../src/format/segment.ts";
import { readMasterKeyFile, restoreRegistry, Shipper } from "../src/index.ts";
import { EmbassyStore } from "../src/node/store.ts";
import { type Harness, harness, readVkey, whenTrue } from "./fixtures/harness.ts";
import { embassyRegistry, person, writePersons } from "./fixtures/test-registry.ts";

const h: Harness = await harness();
let chain: Buffer[] = [];
const keyOf = () => parseVerifierKey(readVkey(h.ledgerKeyFile));

before(async () => {
  // A chain with two snapshots and changes around them, cut by the real shipper.
  const config = h.writeConfig([]);
  const shipper = await Shipper.open(config);
  await writePersons(h.registry.db, [person(1), person(2)]);
  await shipper.start();
  for (let i = 0; i < 4; i++)
    await writePersons(
      h.registry.db,
      Array.from({ length: 40 }, (_, j) => person(10 + i * 40 + j)),
    );
  await whenTrue(
    shipper.events,
    ["cut"],
    async () =>
      (await shipper.db.selectFrom("shipper_segment").select("last_seq").execute()).some(
        (r) => Number(r.last_seq) === 162,
      ),
    "the changes up to seq 162 to be cut",
  );
  await shipper.snapshot("test-register");
  for (let i = 0; i < 3; i++) await writePersons(h.registry.db, [person(500 + i)]);
  await whenTrue(
    shipper.events,
    ["cut", "anchored"],
    async () => {
      const rows = await shipper.db.selectFrom("shipper_segment").select(["last_seq", "signature"]).execute();
      return rows.every((r) => r.signature !== null) && rows.some((r) => Number(r.last_seq) === 2 + 160 + 3);
    },
    "every segment up to seq 165 to be cut and anchored",
  );
  const rows = await shipper.db.selectFrom("shipper_segment").selectAll().orderBy("idx").execute();
  await shipper.close();
  chain = rows.map((r) => encodeSegmentParts(r.header, r.signature!, r.ciphertext));
});
after(async () => {
  await h.registry.close();
  await h.ledger.close();
});

const indexOf = (kind: "snapshot" | "changes", which: "first" | "last") => {
  const found = chain
    .map(decodeSegment)
    .filter((s) => s.header.kind === kind && (kind === "changes" || s.header.snapshot!.part === 0));
  return (which === "first" ? found[0] : found[found.length - 1])!.header.index;
};

for (const target of await dialectTargets()) {
  describe(`embassy store and restore on ${target.dialect}`, () => {
    let n = 0;
    const freshStore = async (copy = true) => {
      n += 1;
      const loc = target.location(`embassy_${n}`);
      const store = await EmbassyStore.open({
        dataDir: join(loc.dataDir, `embassy-${target.dialect}-${n}-${process.pid}`),
        url: loc.url ?? "",
        ...(loc.schema ? { schema: loc.schema } : {}),
        ledgerKey: keyOf(),
      });
      after(() => store.close());
      if (copy) for (const bytes of chain) await store.append(bytes);
      return store;
    };
    const restoreFrom = async (store: EmbassyStore, masterKeyFile = join(h.root, "master.key")) => {
      const to = join(h.root, `restore-${target.dialect}-${n}`);
      try {
        return await restoreRegistry({
          definition: embassyRegistry,
          source: store,
          masterKeys: [readMasterKeyFile(masterKeyFile)],
          ledgerKey: keyOf(),
          to,
        });
      } finally {
        // Whatever happened, no half-restored database and no temporary files remain.
        const left = existsSync(to) ? readdirSync(to) : [];
        assert.ok(left.length === 0 || left.every((f) => f === "test_register.sqlite"), `left behind: ${left}`);
      }
    };
    const expectRefusal = async (store: EmbassyStore, code: string) => {
      await assert.rejects(restoreFrom(store), (error: any) => {
        assert.equal(error.code, code, error.message);
        return true;
      });
      assert.equal(existsSync(join(h.root, `restore-${target.dialect}-${n}`, "test_register.sqlite")), false);
    };

    it("accepts the chain in order, answers a resend as a duplicate, and restores it", async () => {
      const store = await freshStore();
      const again = await store.append(chain[2]!);
      assert.equal(again.duplicate, true);
      assert.equal((await store.list("test-register")).length, chain.length);
      const report = await restoreFrom(store);
      assert.equal(report.lastSeq, 165);
      assert.equal(report.snapshot.id, indexOf("snapshot", "last"));
    });

    it("refuses at receipt: flipped byte, header edit, gap, reorder, fork, missing anchor", async () => {
      const store = await freshStore(false);
      const flipped = Buffer.from(chain[0]!);
      flipped[flipped.length - 5]! ^= 0x01;
      await assert.rejects(store.append(flipped), { code: "SEGMENT_TAMPERED" });
      const s0 = decodeSegment(chain[0]!);
      const edited = Buffer.from(canonicalJson({ ...s0.header, createdAt: "2020-01-01T00:00:00.000Z" }));
      await assert.rejects(store.append(encodeSegment({ ...s0, headerBytes: edited })), { code: "SEGMENT_TAMPERED" });
      await assert.rejects(store.append(encodeSegment({ ...s0, signature: undefined as never })), {
        code: "ANCHOR_MISSING",
      });
      await assert.rejects(store.append(chain[1]!), { code: "CHAIN_GAP" });
      await store.append(chain[0]!);
      await assert.rejects(store.append(chain[2]!), { code: "CHAIN_GAP" });
      await store.append(chain[1]!);
      // Another segment 1, validly anchored: a fork, refused.
      const s1 = decodeSegment(chain[1]!);
      const fork = sealSegment(
        {
          ...s1.header,
          kind: "changes",
          afterSeq: s0.header.lastSeq,
          lastSeq: s0.header.lastSeq + 1,
          count: 1,
          snapshot: undefined,
        },
        Buffer.from("{}\n"),
        generateDataKey(readMasterKeyFile(join(h.root, "master.key"))),
      );
      const signature = await new LedgerClient({ url: h.ledgerUrl }).signDigest(Buffer.from(fork.digest, "hex"));
      await assert.rejects(store.append(encodeSegment({ ...fork, signature })), { code: "CHAIN_FORK" });
      assert.equal((await store.head("test-register"))?.index, 1);
    });

    it("refuses a restore from a tampered embassy: flipped byte", async () => {
      const store = await freshStore();
      const k = indexOf("changes", "last");
      const bytes = Buffer.from(chain[k]!);
      bytes[bytes.length - 3]! ^= 0x80;
      await store.db.updateTable("embassy_segment").set({ bytes }).where("idx", "=", k).execute();
      await expectRefusal(store, "SEGMENT_TAMPERED");
    });

    it("refuses a restore with a deleted segment", async () => {
      const store = await freshStore();
      await store.db
        .deleteFrom("embassy_segment")
        .where("idx", "=", indexOf("changes", "last") - 1)
        .execute();
      await expectRefusal(store, "CHAIN_GAP");
    });

    it("refuses a restore with reordered segments", async () => {
      const store = await freshStore();
      const k = indexOf("changes", "last");
      await store.db
        .updateTable("embassy_segment")
        .set({ bytes: chain[k]! })
        .where("idx", "=", k - 1)
        .execute();
      await store.db
        .updateTable("embassy_segment")
        .set({ bytes: chain[k - 1]! })
        .where("idx", "=", k)
        .execute();
      await expectRefusal(store, "CHAIN_REORDERED");
    });

    it("refuses a restore from a replayed old snapshot", async () => {
      const store = await freshStore();
      const newest = indexOf("snapshot", "last");
      const oldest = indexOf("snapshot", "first");
      assert.ok(oldest < newest);
      await store.db.updateTable("embassy_segment").set({ bytes: chain[oldest]! }).where("idx", "=", newest).execute();
      await expectRefusal(store, "SNAPSHOT_REPLAYED");
      // Sent again to the embassy, the old snapshot changes nothing.
      assert.equal((await store.append(chain[oldest]!)).duplicate, true);
    });

    it("refuses a restore with the wrong master key", async () => {
      const store = await freshStore();
      const { writeMasterKeyFile } = await import("../src/index.ts");
      const wrong = join(h.root, `wrong-${target.dialect}.key`);
      writeMasterKeyFile(wrong, generateMasterKey());
      await assert.rejects(restoreFrom(store, wrong), { code: "KEY_WRONG" });
    });
  });
}
