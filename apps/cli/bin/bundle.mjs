// The `riik` command runs from one JavaScript bundle of its TypeScript sources and of the npm
// packages they use. Loading TypeScript through tsx's loader hooks costs every module a trip
// through the hooks thread (kysely and typebox alone are ~1,000 files): about 2 s of CPU per
// start, paid by every `riik` call and every process `riik up` starts. The bundle starts in
// about 0.3 s. It is a cache: rebuilt (about 3 s) whenever a bundled source file is newer than
// it or npm changed node_modules, so a checkout never runs stale code. `node bin/bundle.mjs`
// builds it ahead (npm install runs it).
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const CLI = resolve(import.meta.dirname, "..");
const ROOT = resolve(CLI, "../..");
const ENTRY = join(CLI, "src/main.ts");
const OUT = join(CLI, ".bundle/riik.mjs");
/** npm rewrites it whenever an install changes node_modules. */
const NPM_STATE = join(ROOT, "node_modules/.package-lock.json");
/** Native addons, tools that run their own binaries, and optional drivers stay outside. */
const EXTERNAL = new Set(["better-sqlite3", "pkcs11js", "esbuild", "tsx", "playwright-core", "pg-native", "fsevents"]);

/** The path of an up-to-date bundle of `entry`, built first when it is missing or stale. */
export async function cliBundle({ entry = ENTRY, out = OUT, npmState = NPM_STATE } = {}) {
  if (!isFresh(out, npmState)) await buildBundle({ entry, out });
  return out;
}

function isFresh(out, npmState) {
  let inputs;
  let builtAt;
  try {
    builtAt = statSync(out).mtimeMs;
    inputs = JSON.parse(readFileSync(`${out}.inputs.json`, "utf8"));
  } catch {
    return false;
  }
  const base = dirname(out);
  try {
    return [npmState, ...inputs.map((input) => resolve(base, input))].every(
      (file) => statSync(file).mtimeMs <= builtAt,
    );
  } catch {
    return false; // an input was deleted or moved
  }
}

/** Builds into a temporary file renamed over the old bundle, so a process starting meanwhile reads either whole. */
export async function buildBundle({ entry = ENTRY, out = OUT } = {}) {
  const { build } = await import("esbuild");
  const staging = `${out}.${process.pid}.tmp`;
  // Stamped with the time the build started: a source saved during the build is newer.
  const startedAt = new Date();
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: staging,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    metafile: true,
    logLevel: "warning",
    // CommonJS packages inside an ES module bundle still call require().
    banner: {
      js: 'import { createRequire as riikCreateRequire } from "node:module"; const require = riikCreateRequire(import.meta.url);',
    },
    plugins: [
      {
        name: "riik",
        setup(plugins) {
          plugins.onResolve({ filter: /^[^./]/ }, ({ path }) => {
            const name = path.startsWith("@") ? path.split("/").slice(0, 2).join("/") : path.split("/")[0];
            return path.startsWith("node:") || EXTERNAL.has(name) ? { path, external: true } : undefined;
          });
          // Our sources find their files (browser scripts, workers, pages) next to themselves:
          // import.meta.url, .filename and .dirname keep naming the source file, not the bundle.
          plugins.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
            if (path.includes("/node_modules/")) return undefined;
            const text = await readFile(path, "utf8");
            return {
              contents: text
                .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(path).href))
                .replaceAll("import.meta.filename", JSON.stringify(path))
                .replaceAll("import.meta.dirname", JSON.stringify(dirname(path))),
              loader: "ts",
            };
          });
        },
      },
    ],
  });
  const sources = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes("node_modules/"))
    .map((input) => relative(dirname(out), resolve(ROOT, input)));
  writeFileSync(`${out}.inputs.json`, JSON.stringify(sources));
  utimesSync(staging, startedAt, startedAt);
  renameSync(staging, out);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildBundle();
  console.log(`riik: bundled the CLI into ${relative(process.cwd(), OUT)}`);
}
