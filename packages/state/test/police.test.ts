import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { assertPersonQuery, createPoliceApp, PERSONS_SERVICE, POLICE_APP, StateError } from "../src/index.ts";

const PERSON = "38001085718";
const OFFICER = "49403136526";
const IN_A_MONTH = new Date(Date.now() + 30 * 86_400_000).toISOString();

/** Plays the police's security server: records what it was sent, answers as told. */
function fakeSecurityServer() {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    const code = req.url!.split("/").pop();
    if (code === "49403136515") {
      res.writeHead(500, { "content-type": "application/json", "x-road-error": "Server.ServerProxy.AccessDenied" });
      res.end(JSON.stringify({ type: "Server.ServerProxy.AccessDenied", message: "no access", detail: "id" }));
    } else if (code === "60001019906") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "PERSON_NOT_FOUND", message: "no such person" }));
    } else {
      res.writeHead(200, { "content-type": "application/json", "x-road-id": "q-1", "x-road-request-hash": "h" });
      res.end(JSON.stringify({ personalCode: code, givenName: "Mari", surname: "Maasikas" }));
    }
  });
  return { server, seen };
}

describe("police sample consumer", () => {
  const ss = fakeSecurityServer();
  let police: ReturnType<typeof createPoliceApp>;
  before(async () => {
    await new Promise<void>((resolve) => ss.server.listen(0, "127.0.0.1", resolve));
    const port = (ss.server.address() as AddressInfo).port;
    police = createPoliceApp({
      port: 0,
      host: "127.0.0.1",
      client: POLICE_APP,
      securityServer: { url: `http://127.0.0.1:${port}` },
      personsService: PERSONS_SERVICE,
    });
  });
  after(async () => {
    await police.close();
    ss.server.close();
  });

  const query = (body: unknown) =>
    police.app.inject({ method: "POST", url: "/queries", payload: body as Record<string, unknown> });

  it("asks the register through its security server, naming the officer and the purpose (PR-REST r1)", async () => {
    const reply = await query({
      personalCode: PERSON,
      purpose: "Isikusamasuse tuvastamine, menetlus 1-23",
      officer: OFFICER,
      hiddenUntil: IN_A_MONTH,
      hiddenReason: "Jälitustegevus §15",
    });
    assert.equal(reply.statusCode, 200, reply.body);
    const body = reply.json();
    assert.equal(body.person.personalCode, PERSON);
    assert.equal(body.xroad.id, "q-1");
    const sent = ss.seen.at(-1)!;
    assert.equal(sent.url, `/r1/${PERSONS_SERVICE}/persons/${PERSON}`);
    assert.equal(sent.headers["x-road-client"], POLICE_APP);
    assert.equal(sent.headers["x-road-userid"], `EE${OFFICER}`);
    assert.equal(sent.headers["x-road-issue"], "Isikusamasuse tuvastamine, menetlus 1-23");
    assert.equal(
      decodeURIComponent(String(sent.headers["x-road-pdu-purpose"])),
      "Isikusamasuse tuvastamine, menetlus 1-23",
    );
    assert.equal(sent.headers["x-riik-hidden-until"], IN_A_MONTH);
    assert.equal(decodeURIComponent(String(sent.headers["x-riik-hidden-reason"])), "Jälitustegevus §15");
  });

  it("percent-encodes a purpose that is not ASCII", async () => {
    const reply = await query({ personalCode: PERSON, purpose: "Šoti kodaniku kontroll", officer: OFFICER });
    assert.equal(reply.statusCode, 200);
    assert.equal(ss.seen.at(-1)!.headers["x-road-issue"], encodeURIComponent("Šoti kodaniku kontroll"));
  });

  it("lists every bad field of a query, by path", async () => {
    const sentBefore = ss.seen.length;
    const reply = await query({
      personalCode: "38001085719",
      officer: "x",
      purpose: " ",
      extra: 1,
      hiddenUntil: "2000-01-01",
    });
    assert.equal(reply.statusCode, 400);
    const body = reply.json();
    assert.equal(body.code, "POLICE_INPUT");
    assert.deepEqual(Object.keys(body.details.problems).sort(), [
      "/extra",
      "/hiddenReason",
      "/hiddenUntil",
      "/officer",
      "/personalCode",
      "/purpose",
    ]);
    assert.equal(ss.seen.length, sentBefore, "nothing was sent");
  });

  it("refuses a body that is not a JSON object", async () => {
    for (const payload of ["[]", "null", '"x"']) {
      const reply = await police.app.inject({
        method: "POST",
        url: "/queries",
        payload,
        headers: { "content-type": "application/json" },
      });
      assert.equal(reply.statusCode, 400, payload);
    }
    const text = await police.app.inject({
      method: "POST",
      url: "/queries",
      payload: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.ok(text.statusCode === 415 || text.statusCode === 400, String(text.statusCode));
  });

  it("passes X-Road faults on as 502 with their type, and a missing person as 404", async () => {
    const denied = await query({ personalCode: "49403136515", purpose: "p", officer: OFFICER });
    assert.equal(denied.statusCode, 502);
    assert.equal(denied.json().code, "POLICE_UPSTREAM");
    assert.equal(denied.json().details.type, "Server.ServerProxy.AccessDenied");
    const missing = await query({ personalCode: "60001019906", purpose: "p", officer: OFFICER });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, "POLICE_NOT_FOUND");
  });

  it("answers /healthz", async () => {
    assert.equal((await police.app.inject({ url: "/healthz" })).statusCode, 200);
  });
});

describe("assertPersonQuery", () => {
  it("accepts a minimal query and requires a reason with hiddenUntil", () => {
    assertPersonQuery({ personalCode: PERSON, purpose: "p", officer: OFFICER });
    assert.throws(
      () => assertPersonQuery({ personalCode: PERSON, purpose: "p", officer: OFFICER, hiddenUntil: IN_A_MONTH }),
      (error: unknown) => error instanceof StateError && error.code === "POLICE_INPUT",
    );
    assert.throws(
      () =>
        assertPersonQuery({
          personalCode: PERSON,
          purpose: "p",
          officer: OFFICER,
          hiddenUntil: "3999-01-01",
          hiddenReason: "r",
        }),
      /at most ten years/,
    );
  });
});
