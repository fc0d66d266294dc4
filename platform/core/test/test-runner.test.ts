import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");

/** Runs scripts/test.mjs on one fixture file as a run of its own; its exit code and output. */
async function runOn(fixture: string): Promise<{ code: number; lines: string[]; out: string }> {
  const child = spawn(process.execPath, ["scripts/test.mjs", `platform/core/test/fixtures/${fixture}`], {
    cwd: ROOT,
    // A run of its own, not a subtest of this one (node:test marks its children with this variable).
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_TEST_CONTEXT")),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const [code] = await once(child, "exit");
  return { code, lines: out.trimEnd().split("\n"), out };
}

it("#22 npm test's summary says how many cases ran on PostgreSQL, under the runner's own closing lines", async () => {
  const { code, lines, out } = await runOn("dialect-cases.ts");
  assert.equal(code, 0, out);
  const end = lines.indexOf("# postgres 3 test cases ran on PostgreSQL (3 passed, 0 failed)");
  assert.ok(end > 0, out);
  assert.deepEqual(
    lines.slice(end - 8, end + 2).map((line) => line.replace(/ [\d.]+$/, " N")),
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
      "# slowest files (seconds of their top-level tests):",
    ],
  );
  assert.match(lines[end + 2]!, /^# +\d+\.\d {2}platform\/core\/test\/fixtures\/dialect-cases\.ts$/);
  assert.ok(lines.includes("# pass 4") && lines.includes("# skipped 1"), out);
});

it("names every failed and cancelled case at the end, with its file, suites and reason", async () => {
  const { code, lines, out } = await runOn("failing-cases.ts");
  assert.equal(code, 1, out);
  const file = "platform/core/test/fixtures/failing-cases.ts";
  assert.deepEqual(
    lines.slice(-4).map((line) => line.replace(/\] .*/, "]")),
    [
      "# 3 failed or cancelled:",
      `#   ${file}: a register on postgres › counts [testCodeFailure]`,
      `#   ${file}: a register on postgres › waits forever [cancelledByParent]`,
      `#   ${file}: a register on postgres › comes after [cancelledByParent]`,
    ],
  );
  assert.match(out, /# postgres 3 test cases ran on PostgreSQL \(0 passed, 3 failed\)/);
});
