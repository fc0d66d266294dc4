import { X509Certificate } from "node:crypto";
import { type ClientId, formatClientId, parseClientId, type Storage } from "@riik/core";
import type { Kysely } from "kysely";
import { XRoadError } from "../errors.ts";
import { certificateHash, type GlobalConfContent, type GlobalConfTrust } from "../globalconf/document.ts";

interface CentralDb {
  member: { member_class: string; member_code: string; name: string; disabled: number; created_at: string };
  subsystem: {
    member_class: string;
    member_code: string;
    subsystem_code: string;
    name: string;
    disabled: number;
    created_at: string;
  };
  security_server: {
    server_id: string;
    owner_class: string;
    owner_code: string;
    server_code: string;
    address: string;
    registered_at: string;
  };
  auth_certificate: { server_id: string; cert_hash: string; der: Uint8Array; registered_at: string };
  server_client: { server_id: string; client_id: string };
  registration_request: {
    id: import("kysely").Generated<number>;
    server_id: string;
    address: string;
    der: Uint8Array;
    status: string;
    submitted_at: string;
    decided_at: string | null;
  };
  global_group: { group_code: string; description: string };
  global_group_member: { group_code: string; client_id: string };
  setting: { key: string; value: string };
  configuration: { version: number; generated_at: string; expires_at: string; document: string };
}

export type CentralStorage = Storage<CentralDb>;

const now = () => new Date().toISOString();
const GROUP_CODE = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

/** Server ids (PR-MESS: INSTANCE/CLASS/MEMBER/SERVERCODE) share the client id syntax. */
export function parseServerId(text: string, instance: string): { owner: ClientId; serverCode: string; id: string } {
  const parsed = parseClientId(text);
  if (!parsed.subsystemCode)
    throw new XRoadError("XROAD_ARGUMENT", "a security server id has four parts: INSTANCE/CLASS/MEMBER/SERVERCODE");
  if (parsed.instance !== instance)
    throw new XRoadError("XROAD_ARGUMENT", `security server ${text} is not in instance ${instance}`);
  const owner = { instance, memberClass: parsed.memberClass, memberCode: parsed.memberCode };
  return { owner, serverCode: parsed.subsystemCode, id: formatClientId(parsed) };
}

/** The registry of members, subsystems, security servers and groups behind the central server. */
export class CentralRegistry {
  constructor(
    readonly storage: CentralStorage,
    readonly instance: string,
  ) {}

  get db(): Kysely<CentralDb> {
    return this.storage.db;
  }

  parseClient(text: string): ClientId {
    const id = parseClientId(text);
    if (id.instance !== this.instance)
      throw new XRoadError("XROAD_ARGUMENT", `client ${text} is not in instance ${this.instance}`);
    return id;
  }

  async addMember(input: { memberClass: string; memberCode: string; name: string }): Promise<void> {
    const id = this.parseClient(`${this.instance}/${input.memberClass}/${input.memberCode}`);
    if (typeof input.name !== "string" || input.name.length === 0 || input.name.length > 255)
      throw new XRoadError("XROAD_ARGUMENT", "name must be a string of 1-255 characters");
    const existing = await this.db
      .selectFrom("member")
      .select("name")
      .where("member_class", "=", id.memberClass)
      .where("member_code", "=", id.memberCode)
      .executeTakeFirst();
    if (existing) throw new XRoadError("XROAD_CONFLICT", `member ${formatClientId(id)} is already registered`);
    await this.db
      .insertInto("member")
      .values({
        member_class: id.memberClass,
        member_code: id.memberCode,
        name: input.name,
        disabled: 0,
        created_at: now(),
      })
      .execute();
  }

  async addSubsystem(clientText: string, name?: string): Promise<void> {
    const id = this.parseClient(clientText);
    if (!id.subsystemCode) throw new XRoadError("XROAD_ARGUMENT", "a subsystem id has four parts");
    await this.#requireMember(id);
    const existing = await this.db
      .selectFrom("subsystem")
      .select("name")
      .where("member_class", "=", id.memberClass)
      .where("member_code", "=", id.memberCode)
      .where("subsystem_code", "=", id.subsystemCode)
      .executeTakeFirst();
    if (existing) throw new XRoadError("XROAD_CONFLICT", `subsystem ${clientText} is already registered`);
    await this.db
      .insertInto("subsystem")
      .values({
        member_class: id.memberClass,
        member_code: id.memberCode,
        subsystem_code: id.subsystemCode,
        name: name || id.subsystemCode,
        disabled: 0,
        created_at: now(),
      })
      .execute();
  }

  async #requireMember(id: ClientId) {
    const member = await this.db
      .selectFrom("member")
      .selectAll()
      .where("member_class", "=", id.memberClass)
      .where("member_code", "=", id.memberCode)
      .executeTakeFirst();
    if (!member) throw new XRoadError("XROAD_NOT_FOUND", `member ${formatClientId(id)} is not registered`);
    return member;
  }

  /** Disables (or enables) a member or subsystem: disabled clients leave the global configuration. */
  async setDisabled(clientText: string, disabled: boolean): Promise<void> {
    const id = this.parseClient(clientText);
    const result = id.subsystemCode
      ? await this.db
          .updateTable("subsystem")
          .set({ disabled: disabled ? 1 : 0 })
          .where("member_class", "=", id.memberClass)
          .where("member_code", "=", id.memberCode)
          .where("subsystem_code", "=", id.subsystemCode)
          .executeTakeFirst()
      : await this.db
          .updateTable("member")
          .set({ disabled: disabled ? 1 : 0 })
          .where("member_class", "=", id.memberClass)
          .where("member_code", "=", id.memberCode)
          .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new XRoadError("XROAD_NOT_FOUND", `no client ${clientText}`);
  }

  async removeClient(clientText: string): Promise<void> {
    const id = this.parseClient(clientText);
    const formatted = formatClientId(id);
    await this.db.transaction().execute(async (trx) => {
      const result = id.subsystemCode
        ? await trx
            .deleteFrom("subsystem")
            .where("member_class", "=", id.memberClass)
            .where("member_code", "=", id.memberCode)
            .where("subsystem_code", "=", id.subsystemCode)
            .executeTakeFirst()
        : await trx
            .deleteFrom("member")
            .where("member_class", "=", id.memberClass)
            .where("member_code", "=", id.memberCode)
            .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new XRoadError("XROAD_NOT_FOUND", `no client ${clientText}`);
      // SQLite cascades only when foreign keys are on; delete dependants explicitly on both back ends.
      if (!id.subsystemCode) {
        await trx
          .deleteFrom("subsystem")
          .where("member_class", "=", id.memberClass)
          .where("member_code", "=", id.memberCode)
          .execute();
        await trx.deleteFrom("server_client").where("client_id", "like", `${formatted}/%`).execute();
        await trx.deleteFrom("global_group_member").where("client_id", "like", `${formatted}/%`).execute();
      }
      await trx.deleteFrom("server_client").where("client_id", "=", formatted).execute();
      await trx.deleteFrom("global_group_member").where("client_id", "=", formatted).execute();
    });
  }

  async submitRegistration(serverIdText: string, address: string, certificate: X509Certificate): Promise<number> {
    const { id } = parseServerId(serverIdText, this.instance);
    validateAddress(address);
    const row = await this.db
      .insertInto("registration_request")
      .values({
        server_id: id,
        address,
        der: new Uint8Array(certificate.raw),
        status: "pending",
        submitted_at: now(),
        decided_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  listRegistrations() {
    return this.db
      .selectFrom("registration_request")
      .select(["id", "server_id", "address", "status", "submitted_at", "decided_at", "der"])
      .orderBy("id")
      .execute();
  }

  /** Approves an authentication certificate registration: the server is registered (or updated). */
  async approveRegistration(requestId: number): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const request = await trx
        .selectFrom("registration_request")
        .selectAll()
        .where("id", "=", requestId)
        .executeTakeFirst();
      if (!request) throw new XRoadError("XROAD_NOT_FOUND", `no registration request ${requestId}`);
      if (request.status !== "pending")
        throw new XRoadError("XROAD_CONFLICT", `registration request ${requestId} is already ${request.status}`);
      const { owner, serverCode, id } = parseServerId(request.server_id, this.instance);
      const member = await trx
        .selectFrom("member")
        .select("name")
        .where("member_class", "=", owner.memberClass)
        .where("member_code", "=", owner.memberCode)
        .executeTakeFirst();
      if (!member)
        throw new XRoadError(
          "XROAD_NOT_FOUND",
          `the owner ${formatClientId(owner)} of ${id} is not a registered member`,
        );
      const existing = await trx
        .selectFrom("security_server")
        .select("server_id")
        .where("server_id", "=", id)
        .executeTakeFirst();
      if (existing)
        await trx
          .updateTable("security_server")
          .set({ address: request.address })
          .where("server_id", "=", id)
          .execute();
      else
        await trx
          .insertInto("security_server")
          .values({
            server_id: id,
            owner_class: owner.memberClass,
            owner_code: owner.memberCode,
            server_code: serverCode,
            address: request.address,
            registered_at: now(),
          })
          .execute();
      const hash = certificateHash(new X509Certificate(Buffer.from(request.der)));
      await trx.deleteFrom("auth_certificate").where("server_id", "=", id).where("cert_hash", "=", hash).execute();
      await trx
        .insertInto("auth_certificate")
        .values({ server_id: id, cert_hash: hash, der: request.der, registered_at: now() })
        .execute();
      await trx
        .updateTable("registration_request")
        .set({ status: "approved", decided_at: now() })
        .where("id", "=", requestId)
        .execute();
      return id;
    });
  }

  async rejectRegistration(requestId: number): Promise<void> {
    const result = await this.db
      .updateTable("registration_request")
      .set({ status: "rejected", decided_at: now() })
      .where("id", "=", requestId)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0)
      throw new XRoadError("XROAD_NOT_FOUND", `no pending registration request ${requestId}`);
  }

  async #requireServer(serverIdText: string): Promise<string> {
    const { id } = parseServerId(serverIdText, this.instance);
    const server = await this.db
      .selectFrom("security_server")
      .select("server_id")
      .where("server_id", "=", id)
      .executeTakeFirst();
    if (!server) throw new XRoadError("XROAD_NOT_FOUND", `security server ${id} is not registered`);
    return id;
  }

  async addAuthCertificate(serverIdText: string, certificate: X509Certificate): Promise<string> {
    const id = await this.#requireServer(serverIdText);
    const hash = certificateHash(certificate);
    await this.db.deleteFrom("auth_certificate").where("server_id", "=", id).where("cert_hash", "=", hash).execute();
    await this.db
      .insertInto("auth_certificate")
      .values({ server_id: id, cert_hash: hash, der: new Uint8Array(certificate.raw), registered_at: now() })
      .execute();
    return hash;
  }

  async removeAuthCertificate(serverIdText: string, hash: string): Promise<void> {
    const id = await this.#requireServer(serverIdText);
    const result = await this.db
      .deleteFrom("auth_certificate")
      .where("server_id", "=", id)
      .where("cert_hash", "=", hash.toLowerCase())
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw new XRoadError("XROAD_NOT_FOUND", `security server ${id} has no authentication certificate ${hash}`);
  }

  async removeServer(serverIdText: string): Promise<void> {
    const id = await this.#requireServer(serverIdText);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("auth_certificate").where("server_id", "=", id).execute();
      await trx.deleteFrom("server_client").where("server_id", "=", id).execute();
      await trx.deleteFrom("security_server").where("server_id", "=", id).execute();
    });
  }

  /** Registers a member or subsystem as a client of a security server (its services are reached there). */
  async addServerClient(serverIdText: string, clientText: string): Promise<void> {
    const id = await this.#requireServer(serverIdText);
    const client = this.parseClient(clientText);
    await this.#requireClient(client);
    const formatted = formatClientId(client);
    const existing = await this.db
      .selectFrom("server_client")
      .select("client_id")
      .where("server_id", "=", id)
      .where("client_id", "=", formatted)
      .executeTakeFirst();
    if (existing) throw new XRoadError("XROAD_CONFLICT", `${formatted} is already a client of ${id}`);
    await this.db.insertInto("server_client").values({ server_id: id, client_id: formatted }).execute();
  }

  async removeServerClient(serverIdText: string, clientText: string): Promise<void> {
    const id = await this.#requireServer(serverIdText);
    const formatted = formatClientId(this.parseClient(clientText));
    const result = await this.db
      .deleteFrom("server_client")
      .where("server_id", "=", id)
      .where("client_id", "=", formatted)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw new XRoadError("XROAD_NOT_FOUND", `${formatted} is not a client of ${id}`);
  }

  async #requireClient(client: ClientId): Promise<void> {
    await this.#requireMember(client);
    if (client.subsystemCode) {
      const subsystem = await this.db
        .selectFrom("subsystem")
        .select("name")
        .where("member_class", "=", client.memberClass)
        .where("member_code", "=", client.memberCode)
        .where("subsystem_code", "=", client.subsystemCode)
        .executeTakeFirst();
      if (!subsystem) throw new XRoadError("XROAD_NOT_FOUND", `subsystem ${formatClientId(client)} is not registered`);
    }
  }

  async addGlobalGroup(groupCode: string, description: string): Promise<void> {
    if (typeof groupCode !== "string" || !GROUP_CODE.test(groupCode))
      throw new XRoadError("XROAD_ARGUMENT", "groupCode may contain only letters, digits and '()+,-.=?");
    const existing = await this.db
      .selectFrom("global_group")
      .select("group_code")
      .where("group_code", "=", groupCode)
      .executeTakeFirst();
    if (existing) throw new XRoadError("XROAD_CONFLICT", `global group ${groupCode} exists`);
    await this.db
      .insertInto("global_group")
      .values({ group_code: groupCode, description: typeof description === "string" ? description : "" })
      .execute();
  }

  async removeGlobalGroup(groupCode: string): Promise<void> {
    await this.db.deleteFrom("global_group_member").where("group_code", "=", groupCode).execute();
    const result = await this.db.deleteFrom("global_group").where("group_code", "=", groupCode).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new XRoadError("XROAD_NOT_FOUND", `no global group ${groupCode}`);
  }

  async addGroupMember(groupCode: string, clientText: string): Promise<void> {
    const group = await this.db
      .selectFrom("global_group")
      .select("group_code")
      .where("group_code", "=", groupCode)
      .executeTakeFirst();
    if (!group) throw new XRoadError("XROAD_NOT_FOUND", `no global group ${groupCode}`);
    const client = this.parseClient(clientText);
    await this.#requireClient(client);
    await this.db
      .deleteFrom("global_group_member")
      .where("group_code", "=", groupCode)
      .where("client_id", "=", formatClientId(client))
      .execute();
    await this.db
      .insertInto("global_group_member")
      .values({ group_code: groupCode, client_id: formatClientId(client) })
      .execute();
  }

  async removeGroupMember(groupCode: string, clientText: string): Promise<void> {
    const result = await this.db
      .deleteFrom("global_group_member")
      .where("group_code", "=", groupCode)
      .where("client_id", "=", formatClientId(this.parseClient(clientText)))
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0)
      throw new XRoadError("XROAD_NOT_FOUND", `${clientText} is not in global group ${groupCode}`);
  }

  async getTrust(): Promise<GlobalConfTrust> {
    const row = await this.db.selectFrom("setting").select("value").where("key", "=", "trust").executeTakeFirst();
    return row ? (JSON.parse(row.value) as GlobalConfTrust) : { serverCas: [], roots: [], tsa: [], ledger: null };
  }

  async setTrust(trust: GlobalConfTrust): Promise<void> {
    await this.db.deleteFrom("setting").where("key", "=", "trust").execute();
    await this.db
      .insertInto("setting")
      .values({ key: "trust", value: JSON.stringify(trust) })
      .execute();
  }

  /** Everything the configuration carries, from the registry; disabled clients are left out. */
  async snapshot(): Promise<
    Omit<GlobalConfContent, "version" | "generatedAt" | "expiresAt" | "centralServer" | "settings">
  > {
    const members = await this.db
      .selectFrom("member")
      .selectAll()
      .where("disabled", "=", 0)
      .orderBy("member_class")
      .orderBy("member_code")
      .execute();
    const subsystems = await this.db
      .selectFrom("subsystem")
      .selectAll()
      .where("disabled", "=", 0)
      .orderBy("subsystem_code")
      .execute();
    const servers = await this.db.selectFrom("security_server").selectAll().orderBy("server_id").execute();
    const certs = await this.db
      .selectFrom("auth_certificate")
      .select(["server_id", "cert_hash", "der"])
      .orderBy("cert_hash")
      .execute();
    const serverClients = await this.db.selectFrom("server_client").selectAll().orderBy("client_id").execute();
    const groups = await this.db.selectFrom("global_group").selectAll().orderBy("group_code").execute();
    const groupMembers = await this.db.selectFrom("global_group_member").selectAll().orderBy("client_id").execute();
    const enabled = new Set<string>();
    const memberList = members.map((m) => {
      const memberId = formatClientId({
        instance: this.instance,
        memberClass: m.member_class,
        memberCode: m.member_code,
      });
      enabled.add(memberId);
      const own = subsystems.filter((s) => s.member_class === m.member_class && s.member_code === m.member_code);
      for (const s of own) enabled.add(`${memberId}/${encodeURIComponent(s.subsystem_code)}`);
      return {
        memberClass: m.member_class,
        memberCode: m.member_code,
        name: m.name,
        subsystems: own.map((s) => ({ subsystemCode: s.subsystem_code, name: s.name })),
      };
    });
    return {
      instance: this.instance,
      members: memberList,
      securityServers: servers.map((s) => ({
        owner: { memberClass: s.owner_class, memberCode: s.owner_code },
        serverCode: s.server_code,
        address: s.address,
        authCertHashes: certs.filter((c) => c.server_id === s.server_id).map((c) => c.cert_hash),
        authCertificates: certs
          .filter((c) => c.server_id === s.server_id)
          .map((c) => Buffer.from(c.der).toString("base64")),
        clients: serverClients
          .filter((c) => c.server_id === s.server_id && enabled.has(c.client_id))
          .map((c) => c.client_id),
      })),
      globalGroups: groups.map((g) => ({
        groupCode: g.group_code,
        description: g.description,
        members: groupMembers.filter((m) => m.group_code === g.group_code).map((m) => m.client_id),
      })),
      trust: await this.getTrust(),
    };
  }

  async latestConfiguration() {
    return this.db.selectFrom("configuration").selectAll().orderBy("version", "desc").limit(1).executeTakeFirst();
  }

  async saveConfiguration(version: number, generatedAt: string, expiresAt: string, document: string): Promise<void> {
    await this.db
      .insertInto("configuration")
      .values({ version, generated_at: generatedAt, expires_at: expiresAt, document })
      .execute();
    // Only the newest few are kept: a configuration is history in the message logs, not here.
    await this.db
      .deleteFrom("configuration")
      .where("version", "<", version - 10)
      .execute();
  }
}

export function validateAddress(address: string): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch (cause) {
    throw new XRoadError("XROAD_ARGUMENT", `address ${JSON.stringify(address)} is not a URL`, { cause });
  }
  if (url.protocol !== "https:" || url.pathname !== "/" || url.search || url.hash)
    throw new XRoadError("XROAD_ARGUMENT", "a security server address is https://host:port of its server proxy");
}
