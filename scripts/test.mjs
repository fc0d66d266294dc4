// Runs every {platform,agencies,apps}/*/test/**/*.test.ts file (or those under the paths given) with
// node's test runner, TypeScript loaded through tsx. Under the runner's own closing lines it
// says how many cases ran on PostgreSQL (a run that silently used SQLite only shows), names
// every case that failed or was cancelled, and lists the slowest files (run-summary.mjs).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

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
const summaryFile = join(countDir, "summary.json");
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
    // Node's default reporter (spec on a terminal, TAP otherwise), and the run's summary.
    `--test-reporter=${process.stdout.isTTY ? "spec" : "tap"}`,
    "--test-reporter-destination=stdout",
    `--test-reporter=${join(import.meta.dirname, "run-summary.mjs")}`,
    `--test-reporter-destination=${summaryFile}`,
    ...files.sort(),
  ],
  { stdio: "inherit" },
);
try {
  const { postgres, failures, slowest } = JSON.parse(readFileSync(summaryFile, "utf8"));
  const { passed, failed } = postgres;
  console.log(`# postgres ${passed + failed} test cases ran on PostgreSQL (${passed} passed, ${failed} failed)`);
  console.log("# slowest files (seconds of their top-level tests):");
  for (const [file, ms] of slowest)
    console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)}  ${relative(process.cwd(), file)}`);
  if (failures.length > 0) console.log(`# ${failures.length} failed or cancelled:`);
  for (const { file, test, kind, message } of failures)
    console.log(`#   ${relative(process.cwd(), file ?? "?")}: ${test} [${kind}] ${message}`);
} catch {
  console.log("# summary unavailable (the runner stopped early)");
}
rmSync(countDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
