import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { readZip, writeZip } from "../src/asic/zip.ts";
import { ASIC_E_MIMETYPE, readContainer, SignatureError, writeContainer } from "../src/index.ts";

const text = (s: string) => new TextEncoder().encode(s);
const MANIFEST = (files: string[]) =>
  text(
    `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">` +
      `<manifest:file-entry manifest:full-path="/" manifest:media-type="${ASIC_E_MIMETYPE}"/>` +
      files.map((f) => `<manifest:file-entry manifest:full-path="${f}" manifest:media-type="text/plain"/>`).join("") +
      `</manifest:manifest>`,
  );
const mimetype = { name: "mimetype", data: text(ASIC_E_MIMETYPE), compress: false };
const refuses = (bytes: Uint8Array, code: string) =>
  assert.throws(
    () => readContainer(bytes),
    (error: unknown) => error instanceof SignatureError && error.code === code,
  );

describe("ASiC-E container (ETSI EN 319 162-1)", () => {
  const container = {
    dataFiles: [
      { name: "leping.txt", mediaType: "text/plain", data: text("Müüja ja ostja lepivad kokku.\n") },
      { name: "lisa 1.pdf", mediaType: "application/pdf", data: new Uint8Array(5000).fill(7) },
    ],
    signatures: [],
  };

  it("lays out mimetype first, STORED, no extra field, then manifest and files (byte for byte)", () => {
    const bytes = writeContainer(container);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint32(0, true), 0x04034b50, "local file header at offset 0");
    assert.equal(view.getUint16(8, true), 0, "compression method STORED");
    assert.equal(view.getUint16(26, true), 8, "name length 8");
    assert.equal(view.getUint16(28, true), 0, "no extra field");
    assert.equal(Buffer.from(bytes.subarray(30, 38)).toString(), "mimetype");
    assert.equal(Buffer.from(bytes.subarray(38, 38 + 31)).toString(), ASIC_E_MIMETYPE, "media type at offset 38");
    assert.equal(view.getUint32(18, true), 31, "compressed size = size");
    assert.deepEqual(
      readZip(bytes).map((e) => [e.name, e.method]),
      [
        ["mimetype", 0],
        ["META-INF/manifest.xml", 8],
        ["leping.txt", 8],
        ["lisa 1.pdf", 8],
      ],
    );
    const back = readContainer(bytes);
    assert.deepEqual(
      back.dataFiles.map((f) => [f.name, f.mediaType, Buffer.from(f.data).toString("base64")]),
      container.dataFiles.map((f) => [f.name, f.mediaType, Buffer.from(f.data).toString("base64")]),
    );
  });

  it("refuses path traversal, absolute names and backslashes", () => {
    for (const name of ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:/x.txt", "a\\..\\b.txt", "a//b"]) {
      refuses(
        writeZip([
          mimetype,
          { name: "META-INF/manifest.xml", data: MANIFEST([name]), compress: true },
          { name, data: text("x"), compress: true },
        ]),
        "ASIC_PATH",
      );
    }
  });

  it("refuses duplicate names, also when they differ only in case", () => {
    const files = (a: string, b: string) =>
      writeZip([
        mimetype,
        { name: "META-INF/manifest.xml", data: MANIFEST([a]), compress: true },
        { name: a, data: text("one"), compress: true },
        { name: b, data: text("two"), compress: true },
      ]);
    // writeZip refuses to write a name twice, so the second name is renamed in the bytes.
    const twice = Buffer.from(files("a.txt", "b.txt"));
    for (let at = twice.indexOf("b.txt"); at !== -1; at = twice.indexOf("b.txt", at)) twice.write("a.txt", at);
    refuses(twice, "ASIC_DUPLICATE_NAME");
    refuses(files("a.txt", "A.TXT"), "ASIC_DUPLICATE_NAME");
  });

  it("refuses a compression bomb by ratio and by lying sizes", () => {
    const zeros = new Uint8Array(20 * 1024 * 1024);
    refuses(
      writeZip([
        mimetype,
        { name: "META-INF/manifest.xml", data: MANIFEST(["z"]), compress: true },
        { name: "z", data: zeros, compress: true },
      ]),
      "ASIC_TOO_LARGE",
    );
    // A 900 KiB entry that claims to be 10 bytes: inflation stops at the declared size.
    const bytes = writeZip([
      mimetype,
      { name: "META-INF/manifest.xml", data: MANIFEST(["z"]), compress: true },
      { name: "z", data: new Uint8Array(900 * 1024), compress: true },
    ]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const local = Buffer.from(bytes).lastIndexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04, 20]));
    view.setUint32(local + 22, 10, true);
    let cd = view.getUint32(bytes.length - 6, true);
    for (let i = 0; i < 3; i++) {
      const nameLength = view.getUint16(cd + 28, true);
      if (i === 2) view.setUint32(cd + 24, 10, true);
      cd += 46 + nameLength;
    }
    refuses(bytes, "ASIC_TOO_LARGE");
  });

  it("refuses a missing, late, compressed or wrong mimetype", () => {
    const manifest = { name: "META-INF/manifest.xml", data: MANIFEST([]), compress: true };
    refuses(writeZip([manifest]), "ASIC_MIMETYPE");
    refuses(writeZip([manifest, mimetype]), "ASIC_MIMETYPE");
    refuses(writeZip([{ ...mimetype, compress: true }, manifest]), "ASIC_MIMETYPE");
    refuses(writeZip([{ ...mimetype, data: text("application/zip") }, manifest]), "ASIC_MIMETYPE");
  });

  it("refuses files the manifest does not list, and manifest entries without files", () => {
    refuses(
      writeZip([
        mimetype,
        { name: "META-INF/manifest.xml", data: MANIFEST([]), compress: true },
        { name: "x.txt", data: text("x"), compress: true },
      ]),
      "ASIC_MANIFEST",
    );
    refuses(
      writeZip([mimetype, { name: "META-INF/manifest.xml", data: MANIFEST(["gone.txt"]), compress: true }]),
      "ASIC_MANIFEST",
    );
  });

  it("refuses overlapping entries and bytes before the first entry", () => {
    const good = writeContainer(container);
    refuses(Buffer.concat([Buffer.from("junk"), good]), "ASIC_ZIP");
    refuses(new Uint8Array(100), "ASIC_ZIP");
    const raw = deflateRawSync(Buffer.from("not a zip"));
    refuses(raw, "ASIC_ZIP");
  });

  it("answers any mutation of a container with a SignatureError, never a crash", () => {
    const good = writeContainer(container);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (edits) => {
          const bytes = Uint8Array.from(good);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            readContainer(bytes);
          } catch (error) {
            assert.ok(error instanceof SignatureError, String(error));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
