import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { buildOcspRequest } from "../src/index.ts";
import { issueTestCard, startTestTrustServices } from "./helpers.ts";

/** OCSPResponse { responseStatus malformedRequest } (RFC 6960 4.2.1). */
const MALFORMED = [0x30, 0x03, 0x0a, 0x01, 0x01];
/** The PKIStatus of a TimeStampResp (RFC 3161 2.4.2), read as DER. */
function timeStampStatus(der: Uint8Array): number {
  const parsed = asn1js.fromBER(der);
  assert.equal(parsed.offset, der.length, "one DER object");
  const statusInfo = (parsed.result as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
  return (statusInfo.valueBlock.value[0] as asn1js.Integer).valueBlock.valueDec;
}

describe("#10 pki server: every route has a request schema; garbage gets a protocol answer or a riik code", async () => {
  const { dir, services, app } = await startTestTrustServices();
  const { card } = await issueTestCard(services, dir);
  const valid = Buffer.from(
    buildOcspRequest(new x509.X509Certificate(card.authentication.certificate), services.cas.esteid.certificate),
  );

  /** What any answer must be: the protocol's error body, a certificate, or a JSON riik code; never FST_ERR, never 5xx. */
  const assertAnswered = (reply: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }) => {
    assert.ok(reply.statusCode < 500, `status ${reply.statusCode}: ${reply.rawPayload.toString("utf8", 0, 200)}`);
    const type = String(reply.headers["content-type"] ?? "");
    if (type.startsWith("application/json")) {
      const body = JSON.parse(reply.rawPayload.toString("utf8")) as { code?: string };
      assert.match(body.code ?? "", /^[A-Z][A-Z0-9_]+$/);
      assert.doesNotMatch(body.code!, /^FST_/);
      return body.code;
    }
    assert.match(type, /^application\/(ocsp-response|timestamp-reply|pkix-cert|x-pem-file)/);
    return type;
  };

  it("#10 GET /ocsp accepts only canonical base64: trailing garbage is malformedRequest, not a good answer", async () => {
    const encoded = encodeURIComponent(valid.toString("base64"));
    assert.equal((await app.inject({ url: `/ocsp/${encoded}` })).statusCode, 200);
    for (const path of [`${encoded}!!`, `${encoded}%20`, `x${encoded}`, "A".repeat(200_000)]) {
      const reply = await app.inject({ url: `/ocsp/${path}` });
      assert.equal(reply.statusCode, 400, path);
      assert.deepEqual([...reply.rawPayload], MALFORMED, path);
    }
  });

  it("#10 schema refusals are riik codes: an overlong GET path or CA file name is REQUEST_INVALID", async () => {
    for (const url of [`/ocsp/${"A".repeat(300_000)}`, `/ca/${"a".repeat(65)}.crt`, "/ocsp/%E0%A4%A"]) {
      const reply = await app.inject({ url });
      assert.equal(reply.statusCode, 400, url.slice(0, 40));
      assert.equal(reply.json().code, "REQUEST_INVALID");
    }
    const unknown = await app.inject({ url: "/ca/..%2Fkeys%2Froot.crt" });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, "PKI_UNKNOWN_CA");
  });

  it("#10 bodies of the wrong shape: riik codes with fitting statuses, never FST_ERR", async () => {
    const cases: Array<[string, InjectOptions, number, string]> = [
      [
        "broken JSON",
        { method: "POST", url: "/ocsp", headers: { "content-type": "application/json" }, payload: "{" },
        400,
        "BODY_MALFORMED",
      ],
      [
        "JSON to the TSA",
        { method: "POST", url: "/tsa", headers: { "content-type": "application/json" }, payload: "{}" },
        415,
        "TSA_CONTENT_TYPE",
      ],
      [
        "text",
        { method: "POST", url: "/ocsp", headers: { "content-type": "text/plain" }, payload: "hi" },
        415,
        "OCSP_CONTENT_TYPE",
      ],
      [
        "no content type",
        { method: "POST", url: "/tsa", payload: Buffer.from([0x30, 0]) },
        415,
        "CONTENT_TYPE_UNSUPPORTED",
      ],
      [
        "a huge body",
        {
          method: "POST",
          url: "/ocsp",
          headers: { "content-type": "application/ocsp-request" },
          payload: Buffer.alloc(100_000),
        },
        413,
        "BODY_TOO_LARGE",
      ],
      ["another method", { method: "PUT", url: "/ocsp", payload: "" }, 404, "ROUTE_NOT_FOUND"],
    ];
    for (const [name, request, status, code] of cases) {
      const reply = await app.inject(request);
      assert.equal(reply.statusCode, status, name);
      assert.equal(assertAnswered(reply), code, name);
    }
  });

  it("#10 random requests to every route (property): protocol error answers or riik codes, and it keeps serving", async () => {
    const route = fc.constantFrom("/ocsp", "/tsa", "/ocsp/", "/ca/");
    const type = fc.constantFrom(
      "application/ocsp-request",
      "application/timestamp-query",
      "application/json",
      "text/plain",
      "application/octet-stream",
    );
    await fc.assert(
      fc.asyncProperty(
        route,
        type,
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 40 }),
        async (path, contentType, body, tail) => {
          const reply = path.endsWith("/")
            ? await app.inject({ url: `${path}${encodeURIComponent(tail)}` })
            : await app.inject({
                method: "POST",
                url: path,
                headers: { "content-type": contentType },
                payload: Buffer.from(body),
              });
          const answer = assertAnswered(reply);
          if (answer === "application/ocsp-response" && reply.statusCode === 400)
            assert.deepEqual([...reply.rawPayload], MALFORMED);
          if (answer === "application/timestamp-reply") assert.equal(timeStampStatus(reply.rawPayload), 2, "rejection");
        },
      ),
      { numRuns: 400 },
    );
    assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
  });
});
