import assert from "node:assert/strict";
import { test } from "node:test";
import { Type } from "typebox";
import {
  createMemberService,
  DATA_SUBJECTS_HEADER,
  declareDataSubjects,
  errorAnswers,
  personalAnswer,
  RiikError,
} from "../src/index.ts";

const ANSWER = Type.Object({ code: Type.String() }, { additionalProperties: false });

const service = () =>
  createMemberService<"THING_GONE">({
    name: "things",
    title: "Things",
    version: "1.0.0",
    description: "a test service",
    errors: { THING_GONE: { status: 410 } },
    routes(app) {
      app.post(
        "/things/:code",
        {
          schema: {
            params: Type.Object({ code: Type.String({ pattern: "^[0-9]{11}$" }) }),
            body: Type.Object({ gone: Type.Boolean() }, { additionalProperties: false }),
            response: { 200: personalAnswer(ANSWER, "The thing"), ...errorAnswers({ 410: "Gone (THING_GONE)" }) },
          },
        },
        async (request, reply) => {
          // Declared before the handler knows whether it will answer: the kit clears it on an error.
          declareDataSubjects(reply, [request.params.code, request.params.code]);
          if (request.body.gone) throw new RiikError("THING_GONE", "gone", { details: { since: "2026-01-01" } });
          return { code: request.params.code, internal: "not in the answer schema" };
        },
      );
    },
  });

test("a member service: subjects named once on success and never on an error, JSON only, answers by their schema", async () => {
  const { app, close } = service();
  try {
    const post = (gone: unknown, contentType = "application/json") =>
      app.inject({
        method: "POST",
        url: "/things/38001085718",
        headers: { "content-type": contentType },
        payload: contentType === "application/json" ? JSON.stringify({ gone }) : String(gone),
      });
    const ok = await post(false);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers[DATA_SUBJECTS_HEADER], "EE38001085718");
    assert.deepEqual(ok.json(), { code: "38001085718" });
    const gone = await post(true);
    assert.equal(gone.statusCode, 410);
    assert.deepEqual(gone.json(), { code: "THING_GONE", message: "gone", details: { since: "2026-01-01" } });
    assert.equal(gone.headers[DATA_SUBJECTS_HEADER], undefined);
    const invalid = await post("yes");
    assert.equal(invalid.json().code, "REQUEST_INVALID");
    assert.ok(invalid.json().details.errors.length > 0, "the details survive the answer schema");
    assert.equal((await post("x", "text/plain")).statusCode, 415);
  } finally {
    await close();
  }
});

test("the OpenAPI document is generated from the routes alone, with the server when asked", async () => {
  const { app, openapi, close } = service();
  try {
    const doc = (await openapi("https://things.example")) as any;
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.info, { title: "Things", version: "1.0.0", description: "a test service" });
    assert.deepEqual(doc.servers, [{ url: "https://things.example" }]);
    assert.deepEqual(Object.keys(doc.paths), ["/things/{code}"]);
    const responses = doc.paths["/things/{code}"].post.responses;
    assert.ok(responses["200"].headers["X-Riik-Data-Subjects"]);
    assert.equal(responses["410"].description, "Gone (THING_GONE)");
    const served = await app.inject({ url: "/openapi.json" });
    assert.deepEqual(served.json().paths, doc.paths);
    assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
  } finally {
    await close();
  }
});
