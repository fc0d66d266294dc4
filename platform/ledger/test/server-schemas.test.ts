import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LEDGER_ERRORS } from "../src/server.ts";
import { aggregate, sha256hex, startLedger } from "./fixtures/helpers.ts";

/** Printable query and path text, with the characters that make URLs and numbers odd. */
const junk = fc.string({ unit: fc.constantFrom(..."0123456789-+.eE/&=?%abc x"), maxLength: 24 });

describe("#10 ledger routes: generated malformed requests", () => {
  it("every route answers a catalogued riik code below 500 (never FST_ERR) and keeps serving", async () => {
    const { url, server } = await startLedger();
    assert.equal((await aggregate(url, [{ algorithm: "SHA-256", digest: sha256hex("first") }])).status, 200);
    const routes = ["/v1/extend?round=", "/v1/extend?round=0&from=", "/v1/consistency?from=", "/tile/", "/checkpoint?"];
    const known = new Set([...Object.keys(LEDGER_ERRORS), "REQUEST_INVALID", "ROUTE_NOT_FOUND", "BODY_MALFORMED"]);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), junk, async (route, tail) => {
        const response = await server.service.app.inject({ method: "GET", url: `${route}${encodeURI(tail)}` });
        if (response.statusCode === 200) return;
        const { code } = response.json() as { code: string };
        assert.ok(known.has(code), `${route}${tail}: ${code}`);
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${route}${tail}: ${response.statusCode}`);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 60 })), async (payload) => {
        const response = await server.service.app.inject({
          method: "POST",
          url: "/v1/aggregate",
          headers: { "content-type": "application/json" },
          payload,
        });
        const { code } = response.json() as { code?: string };
        if (response.statusCode === 200) return;
        assert.ok(code !== undefined && known.has(code), `${payload}: ${code}`);
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${payload}: ${response.statusCode}`);
      }),
      { numRuns: 300 },
    );
    assert.equal((await aggregate(url, [{ algorithm: "SHA-256", digest: sha256hex("after") }])).status, 200);
  });
});
