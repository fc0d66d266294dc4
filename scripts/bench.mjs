// npm run bench -- <name>: runs bench/<name>.ts, which prints its figures and, as its
// last line, the headline ratio against the peer or baseline measured in the same run.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const name = process.argv[2];
const available = readdirSync("bench")
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
if (!name || !existsSync(`bench/${name}.ts`)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(", ") || "none yet"})`);
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ["--import", "reflect-metadata", "--import", "tsx", `bench/${name}.ts`, ...process.argv.slice(3)],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
