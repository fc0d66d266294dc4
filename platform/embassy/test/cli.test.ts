// Finding #10 (fail closed): the embassy's verifiers, `riik embassy restore` and
// `riik embassy serve`, refuse to run without a ledger key to check anchors against
// (VERIFY_NO_TRUST_ANCHOR, exit 3) and touch nothing; they never fall back to trusting
// what the embassy serves.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runRiik, temporaryDirectory } from "@riik/core/testing";
import { writeMasterKeyFile } from "../src/index.ts";

describe("riik embassy verifiers without a trust anchor", () => {
  it("finding #10: restore with no --ledger-key and no ledger.vkey next to the key exits 3 and writes nothing", async () => {
    const home = temporaryDirectory("riik-embassy-cli-");
    writeMasterKeyFile(join(home, "master.key"));
    const to = join(home, "restored");
    const result = await runRiik([
      "embassy",
      "restore",
      "--registry",
      "population-register",
      "--from",
      "https://127.0.0.1:9",
      "--key",
      join(home, "master.key"),
      "--to",
      to,
    ]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: no ledger verifier key/m);
    assert.equal(result.stdout, "");
    assert.equal(existsSync(to), false);
  });

  it("finding #10: an embassy node with no ledger key exits 3 before it listens or writes", async () => {
    const dir = join(temporaryDirectory("riik-embassy-cli-"), "embassy");
    const result = await runRiik(["embassy", "serve", "--dir", dir, "--port", "9"]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: /m);
    assert.equal(existsSync(dir), false);
  });
});
