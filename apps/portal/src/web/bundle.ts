import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface WebAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator (RFC 9110 8.8.3): the SHA-256 of the body. */
  etag: string;
}

export interface WebAssets {
  "/": WebAsset;
  "/app.js": WebAsset;
  "/app.css": WebAsset;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

function asset(body: Buffer | string, contentType: string): WebAsset {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  return { body: bytes, contentType, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"` };
}

/**
 * Builds the front end into memory: the browser TypeScript (src/browser, with the shared
 * dictionary) bundled by esbuild into one ES module, the page and the style sheet as they
 * are. Runs once at server start; nothing is written to disk.
 */
export async function buildWebAssets(): Promise<WebAssets> {
  const result = await build({
    entryPoints: [here("../browser/main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const script = result.outputFiles[0];
  if (!script) throw new Error("esbuild produced no output for the portal front end");
  return {
    "/": asset(readFileSync(here("index.html")), "text/html; charset=utf-8"),
    "/app.js": asset(Buffer.from(script.contents), "text/javascript; charset=utf-8"),
    "/app.css": asset(readFileSync(here("styles.css")), "text/css; charset=utf-8"),
  };
}
