import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleBrowserScript, type WebAsset, webAsset } from "@riik/core/web-assets";

export interface WebAssets {
  "/": WebAsset;
  "/app.js": WebAsset;
  "/app.css": WebAsset;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/**
 * Builds the front end into memory: the browser TypeScript (src/browser, with the shared
 * dictionary) bundled by esbuild into one ES module, the page and the style sheet as they
 * are. Runs once at server start; nothing is written to disk.
 */
export async function buildWebAssets(): Promise<WebAssets> {
  return {
    "/": webAsset(readFileSync(here("index.html")), "text/html; charset=utf-8"),
    "/app.js": await bundleBrowserScript(here("../browser/main.ts"), "the portal front end"),
    "/app.css": webAsset(readFileSync(here("styles.css")), "text/css; charset=utf-8"),
  };
}
