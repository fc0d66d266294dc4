// Runs every packages/*/test/**/*.test.ts file (or those under the paths given) with
// node's test runner, TypeScript loaded through tsx.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["packages"];
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
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "reflect-metadata",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-timeout=240000",
    ...files.sort(),
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
