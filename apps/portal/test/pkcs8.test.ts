// The browser's PKCS #8 reader (src/browser/pkcs8.ts) on keys OpenSSL encrypts: the PBES2
// parameters it reads are the ones `openssl asn1parse` shows, and WebCrypto, given them and
// the password, decrypts to the very PrivateKeyInfo OpenSSL writes unencrypted.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Pkcs8Error, readEncryptedPrivateKeyInfo, readPrivateKeyAlgorithm } from "@riik/pki/browser/pkcs8";
import fc from "fast-check";

const dir = mkdtempSync(join(tmpdir(), "riik-pkcs8-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8" });
const PASSWORD = "271828";
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_SECP384R1 = "1.3.132.0.34";
const OID_RSA = "1.2.840.113549.1.1.1";

function generate(name: string, ...options: string[]): string {
  const path = join(dir, `${name}.pem`);
  openssl("genpkey", ...options, "-out", path);
  return path;
}

/** `openssl pkcs8 -topk8` with `options`, as DER. */
function pkcs8(key: string, name: string, ...options: string[]): Uint8Array<ArrayBuffer> {
  const path = join(dir, `${name}.der`);
  openssl("pkcs8", "-topk8", ...options, "-in", key, "-outform", "DER", "-out", path);
  return new Uint8Array(readFileSync(path));
}

/** What `openssl asn1parse` shows of a structure: its OBJECT names, OCTET STRINGs and INTEGERs, in order. */
function asn1parse(der: Uint8Array): { objects: string[]; octets: string[]; integers: number[] } {
  const text = execFileSync("openssl", ["asn1parse", "-inform", "DER"], { input: der, encoding: "utf8" });
  const all = (pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1] as string);
  return {
    objects: all(/prim: OBJECT\s+:(\S+)/g),
    octets: all(/prim: OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/g).map((hex) => hex.toLowerCase()),
    integers: all(/prim: INTEGER\s+:([0-9A-F]+)/g).map((hex) => Number.parseInt(hex, 16)),
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const ecKey = generate("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384");
const plain = pkcs8(ecKey, "plain", "-nocrypt");

describe("PKCS #8 reader (browser)", () => {
  const cases = [
    { cipher: "aes-256-cbc", prf: "hmacWithSHA256", iterations: 2048, hash: "SHA-256", keyBits: 256 },
    { cipher: "aes-256-cbc", prf: "hmacWithSHA512", iterations: 3001, hash: "SHA-512", keyBits: 256 },
    // hmacWithSHA1 is the DEFAULT PRF: OpenSSL leaves the field out (RFC 8018 A.2).
    { cipher: "aes-128-cbc", prf: "hmacWithSHA1", iterations: 1000, hash: "SHA-1", keyBits: 128 },
  ] as const;
  for (const c of cases)
    it(`reads what openssl pkcs8 -v2 ${c.cipher} -v2prf ${c.prf} wrote, and WebCrypto opens it`, async () => {
      const der = pkcs8(
        ecKey,
        `${c.cipher}-${c.prf}`,
        ...["-v2", c.cipher, "-v2prf", c.prf, "-iter", String(c.iterations), "-passout", `pass:${PASSWORD}`],
      );
      const shown = asn1parse(der);
      assert.deepEqual(
        shown.objects,
        ["PBES2", "PBKDF2", ...(c.prf === "hmacWithSHA1" ? [] : [c.prf]), c.cipher],
        "the structure openssl wrote",
      );
      const [salt, iv, encrypted] = shown.octets;
      const p = readEncryptedPrivateKeyInfo(der);
      assert.equal(hex(p.salt), salt);
      assert.equal(p.iterations, c.iterations);
      assert.equal(p.iterations, shown.integers[0]);
      assert.equal(p.hash, c.hash);
      assert.equal(p.keyBits, c.keyBits);
      assert.equal(hex(p.iv), iv);
      assert.equal(hex(p.encrypted), encrypted);

      const { subtle } = globalThis.crypto;
      const password = await subtle.importKey("raw", new TextEncoder().encode(PASSWORD), "PBKDF2", false, [
        "deriveKey",
      ]);
      const aes = await subtle.deriveKey(
        { name: "PBKDF2", salt: p.salt, iterations: p.iterations, hash: p.hash },
        password,
        { name: "AES-CBC", length: p.keyBits },
        false,
        ["decrypt"],
      );
      const decrypted = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: p.iv }, aes, p.encrypted));
      assert.equal(hex(decrypted), hex(plain), "the PrivateKeyInfo openssl -nocrypt writes");
      assert.deepEqual(readPrivateKeyAlgorithm(decrypted), { algorithm: OID_EC_PUBLIC_KEY, namedCurve: OID_SECP384R1 });
    });

  it("reads an RSA PrivateKeyInfo's algorithm, without a curve", () => {
    const rsa = generate("rsa", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048");
    assert.deepEqual(readPrivateKeyAlgorithm(pkcs8(rsa, "rsa-plain", "-nocrypt")), { algorithm: OID_RSA });
  });

  it("tells a key derivation or a cipher it does not do from a broken structure", () => {
    const reasonOf = (der: Uint8Array) => {
      try {
        readEncryptedPrivateKeyInfo(der);
        return "read";
      } catch (error) {
        assert.ok(error instanceof Pkcs8Error, String(error));
        return `${error.reason}: ${error.message}`;
      }
    };
    const pass = ["-passout", `pass:${PASSWORD}`];
    assert.match(reasonOf(pkcs8(ecKey, "scrypt", "-scrypt", ...pass)), /^unsupported: .*not PBKDF2/);
    assert.match(reasonOf(pkcs8(ecKey, "3des", "-v2", "des-ede3-cbc", ...pass)), /^unsupported: .*not .*AES-CBC/);
    const good = pkcs8(ecKey, "good", "-v2", "aes-256-cbc", "-iter", "2048", ...pass);
    assert.equal(reasonOf(good), "read");
    assert.match(reasonOf(good.subarray(0, good.length - 1)), /^format: /);
    assert.match(reasonOf(new Uint8Array([...good, 0])), /^format: .*after/);
    assert.match(reasonOf(plain), /^format: /, "an unencrypted PrivateKeyInfo");
  });

  it("reads or refuses with Pkcs8Error, never anything else, whatever byte of OpenSSL's DER changes", () => {
    const der = pkcs8(ecKey, "mutated", "-v2", "aes-256-cbc", "-iter", "2048", "-passout", `pass:${PASSWORD}`);
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = new Uint8Array(der);
        changed[at] = (changed[at] as number) ^ flip;
        for (const read of [readEncryptedPrivateKeyInfo, readPrivateKeyAlgorithm])
          try {
            read(changed);
          } catch (error) {
            assert.ok(error instanceof Pkcs8Error, String(error));
          }
      }),
      { numRuns: 500 },
    );
  });
});
