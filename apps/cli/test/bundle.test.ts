import assert from "node:assert/strict";
import { statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { temporaryDirectory } from "@riik/core/testing";
// @ts-expect-error plain JavaScript: the bin directory runs before any TypeScript loader.
import { cliBundle } from "../bin/bundle.mjs";

/** Imports a bundle afresh (a query string defeats the module cache). */
async function load(out: string): Promise<{ value: string; here: string; folder: string; file: string }> {
  return import(`${pathToFileURL(out).href}?${statSync(out).mtimeMs}`);
}

describe("the riik command's bundle (apps/cli/bin/bundle.mjs)", () => {
  it("is rebuilt exactly when a bundled source or node_modules changes, and import.meta names the source", async () => {
    const dir = temporaryDirectory();
    const entry = join(dir, "entry.ts");
    const part = join(dir, "part.ts");
    const npmState = join(dir, "package-lock.json");
    const out = join(dir, "bundle/riik.mjs");
    writeFileSync(
      entry,
      'export { value } from "./part.ts";\nexport const here: string = import.meta.url;\nexport const folder: string = import.meta.dirname;\nexport const file: string = import.meta.filename;\n',
    );
    writeFileSync(part, 'export const value: string = "first";\n');
    writeFileSync(npmState, "{}");
    const past = new Date(Date.now() - 60_000);
    for (const file of [entry, part, npmState]) utimesSync(file, past, past);

    await cliBundle({ entry, out, npmState });
    const first = await load(out);
    assert.equal(first.value, "first");
    assert.equal(first.here, pathToFileURL(entry).href, "a source finds its files next to itself, not the bundle");
    assert.equal(first.folder, dir);
    assert.equal(first.file, entry);
    const builtAt = statSync(out).mtimeMs;

    await cliBundle({ entry, out, npmState });
    assert.equal(statSync(out).mtimeMs, builtAt, "nothing changed: the bundle is reused");

    writeFileSync(part, 'export const value: string = "second";\n');
    await cliBundle({ entry, out, npmState });
    assert.equal((await load(out)).value, "second", "an edited source is rebuilt");

    const rebuiltAt = statSync(out).mtimeMs;
    const future = new Date(Date.now() + 60_000);
    utimesSync(npmState, future, future);
    await cliBundle({ entry, out, npmState });
    assert.notEqual(statSync(out).mtimeMs, rebuiltAt, "npm changed node_modules: rebuilt");
  });
});
