// The shipper's configuration file against its TypeBox schema (SHIPPER_CONFIG): the file riik up
// writes is taken with its defaults filled in and its paths resolved; every bad field is refused
// by name (EMBASSY_CONFIG).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { generateSigner, SIGNATURE_TYPE_ED25519 } from "@riik/ledger";
import { EmbassyError, readShipperConfig, resolveShipperConfig } from "../src/index.ts";

const dir = temporaryDirectory("riik-shipper-config-");
const verifierKey = generateSigner("riik.localhost/ledger", SIGNATURE_TYPE_ED25519).verifierKey.text;
mkdirSync(join(dir, "tls"));
for (const file of ["client.crt", "client.key", "ca.pem"]) writeFileSync(join(dir, "tls", file), `PEM ${file}\n`);
writeFileSync(join(dir, "ledger.vkey"), `${verifierKey}\n`);
const file = join(dir, "shipper.json");

/** As riik up writes it (apps/state/src/up/table.ts), on SQLite. */
const GOOD = {
  format: "riik-embassy-shipper/v1",
  home: ".",
  masterKey: "master.key",
  tls: { cert: "tls/client.crt", key: "tls/client.key", ca: "tls/ca.pem" },
  ledger: { url: "http://127.0.0.1:8801", key: "ledger.vkey" },
  registries: [{ name: "population-register", dataDir: "../population-register" }],
  embassies: [{ name: "lux", url: "https://127.0.0.1:8819" }],
  segments: { maxDelayMs: 500 },
  status: { host: "127.0.0.1", port: 8820 },
};

/** The fields a refusal names, sorted. */
function refusedFields(value: unknown): string[] {
  try {
    resolveShipperConfig(value, file);
  } catch (error) {
    assert.ok(error instanceof EmbassyError);
    assert.equal(error.code, "EMBASSY_CONFIG");
    const fields = error.details?.fields as string[];
    for (const field of fields) assert.ok(error.message.includes(field), `${field} is named in: ${error.message}`);
    return [...fields].sort();
  }
  assert.fail("the configuration was taken");
}

describe("shipper configuration", () => {
  it("takes the file riik up writes: defaults filled in, paths relative to the file, keys read", () => {
    writeFileSync(file, JSON.stringify(GOOD));
    const config = readShipperConfig(file);
    assert.equal(config.home, dir);
    assert.equal(config.masterKeyFile, join(dir, "master.key"));
    assert.equal(config.tls.ca, "PEM ca.pem\n");
    assert.equal(config.ledgerKey.text, verifierKey);
    assert.deepEqual(config.registries, [
      { name: "population-register", dataDir: join(dir, "..", "population-register") },
    ]);
    assert.deepEqual(config.segments, { maxChanges: 10_000, maxBytes: 4 * 1024 * 1024, maxDelayMs: 500 });
    assert.deepEqual(config.snapshots, {
      intervalMs: 6 * 3600 * 1000,
      everyChanges: 1_000_000,
      partBytes: 8 * 1024 * 1024,
    });
    assert.deepEqual(config.status, { host: "127.0.0.1", port: 8820 });
    assert.deepEqual(
      [config.keyRotationDays, config.pollMs, config.gapTimeoutMs, config.databaseUrl],
      [30, 200, 30_000, undefined],
    );
  });

  it("takes a registry in PostgreSQL, a module path, no status server and no embassy yet", () => {
    const config = resolveShipperConfig(
      {
        ...GOOD,
        databaseUrl: "postgres://postgres@127.0.0.1/test",
        databaseSchema: "riik_embassy_shipper",
        registries: [
          {
            name: "test-register",
            databaseUrl: "postgres://postgres@127.0.0.1/test",
            schema: "riik_test_register",
            module: "./registry.ts",
          },
        ],
        embassies: [],
        status: undefined,
        $comment: "sandbox",
      },
      file,
    );
    assert.deepEqual(config.registries, [
      {
        name: "test-register",
        dataDir: dir,
        databaseUrl: "postgres://postgres@127.0.0.1/test",
        schema: "riik_test_register",
        module: join(dir, "registry.ts"),
      },
    ]);
    assert.equal(config.databaseSchema, "riik_embassy_shipper");
    assert.equal(config.status, undefined);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ["format", { format: "riik-embassy-shipper/v2" }],
    ["home", { home: "" }],
    ["masterKey", { masterKey: 7 }],
    ["databaseSchema", { databaseSchema: "Shipper-Store" }],
    ["tls", { tls: "tls/" }],
    ["tls.ca", { tls: { cert: "tls/client.crt", key: "tls/client.key" } }],
    ["ledger.url", { ledger: { url: "ftp://127.0.0.1", key: "ledger.vkey" } }],
    ["ledger.key", { ledger: { url: "http://127.0.0.1:8801" } }],
    ["registries", { registries: [] }],
    ["registries[0].name", { registries: [{ name: "Population Register", dataDir: "." }] }],
    ["registries[0].dataDir", { registries: [{ name: "population-register" }] }],
    [
      "registries[0].schema",
      { registries: [{ name: "population-register", databaseUrl: "postgres://x", schema: "1x" }] },
    ],
    ["embassies", { embassies: { lux: "https://127.0.0.1:8819" } }],
    ["embassies[0].url", { embassies: [{ name: "lux", url: "http://127.0.0.1:8819" }] }],
    ["embassies[1].name", { embassies: [GOOD.embassies[0], { name: "Lux!", url: "https://127.0.0.1:8819" }] }],
    ["segments.maxDelayMs", { segments: { maxDelayMs: 0 } }],
    ["snapshots.maxChanges", { snapshots: { maxChanges: 5 } }],
    ["keyRotationDays", { keyRotationDays: 1.5 }],
    ["status.port", { status: { host: "127.0.0.1" } }],
    ["status.port", { status: { port: 65536 } }],
    ["pollMs", { pollMs: -1 }],
    ["gapTimeoutMs", { gapTimeoutMs: "30s" }],
    ["surprise", { surprise: true }],
  ];
  for (const [field, change] of bad)
    it(`refuses ${JSON.stringify(change)} naming ${field}`, () => {
      assert.deepEqual(refusedFields({ ...GOOD, ...change }), [field]);
    });

  it("names every missing field at once", () => {
    assert.deepEqual(refusedFields({}), ["embassies", "format", "home", "ledger", "masterKey", "registries", "tls"]);
  });

  it("refuses a value that is not an object, a file that is missing or not JSON, and a ledger key that is none", () => {
    assert.deepEqual(refusedFields([GOOD]), ["$"]);
    assert.throws(() => readShipperConfig(join(dir, "absent.json")), { code: "EMBASSY_CONFIG" });
    writeFileSync(join(dir, "broken.json"), "{ format: 1");
    assert.throws(() => readShipperConfig(join(dir, "broken.json")), { code: "EMBASSY_CONFIG" });
    assert.throws(
      () => resolveShipperConfig({ ...GOOD, masterKey: "master.key", tls: { ...GOOD.tls, ca: "none.pem" } }, file),
      {
        code: "EMBASSY_CONFIG",
        message: /tls\.ca/,
      },
    );
    writeFileSync(join(dir, "bad.vkey"), "not a key\n");
    assert.throws(() => resolveShipperConfig({ ...GOOD, ledger: { ...GOOD.ledger, key: "bad.vkey" } }, file), {
      code: "EMBASSY_CONFIG",
      message: /ledger\.key .* is not a verifier key/,
    });
  });
});
