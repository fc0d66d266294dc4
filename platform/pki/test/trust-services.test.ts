import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { temporaryDirectory } from "@riik/core/testing";
import { initTrustServices, OID, openTrustServices, PkiError } from "../src/index.ts";
import { issueTestCard, run, startTestTrustServices } from "./helpers.ts";

describe("trust-services hierarchy (riik pki init)", async () => {
  const { dir, services } = await startTestTrustServices();
  const ca = (name: string) => join(dir, "ca", `${name}.crt`);

  it("writes the CA, OCSP and TSA certificates that openssl verifies against the root", async () => {
    for (const name of ["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"])
      assert.ok(existsSync(ca(name)), name);
    const { stdout } = await run("openssl", ["verify", "-CAfile", ca("root"), ca("esteid"), ca("server"), ca("tsa")]);
    assert.equal(stdout.match(/: OK/g)?.length, 3);
    await run("openssl", ["verify", "-CAfile", ca("root"), "-untrusted", ca("esteid"), ca("ocsp")]);
    await run("openssl", ["verify", "-CAfile", ca("root"), "-untrusted", ca("server"), ca("ocsp-server")]);
  });

  it("issues ID-card certificates that openssl verifies, with ESTEID-style subjects and purposes", async () => {
    const { authPath, signPath, card } = await issueTestCard(services, dir);
    const { stdout } = await run("openssl", [
      "verify",
      "-CAfile",
      ca("root"),
      "-untrusted",
      ca("esteid"),
      authPath,
      signPath,
    ]);
    assert.equal(stdout.match(/: OK/g)?.length, 2);
    const auth = new x509.X509Certificate(card.authentication.certificate);
    assert.equal(auth.subjectName.getField("CN")[0], "MÄNNIK,MARI-LIIS,38001085718");
    assert.equal(auth.subjectName.getField("2.5.4.5")[0], "PNOEE-38001085718");
    assert.deepEqual([...(auth.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [OID.ekuClientAuth]);
    const sign = new x509.X509Certificate(card.signing.certificate);
    assert.equal(sign.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.nonRepudiation);
    const policies = sign.getExtension(x509.CertificatePolicyExtension)?.policies;
    assert.deepEqual([...(policies ?? [])], [OID.policyIdCardSigning, OID.etsiQcpNQscd]);
    assert.ok(sign.getExtension(OID.qcStatements), "qualified certificate statements");
    // openssl's purpose check agrees that the authentication certificate is for TLS client auth.
    await run("openssl", [
      "verify",
      "-purpose",
      "sslclient",
      "-CAfile",
      ca("root"),
      "-untrusted",
      ca("esteid"),
      authPath,
    ]);
  });

  it("keeps every private key encrypted at rest, with owner-only permissions", async () => {
    const key = join(dir, "keys", "esteid.key.pem");
    assert.match(readFileSync(key, "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.equal(statSync(key).mode & 0o077, 0);
    const passphrase = readFileSync(join(dir, "keys", "passphrase"), "utf8").trim();
    await run("openssl", ["pkey", "-in", key, "-passin", `pass:${passphrase}`, "-noout"]);
    await assert.rejects(run("openssl", ["pkey", "-in", key, "-passin", "pass:wrong", "-noout"]));
  });

  it("refuses to initialise over existing trust services", async () => {
    await assert.rejects(initTrustServices({ dir, baseUrl: "http://127.0.0.1:1" }), {
      code: "PKI_ALREADY_INITIALISED",
    });
  });

  it("refuses to open a directory without trust services", async () => {
    await assert.rejects(
      openTrustServices(temporaryDirectory()),
      (error: unknown) => error instanceof PkiError && error.code === "PKI_NOT_INITIALISED",
    );
  });
});
