// The ROCA fingerprint against the detector's published vectors (crocs-muni/roca test data,
// positives as its README lists them), and a property: ordinary RSA keys never carry it.
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { hasRocaFingerprint, rsaModulus } from "../src/incident/roca-fingerprint.ts";

const vectors = JSON.parse(readFileSync(new URL("vectors/roca.json", import.meta.url), "utf8")) as {
  moduli: Array<{ name: string; modulus: string; fingerprinted: boolean }>;
  certificates: Array<{ name: string; pem: string; fingerprinted: boolean }>;
};

describe("ROCA fingerprint (CVE-2017-15361)", () => {
  test("the published moduli: every positive marked, every negative not", () => {
    for (const { name, modulus, fingerprinted } of vectors.moduli)
      assert.equal(hasRocaFingerprint(BigInt(modulus)), fingerprinted, name);
    assert.ok(vectors.moduli.some((v) => v.fingerprinted) && vectors.moduli.some((v) => !v.fingerprinted));
  });

  test("the published certificates, the modulus read from the certificate", () => {
    for (const { name, pem, fingerprinted } of vectors.certificates) {
      const modulus = rsaModulus(new X509Certificate(pem));
      assert.ok(modulus, name);
      assert.equal(hasRocaFingerprint(modulus), fingerprinted, name);
    }
  });

  test("keys made by OpenSSL (via Node) do not carry it; an EC key has no modulus", () => {
    for (let i = 0; i < 8; i++) {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
      assert.equal(hasRocaFingerprint(rsaModulus(publicKey)!), false);
    }
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    assert.equal(rsaModulus(publicKey), undefined);
    assert.equal(hasRocaFingerprint(0n), false);
  });
});
