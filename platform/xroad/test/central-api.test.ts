// #10 The central server's API: a request schema on every route (no number or boolean becomes
// a member class or code in the signed global configuration) and the registry's refusals of
// unknown members, subsystems, servers and groups, each as a typed error.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { initCentral, startCentralServer } from "../src/index.ts";

const dir = join(temporaryDirectory("riik-central-api-"), "central");
let central: Awaited<ReturnType<typeof startCentralServer>>;
let token: string;
const SERVER = "EE/GOV/70000001/ss1";

before(async () => {
  const port = await freePort();
  const { tokenPath } = await initCentral({ dir, instance: "EE", address: `http://127.0.0.1:${port}` });
  token = readFileSync(tokenPath, "utf8").trim();
  central = await startCentralServer({ dir, port });
  // A registered security server, as an approved registration leaves it (its certificate is not needed here).
  await central.registry.db
    .insertInto("security_server")
    .values({
      server_id: SERVER,
      owner_class: "GOV",
      owner_code: "70000001",
      server_code: "ss1",
      address: "https://127.0.0.1:5500",
      registered_at: new Date().toISOString(),
    })
    .execute();
});
after(async () => central?.close());

async function ask(method: string, path: string, body?: unknown) {
  const reply = await fetch(`${central.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await reply.text();
  return { status: reply.status, body: text ? JSON.parse(text) : undefined };
}

/** The members of the configuration the central server signs and serves now. */
async function signedMembers(): Promise<string[]> {
  const conf = await (await fetch(`${central.url}/globalconf`)).json();
  return conf.content.members.map(
    (m: { memberClass: string; memberCode: string }) => `${m.memberClass}/${m.memberCode}`,
  );
}

async function refused(method: string, path: string, body: unknown, status: number, code: string) {
  const reply = await ask(method, path, body);
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.code, code, JSON.stringify(reply.body));
  assert.doesNotMatch(JSON.stringify(reply.body), /FST_/);
  // Still serving after the refusal.
  assert.equal((await fetch(`${central.url}/globalconf`)).status, 200);
  return reply.body;
}

describe("#10 central server API: request schemas", () => {
  it("a number or a boolean is not a member class or code (was signed as 1e+40 and true)", async () => {
    const version = central.version();
    await refused("POST", "/api/v1/members", { memberClass: 1e40, memberCode: "1", name: "n" }, 400, "REQUEST_INVALID");
    await refused(
      "POST",
      "/api/v1/members",
      { memberClass: "GOV", memberCode: true, name: "n" },
      400,
      "REQUEST_INVALID",
    );
    await refused("POST", "/api/v1/members", { memberClass: "GOV", memberCode: 7, name: "n" }, 400, "REQUEST_INVALID");
    assert.equal(central.version(), version);
    const members = await signedMembers();
    assert.ok(!members.some((m) => /1e\+40|true|\/7$/.test(m)), members.join(","));
  });

  it("identifier grammar (PR-REST 4.8), unknown properties and missing fields are refused", async () => {
    const errors = await refused(
      "POST",
      "/api/v1/members",
      { memberClass: "GOV/X", memberCode: "1", name: "n" },
      400,
      "REQUEST_INVALID",
    );
    assert.equal(errors.details.errors[0].path, "body/memberClass");
    await refused(
      "POST",
      "/api/v1/members",
      { memberClass: "GOV", memberCode: "1", name: "n", admin: true },
      400,
      "REQUEST_INVALID",
    );
    await refused("POST", "/api/v1/members", { memberClass: "GOV", memberCode: "1" }, 400, "REQUEST_INVALID");
    await refused("POST", "/api/v1/subsystems", { id: "EE/GOV/70000001" }, 400, "REQUEST_INVALID");
    await refused("POST", "/api/v1/global-groups", { groupCode: ["x"] }, 400, "REQUEST_INVALID");
    await refused("PUT", "/api/v1/trust", { serverCas: "not a list" }, 400, "REQUEST_INVALID");
    await refused("POST", "/api/v1/registration-requests/abc/approve", undefined, 400, "REQUEST_INVALID");
    await refused("GET", "/api/v1/members?all=1", undefined, 400, "REQUEST_INVALID");
    await refused(
      "POST",
      "/managementservice/auth-cert-registrations",
      { serverId: SERVER, address: 5500 },
      400,
      "REQUEST_INVALID",
    );
  });

  it("a well-formed member is registered and signed into the configuration", async () => {
    const reply = await ask("POST", "/api/v1/members", {
      memberClass: "GOV",
      memberCode: "70000001",
      name: "Ministry",
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.version, central.version());
    assert.ok((await signedMembers()).includes("GOV/70000001"));
    await refused(
      "POST",
      "/api/v1/members",
      { memberClass: "GOV", memberCode: "70000001", name: "Again" },
      409,
      "XROAD_CONFLICT",
    );
  });
});

describe("#10 central server API: unknown members, subsystems, servers and groups are typed not-found errors", () => {
  const enc = encodeURIComponent;

  it("a subsystem of a member not in the registry", async () => {
    await refused("POST", "/api/v1/subsystems", { id: "EE/COM/404/sub" }, 404, "XROAD_NOT_FOUND");
  });

  it("a client of a security server that is not registered (member, then subsystem)", async () => {
    const path = `/api/v1/security-servers/${enc(SERVER)}/clients`;
    await refused("POST", path, { client: "EE/COM/404" }, 404, "XROAD_NOT_FOUND");
    await refused("POST", path, { client: "EE/GOV/70000001/nosuch" }, 404, "XROAD_NOT_FOUND");
    await refused("POST", path, { client: "XX/GOV/70000001" }, 400, "XROAD_ARGUMENT");
    await refused(
      "POST",
      `/api/v1/security-servers/${enc("EE/GOV/70000001/nosuch")}/clients`,
      { client: "EE/GOV/70000001" },
      404,
      "XROAD_NOT_FOUND",
    );
    const added = await ask("POST", path, { client: "EE/GOV/70000001" });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const servers = (await ask("GET", "/api/v1/security-servers")).body;
    assert.deepEqual(servers[0].clients, ["EE/GOV/70000001"]);
  });

  it("global groups: an unknown group, an unknown member of a known group", async () => {
    await refused(
      "POST",
      `/api/v1/global-groups/nosuch/members`,
      { client: "EE/GOV/70000001" },
      404,
      "XROAD_NOT_FOUND",
    );
    assert.equal((await ask("POST", "/api/v1/global-groups", { groupCode: "security" })).status, 201);
    await refused("POST", "/api/v1/global-groups/security/members", { client: "EE/COM/404" }, 404, "XROAD_NOT_FOUND");
    await refused(
      "DELETE",
      `/api/v1/global-groups/security/members/${enc("EE/COM/404")}`,
      undefined,
      404,
      "XROAD_NOT_FOUND",
    );
    await refused("DELETE", "/api/v1/global-groups/nosuch", undefined, 404, "XROAD_NOT_FOUND");
  });

  it("disable, enable and remove of an unknown client; unknown registration requests", async () => {
    for (const [method, path] of [
      ["POST", `/api/v1/clients/${enc("EE/COM/404")}/disable`],
      ["POST", `/api/v1/clients/${enc("EE/COM/404/sub")}/enable`],
      ["DELETE", `/api/v1/clients/${enc("EE/COM/404")}`],
      ["POST", "/api/v1/registration-requests/999/approve"],
      ["POST", "/api/v1/registration-requests/999/reject"],
      ["DELETE", `/api/v1/security-servers/${enc("EE/GOV/70000001/nosuch")}`],
    ] as const)
      await refused(method, path, undefined, 404, "XROAD_NOT_FOUND");
  });

  it("a client id in a path is decoded once: %2F separates parts, a double-encoded %252F is refused", async () => {
    const once = await ask("POST", `/api/v1/clients/${enc("EE/GOV/70000001")}/disable`);
    assert.equal(once.status, 200, JSON.stringify(once.body));
    assert.ok(!(await signedMembers()).includes("GOV/70000001"));
    assert.equal((await ask("POST", `/api/v1/clients/${enc("EE/GOV/70000001")}/enable`)).status, 200);
    await refused("POST", `/api/v1/clients/${enc(enc("EE/GOV/70000001"))}/disable`, undefined, 400, "REQUEST_INVALID");
  });
});
