// Finding #22.4: the shipper's time rules (cut delay, snapshot interval, data key age) run
// on an injected clock, so they are proven at their boundaries without waiting for them.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { readChanges } from "@riik/core";
import { Shipper } from "../src/index.ts";
import { harness } from "./fixtures/harness.ts";
import { person, writePersons } from "./fixtures/test-registry.ts";

const MAX_DELAY_MS = 60_000;
const SNAPSHOT_INTERVAL_MS = 3_600_000;

describe("the shipper's time rules on an injected clock", async () => {
  const h = await harness();
  let now = Date.now();
  const shipper = await Shipper.open(
    h.writeConfig([], {
      segments: { maxChanges: 1000, maxBytes: 1024 * 1024, maxDelayMs: MAX_DELAY_MS },
      snapshots: { intervalMs: SNAPSHOT_INTERVAL_MS, everyChanges: 1_000_000, partBytes: 16 * 1024 },
      keyRotationDays: 30,
    }),
    { now: () => now },
  );
  after(async () => {
    await shipper.close();
    await h.registry.close();
    await h.ledger.close();
  });
  const segments = () =>
    shipper.db.selectFrom("shipper_segment").select(["idx", "kind", "last_seq", "header"]).orderBy("idx").execute();
  const keyOf = (header: Uint8Array) => JSON.parse(Buffer.from(header).toString("utf8")).key.id as string;
  /** The journal time of the newest change, on which the cut delay counts. */
  const newestChangeAt = async () => Date.parse((await readChanges(h.registry.db, 0, 1000)).at(-1)!.at);

  it("finding #22.4: changes are cut when the oldest is maxDelayMs old on the clock, not a millisecond before", async () => {
    assert.equal(await shipper.cutOnce("test-register"), true, "a chain starts with a snapshot");
    await writePersons(h.registry.db, [person(1), person(2)]);
    now = (await newestChangeAt()) + MAX_DELAY_MS - 1;
    assert.equal(await shipper.cutOnce("test-register"), false);
    assert.deepEqual(
      (await segments()).map((s) => s.kind),
      ["snapshot"],
    );
    now += 1;
    assert.equal(await shipper.cutOnce("test-register"), true);
    const cut = await segments();
    assert.deepEqual(
      cut.map((s) => [s.kind, Number(s.last_seq)]),
      [
        ["snapshot", 0],
        ["changes", 2],
      ],
    );
  });

  it("finding #22.4: a snapshot follows once intervalMs has passed on the clock", async () => {
    await writePersons(h.registry.db, [person(3)]);
    now = (await newestChangeAt()) + MAX_DELAY_MS;
    assert.equal(await shipper.cutOnce("test-register"), true);
    assert.equal((await segments()).at(-1)!.kind, "changes", "no snapshot before the interval");
    await writePersons(h.registry.db, [person(4)]);
    now = (await newestChangeAt()) + SNAPSHOT_INTERVAL_MS;
    assert.equal(await shipper.cutOnce("test-register"), true);
    const last = (await segments()).slice(-2);
    assert.deepEqual(
      last.map((s) => [s.kind, Number(s.last_seq)]),
      [
        ["changes", 4],
        ["snapshot", 4],
      ],
    );
  });

  it("finding #22.4: a data key older than keyRotationDays is replaced for new segments", async () => {
    const before = await segments();
    const oldKey = keyOf(before.at(-1)!.header);
    assert.equal(keyOf(before[0]!.header), oldKey, "one key so far");
    await writePersons(h.registry.db, [person(5)]);
    now += 30 * 86_400_000;
    assert.equal(await shipper.cutOnce("test-register"), true);
    const newKey = keyOf((await segments()).at(-1)!.header);
    assert.notEqual(newKey, oldKey);
    assert.match(newKey, /^dk-\d{8}-[0-9a-f]{12}$/);
  });
});
