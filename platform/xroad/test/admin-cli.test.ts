// #10 The admin CLI (riik central …, riik ss …) has a verb for every route of the HTTP APIs,
// and a refusal prints the server's own typed code; a security server refuses a client or a
// subject that is not in the global configuration. Real CLI against real servers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { OTHER, PROVIDER_SUBSYSTEM, type Sandbox, SS2, startSandbox } from "./fixtures/sandbox.ts";

const RIIK = join(import.meta.dirname, "../../../apps/cli/bin/riik.js");
const dir = temporaryDirectory("riik-xroad-admin-cli-");
let sb: Sandbox;

before(async () => {
  sb = await startSandbox({ dir });
});
after(async () => sb?.stop());

/** The real CLI: exit status, stdout, stderr. */
function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [RIIK, ...args], {
    encoding: "utf8",
    env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("#10 admin CLI: every verb of the HTTP APIs, the server's typed code on refusal", () => {
  const central = (...args: string[]) => cli("central", ...args, "--dir", sb.centralDir);
  const ss = (...args: string[]) => cli("ss", ...args, "--config", sb.ss2.config);
  const refusedWith = (result: ReturnType<typeof cli>, code: string) => {
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`^riik: ${code}: \\S`, "m"));
  };

  it("central: lists, adds and removes; a refusal prints the server's code", () => {
    refusedWith(central("member-add", "--class", "GOV", "--code", "70000001", "--name", "Again"), "XROAD_CONFLICT");
    refusedWith(central("server-client-add", "--server", SS2, "--client", "EE/COM/404"), "XROAD_NOT_FOUND");
    refusedWith(central("subsystem-add", "--id", "EE/GOV"), "REQUEST_INVALID");
    const members = JSON.parse(central("members").stdout);
    assert.ok(members.some((m: { memberCode: string }) => m.memberCode === "10000002"));
    assert.equal(central("server-client-add", "--server", SS2, "--client", OTHER).status, 0);
    const withOther = JSON.parse(central("servers").stdout);
    assert.ok(withOther.find((s: { serverCode: string }) => s.serverCode === "ss2").clients.includes(OTHER));
    assert.equal(central("server-client-remove", "--server", SS2, "--client", OTHER).status, 0);
    refusedWith(central("server-client-remove", "--server", SS2, "--client", OTHER), "XROAD_NOT_FOUND");
    assert.equal(central("group-add", "--code", "auditors").status, 0);
    assert.equal(central("group-member-add", "--code", "auditors", "--client", OTHER).status, 0);
    assert.deepEqual(
      JSON.parse(central("groups").stdout).find((g: { groupCode: string }) => g.groupCode === "auditors").members,
      [OTHER],
    );
    assert.equal(central("group-remove", "--code", "auditors").status, 0);
    refusedWith(central("group-remove", "--code", "auditors"), "XROAD_NOT_FOUND");
    refusedWith(central("server-remove", "--server", "EE/COM/10000002/nosuch"), "XROAD_NOT_FOUND");
    const configuration = JSON.parse(central("configuration").stdout);
    const regenerated = JSON.parse(central("regenerate").stdout);
    assert.ok(regenerated.version > configuration.version);
  });

  it("ss: client-add of a member not in the global configuration, access-grant to a non-existent subject: XROAD_NOT_FOUND", () => {
    refusedWith(ss("client-add", "--id", "EE/COM/10000002/ghost"), "XROAD_NOT_FOUND");
    const grant = ["--client", PROVIDER_SUBSYSTEM, "--service", "echo", "--subject"];
    refusedWith(ss("access-grant", ...grant, "EE/GOV/70000001/ghost"), "XROAD_NOT_FOUND");
    refusedWith(ss("access-grant", ...grant, "globalgroup:ghosts"), "XROAD_NOT_FOUND");
    refusedWith(ss("datatracker-reader", "--client", PROVIDER_SUBSYSTEM, "--reader", "EE/COM/404"), "XROAD_NOT_FOUND");
    refusedWith(
      ss("local-group-set", "--client", PROVIDER_SUBSYSTEM, "--code", "team", "--member", "EE/COM/404"),
      "XROAD_NOT_FOUND",
    );
    const clients = JSON.parse(ss("clients").stdout).map((c: { id: string }) => c.id);
    assert.ok(!clients.some((id: string) => /ghost|404/.test(id)), clients.join(","));
    // A subject registered at the central server a moment ago is found (the server downloads again).
    assert.equal(cli("central", "subsystem-add", "--dir", sb.centralDir, "--id", "EE/GOV/70000001/newcomer").status, 0);
    assert.equal(ss("access-grant", ...grant, "EE/GOV/70000001/newcomer").status, 0);
  });

  it("ss: lists, revokes and removes; a refusal prints the server's code", () => {
    const services = JSON.parse(ss("services", "--client", PROVIDER_SUBSYSTEM).stdout);
    assert.ok(services.some((s: { serviceCode: string }) => s.serviceCode === "echo"));
    const grant = ["--client", PROVIDER_SUBSYSTEM, "--service", "echo", "--subject", OTHER, "--method", "POST"];
    assert.equal(ss("access-grant", ...grant).status, 0);
    assert.equal(ss("access-revoke", ...grant).status, 0);
    refusedWith(ss("access-revoke", ...grant), "XROAD_NOT_FOUND");
    refusedWith(ss("client-remove", "--id", "EE/COM/10000002/nosuch"), "XROAD_NOT_FOUND");
    refusedWith(ss("client-update", "--id", PROVIDER_SUBSYSTEM, "--logging", "everything"), "REQUEST_INVALID");
    refusedWith(ss("service-remove", "--client", PROVIDER_SUBSYSTEM, "--code", "nosuch"), "XROAD_NOT_FOUND");
    refusedWith(ss("datatracker-reader-revoke", "--client", PROVIDER_SUBSYSTEM, "--reader", OTHER), "XROAD_NOT_FOUND");
    assert.equal(ss("local-group-set", "--client", PROVIDER_SUBSYSTEM, "--code", "team", "--member", OTHER).status, 0);
    assert.equal(JSON.parse(ss("status").stdout).serverId, SS2);
    assert.deepEqual(JSON.parse(ss("messages", "--query-id", "no-such-message").stdout), []);
    assert.deepEqual(JSON.parse(ss("datatracker-uses", "--query-id", "no-such-message").stdout), []);
  });
});
