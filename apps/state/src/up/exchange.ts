import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ExchangeRegistration, parseConfig } from "@riik/core";
import { submitRegistration } from "@riik/xroad";
import { StateError } from "../errors.ts";
import {
  HOST,
  loopback,
  MEMBERS,
  memberOfServer,
  type PortLayout,
  SECURITY_SERVERS,
  type SecurityServerName,
  securityServerId,
} from "../topology.ts";
import { centralApi, securityServerApi } from "./admin.ts";
import type { Placement, StateDirs } from "./table.ts";

/** Members, subsystems, the ledger and the security servers at the central server. */
export async function registerAtCentral(dirs: StateDirs, ports: PortLayout): Promise<void> {
  const api = centralApi(dirs.central, loopback(ports.central));
  const trust = (await api("/api/v1/trust")) as Record<string, unknown>;
  await api("/api/v1/trust", "PUT", {
    ...trust,
    ledger: {
      url: loopback(ports.ledger),
      keys: [readFileSync(join(dirs.ledger, "ledger.vkey"), "utf8").trim()],
      witnesses: [readFileSync(join(dirs.witness, "witness.vkey"), "utf8").trim()],
    },
  });
  for (const member of MEMBERS) {
    const [, memberClass, memberCode] = member.id.split("/");
    await api("/api/v1/members", "POST", { memberClass, memberCode, name: member.name }, [409]);
    for (const [code, description] of Object.entries(member.subsystems))
      await api("/api/v1/subsystems", "POST", { id: `${member.id}/${code}`, name: description }, [409]);
  }
  for (const name of SECURITY_SERVERS) {
    const registration = await submitRegistration(join(dirs.ss(name), "ss.json"), loopback(ports.central));
    await api(`/api/v1/registration-requests/${registration.id}/approve`, "POST");
    const member = memberOfServer(name);
    for (const code of Object.keys(member.subsystems))
      await api(
        `/api/v1/security-servers/${encodeURIComponent(securityServerId(name))}/clients`,
        "POST",
        { client: `${member.id}/${code}` },
        [409],
      );
  }
}

/** The security server of the member a subsystem (or service) id INSTANCE/CLASS/MEMBER/… belongs to. */
function serverOf(id: string): SecurityServerName {
  const member = MEMBERS.find((m) => id.startsWith(`${m.id}/`));
  if (!member) throw new StateError("STATE_INIT", `${id} belongs to no member of the sandbox state (topology.ts)`);
  return member.securityServer;
}

/** Each placement's exchange registration, from its descriptor and its checked config. */
function registrations(table: readonly Placement[]): ExchangeRegistration[] {
  return table.flatMap(({ descriptor, config, at }) => {
    if (!descriptor.exchange || !at) return [];
    const checked = parseConfig(descriptor.config, config, (problems) => {
      const list = problems.map((p) => `${p.field} (${p.problem})`).join(", ");
      return new StateError("STATE_INIT", `${descriptor.name}: bad configuration: ${list}`);
    });
    return [descriptor.exchange(checked, at)];
  });
}

/**
 * What the components' descriptors ask of the exchange layer: each subsystem a client of
 * its member's security server, the services they provide, the access rights they need,
 * Data Tracker readers and hide grants.
 */
export async function configureSecurityServers(
  dirs: StateDirs,
  ports: PortLayout,
  table: readonly Placement[],
): Promise<void> {
  const admin = (name: SecurityServerName) => securityServerApi(dirs.ss(name), loopback(ports[name].admin));
  const enc = encodeURIComponent;
  const wanted = registrations(table);
  // Information systems reach their security server over loopback HTTP from an allowed address:
  // every member's subsystems (a desk without a component of its own, like PPA's `teenindus`,
  // too) and those the components ask for.
  const byServer = new Map<SecurityServerName, Set<string>>();
  const memberSubsystems = MEMBERS.flatMap((m) => Object.keys(m.subsystems).map((code) => `${m.id}/${code}`));
  for (const id of [...memberSubsystems, ...wanted.flatMap((r) => r.subsystems.map((s) => s.id))])
    byServer.set(serverOf(id), (byServer.get(serverOf(id)) ?? new Set()).add(id));
  await Promise.all(
    [...byServer].map(async ([name, ids]) => {
      for (const id of ids)
        await admin(name)(
          "/api/v1/clients",
          "POST",
          { id, connection: "http", allowedAddresses: [HOST], loggingMode: "full" },
          [409],
        );
    }),
  );
  const provided = new Set<string>();
  for (const service of wanted.flatMap((r) => r.services ?? [])) {
    const openapi = await service.openapi?.();
    await admin(serverOf(service.subsystem))(`/api/v1/clients/${enc(service.subsystem)}/services`, "POST", {
      serviceCode: service.code,
      url: service.url,
      timeoutSeconds: 30,
      personalData: service.personalData ?? false,
      // Its endpoints, for the metadata services (listMethods, allowedMethods, getOpenAPI).
      ...(openapi ? { openapi: JSON.stringify(openapi) } : {}),
    });
    provided.add(`${service.subsystem}/${service.code}`);
  }
  for (const right of wanted.flatMap((r) => r.access ?? [])) {
    if (!provided.has(right.service)) continue;
    const provider = right.service.split("/").slice(0, -1).join("/");
    const code = right.service.split("/").at(-1)!;
    for (const path of right.paths)
      await admin(serverOf(provider))(`/api/v1/clients/${enc(provider)}/services/${code}/access`, "POST", {
        subject: right.subject,
        method: right.method,
        path,
      });
  }
  // Grants only at providers that are clients here (a state without the register has none).
  const clients = new Set(wanted.flatMap((r) => r.subsystems.map((s) => s.id)));
  for (const { readsDataTracker, hidesUses } of wanted) {
    for (const provider of (readsDataTracker?.providers ?? []).filter((p) => clients.has(p)))
      await admin(serverOf(provider))(
        `/api/v1/clients/${enc(provider)}/datatracker/readers`,
        "POST",
        { reader: readsDataTracker!.reader },
        [409],
      );
    for (const provider of (hidesUses?.providers ?? []).filter((p) => clients.has(p)))
      await admin(serverOf(provider))(
        `/api/v1/clients/${enc(provider)}/datatracker/hide-grants`,
        "POST",
        { consumer: hidesUses!.consumer },
        [409],
      );
  }
  await Promise.all(SECURITY_SERVERS.map((name) => admin(name)("/api/v1/refresh", "POST")));
}
