// Finding #10.5: every route of the embassy node, its admin API and the shipper's status
// API has a request schema; garbage gets a riik code and a fitting status, never a
// Fastify code or a 500, and the service keeps serving after each refusal.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { EMBASSY_ERRORS, EmbassyClient, type EmbassyErrorCode, readTlsMaterial, tlsFiles } from "../src/index.ts";
import { homeWithEmbassy } from "./fixtures/harness.ts";

interface Refusal {
  method: "GET" | "POST" | "PUT";
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
  status: number;
  code: string;
}

describe("embassy HTTP APIs refuse garbage with riik codes", async () => {
  const { h, lux, shipper } = await homeWithEmbassy();
  const octets = { "content-type": "application/octet-stream" };

  it("finding #10.5: every code of the package has a status in the catalogue", () => {
    // A code without a status would not compile; this guards the statuses' ranges.
    for (const [code, { status }] of Object.entries(EMBASSY_ERRORS) as Array<[EmbassyErrorCode, { status: number }]>)
      assert.ok(status >= 400 && status < 600, `${code} ${status}`);
    assert.equal(EMBASSY_ERRORS.SNAPSHOT_INCOMPLETE.status, 409);
  });

  it("finding #10.5: the embassy node's routes", async () => {
    const refusals: Refusal[] = [
      { method: "GET", url: "/v1/registries/Bad_Name/head", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: `/v1/registries/${"a".repeat(64)}/head`, status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries/test-register/head?x=1", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries?full=1", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries/test-register/segments?from=-1", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries/test-register/segments?from=x", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries/test-register/segments?limit=0", status: 400, code: "REQUEST_INVALID" },
      {
        method: "GET",
        url: "/v1/registries/test-register/segments?limit=10001",
        status: 400,
        code: "REQUEST_INVALID",
      },
      { method: "GET", url: "/v1/registries/test-register/segments/1.5", status: 400, code: "REQUEST_INVALID" },
      { method: "GET", url: "/v1/registries/test-register/segments/-3", status: 400, code: "REQUEST_INVALID" },
      {
        method: "GET",
        url: "/v1/registries/test-register/segments/99999999999999999999",
        status: 400,
        code: "REQUEST_INVALID",
      },
      { method: "GET", url: "/v1/registries/test-register/segments/7", status: 404, code: "EMBASSY_NOT_FOUND" },
      { method: "PUT", url: "/v1/registries/test-register/segments", status: 404, code: "ROUTE_NOT_FOUND" },
      { method: "GET", url: "/v2/anything", status: 404, code: "ROUTE_NOT_FOUND" },
      {
        method: "POST",
        url: "/v1/registries/test-register/segments",
        headers: { "content-type": "application/json" },
        payload: '{"segment":"AAAA"}',
        status: 415,
        code: "CONTENT_TYPE_UNSUPPORTED",
      },
      {
        method: "POST",
        url: "/v1/registries/test-register/segments",
        headers: { "content-type": "text/plain" },
        payload: "hello",
        status: 415,
        code: "CONTENT_TYPE_UNSUPPORTED",
      },
      {
        method: "POST",
        url: "/v1/registries/test-register/segments",
        headers: octets,
        payload: Buffer.alloc(0),
        status: 400,
        code: "SEGMENT_MALFORMED",
      },
      {
        method: "POST",
        url: "/v1/registries/test-register/segments",
        headers: octets,
        payload: Buffer.from("RIIKSEG\u0001 but not a segment"),
        status: 400,
        code: "SEGMENT_MALFORMED",
      },
      {
        method: "POST",
        url: "/v1/registries/NOT-A-NAME/segments",
        headers: octets,
        payload: Buffer.from("x"),
        status: 400,
        code: "REQUEST_INVALID",
      },
    ];
    for (const r of refusals) {
      const reply = await lux.server.app.inject({
        method: r.method,
        url: r.url,
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.payload !== undefined ? { payload: r.payload } : {}),
      });
      assert.equal(reply.statusCode, r.status, `${r.method} ${r.url}: ${reply.body}`);
      assert.equal(reply.json().code, r.code, `${r.method} ${r.url}: ${reply.body}`);
      assert.doesNotMatch(reply.body, /FST_ERR/);
      // Still serving after each refusal.
      assert.equal((await lux.server.app.inject({ method: "GET", url: "/v1/registries" })).statusCode, 200);
    }
  });

  it("finding #10.5: the client reads the node's refusals as typed errors", async () => {
    const client = new EmbassyClient(lux.url, readTlsMaterial(tlsFiles(h.homeDir, "client")));
    after(() => client.close());
    // A schema refusal is a bad request (before: reported as an unreachable embassy).
    await assert.rejects(client.head("Bad_Name"), { code: "EMBASSY_ARGUMENT" });
    await assert.rejects(client.get("test-register", 5), { code: "EMBASSY_NOT_FOUND" });
    await assert.rejects(client.post("test-register", Buffer.from("not a segment")), { code: "SEGMENT_MALFORMED" });
    assert.equal(await client.head("test-register"), undefined);
  });

  it("finding #10.5: the embassy's admin API and the shipper's status API", async () => {
    for (const app of [lux.server.admin, shipper.app]) {
      const path = app === shipper.app ? "/v1/status" : "/v1/registries";
      const bad = await app.inject({ method: "GET", url: `${path}?registry=%00` });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().code, "REQUEST_INVALID");
      const missing = await app.inject({ method: "POST", url: path, payload: "{" });
      assert.equal(missing.statusCode, 404, missing.body);
      assert.equal(missing.json().code, "ROUTE_NOT_FOUND");
      assert.equal((await app.inject({ method: "GET", url: path })).statusCode, 200);
    }
  });
});
