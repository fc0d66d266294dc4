// #10 Where the offline verifiers' trust comes from: --trust files or directories, or --data
// DIR; neither is VERIFY_NO_TRUST_ANCHOR, never a fallback to the file verified.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { verifyEvidence } from "../src/evidence/evidence.ts";
import { trustAnchorFromFiles, trustAnchorOf } from "../src/evidence/trust.ts";
import { verifyUsageProof } from "../src/evidence/usage-proof.ts";

const dir = temporaryDirectory("riik-trust-anchor-");
const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
const pem = await selfSignedCertificate(key, "a root");
mkdirSync(join(dir, "ca"));
writeFileSync(join(dir, "ca/root.crt"), pem);
writeFileSync(join(dir, "ca/root.key.pem"), key.export({ type: "pkcs8", format: "pem" }));

describe("#10 trust anchors of the offline verifiers", () => {
  it("no --trust and no --data: VERIFY_NO_TRUST_ANCHOR, naming what was to be verified", async () => {
    await assert.rejects(trustAnchorOf({}, "the evidence"), {
      code: "VERIFY_NO_TRUST_ANCHOR",
      message: /no trust anchor to verify the evidence against/,
    });
    await assert.rejects(trustAnchorOf({ trust: [] }, "the proof"), { code: "VERIFY_NO_TRUST_ANCHOR" });
    // The functions themselves refuse a missing anchor before reading the document.
    await assert.rejects(verifyEvidence({}, undefined as never), { code: "VERIFY_NO_TRUST_ANCHOR" });
    await assert.rejects(verifyUsageProof({}, undefined as never), { code: "VERIFY_NO_TRUST_ANCHOR" });
  });

  it("--trust and --data together, a missing path, a named file without a certificate, a DIR without a state", async () => {
    await assert.rejects(trustAnchorOf({ trust: [join(dir, "ca/root.crt")], data: dir }, "x"), {
      code: "XROAD_ARGUMENT",
    });
    assert.throws(() => trustAnchorFromFiles([join(dir, "nosuch.crt")]), { code: "XROAD_ARGUMENT" });
    assert.throws(() => trustAnchorFromFiles([join(dir, "ca/root.key.pem")]), { code: "XROAD_ARGUMENT" });
    await assert.rejects(trustAnchorOf({ data: dir }, "x"), { code: "XROAD_ARGUMENT", message: /central/ });
  });

  it("a directory: its certificates (a key's .pem passed over), named in the anchor", () => {
    const anchor = trustAnchorFromFiles([join(dir, "ca")]);
    assert.equal(anchor.roots.length, 1);
    assert.equal(anchor.name, join(dir, "ca/root.crt"));
    assert.equal(anchor.serverCas, null);
    assert.deepEqual(anchor.ledgerKeys, []);
  });
});
