// Runs every {platform,agencies,apps}/*/test/**/*.test.ts file (or those under the paths given) with
// node's test runner, TypeScript loaded through tsx. Under the runner's own closing lines it
// says how many cases ran on PostgreSQL, so a run that silently used SQLite only shows.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["platform", "agencies", "apps"];
const files = roots.flatMap((root) =>
  statSync(root).isFile()
    ? [root]
    : readdirSync(root, { recursive: true })
        .map((entry) => join(root, String(entry)))
        .filter((path) => /\/test\/.*\.test\.ts$/.test(path) && !path.includes("node_modules")),
);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
const countDir = mkdtempSync(join(tmpdir(), "riik-test-run-"));
const counts = join(countDir, "postgres.json");
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "reflect-metadata",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-timeout=600000",
    // Node's default reporter (spec on a terminal, TAP otherwise), and the PostgreSQL count.
    `--test-reporter=${process.stdout.isTTY ? "spec" : "tap"}`,
    "--test-reporter-destination=stdout",
    `--test-reporter=${join(import.meta.dirname, "postgres-cases.mjs")}`,
    `--test-reporter-destination=${counts}`,
    ...files.sort(),
  ],
  { stdio: "inherit" },
);
try {
  const { passed, failed } = JSON.parse(readFileSync(counts, "utf8"));
  console.log(`# postgres ${passed + failed} test cases ran on PostgreSQL (${passed} passed, ${failed} failed)`);
} catch {
  console.log("# postgres count unavailable (the runner stopped early)");
}
rmSync(countDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
