import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Type } from "typebox";
import { configProblems, problem, refine } from "../src/component/config.ts";

const PERIOD = refine(
  Type.Object(
    { from: Type.Integer({ minimum: 0, ...problem("must be a day number") }), until: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  ),
  (period) => period.from <= period.until,
  "from must not be after until",
);
const SCHEMA = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, ...problem("must be a TCP port, 0-65535") }),
    origin: refine(Type.String(), (value) => URL.canParse(value), "must be a URL"),
    period: Type.Optional(PERIOD),
    hosts: Type.Optional(
      refine(
        Type.Array(Type.String({ minLength: 1 })),
        (hosts) => new Set(hosts).size === hosts.length,
        "must not name a host twice",
      ),
    ),
  },
  { additionalProperties: false },
);

describe("configuration problems (@riik/core config)", () => {
  it("names every bad field with what it must be", () => {
    assert.deepEqual(configProblems(SCHEMA, { port: 70000, origin: "not a url", extra: 1 }), [
      { field: "extra", problem: "unknown field" },
      { field: "port", problem: "must be a TCP port, 0-65535" },
      { field: "origin", problem: "must be a URL" },
    ]);
    assert.deepEqual(configProblems(SCHEMA, { port: 1, origin: "https://x.example" }), []);
  });

  it("asks the refinement of a whole object or list once its parts are valid", () => {
    const base = { port: 1, origin: "https://x.example" };
    assert.deepEqual(configProblems(SCHEMA, { ...base, period: { from: 5, until: 3 } }), [
      { field: "period", problem: "from must not be after until" },
    ]);
    assert.deepEqual(configProblems(SCHEMA, { ...base, period: { from: -1, until: 3 } }), [
      { field: "period.from", problem: "must be a day number" },
    ]);
    assert.deepEqual(configProblems(SCHEMA, { ...base, hosts: ["a", "b", "a"] }), [
      { field: "hosts", problem: "must not name a host twice" },
    ]);
    assert.deepEqual(
      configProblems(SCHEMA, { ...base, hosts: ["a", ""] }).map((p) => p.field),
      ["hosts[1]"],
    );
  });

  it("never throws, whatever JSON it is given (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.ok(Array.isArray(configProblems(SCHEMA, value)));
      }),
    );
  });
});
