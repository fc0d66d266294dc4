// End to end: trust services, a central server, two security servers and a provider as
// real processes on loopback; requests shaped like the examples of PR-REST 6.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, randomUUID, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { notOwnerOnly, temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { Agent, Client, request } from "undici";
import { selfSignedCertificate, signBytes } from "../src/crypto/keys.ts";
import { bodyHash, requestHead, signingInput } from "../src/protocol/message.ts";
import {
  assertFault,
  CONSUMER,
  json,
  OTHER,
  PETS,
  PROVIDER_SUBSYSTEM,
  rawGet,
  readReply,
  riik,
  type Sandbox,
  SS2,
  startSandbox,
} from "./fixtures/sandbox.ts";

const RIIK = join(import.meta.dirname, "../../../apps/cli/bin/riik.js");
let sb: Sandbox;
let is: Agent;
const dir = temporaryDirectory("riik-xroad-");

before(async () => {
  sb = await startSandbox({ dir, confValidity: 8, ledger: true });
  is = new Agent({ connect: { cert: sb.isCert.cert, key: sb.isCert.key, rejectUnauthorized: false } });
});
after(async () => {
  await is?.close();
  await sb?.stop();
});

/** Calls SS1 as the consumer information system (HTTPS with its registered certificate). */
async function call(
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    plain?: boolean;
    agent?: Agent;
  } = {},
) {
  const base = init.plain ? sb.ss1.client : sb.ss1.clientTls;
  const reply = await request(`${base}${path}`, {
    method: (init.method ?? "GET") as "GET",
    headers: { "x-road-client": CONSUMER, ...init.headers },
    body: init.body ?? null,
    ...(init.plain ? {} : { dispatcher: init.agent ?? is }),
  });
  return readReply(reply);
}

async function stillServing() {
  const ok = await call(`/r1/${PETS}/v2/pets/1124`);
  assert.equal(ok.status, 200, ok.text);
}

const admin = (ss: Sandbox["ss1"], path: string, method = "GET", body?: unknown) =>
  json(`${ss.admin}${path}`, { method, token: ss.token, ...(body ? { body: JSON.stringify(body) } : {}) });
const central = (path: string, method = "GET", body?: unknown) =>
  json(`${sb.centralUrl}${path}`, { method, token: sb.centralToken, ...(body ? { body: JSON.stringify(body) } : {}) });

describe("r1 through two security servers", () => {
  it("GET, as PR-REST 6.2: provider's answer with the X-Road response headers", async () => {
    const id = randomUUID();
    const reply = await call(`/r1/${PETS}/v2/pets/1124`, { headers: { accept: "application/json", "x-road-id": id } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { id: 1124, name: "Siddu", photoUrls: [], tags: [], status: "Offline" });
    assert.equal(reply.headers["x-road-client"], CONSUMER);
    assert.equal(reply.headers["x-road-service"], PETS);
    assert.equal(reply.headers["x-road-id"], id);
    assert.match(reply.headers["x-road-request-id"]!, /^[0-9a-f-]{36}$/);
    // base64 of a SHA-512: 88 characters
    assert.match(reply.headers["x-road-request-hash"]!, /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(reply.headers["x-road-error"], undefined);
  });

  it("PUT, POST and DELETE as PR-REST 6.3-6.5, and an X-Road-Id is generated when absent", async () => {
    const pet = {
      id: 0,
      category: { id: 0, name: "string" },
      name: "doggie",
      photoUrls: ["string"],
      status: "available",
    };
    const put = await call(`/r1/${PETS}/v2/pets/5657082955040009`, {
      method: "PUT",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify(pet),
    });
    assert.equal(put.status, 200);
    assert.equal(put.json().name, "doggie");
    assert.match(put.headers["x-road-id"]!, /^[0-9a-f-]{36}$/);
    const post = await call(`/r1/${PETS}/v2/pets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pet),
    });
    assert.equal(post.status, 200);
    const del = await call(`/r1/${PETS}/v2/pets/${post.json().id}`, { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.equal(del.text, "");
  });

  it("passes method, path, query, user headers, X-Road-UserId and body unchanged; replaces provider-set X-Road headers", async () => {
    const reply = await call(`/r1/${PROVIDER_SUBSYSTEM}/echo?quu=1&x=%2F`, {
      method: "POST",
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "x-road-userid": "EE38001085718",
        "x-custom": "kept",
        "x-road-issue": "MT324223MSD",
      },
      body: "tere, maailm",
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.text, "tere, maailm");
    assert.equal(reply.headers["x-echo-path"], "/echo?quu=1&x=%2F");
    assert.equal(reply.headers["x-echo-client"], CONSUMER);
    assert.equal(reply.headers["x-echo-user"], "EE38001085718");
    assert.equal(reply.headers["x-echo-custom"], "kept");
    assert.notEqual(reply.headers["x-road-request-hash"], "provider-must-not-set-this");
  });

  it("passes the provider's own errors through unchanged (PR-REST 4.6 category 1)", async () => {
    const reply = await call(`/r1/${PETS}/v2/pets`, { method: "PATCH" });
    assert.equal(reply.status, 405);
    assert.equal(reply.headers["x-road-error"], undefined);
    assert.equal(reply.json().error, "Method Not Allowed");
  });
});

describe("metadata services (PR-META 2, PR-MREST 4-5)", () => {
  it("listClients in JSON and XML", async () => {
    const reply = await call("/listClients", { plain: true, headers: { accept: "application/json" } });
    assert.equal(reply.status, 200);
    const members = reply.json().member as Array<{ id: Record<string, string>; name: string; subsystem_name?: string }>;
    assert.ok(
      members.some(
        (m) => m.id.object_type === "MEMBER" && m.id.member_code === "70000001" && m.name === "Ministry of Examples",
      ),
    );
    const sub = members.find((m) => m.id.subsystem_code === "registry")!;
    assert.deepEqual(sub.id, {
      member_class: "COM",
      member_code: "10000002",
      subsystem_code: "registry",
      object_type: "SUBSYSTEM",
      xroad_instance: "EE",
    });
    const xml = await call("/listClients", { plain: true });
    assert.match(xml.headers["content-type"]!, /^text\/xml/);
    assert.match(xml.text, /<ns2:clientList[^>]*><ns2:member><ns2:id ns1:objectType="MEMBER">/);
  });

  it("listMethods lists every service with endpoints from the imported OpenAPI description", async () => {
    const reply = await call(`/r1/${PROVIDER_SUBSYSTEM}/listMethods`);
    assert.equal(reply.status, 200, reply.text);
    const services = reply.json().service;
    const pets = services.find((s: { service_code: string }) => s.service_code === "pets");
    assert.equal(pets.service_type, "OPENAPI");
    assert.equal(pets.xroad_instance, "EE");
    assert.deepEqual(
      pets.endpoint_list.find((e: { path: string; method: string }) => e.method === "GET" && e.path === "/v2/pets/*"),
      { method: "GET", path: "/v2/pets/*" },
    );
    assert.ok(services.some((s: { service_code: string }) => s.service_code === "echo"));
  });

  it("allowedMethods shows only what the client may call", async () => {
    const reply = await call(`/r1/${PROVIDER_SUBSYSTEM}/allowedMethods`, {
      plain: true,
      headers: { "x-road-client": OTHER },
    });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(
      reply
        .json()
        .service.map((s: { service_code: string; endpoint_list: unknown }) => [s.service_code, s.endpoint_list]),
      [["pets", [{ method: "GET", path: "/v2/pets/*" }]]],
    );
  });

  it("getOpenAPI returns the service description", async () => {
    const reply = await call(`/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=pets`);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json().info.title, "Petstore");
    assertFault(
      await call(`/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=echo`),
      "Server.ServerProxy.InternalError",
    );
  });
});

describe("refusals, each with its X-Road error type; the servers keep serving", () => {
  it("malformed requests and identifiers: Client.BadRequest", async () => {
    const missing = await request(`${sb.ss1.client}/r1/${PETS}/v2/pets/1124`);
    const body = JSON.parse(await missing.body.text());
    assert.equal(missing.statusCode, 400);
    assert.equal(body.type, "Client.BadRequest");
    assertFault(
      await call("/r1/EE/COM/10000002/registry", { plain: true, headers: { "x-road-client": OTHER } }),
      "Client.BadRequest",
    );
    assertFault(
      await call(`/r1/EE/COM/10000002/re%20gistry/pets`, { plain: true, headers: { "x-road-client": OTHER } }),
      "Client.BadRequest",
    );
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": "EE/GOV" } }),
      "Client.BadRequest",
    );
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": "EE/GOV/%ZZ/x" } }),
      "Client.BadRequest",
    );
    assertFault(await call(`/r2/${PETS}/v2/pets/1124`), "Client.BadRequest");
    await stillServing();
  });

  it("#22 mutated X-Road-Client, X-Road-Id and r1 paths (property): a fault of the request's own kind, never an internal error", async () => {
    const printable = fc.string({ unit: fc.constantFrom(..."EeGOV70/%2F .~-_#?é"), maxLength: 40 });
    const valid = fc.constantFrom(`/r1/${PETS}/v2/pets/1124`, `/r1/${PROVIDER_SUBSYSTEM}/listMethods`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          valid,
          printable.map((p) => `/r1/${p}`),
          fc.tuple(valid, printable).map(([v, p]) => v.slice(0, 20) + p),
        ),
        fc.oneof(fc.constant(OTHER), printable),
        fc.oneof(fc.constant(undefined), printable, fc.string({ minLength: 256, maxLength: 300 })),
        async (path, client, id) => {
          // undici refuses characters no HTTP request line may carry; those never reach a server.
          const target = path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
          const reply = await rawCall(target, client.replace(/[^\x20-\x7e]/g, "_"), id?.replace(/[^\x20-\x7e]/g, "_"));
          const type = reply.headers["x-road-error"];
          if (type === undefined) return assert.ok(reply.status < 500, `${reply.status} ${reply.text}`);
          assert.doesNotMatch(type, /InternalError/, reply.text);
          assert.equal(reply.status, type.startsWith("Client.") ? 400 : 500, type);
          assert.equal(reply.json().type, type);
        },
      ),
      { numRuns: 60 },
    );
    await stillServing();
  });

  it("unknown or unregistered client: Server.ClientProxy.UnknownMember", async () => {
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": "EE/GOV/70000001/nosuch" } }),
      "Server.ClientProxy.UnknownMember",
    );
    // A subsystem of the global configuration, known locally, but not registered at the
    // central server as a client of this security server.
    await central("/api/v1/subsystems", "POST", { id: "EE/GOV/70000001/ghost", name: "ghost" });
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    await admin(sb.ss1, "/api/v1/clients", "POST", { id: "EE/GOV/70000001/ghost", connection: "http" });
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": "EE/GOV/70000001/ghost" } }),
      "Server.ClientProxy.UnknownMember",
    );
    // Disabled at the central server: gone from the configuration.
    await central(`/api/v1/clients/${encodeURIComponent(OTHER)}/disable`, "POST");
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": OTHER } }),
      "Server.ClientProxy.UnknownMember",
    );
    await central(`/api/v1/clients/${encodeURIComponent(OTHER)}/enable`, "POST");
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    await admin(sb.ss2, "/api/v1/refresh", "POST");
    assert.equal(
      (await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": OTHER } })).status,
      200,
    );
    assertFault(await call(`/r1/EE/COM/10000002/nosuch/pets`), "Server.ClientProxy.UnknownMember");
    await stillServing();
  });

  it("access right missing: Server.ServerProxy.AccessDenied (per service and per endpoint)", async () => {
    assertFault(
      await call(`/r1/${PETS}/v2/pets`, {
        plain: true,
        method: "POST",
        body: "{}",
        headers: { "x-road-client": OTHER },
      }),
      "Server.ServerProxy.AccessDenied",
    );
    assertFault(
      await call(`/r1/${PETS}/v2/pets`, { plain: true, headers: { "x-road-client": OTHER } }),
      "Server.ServerProxy.AccessDenied",
    );
    assertFault(
      await call(`/r1/${PROVIDER_SUBSYSTEM}/echo`, {
        plain: true,
        method: "POST",
        body: "x",
        headers: { "x-road-client": OTHER },
      }),
      "Server.ServerProxy.AccessDenied",
    );
    assertFault(await call(`/r1/${PROVIDER_SUBSYSTEM}/nosuch`), "Server.ServerProxy.UnknownService");
    await stillServing();
  });

  it("an information system posing as another member: Server.ClientProxy.SslAuthenticationFailed", async () => {
    // Plain HTTP (no certificate) claiming the HTTPS client.
    assertFault(await call(`/r1/${PETS}/v2/pets/1124`, { plain: true }), "Server.ClientProxy.SslAuthenticationFailed");
    // A certificate that is not the one registered for the client.
    const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    const stranger = new Agent({
      connect: {
        cert: await selfSignedCertificate(key, "stranger"),
        key: key.export({ type: "pkcs8", format: "pem" }) as string,
        rejectUnauthorized: false,
      },
    });
    assertFault(
      await call(`/r1/${PETS}/v2/pets/1124`, { agent: stranger }),
      "Server.ClientProxy.SslAuthenticationFailed",
    );
    await stranger.close();
    await stillServing();
  });

  it("oversized body: Client.BadRequest", async () => {
    assertFault(
      await call(`/r1/${PROVIDER_SUBSYSTEM}/echo`, { method: "POST", body: Buffer.alloc(1024 * 1024 + 1, 97) }),
      "Client.BadRequest",
    );
    await stillServing();
  });

  it("tampered and replayed signed messages between security servers: InvalidSignatureValue, InvalidMessage", async () => {
    const { signed, send, close } = speakAsSs1();
    const good = signed("hello");
    const first = await send(good.target, good.headers, "hello");
    assert.equal(first.status, 200, first.text);
    assert.ok(first.headers["x-riik-signature"]);
    const replay = await send(good.target, good.headers, "hello");
    assert.equal(replay.headers["x-road-error"], "Server.ServerProxy.InvalidMessage", replay.text);
    const tampered = signed("pay 10 EUR");
    const forged = await send(
      tampered.target,
      { ...tampered.headers, "x-riik-body-hash": bodyHash(Buffer.from("pay 1000 EUR")) },
      "pay 1000 EUR",
    );
    assert.equal(forged.headers["x-road-error"], "Server.ServerProxy.InvalidSignatureValue", forged.text);
    const changedHeader = signed("hello");
    const forged2 = await send(
      changedHeader.target,
      { ...changedHeader.headers, "x-road-userid": "EE38001085718" },
      "hello",
    );
    assert.equal(forged2.headers["x-road-error"], "Server.ServerProxy.InvalidSignatureValue", forged2.text);
    // #12 X-Road-Represented-Party is signed: the party cannot be swapped in transit.
    const forChild = signed("hello", { "x-road-represented-party": "EE38001085718" });
    const swapped = await send(
      forChild.target,
      { ...forChild.headers, "x-road-represented-party": "EE49403136515" },
      "hello",
    );
    assert.equal(swapped.headers["x-road-error"], "Server.ServerProxy.InvalidSignatureValue", swapped.text);
    const asSigned = await send(forChild.target, forChild.headers, "hello");
    assert.equal(asSigned.status, 200, asSigned.text);
    const stale = signed("hello");
    (stale.headers as Record<string, string>)["x-riik-time"] = String(Date.now() - 3_600_000);
    const old = await send(stale.target, stale.headers, "hello");
    assert.equal(old.headers["x-road-error"], "Server.ServerProxy.InvalidMessage", old.text);
    await close();
    await stillServing();
  });

  it("#10 replay: a captured message is refused after the provider's security server restarts (one log row)", async () => {
    const first = speakAsSs1();
    const captured = first.signed("captured");
    const accepted = await first.send(captured.target, captured.headers, "captured");
    assert.equal(accepted.status, 200, accepted.text);
    await first.close();
    await sb.ss2.restart();
    const again = speakAsSs1();
    const replay = await again.send(captured.target, captured.headers, "captured");
    await again.close();
    assert.equal(replay.headers["x-road-error"], "Server.ServerProxy.InvalidMessage", replay.text);
    assert.match(JSON.parse(replay.text).message, /already received/);
    const rows = await admin(sb.ss2, `/api/v1/messages?queryId=${captured.headers["x-road-id"]}`);
    assert.equal(rows.length, 1);
    await stillServing();
  });

  it("provider's certificate not the registered one: Server.ClientProxy.SslAuthenticationFailed", async () => {
    const ss2Cert = readFileSync(join(sb.ss2.dir, "auth.crt"), "utf8");
    const hash = new X509Certificate(ss2Cert).fingerprint256.replace(/:/g, "").toLowerCase();
    await central(`/api/v1/security-servers/${encodeURIComponent(SS2)}/auth-certificates/${hash}`, "DELETE");
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    assertFault(await call(`/r1/${PETS}/v2/pets/1124`), "Server.ClientProxy.SslAuthenticationFailed");
    await central(`/api/v1/security-servers/${encodeURIComponent(SS2)}/auth-certificates`, "POST", {
      certificate: ss2Cert,
    });
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    await admin(sb.ss2, "/api/v1/refresh", "POST");
    await stillServing();
  });

  it("provider's certificate revoked (suspended): Server.ClientProxy.CertValidation", async () => {
    const serial = new X509Certificate(readFileSync(join(sb.ss2.dir, "auth.crt"))).serialNumber;
    riik(["id", "suspend", "--dir", sb.pkiDir, "--serial", serial, "--ca", "server"]);
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    assertFault(await call(`/r1/${PETS}/v2/pets/1124`), "Server.ClientProxy.CertValidation");
    riik(["id", "resume", "--dir", sb.pkiDir, "--serial", serial, "--ca", "server"]);
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    await stillServing();
  });

  it("#22 timing: expired global configuration is Server.ClientProxy.OutdatedGlobalConf at its published expiry; service resumes on refresh", async () => {
    await sb.stopCentral();
    // With the central server down no copy can be renewed: the expiry the server publishes is final.
    const { expiresAt } = (await json(`${sb.ss1.admin}/status`)).globalConf;
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now() + 1)));
    assertFault(await call(`/r1/${PETS}/v2/pets/1124`), "Server.ClientProxy.OutdatedGlobalConf");
    const status = await json(`${sb.ss1.admin}/status`);
    assert.equal(status.globalConf.expired, true);
    await sb.restartCentral();
    await admin(sb.ss1, "/api/v1/refresh", "POST");
    await admin(sb.ss2, "/api/v1/refresh", "POST");
    await stillServing();
  });
});

/** The server-to-server protocol spoken directly to SS2 with SS1's own keys: signed requests, sent as given. */
function speakAsSs1() {
  const key = readFileSync(join(sb.ss1.dir, "keys/auth.key.pem"), "utf8");
  const cert = readFileSync(join(sb.ss1.dir, "auth.crt"), "utf8");
  const ca = [
    readFileSync(join(sb.pkiDir, "ca/server.crt"), "utf8"),
    readFileSync(join(sb.pkiDir, "ca/root.crt"), "utf8"),
  ];
  const client = new Client(`https://127.0.0.1:${sb.ss2.ports.server}`, {
    connect: { key, cert, ca, minVersion: "TLSv1.3", checkServerIdentity: () => undefined } as never,
  });
  const signKey = createPrivateKey(readFileSync(join(sb.ss1.dir, "keys/sign.key.pem")));
  const signer = new X509Certificate(readFileSync(join(sb.ss1.dir, "sign.crt"))).raw.toString("base64");
  const signed = (body: string, extra: Record<string, string> = {}) => {
    const target = `/r1/${PROVIDER_SUBSYSTEM}/echo`;
    const headers: Record<string, string> = {
      ...extra,
      "content-type": "text/plain",
      "x-road-client": CONSUMER,
      "x-road-id": randomUUID(),
      "x-road-request-id": randomUUID(),
      "x-riik-time": String(Date.now()),
      "x-riik-body-hash": bodyHash(Buffer.from(body)),
    };
    const lines = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
    const head = requestHead("POST", target, lines);
    const signature = signBytes(signKey, signingInput(head, headers["x-riik-body-hash"]!)).toString("base64");
    return {
      target,
      headers: { ...headers, "x-riik-signature": signature, "x-riik-signer": signer } as Record<string, string>,
    };
  };
  const send = async (target: string, headers: Record<string, string>, body: string) => {
    const reply = await client.request({ path: target, method: "POST", headers, body });
    return {
      status: reply.statusCode,
      headers: reply.headers as Record<string, string>,
      text: await reply.body.text(),
    };
  };
  return { signed, send, close: () => client.close() };
}

/** Sends the request target byte for byte (a URL parser would resolve `..` before it left). */
const rawCall = (path: string, as = OTHER, queryId?: string) =>
  rawGet(sb.ss1, path, { "x-road-client": as, ...(queryId === undefined ? {} : { "x-road-id": queryId }) });

describe("#10 path traversal: one normalised path for the access check and the provider", () => {
  const SITE = `/r1/${PROVIDER_SUBSYSTEM}/site`;
  before(async () => {
    // OTHER may read /public/** of a service whose base URL is the provider's /site.
    await admin(sb.ss2, `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`, "POST", {
      serviceCode: "site",
      url: `${sb.providerUrl}/site`,
    });
    await admin(sb.ss2, `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services/site/access`, "POST", {
      subject: OTHER,
      method: "GET",
      path: "/public/**",
    });
  });

  it("dot segments, plain or percent-encoded, are resolved before the access check: AccessDenied", async () => {
    for (const path of ["/public/../admin/secret", "/public/%2e%2e/admin/secret", "/public/.%2E/admin/secret"])
      assertFault(await rawCall(`${SITE}${path}`), "Server.ServerProxy.AccessDenied");
    const fine = await rawCall(`${SITE}/public/./a/%2e%2E/h%65llo?x=%2F`);
    assert.equal(fine.status, 200, fine.text);
    assert.deepEqual(fine.json(), { site: "/site/public/hello" });
  });

  it("paths above the service root, encoded slashes and doubly encoded dots: Client.BadRequest", async () => {
    for (const path of [
      "/public/../../admin/secret",
      "/public/%2e%2e/%2e%2e/admin/secret",
      "/public/..%2fadmin%2fsecret",
      "/public/..%5cadmin",
      "/public/%252e%252e/admin",
      "/public/%zz",
    ])
      assertFault(await rawCall(`${SITE}${path}`), "Client.BadRequest");
    await stillServing();
    assert.equal((await rawCall(`${SITE}/public/hello`)).status, 200);
  });
});

describe("message log, evidence and operations", () => {
  it("logs both sides with the other side's signature; the evidence verifies offline and tampering is caught", async () => {
    const id = randomUUID();
    const reply = await call(`/r1/${PROVIDER_SUBSYSTEM}/echo?evidence=1`, {
      method: "POST",
      body: "signed and logged",
      headers: { "x-road-id": id },
    });
    assert.equal(reply.status, 200, reply.text);
    const records = await admin(sb.ss1, `/api/v1/messages?queryId=${id}`);
    assert.equal(records.length, 1);
    assert.equal(records[0].side, "client");
    assert.equal(records[0].bodiesStored, true);
    const providerSide = await admin(sb.ss2, `/api/v1/messages?queryId=${id}`);
    assert.equal(providerSide[0].side, "server");

    const evidence = await admin(sb.ss1, `/asic?queryId=${id}`);
    const file = join(sb.dir, "evidence.json");
    writeFileSync(file, JSON.stringify(evidence));
    const anchor = ["--trust", join(sb.pkiDir, "ca/root.crt"), "--trust", join(sb.dir, "ledger/ledger.vkey")];
    // Run asynchronously: a blocked event loop would keep idle keep-alive sockets that the
    // security servers close meanwhile, and the next test's request would be sent on one.
    const verify = promisify(execFile);
    const { stdout: out } = await verify(process.execPath, [RIIK, "xroad", "verify-evidence", file, ...anchor], {
      encoding: "utf8",
    });
    assert.match(out, /response signature verifies/);
    assert.match(out, /time-stamped at/);
    assert.match(out, /batch statement in integrity ledger round \d+ \(key policy\)/);
    assert.match(out, /evidence verified/);

    evidence.messages[0].record.responseBody = Buffer.from("signed and altered").toString("base64");
    writeFileSync(file, JSON.stringify(evidence));
    await assert.rejects(
      verify(process.execPath, [RIIK, "xroad", "verify-evidence", file, ...anchor], { encoding: "utf8" }),
      (error: { code: number; stdout: string }) => error.code === 1 && /response body was changed/.test(error.stdout),
    );
  });

  it("logs metadata only for clients set so", async () => {
    const id = randomUUID();
    assert.equal(
      (await call(`/r1/${PETS}/v2/pets/1124`, { plain: true, headers: { "x-road-client": OTHER, "x-road-id": id } }))
        .status,
      200,
    );
    const [record] = await admin(sb.ss1, `/api/v1/messages?queryId=${id}`);
    assert.equal(record.loggingMode, "metadata");
    assert.equal(record.bodiesStored, false);
  });

  it("the whole log verifies against its anchors", async () => {
    await admin(sb.ss1, "/api/v1/messagelog/anchor", "POST");
    const result = await admin(sb.ss1, "/api/v1/messagelog/verify");
    assert.deepEqual(result.problems, []);
    assert.ok(result.records > 5);
  });

  it("#10 administration API: every route validates its request; typed codes, never FST_* or a 500", async () => {
    const ask = async (path: string, init: { method?: string; body?: string; token?: boolean } = {}) => {
      const reply = await fetch(`${sb.ss2.admin}${path}`, {
        method: init.method ?? "GET",
        headers: {
          ...(init.token === false ? {} : { authorization: `Bearer ${sb.ss2.token}` }),
          ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      const text = await reply.text();
      assert.doesNotMatch(text, /FST_/);
      return { status: reply.status, body: JSON.parse(text) };
    };
    const refused = async (path: string, init: Parameters<typeof ask>[1], status: number, code: string) => {
      const reply = await ask(path, init);
      assert.equal(reply.status, status, `${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.code, code, path);
      return reply.body;
    };
    const clients = "/api/v1/clients";
    await refused(clients, { method: "POST", body: "{}", token: false }, 401, "XROAD_UNAUTHORISED");
    const invalid = await refused(clients, { method: "POST", body: '{"id":5}' }, 400, "REQUEST_INVALID");
    assert.ok(invalid.details.errors.some((e: { path: string }) => e.path.includes("id")));
    await refused(
      clients,
      { method: "POST", body: JSON.stringify({ id: "EE/GOV/70000001/x", admin: true }) },
      400,
      "REQUEST_INVALID",
    );
    const provider = `${clients}/${encodeURIComponent(PROVIDER_SUBSYSTEM)}`;
    await refused(provider, { method: "PATCH", body: '{"allowedAddresses":["everyone"]}' }, 400, "REQUEST_INVALID");
    await refused(provider, { method: "PATCH", body: '{"loggingMode":' }, 400, "BODY_MALFORMED");
    await refused(
      `${provider}/services/pets/access`,
      { method: "POST", body: '{"subject":"EE/GOV/70000001/other","method":"GET /"}' },
      400,
      "REQUEST_INVALID",
    );
    await refused(`${provider}/services`, { method: "POST", body: '{"serviceCode":"x"}' }, 400, "REQUEST_INVALID");
    // A path parameter is decoded once: "%25ZZ" is the text "%ZZ", a malformed id, not a crash.
    await refused(`${clients}/%25ZZ`, { method: "DELETE" }, 400, "XROAD_ID_FORMAT");
    await refused("/api/v1/messages", {}, 400, "REQUEST_INVALID");
    await refused("/asic?queryId=", {}, 400, "REQUEST_INVALID");
    await refused("/status?verbose=1", { token: false }, 400, "REQUEST_INVALID");
    await refused("/api/v1/nosuch", {}, 404, "ROUTE_NOT_FOUND");
    assert.equal((await ask(`${provider}/services`)).status, 200);
    await stillServing();
  });

  it("a security server's files are 0600 and its directories 0700 (keys, certificates, configuration copy, archive)", () => {
    assert.deepEqual(notOwnerOnly(sb.ss1.dir), []);
  });

  it("/metrics counts messages and errors per service; /healthz answers", async () => {
    const metrics = await (await fetch(`${sb.ss1.admin}/metrics`)).text();
    assert.match(
      metrics,
      /riik_xroad_messages_total\{side="client",service="EE\/COM\/10000002\/registry\/pets",outcome="ok"/,
    );
    assert.match(metrics, /riik_xroad_errors_total\{side="client",type="Server.ClientProxy.UnknownMember"/);
    assert.match(metrics, /riik_xroad_message_duration_seconds_bucket/);
    assert.equal((await json(`${sb.ss2.admin}/healthz`)).status, "ok");
  });
});
