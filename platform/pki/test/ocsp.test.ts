import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { buildOcspRequest, checkOcsp, normaliseSerial, type TrustServices } from "../src/index.ts";
import { issueTestCard, opensslOcsp, run, startTestTrustServices } from "./helpers.ts";

async function setStatus(services: TrustServices, certPem: string, event: "suspended" | "resumed" | "revoked") {
  const serial = normaliseSerial(new x509.X509Certificate(certPem).serialNumber);
  await services.registry.changeStatus("esteid", serial, {
    event,
    ...(event === "revoked" ? { reason: "keyCompromise" as const } : {}),
    actor: "test",
  });
}

describe("OCSP responder (RFC 6960), checked by openssl ocsp", async () => {
  const { dir, services, url } = await startTestTrustServices();
  const { card, authPath } = await issueTestCard(services, dir);
  const pem = card.authentication.certificate;

  it("answers good, then revoked with certificateHold when suspended, good after resume, revoked after revoke", async () => {
    assert.match(await opensslOcsp(dir, url, authPath), /: good/);
    await setStatus(services, pem, "suspended");
    const suspended = await opensslOcsp(dir, url, authPath);
    assert.match(suspended, /: revoked/);
    assert.match(suspended, /Reason: certificateHold/);
    await setStatus(services, pem, "resumed");
    assert.match(await opensslOcsp(dir, url, authPath), /: good/);
    await setStatus(services, pem, "revoked");
    const revoked = await opensslOcsp(dir, url, authPath);
    assert.match(revoked, /: revoked/);
    assert.match(revoked, /Reason: keyCompromise/);
  });

  it("records every status change", async () => {
    const serial = normaliseSerial(new x509.X509Certificate(pem).serialNumber);
    const events = await services.registry.events("esteid", serial);
    assert.deepEqual(
      events.map((e) => e.event),
      ["issued", "suspended", "resumed", "revoked"],
    );
  });

  it("refuses to resume a revoked certificate", async () => {
    const serial = normaliseSerial(new x509.X509Certificate(pem).serialNumber);
    await assert.rejects(services.registry.changeStatus("esteid", serial, { event: "resumed", actor: "test" }), {
      code: "PKI_STATUS_TRANSITION",
    });
  });

  it("answers GET requests (RFC 6960 A.1) with nextUpdate and the nonce, verified by our client", async () => {
    const other = await issueTestCard(services, dir, "49701010350");
    const certificate = new x509.X509Certificate(other.card.authentication.certificate);
    const checked = await checkOcsp(certificate, services.cas.esteid.certificate, `${url}/ocsp`);
    assert.equal(checked.status.status, "good");
    assert.ok(checked.nextUpdate && checked.nextUpdate > checked.thisUpdate);
    const request = Buffer.from(buildOcspRequest(certificate, services.cas.esteid.certificate)).toString("base64");
    const reply = await fetch(`${url}/ocsp/${encodeURIComponent(request)}`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get("content-type"), "application/ocsp-response");
    const responsePath = join(dir, "get.ocsp");
    writeFileSync(responsePath, Buffer.from(await reply.arrayBuffer()));
    // openssl checks the signature and chain of a response read from a file, and prints it.
    const { stdout, stderr } = await run("openssl", [
      "ocsp",
      "-respin",
      responsePath,
      "-resp_text",
      "-issuer",
      join(dir, "ca", "esteid.crt"),
      "-CAfile",
      join(dir, "ca", "root.crt"),
    ]);
    assert.match(stderr, /Response verify OK/);
    assert.match(stdout, /Cert Status: good/);
  });

  it("answers unknown for a serial it never issued", async () => {
    const foreign = await issueTestCard(services, dir, "61202290109");
    await services.registry.db
      .deleteFrom("certificate")
      .where(
        "serial",
        "=",
        normaliseSerial(new x509.X509Certificate(foreign.card.authentication.certificate).serialNumber),
      )
      .execute();
    assert.match(await opensslOcsp(dir, url, foreign.authPath), /: unknown/);
  });
});

describe("OCSP and TSA endpoints refuse bad input clearly and keep serving", async () => {
  const { dir, services, url } = await startTestTrustServices();
  const { card } = await issueTestCard(services, dir);
  const certificate = new x509.X509Certificate(card.authentication.certificate);
  const valid = buildOcspRequest(certificate, services.cas.esteid.certificate);
  const post = (path: string, body: Uint8Array | string, type: string) =>
    fetch(`${url}${path}`, { method: "POST", headers: { "content-type": type }, body: body as BodyInit });
  const healthy = async () => assert.equal((await fetch(`${url}/healthz`)).status, 200);

  const cases: Array<[string, () => Promise<Response>, number, RegExp]> = [
    [
      "malformed DER",
      () => post("/ocsp", Buffer.from("not der at all"), "application/ocsp-request"),
      400,
      /OCSP_MALFORMED_REQUEST/,
    ],
    [
      "a truncated request",
      () => post("/ocsp", valid.slice(0, valid.length - 7), "application/ocsp-request"),
      400,
      /OCSP_MALFORMED_REQUEST/,
    ],
    [
      "trailing bytes",
      () => post("/ocsp", Buffer.concat([valid, Buffer.from([0])]), "application/ocsp-request"),
      400,
      /after the DER object/,
    ],
    ["an empty GET", () => fetch(`${url}/ocsp/`), 400, /OCSP_MALFORMED_REQUEST/],
  ];
  for (const [name, send, status, header] of cases) {
    it(`OCSP: ${name} gets ${status} with an OCSP malformedRequest body`, async () => {
      const reply = await send();
      assert.equal(reply.status, status);
      assert.match(reply.headers.get("x-riik-error") ?? "", header);
      const body = new Uint8Array(await reply.arrayBuffer());
      assert.deepEqual([...body], [0x30, 0x03, 0x0a, 0x01, 0x01], "OCSPResponse { responseStatus malformedRequest }");
      await healthy();
    });
  }

  it("OCSP: an issuer it does not serve gets unauthorized (403)", async () => {
    const foreign = await startTestTrustServices();
    const other = await issueTestCard(foreign.services, foreign.dir);
    const reply = await post(
      "/ocsp",
      buildOcspRequest(
        new x509.X509Certificate(other.card.authentication.certificate),
        foreign.services.cas.esteid.certificate,
      ),
      "application/ocsp-request",
    );
    assert.equal(reply.status, 403);
    assert.deepEqual([...new Uint8Array(await reply.arrayBuffer())], [0x30, 0x03, 0x0a, 0x01, 0x06]);
    await healthy();
  });

  it("OCSP and TSA: a wrong content type gets 415 with a typed JSON error", async () => {
    for (const [path, code] of [
      ["/ocsp", "OCSP_CONTENT_TYPE"],
      ["/tsa", "TSA_CONTENT_TYPE"],
    ]) {
      const reply = await post(path!, JSON.stringify({ hello: 1 }), "application/json");
      assert.equal(reply.status, 415);
      assert.equal((await reply.json()).code, code);
      const text = await post(path!, "hello", "text/plain");
      assert.equal(text.status, 415);
    }
    await healthy();
  });

  it("OCSP and TSA: a huge body gets 413", async () => {
    for (const [path, type] of [
      ["/ocsp", "application/ocsp-request"],
      ["/tsa", "application/timestamp-query"],
    ]) {
      const reply = await post(path!, new Uint8Array(200 * 1024), type!);
      assert.equal(reply.status, 413);
    }
    await healthy();
  });

  it("serves CA certificates as DER at the AIA URLs, and 404 for unknown names", async () => {
    const reply = await fetch(`${url}/ca/esteid.crt`);
    assert.equal(reply.headers.get("content-type"), "application/pkix-cert");
    const served = new x509.X509Certificate(await reply.arrayBuffer());
    assert.equal(served.subject, services.cas.esteid.certificate.subject);
    assert.equal((await fetch(`${url}/ca/..%2Fkeys%2Froot.key.crt`)).status, 404);
    assert.equal((await fetch(`${url}/ca/nope.crt`)).status, 404);
  });

  it("exposes Prometheus metrics with OCSP answer counts", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /riik_ocsp_responses_total\{response="malformedRequest"/);
  });
});

describe("OCSP client checks", async () => {
  const { dir, services, url } = await startTestTrustServices();
  const { card } = await issueTestCard(services, dir);
  const certificate = new x509.X509Certificate(card.authentication.certificate);

  it("distrusts a delegated responder whose certificate is not valid at the time of checking", async () => {
    const farFuture = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    // With the responder certificate expired, only the CA itself may sign: our delegated answer fails.
    await assert.rejects(checkOcsp(certificate, services.cas.esteid.certificate, `${url}/ocsp`, { now: farFuture }), {
      code: "OCSP_RESPONSE_INVALID",
    });
  });

  it("reports an unreachable responder with its own code", async () => {
    await assert.rejects(
      checkOcsp(certificate, services.cas.esteid.certificate, "http://127.0.0.1:9/ocsp", { timeoutMs: 2000 }),
      {
        code: "OCSP_UNAVAILABLE",
      },
    );
  });
});
