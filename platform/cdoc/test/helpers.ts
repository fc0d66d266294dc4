import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { temporaryDirectory } from "@riik/core/testing";

export const VECTORS = join(import.meta.dirname, "vectors");
/** The reference's test secret (test/bats/cdoc2_tests.bats). */
export const REFERENCE_SECRET = Buffer.from("HHeUrHfo+bCZd//gGmEOU2nA5cgQolQ/m18UO/dN1tE=", "base64");

/** A temporary directory holding `files` (name → content); returns their paths. */
export function inputFiles(files: Record<string, string | Buffer>): { dir: string; paths: string[] } {
  const dir = temporaryDirectory("riik-cdoc-in-");
  const paths = Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
  return { dir, paths };
}

/** Every entry under `dir`, recursively (hidden staging directories included). */
export function listAll(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}
