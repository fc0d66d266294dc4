import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CanonicalJsonError, canonicalJson } from "../src/index.ts";
import vectors from "./vectors/rfc8785.json" with { type: "json" };

const fromIeee = (hex: string): number => Buffer.from(hex, "hex").readDoubleBE(0);

describe("canonical JSON (RFC 8785)", () => {
  it("canonicalises the example of section 3.2.3", () => {
    const [example] = vectors.objects;
    assert.equal(canonicalJson(JSON.parse(example!.input)), example!.canonical);
  });

  it("sorts members by UTF-16 code units (section 3.2.4)", () => {
    const sorting = vectors.objects[1]!;
    // Read the order off the text: JS objects list integer-like keys such as "1" first.
    const text = canonicalJson(JSON.parse(sorting.input));
    const positions = sorting.keyOrder!.map((key) => text.indexOf(`${JSON.stringify(key)}:`));
    assert.ok(positions.every((at) => at > 0));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
  });

  for (const { ieee, canonical } of vectors.numbers) {
    it(`serialises IEEE ${ieee} as ${canonical} (Appendix B)`, () => {
      assert.equal(canonicalJson(fromIeee(ieee)), canonical);
    });
  }

  it("refuses NaN and Infinity", () => {
    for (const { ieee } of vectors.errors) {
      assert.throws(() => canonicalJson({ a: fromIeee(ieee) }), CanonicalJsonError);
    }
  });

  it("is idempotent and preserves the value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value);
        assert.equal(canonicalJson(JSON.parse(once)), once);
        assert.deepEqual(JSON.parse(once), JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
