// PR-MREST (X-Road: Service Metadata Protocol for REST, 0.8), statement by statement in the
// document's order, against real processes: trust services, a central server, two security
// servers and a provider on loopback. Clients call as X-Road client applications do, with curl;
// the examples of Annex B are replayed with the sandbox's identifiers.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { temporaryDirectory } from "@riik/core/testing";
import { parse as parseYaml } from "yaml";
import { CONSUMER, json, OTHER, PROVIDER_SUBSYSTEM, type Sandbox, startSandbox } from "./fixtures/sandbox.ts";

const run = promisify(execFile);
const RIIK = join(import.meta.dirname, "../../../apps/cli/bin/riik.js");
const dir = temporaryDirectory("riik-pr-mrest-");
let sb: Sandbox;

/** Annex B.3's description (Firm listing), its server made an internal address plus two more kinds. */
const FIRMS_YAML = `openapi: "3.0.0"
info:
  version: 1.0.0
  title: Firm listing
servers:
  - url: https://example.com
  - url: http://10.1.2.3:8080/internal/v1
  - url: https://{region}.example.com/v2
    variables:
      region:
        default: eu
paths:
  /firms:
    get:
      summary: List all firms
      operationId: listFirms
      tags:
        - firms
      parameters:
        - name: limit
          in: query
          description: How many items to return at one time (max 100)
          required: false
          schema:
            type: integer
            format: int32
      responses:
        '200':
          description: A paged array of firms
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Firms"
components:
  schemas:
    Firm:
      required:
        - id
        - name
      properties:
        id:
          type: integer
          format: int64
        name:
          type: string
    Firms:
      type: array
      items:
        $ref: "#/components/schemas/Firm"
`;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * curl through the consumer's security server: OTHER over plain HTTP (an allow-listed
 * address), CONSUMER over HTTPS with its information system certificate.
 */
async function curl(client: string, path: string, extra: string[] = []): Promise<Reply> {
  const tls = client === CONSUMER;
  const base = tls ? sb.ss1.clientTls : sb.ss1.client;
  const args = [
    "-sS",
    "-i",
    ...(tls ? ["-k", "--cert", join(dir, "is/cert.pem"), "--key", join(dir, "is/key.pem")] : []),
    "-H",
    `X-Road-Client: ${client}`,
    ...extra,
    `${base}${path}`,
  ];
  const { stdout } = await run("curl", args, { maxBuffer: 16 * 1024 * 1024 });
  const split = stdout.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = stdout.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: stdout.slice(split + 4) };
}

/** An X-Road refusal of the provider's security server, as PR-REST 4.6 shapes it. */
function assertFault(reply: Reply, type: string): void {
  assert.equal(reply.headers["x-road-error"], type, reply.body);
  assert.equal(JSON.parse(reply.body).type, type);
}

type ServiceEntry = {
  service_code: string;
  service_type: string;
  endpoint_list: Array<{ method: string; path: string }>;
};
const byCode = (reply: Reply) =>
  Object.fromEntries((JSON.parse(reply.body).service as ServiceEntry[]).map((s) => [s.service_code, s]));

before(async () => {
  sb = await startSandbox({ dir });
  const admin = (path: string, body: unknown) =>
    json(`${sb.ss2.admin}${path}`, { method: "POST", token: sb.ss2.token, body: JSON.stringify(body) });
  const services = `/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`;
  // A REST service with no description and no endpoints, open to CONSUMER as a whole (`*` `**`).
  await admin(services, { serviceCode: "plain", url: sb.providerUrl });
  await admin(`${services}/plain/access`, { subject: CONSUMER });
  // The YAML description imported with the CLI; OTHER may list firms.
  writeFileSync(join(dir, "firms.yaml"), FIRMS_YAML);
  const cli = [RIIK, "ss", "service-add", "--config", sb.ss2.config, "--client", PROVIDER_SUBSYSTEM];
  await run(process.execPath, [
    ...cli,
    "--code",
    "firms",
    "--url",
    sb.providerUrl,
    "--openapi",
    join(dir, "firms.yaml"),
  ]);
  await admin(`${services}/firms/access`, { subject: OTHER, method: "GET", path: "/firms" });
});
after(async () => {
  await sb?.stop();
});

describe("PR-MREST 0.8 against a running security server pair", () => {
  it("2: listClients is a simple GET whose format the Accept header controls (PR-META)", async () => {
    const asJson = await curl(OTHER, "/listClients", ["-H", "accept: application/json"]);
    assert.equal(asJson.status, 200);
    assert.match(asJson.headers["content-type"]!, /^application\/json/);
    assert.ok(
      JSON.parse(asJson.body).member.some(
        (m: { id: { subsystem_code?: string } }) => m.id.subsystem_code === PROVIDER_SUBSYSTEM.split("/")[3],
      ),
    );
    const asXml = await curl(OTHER, "/listClients");
    assert.match(asXml.headers["content-type"]!, /^text\/xml/);
  });

  it("4: listMethods lists every REST service and its endpoints (Annex B.1 replayed)", async () => {
    const reply = await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/listMethods`, ["-H", "accept: application/json"]);
    assert.equal(reply.status, 200, reply.body);
    assert.match(reply.headers["content-type"]!, /^application\/json/);
    const [instance, memberClass, memberCode, subsystemCode] = PROVIDER_SUBSYSTEM.split("/");
    const services = byCode(reply);
    assert.deepEqual(Object.keys(services).sort(), ["echo", "firms", "pets", "plain"]);
    // Field for field as Annex B.1.
    assert.deepEqual(services.firms, {
      member_class: memberClass,
      member_code: memberCode,
      object_type: "SERVICE",
      service_code: "firms",
      service_type: "OPENAPI",
      subsystem_code: subsystemCode,
      xroad_instance: instance,
      endpoint_list: [{ method: "GET", path: "/firms" }],
    });
    assert.equal(services.pets!.endpoint_list.length, 5);
    assert.deepEqual(services.echo!.endpoint_list, [{ method: "POST", path: "/" }]);
  });

  it("4: a service without a description lists no endpoints, never a pseudo-endpoint * **", async () => {
    const services = byCode(await curl(OTHER, `/r1/${PROVIDER_SUBSYSTEM}/listMethods`));
    assert.equal(services.plain!.service_type, "REST");
    assert.deepEqual(services.plain!.endpoint_list, []);
  });

  it("4: the response SHALL NOT contain names of the metainfo services", async () => {
    for (const method of ["listMethods", "allowedMethods"]) {
      const codes = Object.keys(byCode(await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/${method}`)));
      for (const meta of ["listMethods", "allowedMethods", "getOpenAPI", "listClients"])
        assert.ok(!codes.includes(meta), `${method} names ${meta}`);
    }
  });

  it("4: allowedMethods lists what is open to the calling client (Annex B.2 replayed)", async () => {
    const other = byCode(
      await curl(OTHER, `/r1/${PROVIDER_SUBSYSTEM}/allowedMethods`, ["-H", "accept: application/json"]),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(other).map(([code, s]) => [code, s.endpoint_list])), {
      firms: [{ method: "GET", path: "/firms" }],
      pets: [{ method: "GET", path: "/v2/pets/*" }],
    });
  });

  it("4: allowedMethods includes a service the client may call that declares no endpoints", async () => {
    const consumer = byCode(await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/allowedMethods`));
    assert.deepEqual(Object.keys(consumer).sort(), ["echo", "pets", "plain"]);
    assert.deepEqual(consumer.plain!.endpoint_list, []);
    assert.equal(consumer.pets!.endpoint_list.length, 5, "a right to the whole service opens every endpoint");
    // And the client may indeed call it.
    const called = await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/plain/v2/pets/1124`);
    assert.equal(called.status, 200, called.body);
  });

  it("4, 5: metaservices are invoked as regular REST services with GET; other methods are unknown services", async () => {
    for (const [method, path] of [
      ["POST", "listMethods"],
      ["PUT", "allowedMethods"],
      ["DELETE", "getOpenAPI?serviceCode=pets"],
      ["HEAD", "listMethods"],
    ] as const) {
      const reply = await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/${path}`, [
        ...(method === "HEAD" ? ["-I"] : ["-X", method]),
        ...(method === "POST" ? ["--data", "{}"] : []),
      ]);
      assert.equal(reply.status, 500, `${method} ${path}`);
      assert.equal(reply.headers["x-road-error"], "Server.ServerProxy.UnknownService", `${method} ${path}`);
      if (method !== "HEAD") assertFault(reply, "Server.ServerProxy.UnknownService");
    }
  });

  it("5: getOpenAPI?serviceCode= returns the description as imported: YAML as YAML (Annex B.3 replayed)", async () => {
    const reply = await curl(OTHER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=firms`, [
      "-H",
      "accept: application/json",
    ]);
    assert.equal(reply.status, 200, reply.body);
    assert.match(reply.headers["content-type"]!, /^text\/yaml/);
    const served = parseYaml(reply.body);
    const imported = parseYaml(FIRMS_YAML);
    assert.deepEqual(served.paths, imported.paths);
    assert.deepEqual(served.components, imported.components);
    assert.equal(served.openapi, "3.0.0");
  });

  it("5: getOpenAPI cuts each servers URL without variables to its path, as X-Road does", async () => {
    const served = parseYaml((await curl(OTHER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=firms`)).body);
    assert.deepEqual(served.servers, [
      { url: "" },
      { url: "/internal/v1" },
      { url: "https://{region}.example.com/v2", variables: { region: { default: "eu" } } },
    ]);
  });

  it("5: a description imported as JSON is served as JSON", async () => {
    const reply = await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=pets`);
    assert.equal(reply.status, 200, reply.body);
    assert.match(reply.headers["content-type"]!, /^application\/json/);
    assert.equal(JSON.parse(reply.body).info.title, "Petstore");
  });

  it("5: import takes OpenAPI 3 as JSON or YAML and refuses anything else with a typed error", async () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
      .concat(
        Array.from(
          { length: 8 },
          (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`,
        ),
      )
      .join("\n");
    for (const [what, openapi] of [
      ["Swagger 2.0", "swagger: '2.0'\ninfo: {title: old, version: '1'}\npaths: {}\n"],
      ["OpenAPI 2 in the openapi field", '{"openapi":"2.0","paths":{}}'],
      ["neither JSON nor YAML", "openapi: [3.0.0\n  paths: {"],
      ["an alias expansion bomb", `openapi: 3.0.0\n${bomb}\n`],
    ] as const) {
      const reply = await fetch(`${sb.ss2.admin}/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`, {
        method: "POST",
        headers: { authorization: `Bearer ${sb.ss2.token}`, "content-type": "application/json" },
        body: JSON.stringify({ serviceCode: "refused", url: sb.providerUrl, openapi }),
      });
      assert.equal(reply.status, 400, what);
      assert.equal((await reply.json()).code, "XROAD_ARGUMENT", what);
    }
  });

  it("5: getOpenAPI without serviceCode, for an unknown service or one without a description: X-Road's errors", async () => {
    assertFault(await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI`), "Server.ServerProxy.InvalidRequest");
    assertFault(
      await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=nosuch`),
      "Server.ServerProxy.InternalError",
    );
    assertFault(
      await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?serviceCode=plain`),
      "Server.ServerProxy.InternalError",
    );
    // X-Road reads the parameter name case-insensitively.
    const mixedCase = await curl(CONSUMER, `/r1/${PROVIDER_SUBSYSTEM}/getOpenAPI?SERVICECODE=pets`);
    assert.equal(mixedCase.status, 200, mixedCase.body);
  });
});
