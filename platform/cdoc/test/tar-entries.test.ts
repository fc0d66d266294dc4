// Hostile tar entries inside a correctly encrypted payload: refused after the tag verified,
// nothing written in or outside the output directory.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import * as tar from "tar-stream";
import { encryptTar } from "../src/container.ts";
import { CdocError, decryptFile } from "../src/index.ts";
import { listAll } from "./helpers.ts";

const key = { type: "symmetric", label: "s", key: randomBytes(32) } as const;

type Entry = {
  name: string;
  type?: "file" | "symlink" | "link" | "directory" | "character-device";
  body?: Buffer;
  linkname?: string;
};

async function containerOf(entries: Entry[], dir: string): Promise<string> {
  const pack = tar.pack();
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type ?? "file",
      mode: 0o600,
      ...(e.linkname ? { linkname: e.linkname } : {}),
    };
    if ((e.type ?? "file") === "file")
      pack.entry({ ...header, size: (e.body ?? Buffer.alloc(0)).length }, e.body ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  const file = join(dir, `c-${randomBytes(4).toString("hex")}.cdoc2`);
  await encryptTar({ tar: () => Readable.from([Buffer.concat(chunks)]), recipients: [key], out: file });
  return file;
}

async function refusedAs(entries: Entry[], code: string, maxOutputBytes?: number): Promise<void> {
  const root = temporaryDirectory();
  const file = await containerOf(entries, root);
  const out = join(root, "out");
  await assert.rejects(
    decryptFile({ file, key, outputDir: out, ...(maxOutputBytes ? { maxOutputBytes } : {}) }),
    (e: unknown) => e instanceof CdocError && e.code === code,
  );
  assert.deepEqual(listAll(out), []);
  assert.deepEqual(
    listAll(root).filter((p) => !p.startsWith("out") && !p.endsWith(".cdoc2")),
    [],
  );
}

const ok = { name: "ok.txt", body: Buffer.from("fine") };

for (const name of ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt", "..", "C:evil", "a\\..\\evil", ""]) {
  test(`tar entry named ${JSON.stringify(name)} is refused`, async () => {
    await refusedAs([ok, { name, body: Buffer.from("x") }], "CDOC_TAR_ENTRY");
  });
}

test("symbolic links, hard links and devices are refused", async () => {
  await refusedAs([ok, { name: "l", type: "symlink", linkname: "/etc/passwd" }], "CDOC_TAR_ENTRY");
  await refusedAs([{ name: "l", type: "link", linkname: "ok.txt" }, ok], "CDOC_TAR_ENTRY");
  await refusedAs([{ name: "d", type: "character-device" }], "CDOC_TAR_ENTRY");
});

test("duplicate entries are refused (the second would overwrite the first)", async () => {
  await refusedAs([ok, ok], "CDOC_TAR_ENTRY");
});

test("inflation is bounded: a payload inflating past the limit is refused and removed", async () => {
  await refusedAs([{ name: "zeros", body: Buffer.alloc(4 * 1024 * 1024) }], "CDOC_TOO_LARGE", 1024 * 1024);
});

test("a subdirectory entry within the output directory is accepted", async () => {
  const root = temporaryDirectory();
  const file = await containerOf(
    [
      { name: "dir/", type: "directory" },
      { name: "dir/in.txt", body: Buffer.from("in") },
    ],
    root,
  );
  const out = join(root, "out");
  assert.deepEqual(await decryptFile({ file, key, outputDir: out }), ["dir/in.txt"]);
  assert.equal(readFileSync(join(out, "dir/in.txt"), "utf8"), "in");
});
