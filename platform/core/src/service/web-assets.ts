import { createHash } from "node:crypto";
import { build } from "esbuild";

/** A page, script or style sheet a service serves from memory. */
export interface WebAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator (RFC 9110 8.8.3): the SHA-256 of the body. */
  etag: string;
}

export function webAsset(body: Buffer | string, contentType: string): WebAsset {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  return { body: bytes, contentType, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"` };
}

/**
 * Browser TypeScript bundled by esbuild into one minified ES module, in memory (nothing is
 * written to disk), for the browsers riik supports; `what` names it in an error.
 */
export async function bundleBrowserScript(entryPoint: string, what: string): Promise<WebAsset> {
  const result = await build({
    entryPoints: [entryPoint],
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
  if (!script) throw new Error(`esbuild produced no output for ${what}`);
  return webAsset(Buffer.from(script.contents), "text/javascript; charset=utf-8");
}
