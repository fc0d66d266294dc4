// police.json against its TypeBox schema (POLICE_CONFIG): the file riik up writes is taken,
// and every bad field is refused by name.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { PoliceError, parsePoliceConfig, readPoliceConfig } from "../src/index.ts";

/** As riik up writes it (apps/state/src/up/table.ts). */
const GOOD = {
  port: 8830,
  host: "127.0.0.1",
  client: "EE/GOV/70008747/police-app",
  securityServer: { url: "http://127.0.0.1:8840" },
  personsService: "EE/GOV/70000562/rr/persons",
};

/** The fields a refusal names, sorted. */
function refusedFields(value: unknown): string[] {
  try {
    parsePoliceConfig(value);
  } catch (error) {
    assert.ok(error instanceof PoliceError);
    assert.equal(error.code, "POLICE_CONFIG");
    const fields = error.details?.fields as string[];
    for (const field of fields) assert.ok(error.message.includes(field), `${field} is named in: ${error.message}`);
    return [...fields].sort();
  }
  assert.fail("the configuration was taken");
}

describe("police configuration", () => {
  it("takes the file riik up writes, with a timeout and a $comment", () => {
    assert.deepEqual(parsePoliceConfig(GOOD), GOOD);
    assert.deepEqual(parsePoliceConfig({ ...GOOD, timeoutMs: 2500, $comment: "sandbox" }), {
      ...GOOD,
      timeoutMs: 2500,
    });
  });

  it("reads it from a file", () => {
    const file = join(temporaryDirectory("riik-police-config-"), "police.json");
    writeFileSync(file, JSON.stringify(GOOD));
    assert.deepEqual(readPoliceConfig(file), GOOD);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ["port", { port: 70000 }],
    ["port", { port: "8830" }],
    ["host", { host: "" }],
    ["client", { client: "EE/GOV/70008747" }],
    ["client", { client: "not an id" }],
    ["securityServer", { securityServer: "http://127.0.0.1:8840" }],
    ["securityServer.url", { securityServer: { url: "https://127.0.0.1:8840" } }],
    ["securityServer.url", { securityServer: { url: "nowhere" } }],
    ["securityServer.extra", { securityServer: { url: "http://127.0.0.1:8840", extra: 1 } }],
    ["personsService", { personsService: "EE/GOV/70000562/rr" }],
    ["timeoutMs", { timeoutMs: 0 }],
    ["timeoutMs", { timeoutMs: 1.5 }],
    ["surprise", { surprise: true }],
  ];
  for (const [field, change] of bad)
    it(`refuses ${JSON.stringify(change)} naming ${field}`, () => {
      assert.deepEqual(refusedFields({ ...GOOD, ...change }), [field]);
    });

  it("names every missing field at once", () => {
    assert.deepEqual(refusedFields({}), ["client", "host", "personsService", "port", "securityServer"]);
  });

  it("refuses a value that is not an object, and a file that is missing or not JSON", () => {
    assert.deepEqual(refusedFields([GOOD]), ["$"]);
    const dir = temporaryDirectory("riik-police-config-");
    assert.throws(() => readPoliceConfig(join(dir, "absent.json")), { code: "POLICE_CONFIG" });
    writeFileSync(join(dir, "broken.json"), "{ port: 1");
    assert.throws(() => readPoliceConfig(join(dir, "broken.json")), { code: "POLICE_CONFIG", message: /not JSON/ });
  });
});
