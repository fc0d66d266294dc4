import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run, startTestTrustServices } from "./helpers.ts";

describe("time-stamping authority (RFC 3161), checked by openssl ts", async () => {
  const { dir, url } = await startTestTrustServices();
  const data = join(dir, "data.txt");
  writeFileSync(data, "Riigikogu otsus nr 1\n");

  const stamp = async (hash: string, extra: string[] = []) => {
    const query = join(dir, `${hash}.tsq`);
    const reply = join(dir, `${hash}.tsr`);
    await run("openssl", ["ts", "-query", "-data", data, `-${hash}`, ...extra, "-out", query]);
    const { stdout } = await run("curl", [
      "-s",
      "-o",
      reply,
      "-w",
      "%{http_code} %{content_type}",
      "-H",
      "content-type: application/timestamp-query",
      "--data-binary",
      `@${query}`,
      `${url}/tsa`,
    ]);
    return { query, reply, http: stdout };
  };

  const opensslVerify = (reply: string) =>
    run("openssl", [
      "ts",
      "-verify",
      "-data",
      data,
      "-in",
      reply,
      "-CAfile",
      join(dir, "ca", "root.crt"),
      "-untrusted",
      join(dir, "ca", "tsa.crt"),
    ]);

  for (const hash of ["sha256", "sha384", "sha512"]) {
    it(`grants a ${hash} time-stamp that openssl ts -verify accepts against the root`, async () => {
      const { reply, http } = await stamp(hash, ["-cert"]);
      assert.equal(http, "200 application/timestamp-reply");
      const { stdout } = await opensslVerify(reply);
      assert.match(stdout, /Verification: OK/);
    });
  }

  it("includes the TSA certificate only when asked, and echoes the nonce", async () => {
    const { query, reply } = await stamp("sha256");
    const { stdout } = await run("openssl", ["ts", "-reply", "-in", reply, "-text"]);
    assert.match(stdout, /Status: Granted/);
    const { stdout: queryText } = await run("openssl", ["ts", "-query", "-in", query, "-text"]);
    const nonce = /Nonce: (0x[0-9A-F]+)/.exec(queryText)?.[1];
    assert.ok(nonce && stdout.includes(`Nonce: ${nonce}`));
    // Without -cert the token carries no certificate, so verification needs it given explicitly.
    const { stdout: verified } = await opensslVerify(reply);
    assert.match(verified, /Verification: OK/);
  });

  it("refuses SHA-1 with failInfo badAlg and keeps serving", async () => {
    const { reply, http } = await stamp("sha1");
    assert.match(http, /^400 application\/timestamp-reply/);
    const { stdout } = await run("openssl", ["ts", "-reply", "-in", reply, "-text"]);
    assert.match(stdout, /Status: Rejected/);
    assert.match(stdout, /unrecognized or unsupported algorithm identifier/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  it("refuses a request for another policy with unacceptedPolicy", async () => {
    const { reply } = await stamp("sha256", ["-tspolicy", "1.2.3.4"]);
    const { stdout } = await run("openssl", ["ts", "-reply", "-in", reply, "-text"]);
    assert.match(stdout, /requested TSA policy is not supported/);
  });

  it("refuses malformed and truncated requests with badRequest", async () => {
    const { query } = await stamp("sha256");
    const bytes = readFileSync(query);
    for (const body of [Buffer.from("garbage"), bytes.subarray(0, bytes.length - 3)]) {
      const reply = await fetch(`${url}/tsa`, {
        method: "POST",
        headers: { "content-type": "application/timestamp-query" },
        body,
      });
      assert.equal(reply.status, 400);
      assert.match(reply.headers.get("x-riik-error") ?? "", /TSA_MALFORMED_REQUEST/);
    }
  });
});
