// X-Road Message Protocol for REST (PR-REST 1.0.4, nordic-institute/X-Road
// doc/Protocols/pr-rest_x-road_message_protocol_for_rest.md), walked statement by statement
// in the order of the document against real processes: trust services, a central server,
// two security servers, the pet store of PR-REST 6 and a mirror provider on loopback. The
// client information system is curl, as the specification's own examples are written.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { temporaryDirectory } from "@riik/core/testing";
import {
  CONSUMER,
  freePort,
  json,
  OTHER,
  PETS,
  PROVIDER_SUBSYSTEM,
  type Proc,
  type Sandbox,
  SS1,
  SS2,
  start,
  startSandbox,
  waitFor,
} from "./fixtures/sandbox.ts";

const run = promisify(execFile);
const MIRROR_SOURCE = join(import.meta.dirname, "fixtures/pr-rest/mirror.ts");
/** The mirror provider: answers with what it received. */
const MIRROR = `${PROVIDER_SUBSYSTEM}/mirror`;
/** A service whose information system is not listening (PR-REST 4.6 category 2). */
const DOWN = `${PROVIDER_SUBSYSTEM}/down`;
const dir = temporaryDirectory("riik-pr-rest-");
let sb: Sandbox;
let mirror: Proc;

before(async () => {
  sb = await startSandbox({ dir });
  const mirrorPort = await freePort();
  mirror = start(["--import", "tsx", MIRROR_SOURCE, String(mirrorPort)]);
  await waitFor(`http://127.0.0.1:${mirrorPort}/`, mirror);
  const admin = (ss: Sandbox["ss1"], path: string, method = "GET", body?: unknown) =>
    json(`${ss.admin}${path}`, { method, token: ss.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  const services = `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`;
  await admin(sb.ss2, services, "POST", { serviceCode: "mirror", url: `http://127.0.0.1:${mirrorPort}` });
  await admin(sb.ss2, services, "POST", { serviceCode: "down", url: `http://127.0.0.1:${await freePort()}` });
  for (const code of ["mirror", "down"])
    await admin(sb.ss2, `${services}/${code}/access`, "POST", { subject: CONSUMER });
  await admin(sb.ss1, "/api/v1/refresh", "POST");
  await admin(sb.ss2, "/api/v1/refresh", "POST");
});
after(async () => {
  await mirror?.stop();
  await sb?.stop();
});

/** One answer as curl received it: every header line in order, repeated ones kept. */
interface CurlReply {
  status: number;
  lines: Array<[string, string]>;
  body: string;
  header: (name: string) => string | undefined;
  all: (name: string) => string[];
  json: () => any;
}

/**
 * curl as the consumer information system, over HTTPS with its registered certificate,
 * X-Road-Client CONSUMER unless `client` says otherwise (null: none). The path is sent as
 * written (--path-as-is). `-i` prints the head; interim 100 answers are skipped.
 */
async function curl(
  path: string,
  args: string[] = [],
  { client = CONSUMER as string | string[] | null, base = sb.ss1.clientTls } = {},
): Promise<CurlReply> {
  const clients = client === null ? [] : Array.isArray(client) ? client : [client];
  const { stdout } = await run(
    "curl",
    [
      "-sS",
      "--http1.1",
      "--path-as-is",
      "-k",
      "--cert",
      join(dir, "is/cert.pem"),
      "--key",
      join(dir, "is/key.pem"),
      ...(args.includes("-I") ? [] : ["-i"]),
      ...clients.flatMap((c) => ["-H", `X-Road-Client: ${c}`]),
      ...args,
      `${base}${path}`,
    ],
    { encoding: "latin1", maxBuffer: 16 * 1024 * 1024 },
  );
  let rest = stdout;
  let head: string;
  do {
    const end = rest.indexOf("\r\n\r\n");
    head = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? "" : rest.slice(end + 4);
  } while (/^HTTP\/1\.1 1\d\d/.test(head));
  const [statusLine, ...headerLines] = head.split("\r\n");
  const lines = headerLines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
  });
  const all = (name: string) => lines.filter(([n]) => n === name).map(([, v]) => v);
  return {
    status: Number(statusLine!.split(" ")[1]),
    lines,
    body: rest,
    header: (name) => all(name).at(-1),
    all,
    json: () => JSON.parse(Buffer.from(rest, "latin1").toString("utf8")),
  };
}

/** The header lines the mirror provider received, lowercase names, in order. */
function received(reply: CurlReply): Array<[string, string]> {
  const raw = reply.json().headers as string[];
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}
const receivedAll = (reply: CurlReply, name: string) =>
  received(reply)
    .filter(([n]) => n === name)
    .map(([, v]) => v);

/** PR-REST 4.6: the X-Road error response, its type in X-Road-Error and in the JSON body. */
function assertXRoadError(
  reply: CurlReply,
  type: string,
  status = type.toLowerCase().startsWith("client.") ? 400 : 500,
) {
  assert.equal(reply.status, status, reply.body);
  assert.equal(reply.header("x-road-error"), type, reply.body);
  assert.equal(reply.header("content-type"), "application/json;charset=utf-8");
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ["detail", "message", "type"]);
  assert.equal(body.type, type);
  assert.ok(body.message.length > 0);
  return body as { type: string; message: string; detail: string };
}

describe("PR-REST 3 Scope", () => {
  it("3.1 any payload type is supported: a binary body reaches the provider byte for byte", async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const file = join(dir, "payload.bin");
    writeFileSync(file, bytes);
    const reply = await curl(`/r1/${MIRROR}/upload`, [
      "-H",
      "Content-Type: application/octet-stream",
      "--data-binary",
      `@${file}`,
    ]);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.json().bodyLength, 256);
    assert.deepEqual(Buffer.from(reply.json().body, "latin1"), bytes);
  });
});

describe("PR-REST 4.1 REST interface", () => {
  it("4.1 {method} /r1/{serviceId}[/path][?query] with X-Road-Client: the example request, identifiers adapted", async () => {
    // GET /r1/INSTANCE/CLASS2/MEMBER2/SUBSYSTEM2/BARSERVICE/v1/bar/zyggy?quu=1
    const reply = await curl(`/r1/${MIRROR}/v1/bar/zyggy?quu=1`);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.json().method, "GET");
    assert.equal(reply.json().url, "/v1/bar/zyggy?quu=1");
    assert.deepEqual(receivedAll(reply, "x-road-client"), [CONSUMER]);
  });

  it("4.1 the protocol version must be r1", async () => {
    assertXRoadError(await curl(`/r2/${MIRROR}/v1`), "Client.BadRequest");
  });

  it("4.1 a client without its subsystem code is a member: parsed, then refused as not a client of this server", async () => {
    assertXRoadError(
      await curl(`/r1/${MIRROR}/x`, [], { client: "EE/GOV/70000001" }),
      "Server.ClientProxy.UnknownMember",
    );
  });
});

describe("PR-REST 4.2 URI sanitation", () => {
  it("4.2 parts are percent-encoded separately: an encoded separator in the service id is refused, an encoded part accepted", async () => {
    assertXRoadError(await curl("/r1/EE%2FCOM%2F10000002%2Fregistry%2Fmirror/v1"), "Client.BadRequest");
    const reply = await curl(`/r1/EE/COM/10000002/registr%79/mirror/v1`);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.header("x-road-service"), MIRROR);
  });

  it("4.2 the request URI's length is limited: a 20 kB URI is refused with the X-Road error, not a bare 431", async () => {
    const reply = await curl(`/r1/${MIRROR}/${"a".repeat(20_000)}`);
    const body = assertXRoadError(reply, "Client.BadRequest");
    assert.match(body.message, /16 KiB/);
  });

  it("4.2 strictly validated: raw UTF-8 bytes in the path are refused with the X-Road error, not a bare 400", async () => {
    // Node's HTTP parser refuses these before any handler runs (its clientError event);
    // curl would percent-encode them, so the bytes go over a plain socket.
    const request = Buffer.concat([
      Buffer.from(`GET /r1/${MIRROR}/`),
      Buffer.from("õun", "utf8"),
      Buffer.from(` HTTP/1.1\r\nHost: x\r\nX-Road-Client: ${OTHER}\r\n\r\n`),
    ]);
    assertUnparsedRefusal(await rawExchange(request));
  });

  it("4.2 a request that is not HTTP at all is answered with the X-Road error and the connection closed", async () => {
    assertUnparsedRefusal(await rawExchange(Buffer.from("GET /r1/ HTTP/1.1\r\nHost x\r\n\r\n")));
  });
});

/** Bytes sent as they are to the consumer's plain HTTP port; the answer read until the server closes. */
function rawExchange(request: Buffer): Promise<string> {
  const url = new URL(sb.ss1.client);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

/** PR-REST 4.6 category 3 for a request Node's parser refused: 400, X-Road-Error, the JSON body, then close. */
function assertUnparsedRefusal(answer: string): void {
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(answer, /\r\nx-road-error: Client\.BadRequest\r\n/);
  assert.match(answer, /\r\ncontent-type: application\/json;charset=utf-8\r\n/);
  assert.match(answer, /\r\nconnection: close\r\n/);
  const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
  assert.deepEqual(Object.keys(body).sort(), ["detail", "message", "type"]);
  assert.equal(body.type, "Client.BadRequest");
}

describe("PR-REST 4.3 Use of HTTP headers", () => {
  it("4.3 X-Road-Client is mandatory", async () => {
    assertXRoadError(await curl(`/r1/${MIRROR}/v1`, [], { client: null }), "Client.BadRequest");
  });

  it("4.3 several X-Road-Client headers: the last one is the initiator of the service call", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, [], { client: [OTHER, CONSUMER] });
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(receivedAll(reply, "x-road-client"), [CONSUMER]);
    assert.equal(reply.header("x-road-client"), CONSUMER);
    // The other way round, the last one (a client this server does not have) decides.
    const unknown = await curl(`/r1/${MIRROR}/v1`, [], { client: [CONSUMER, "EE/GOV/70000001/nobody"] });
    assertXRoadError(unknown, "Server.ClientProxy.UnknownMember");
  });

  it("4.3 X-Road headers returned in the response are the security servers' own, a provider's value overwritten", async () => {
    const id = randomUUID();
    const reply = await curl(`/r1/${MIRROR}/cookies`, ["-H", `X-Road-Id: ${id}`]);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.header("x-road-client"), CONSUMER);
    assert.equal(reply.header("x-road-service"), MIRROR);
    assert.equal(reply.header("x-road-id"), id);
    assert.match(reply.header("x-road-request-id")!, /^[0-9a-f-]{36}$/);
    assert.deepEqual(reply.all("x-road-request-hash").length, 1);
    assert.match(reply.header("x-road-request-hash")!, /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(reply.header("x-road-error"), undefined);
  });

  it("4.3 a request's own X-Road-Request-Hash (SHOULD NOT be sent) and other response headers do not reach the provider", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, [
      "-H",
      "X-Road-Request-Hash: forged",
      "-H",
      "X-Road-Request-Id: forged",
      "-H",
      "X-Road-Service: forged",
      "-H",
      "X-Road-Error: forged",
    ]);
    assert.equal(reply.status, 200, reply.body);
    for (const name of ["x-road-request-hash", "x-road-service", "x-road-error"])
      assert.deepEqual(receivedAll(reply, name), [], name);
    assert.notEqual(receivedAll(reply, "x-road-request-id")[0], "forged");
    assert.notEqual(reply.header("x-road-request-hash"), "forged");
  });

  it("4.3 Content-Type is transported unmodified in both directions", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, [
      "-H",
      "Content-Type: multipart/form-data; boundary=something",
      "--data-binary",
      "--something--",
    ]);
    assert.deepEqual(receivedAll(reply, "content-type"), ["multipart/form-data; boundary=something"]);
    assert.equal(reply.header("content-type"), "application/json;charset=utf-8");
  });

  it("4.3 Accept is transported unmodified to the provider", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, ["-H", "Accept: application/xml;q=0.9, application/json"]);
    assert.deepEqual(receivedAll(reply, "accept"), ["application/xml;q=0.9, application/json"]);
  });

  it("4.3 X-Road-Security-Server: the request goes to the named server of the provider, which does not forward the header", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, ["-H", `X-Road-Security-Server: ${SS2}`]);
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(receivedAll(reply, "x-road-security-server"), []);
  });

  it("4.3 X-Road-Security-Server naming an unknown server, or one that does not serve the provider, is refused", async () => {
    const unknown = await curl(`/r1/${MIRROR}/v1`, ["-H", "X-Road-Security-Server: EE/COM/10000002/nosuch"]);
    assert.match(assertXRoadError(unknown, "Server.ClientProxy.InvalidSecurityServer").message, /Could not find/);
    const other = await curl(`/r1/${MIRROR}/v1`, ["-H", `X-Road-Security-Server: ${SS1}`]);
    assert.match(
      assertXRoadError(other, "Server.ClientProxy.InvalidSecurityServer").message,
      /Invalid security server/,
    );
    assertXRoadError(await curl(`/r1/${MIRROR}/v1`, ["-H", "X-Road-Security-Server: EE/COM"]), "Client.BadRequest");
  });

  it("4.3 X-Road-Represented-Party, X-Road-UserId and X-Road-Issue reach the provider", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, [
      "-H",
      "X-Road-Represented-Party: COM/12345678",
      "-H",
      "X-Road-UserId: EE12345678901",
      "-H",
      "X-Road-Issue: MT324223MSD",
    ]);
    assert.deepEqual(receivedAll(reply, "x-road-represented-party"), ["COM/12345678"]);
    assert.deepEqual(receivedAll(reply, "x-road-userid"), ["EE12345678901"]);
    assert.deepEqual(receivedAll(reply, "x-road-issue"), ["MT324223MSD"]);
  });

  it("4.3 X-Road-Represented-Party (PR-THIRDPARTY 2.2): [partyClass/]partyCode reaches the provider signed and is in both message logs", async () => {
    for (const [sent, logged] of [
      ["EE38001085718", "EE38001085718"],
      ["C%4FM/10000002", "COM/10000002"],
    ]) {
      const id = randomUUID();
      const reply = await curl(`/r1/${MIRROR}/v1`, [
        "-H",
        `X-Road-Represented-Party: ${sent}`,
        "-H",
        `X-Road-Id: ${id}`,
      ]);
      assert.equal(reply.status, 200, reply.body);
      // Passed as sent (an extension header, PR-REST 4.3); logged in its canonical form.
      assert.deepEqual(receivedAll(reply, "x-road-represented-party"), [sent]);
      for (const ss of [sb.ss1, sb.ss2]) {
        const [record] = await json(`${ss.admin}/api/v1/messages?queryId=${id}`, { token: ss.token });
        assert.equal(record.representedParty, logged);
      }
    }
  });

  it("4.3 a malformed X-Road-Represented-Party is Client.BadRequest with the PR-REST error body; the provider is not called", async () => {
    for (const value of ["EE/COM/10000002", "COM/", "10000002", "EE38001085719", "COM/10%ZZ", "COM/a*b"]) {
      const id = randomUUID();
      const reply = await curl(`/r1/${MIRROR}/v1`, [
        "-H",
        `X-Road-Represented-Party: ${value}`,
        "-H",
        `X-Road-Id: ${id}`,
      ]);
      const body = assertXRoadError(reply, "Client.BadRequest");
      assert.match(body.message, /X-Road-Represented-Party/, value);
      assert.equal(body.detail, id);
      assert.deepEqual(await json(`${sb.ss2.admin}/api/v1/messages?queryId=${id}`, { token: sb.ss2.token }), [], value);
    }
    // Two lines: refused, not one of them chosen (the provider and the Data Tracker must read the same party).
    const twice = await curl(`/r1/${MIRROR}/v1`, [
      "-H",
      "X-Road-Represented-Party: EE38001085718",
      "-H",
      "X-Road-Represented-Party: COM/10000002",
    ]);
    assertXRoadError(twice, "Client.BadRequest");
  });

  it("4.3 X-Road-Id may be any value (a UUID is only recommended), is generated when absent, and is bounded", async () => {
    const free = await curl(`/r1/${MIRROR}/v1`, ["-H", "X-Road-Id: a b/c;d"]);
    assert.equal(free.status, 200, free.body);
    assert.equal(free.header("x-road-id"), "a b/c;d");
    assert.deepEqual(receivedAll(free, "x-road-id"), ["a b/c;d"]);
    const generated = await curl(`/r1/${MIRROR}/v1`);
    assert.match(generated.header("x-road-id")!, /^[0-9a-f-]{36}$/);
    const long = await curl(`/r1/${MIRROR}/v1`, ["-H", `X-Road-Id: ${"x".repeat(256)}`]);
    assertXRoadError(long, "Client.BadRequest");
  });

  it("4.3 user-defined and cache headers pass unmodified; repeated ones (two Set-Cookie) arrive as sent, in both directions", async () => {
    const reply = await curl(`/r1/${MIRROR}/cookies`, ["-H", "X-Custom: one", "-H", "X-Custom: two, three"]);
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(reply.all("set-cookie"), [
      "session=abc; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/; HttpOnly",
      "theme=dark; Expires=Thu, 22 Oct 2037 07:28:00 GMT",
    ]);
    assert.equal(reply.header("x-powered-by"), "PHP/5.2.17");
    assert.equal(reply.header("x-pingback"), "https://example.com/xmlrpc.php");
    assert.equal(reply.header("cache-control"), "no-cache, no-store, must-revalidate");
    assert.equal(reply.header("pragma"), "no-cache");
    const echoed = await curl(`/r1/${MIRROR}/v1`, ["-H", "X-Custom: one", "-H", "X-Custom: two, three"]);
    assert.deepEqual(receivedAll(echoed, "x-custom"), ["one", "two, three"]);
  });

  it("4.3 filtered headers: Host, User-Agent and Server are not passed through", async () => {
    const reply = await curl(`/r1/${MIRROR}/cookies`, ["-H", "User-Agent: consumer-is/1.0"]);
    assert.equal(reply.header("server"), undefined);
    const echoed = await curl(`/r1/${MIRROR}/v1`, ["-H", "User-Agent: consumer-is/1.0"]);
    assert.deepEqual(receivedAll(echoed, "user-agent"), []);
    assert.notEqual(receivedAll(echoed, "host")[0], new URL(sb.ss1.clientTls).host);
  });

  it("4.3 Expect: 100-continue is handled by the consumer's security server", async () => {
    const reply = await curl(`/r1/${MIRROR}/v1`, ["-H", "Expect: 100-continue", "--data-binary", "x".repeat(2048)]);
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.json().bodyLength, 2048);
    assert.deepEqual(receivedAll(reply, "expect"), []);
  });

  it("4.3 Content-Length: HEAD answers carry no body and no invented Content-Length: 0; a 204 has none at all", async () => {
    const head = await curl(`/r1/${MIRROR}/v1`, ["-I"]);
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.notEqual(head.header("content-length"), "0");
    const empty = await curl(`/r1/${MIRROR}/no-content`, ["-X", "DELETE"]);
    assert.equal(empty.status, 204);
    assert.equal(empty.header("content-length"), undefined);
    assert.equal(empty.header("x-mirror"), "empty");
    const refusedHead = await curl(`/r1/${MIRROR}/v1`, ["-I"], { client: null });
    assert.equal(refusedHead.status, 400);
    assert.equal(refusedHead.header("x-road-error"), "Client.BadRequest");
    assert.equal(refusedHead.header("content-length"), undefined);
  });
});

describe("PR-REST 4.4-4.5 redirects and query parameters", () => {
  it("4.4 a redirect is passed to the client unmodified, never followed", async () => {
    const reply = await curl(`/r1/${MIRROR}/redirect`);
    assert.equal(reply.status, 302);
    assert.equal(reply.header("location"), "https://example.org/elsewhere");
    assert.equal(reply.header("x-road-error"), undefined);
  });

  it("4.5 query parameters are passed unmodified", async () => {
    const reply = await curl(`/r1/${MIRROR}/find?quu=1&a=%2F&a=b&sp=%20x&empty=`);
    assert.equal(reply.json().url, "/find?quu=1&a=%2F&a=b&sp=%20x&empty=");
  });
});

describe("PR-REST 4.6 error handling", () => {
  it("4.6 category 1 (example 1): the provider's own error is returned as-is, without X-Road-Error", async () => {
    const reply = await curl(`/r1/${PETS}/v2/pets`, ["-X", "PATCH"]);
    assert.equal(reply.status, 405);
    assert.equal(reply.header("x-road-error"), undefined);
    assert.equal(reply.json().error, "Method Not Allowed");
    const teapot = await curl(`/r1/${MIRROR}/teapot`);
    assert.equal(teapot.status, 418);
    assert.equal(teapot.header("x-road-error"), undefined);
  });

  it("4.6 category 2 (example 2): the provider cannot be reached: 500 Server.ServerProxy.NetworkError", async () => {
    assertXRoadError(await curl(`/r1/${DOWN}/v1`), "Server.ServerProxy.NetworkError");
  });

  it("4.6 category 3 (example 3): a request outside the protocol: 400 Client.BadRequest, the detail naming the X-Road-Id", async () => {
    const id = randomUUID();
    const body = assertXRoadError(await curl("/r1/EE/COM", ["-H", `X-Road-Id: ${id}`]), "Client.BadRequest");
    assert.equal(body.detail, id);
  });

  it("4.6 category 4 (example 4) and example 5: a security server's error names its side in X-Road-Error", async () => {
    // The provider's server refuses (no access right for OTHER to the mirror): Server.ServerProxy.
    const denied = await curl(`/r1/${MIRROR}/v1`, [], { client: OTHER, base: sb.ss1.client });
    assertXRoadError(denied, "Server.ServerProxy.AccessDenied");
  });

  it("4.6 the error follows the client's Accept (q-values), XML <error><type/><message/><detail/></error>, JSON by default", async () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, "application/json"],
      ["*/*", "application/json"],
      ["application/xml", "application/xml"],
      ["application/xml; q=0.2", "application/xml"],
      ["text/xml", "text/xml"],
      ["text/*", "text/xml"],
      ["application/xml, text/xml", "application/xml"],
      ["text/xml, application/xml, application/json", "text/xml"],
      ["application/json;q=0.5, application/xml", "application/xml"],
      ["application/xml;q=0.5, application/json", "application/json"],
      ["application/xml;q=0, */*", "application/json"],
      ["text/xml-patch+xml", "application/json"],
      ["image/png", "application/json"],
    ];
    for (const [accept, expected] of cases) {
      const id = randomUUID();
      const reply = await curl(`/r1/${MIRROR}/v1`, [
        "-H",
        `X-Road-Security-Server: EE/COM/10000002/nosuch`,
        "-H",
        `X-Road-Id: ${id}`,
        ...(accept ? ["-H", `Accept: ${accept}`] : []),
      ]);
      const what = accept ?? "no Accept header";
      assert.equal(reply.status, 500, what);
      assert.equal(reply.header("content-type"), `${expected};charset=utf-8`, what);
      assert.equal(reply.header("x-road-error"), "Server.ClientProxy.InvalidSecurityServer");
      if (expected === "application/json") {
        assert.deepEqual(reply.json(), {
          type: "Server.ClientProxy.InvalidSecurityServer",
          message: 'Could not find security server "EE/COM/10000002/nosuch"',
          detail: id,
        });
        continue;
      }
      assert.equal(
        reply.body,
        '<?xml version="1.0" encoding="UTF-8"?>\n<error><type>Server.ClientProxy.InvalidSecurityServer</type>' +
          `<message>Could not find security server "EE/COM/10000002/nosuch"</message><detail>${id}</detail></error>`,
        what,
      );
    }
  });

  it("4.6 the provider's server's refusal is rendered for the client too (XML when preferred)", async () => {
    const denied = await curl(`/r1/${MIRROR}/v1`, ["-H", "Accept: application/xml"], {
      client: OTHER,
      base: sb.ss1.client,
    });
    assert.equal(denied.status, 500);
    assert.equal(denied.header("content-type"), "application/xml;charset=utf-8");
    assert.match(denied.body, /<error><type>Server\.ServerProxy\.AccessDenied<\/type><message>[^<]+<\/message>/);
  });
});

describe("PR-REST 4.8 identifier character restrictions", () => {
  it("4.8 an identifier with a character outside A-Z a-z 0-9 '()+,-.=? is refused", async () => {
    assertXRoadError(await curl(`/r1/${MIRROR}/v1`, [], { client: "EE/GOV/70000001/con*sumer" }), "Client.BadRequest");
    assertXRoadError(await curl("/r1/EE/COM/10000002/registry/mi%3Bror/v1"), "Client.BadRequest");
  });
});

describe("PR-REST 6 examples, identifiers adapted (serviceId = the pet store)", () => {
  it("6.2 GET request and response", async () => {
    const reply = await curl(`/r1/${PETS}/v2/pets/1124`, ["-X", "GET", "-H", "accept: application/json"]);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { id: 1124, name: "Siddu", photoUrls: [], tags: [], status: "Offline" });
    assert.match(reply.header("content-type")!, /^application\/json/);
    for (const name of ["x-road-id", "x-road-client", "x-road-service", "x-road-request-id", "x-road-request-hash"])
      assert.ok(reply.header(name), name);
  });

  const pet =
    '{ "id": 0, "category": { "id": 0, "name": "string" }, "name": "doggie", "photoUrls": [ "string" ], "tags": [ { "id": 0, "name": "string" } ], "status": "available"}';

  it("6.3 PUT, 6.4 POST and 6.5 DELETE request and response", async () => {
    const asJson = ["-H", "accept: application/json", "-H", "Content-Type: application/json", "-d", pet];
    const put = await curl(`/r1/${PETS}/v2/pets/5657082955040009`, ["-X", "PUT", ...asJson]);
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json().id, 5657082955040009);
    assert.equal(put.json().name, "doggie");
    const post = await curl(`/r1/${PETS}/v2/pets`, ["-X", "POST", ...asJson]);
    assert.equal(post.status, 200, post.body);
    const del = await curl(`/r1/${PETS}/v2/pets/${post.json().id}`, ["-X", "DELETE", "-H", "accept: application/json"]);
    assert.equal(del.status, 200);
    assert.equal(del.body, "");
  });

  it("6.6 POST request with an attachment (multipart/form-data)", async () => {
    const image = join(dir, "A-fluffy-cat-looking-funny-surprised-or-concerned.jpg");
    writeFileSync(image, Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 1000 }, (_, i) => i % 256)]));
    const reply = await curl(`/r1/${MIRROR}/v2/pets/1124/images`, [
      "-X",
      "POST",
      "-H",
      "accept: application/json",
      "-F",
      `file=@${image};type=image/jpeg`,
    ]);
    assert.equal(reply.status, 200, reply.body);
    const [contentType] = receivedAll(reply, "content-type");
    assert.match(contentType!, /^multipart\/form-data; boundary=/);
    const body = Buffer.from(reply.json().body, "latin1");
    assert.ok(body.includes(readFileSync(image)));
    assert.match(body.toString("latin1"), /Content-Type: image\/jpeg/);
  });
});

describe("X-Road 7.8 error types (README: wire.errorTypes)", () => {
  it("4.6 with wire.errorTypes 7.8 the types are lower snake case (server.clientproxy.invalid_security_server)", async () => {
    const original = readFileSync(sb.ss1.config, "utf8");
    writeFileSync(sb.ss1.config, JSON.stringify({ ...JSON.parse(original), wire: { errorTypes: "7.8" } }, null, 2));
    try {
      await sb.ss1.restart();
      const reply = await curl(`/r1/${MIRROR}/v1`, ["-H", "X-Road-Security-Server: EE/COM/10000002/nosuch"]);
      assertXRoadError(reply, "server.clientproxy.invalid_security_server");
      assertXRoadError(await curl(`/r1/${MIRROR}/v1`, [], { client: null }), "client.bad_request");
      // A refusal of the provider's server is spelt by the client's own server.
      const denied = await curl(`/r1/${MIRROR}/v1`, [], { client: OTHER, base: sb.ss1.client });
      assertXRoadError(denied, "server.serverproxy.access_denied");
      // Node's own refusals too.
      assertXRoadError(await curl(`/r1/${MIRROR}/${"a".repeat(20_000)}`), "client.bad_request");
    } finally {
      writeFileSync(sb.ss1.config, original);
      await sb.ss1.restart();
    }
    assert.equal((await curl(`/r1/${MIRROR}/v1`)).status, 200);
  });
});
