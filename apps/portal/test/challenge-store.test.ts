import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChallengeStore } from "../src/session/challenge-store.ts";

describe("challenge store (#10)", () => {
  it("#10 one address flooding challenges pushes out only its own, and the store stays bounded", () => {
    const store = new ChallengeStore({ ttlMs: 60_000, maxEntries: 50, perClient: 4 });
    const honest = store.put("192.0.2.1", "honest");
    for (let i = 0; i < 1000; i++) store.put("198.51.100.7", `flood-${i}`);
    assert.equal(store.size, 5);
    assert.equal(store.take(honest), "honest");
    assert.equal(store.take(honest), undefined, "one login per challenge");
  });

  it("#10 the oldest challenge goes when the store is full, and an expired one is refused", () => {
    let now = 0;
    const store = new ChallengeStore({ ttlMs: 1000, maxEntries: 3, perClient: 10, now: () => now });
    const ids = ["a", "b", "c", "d"].map((nonce, i) => store.put(`192.0.2.${i}`, nonce));
    assert.equal(store.size, 3);
    assert.equal(store.take(ids[0]), undefined);
    assert.equal(store.take(ids[1]), "b");
    now = 1001;
    assert.equal(store.take(ids[2]), undefined);
  });
});
