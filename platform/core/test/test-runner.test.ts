import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");

it("#22 npm test's summary says how many cases ran on PostgreSQL, under the runner's own closing lines", async () => {
  const child = spawn(process.execPath, ["scripts/test.mjs", "platform/core/test/fixtures/dialect-cases.ts"], {
    cwd: ROOT,
    // A run of its own, not a subtest of this one (node:test marks its children with this variable).
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_TEST_CONTEXT")),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const [code] = await once(child, "exit");
  assert.equal(code, 0, out);
  const lines = out.trimEnd().split("\n");
  assert.deepEqual(
    lines.slice(-9).map((line) => line.replace(/ [\d.]+$/, " N")),
    [
      "# tests N",
      "# suites N",
      "# pass N",
      "# fail N",
      "# cancelled N",
      "# skipped N",
      "# todo N",
      "# duration_ms N",
      "# postgres 3 test cases ran on PostgreSQL (3 passed, 0 failed)",
    ],
  );
  assert.ok(lines.includes("# pass 4") && lines.includes("# skipped 1"), out);
});
