import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Type } from "typebox";
import { createHttpService, type ErrorCatalogue, RiikError } from "../src/index.ts";

type DemoCode = "DEMO_MISSING" | "DEMO_BROKEN";
const DEMO_ERRORS: ErrorCatalogue<DemoCode> = { DEMO_MISSING: { status: 404 }, DEMO_BROKEN: { status: 503 } };

function demoService() {
  const { app } = createHttpService<DemoCode>({ name: "demo", errors: DEMO_ERRORS, bodyLimit: 1024 });
  app.post(
    "/members",
    {
      schema: {
        body: Type.Object(
          { code: Type.String({ pattern: "^[0-9]{8}$" }), active: Type.Boolean() },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ code: request.body.code, active: request.body.active }),
  );
  app.get(
    "/members/:code",
    {
      schema: {
        params: Type.Object({ code: Type.String() }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) }),
      },
    },
    async (request) => {
      if (request.params.code === "gone") throw new RiikError<DemoCode>("DEMO_MISSING", "no such member");
      if (request.params.code === "unmapped") throw new RiikError("SOMETHING_ELSE", "a code the catalogue lacks");
      return { limit: request.query.limit ?? null };
    },
  );
  return app;
}

describe("createHttpService: one catalogue for every refusal", () => {
  it("refuses a body of the wrong types without coercing it, naming each bad field", async () => {
    const response = await demoService().inject({
      method: "POST",
      url: "/members",
      payload: { code: 1e40, active: "true" },
    });
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, "REQUEST_INVALID");
    assert.deepEqual(body.details.errors.map((e: { path: string }) => e.path).sort(), ["body/active", "body/code"]);
  });

  it("refuses unknown properties instead of dropping them", async () => {
    const response = await demoService().inject({
      method: "POST",
      url: "/members",
      payload: { code: "12345678", active: true, admin: true },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, "REQUEST_INVALID");
  });

  it("coerces query strings to the schema's type and refuses what does not fit", async () => {
    const app = demoService();
    assert.deepEqual((await app.inject({ url: "/members/a?limit=5" })).json(), { limit: 5 });
    const bad = await app.inject({ url: "/members/a?limit=zero" });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, "REQUEST_INVALID");
  });

  it("answers malformed JSON, huge bodies, wrong media types and unknown routes with riik codes, never FST_ERR", async () => {
    const app = demoService();
    const cases = [
      {
        request: {
          method: "POST" as const,
          url: "/members",
          headers: { "content-type": "application/json" },
          payload: "{",
        },
        status: 400,
        code: "BODY_MALFORMED",
      },
      {
        request: {
          method: "POST" as const,
          url: "/members",
          headers: { "content-type": "application/json" },
          payload: `"${"x".repeat(4096)}"`,
        },
        status: 413,
        code: "BODY_TOO_LARGE",
      },
      {
        request: { method: "POST" as const, url: "/members", headers: { "content-type": "text/csv" }, payload: "a,b" },
        status: 415,
        code: "CONTENT_TYPE_UNSUPPORTED",
      },
      { request: { method: "GET" as const, url: "/nowhere" }, status: 404, code: "ROUTE_NOT_FOUND" },
    ];
    for (const { request, status, code } of cases) {
      const response = await app.inject(request);
      assert.equal(response.statusCode, status, code);
      assert.equal(response.json().code, code);
    }
  });

  it("maps catalogued codes to their status and an uncatalogued code to 500", async () => {
    const app = demoService();
    const missing = await app.inject({ url: "/members/gone" });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, "DEMO_MISSING");
    const unmapped = await app.inject({ url: "/members/unmapped" });
    assert.equal(unmapped.statusCode, 500);
    assert.equal(unmapped.json().code, "INTERNAL");
  });
});
