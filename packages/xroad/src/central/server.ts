import { createPublicKey, randomBytes, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson, constantTimeEqual, createHttpService, openStorage } from "@riik/core";
import type { FastifyRequest } from "fastify";
import { Gauge } from "prom-client";
import {
  certificateFromBase64,
  derBase64,
  generateKeyPem,
  parseCertificateText,
  readCertificatePem,
  readPrivateKey,
  selfSignedCertificate,
  verifyBytes,
  writePrivateKey,
} from "../crypto/keys.ts";
import { XROAD_ERRORS, XRoadError } from "../errors.ts";
import {
  ANCHOR_FORMAT,
  type ConfigurationAnchor,
  type GlobalConfContent,
  type GlobalConfTrust,
  signGlobalConf,
} from "../globalconf/document.ts";
import { centralMigrations } from "./migrations.ts";
import { CentralRegistry, type CentralStorage, parseServerId } from "./registry.ts";

export interface CentralConfig {
  format: "riik-central/1";
  instance: string;
  /** Base URL where `riik central serve` answers; the anchor points at ADDRESS/globalconf. */
  address: string;
  /** How long a signed configuration stays valid (X-Road: 600 s). */
  confValiditySeconds: number;
  ocspFreshnessSeconds: number;
}

const INSTANCE = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

export const centralFiles = (dir: string) => ({
  config: join(dir, "central.json"),
  key: join(dir, "conf-signing.key.pem"),
  certificate: join(dir, "conf-signing.crt"),
  token: join(dir, "admin-token"),
  anchor: join(dir, "anchor.json"),
});

/** The trust services of a `riik pki init` directory, as the configuration carries them. */
export function trustFromPkiDir(pkiDir: string): GlobalConfTrust {
  const cert = (name: string) => derBase64(readCertificatePem(join(pkiDir, "ca", `${name}.crt`)));
  const pki = JSON.parse(readFileSync(join(pkiDir, "pki.json"), "utf8")) as { baseUrl: string };
  return {
    serverCas: [cert("server")],
    roots: [cert("root")],
    tsa: [{ url: `${pki.baseUrl}/tsa`, certificate: cert("tsa") }],
    ledger: null,
  };
}

/**
 * `riik central init`: the configuration signing key and its certificate, the
 * administrator's API token, and the configuration anchor to hand to security servers.
 */
export async function initCentral(options: {
  dir: string;
  instance: string;
  address: string;
  pkiDir?: string;
  confValiditySeconds?: number;
  ocspFreshnessSeconds?: number;
}): Promise<{ config: CentralConfig; anchorPath: string; tokenPath: string }> {
  const files = centralFiles(options.dir);
  if (existsSync(files.config)) throw new XRoadError("XROAD_CONFLICT", `${options.dir} already holds a central server`);
  if (!INSTANCE.test(options.instance))
    throw new XRoadError("XROAD_ARGUMENT", "--instance may contain only letters, digits and '()+,-.=?");
  const address = options.address.replace(/\/+$/, "");
  try {
    new URL(address);
  } catch (cause) {
    throw new XRoadError("XROAD_ARGUMENT", `--url ${JSON.stringify(options.address)} is not a URL`, { cause });
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(files.key)) writePrivateKey(files.key, generateKeyPem("p384"));
  const key = readPrivateKey(files.key);
  const pem = await selfSignedCertificate(key, `${options.instance} configuration signing`);
  writeFileSync(files.certificate, pem);
  if (!existsSync(files.token))
    writeFileSync(files.token, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  const anchor: ConfigurationAnchor = {
    format: ANCHOR_FORMAT,
    instance: options.instance,
    generatedAt: new Date().toISOString(),
    sources: [{ url: `${address}/globalconf`, certificates: [pem] }],
  };
  writeFileSync(files.anchor, `${JSON.stringify(anchor, null, 2)}\n`);
  const config: CentralConfig = {
    format: "riik-central/1",
    instance: options.instance,
    address,
    confValiditySeconds: options.confValiditySeconds ?? 600,
    ocspFreshnessSeconds: options.ocspFreshnessSeconds ?? 60,
  };
  if (options.pkiDir)
    writeFileSync(join(options.dir, "trust.json"), `${JSON.stringify(trustFromPkiDir(options.pkiDir))}\n`);
  // central.json last: it marks a finished init.
  writeFileSync(`${files.config}.tmp`, `${JSON.stringify(config, null, 2)}\n`);
  renameSync(`${files.config}.tmp`, files.config);
  return { config, anchorPath: files.anchor, tokenPath: files.token };
}

export function readCentralConfig(dir: string): CentralConfig {
  const files = centralFiles(dir);
  if (!existsSync(files.config))
    throw new XRoadError("XROAD_CONFIG", `${dir} holds no central server; run: riik central init --dir ${dir}`);
  return JSON.parse(readFileSync(files.config, "utf8")) as CentralConfig;
}

export function openCentralStorage(dir: string, url?: string, schema?: string): Promise<CentralStorage> {
  return openStorage({
    component: "central",
    dataDir: dir,
    url,
    ...(schema ? { schema } : {}),
    migrations: centralMigrations,
  });
}

export interface CentralServerOptions {
  dir: string;
  port: number;
  host?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  /** Overrides central.json (tests use short validities). */
  confValiditySeconds?: number;
}

/**
 * `riik central serve`: the management API (administrator only, bearer token) over the
 * registry, the registration endpoint security servers submit their authentication
 * certificates to, and the signed global configuration at /globalconf.
 */
export async function startCentralServer(options: CentralServerOptions) {
  const config = readCentralConfig(options.dir);
  const files = centralFiles(options.dir);
  const key = readPrivateKey(files.key);
  const certificate = readCertificatePem(files.certificate);
  const token = Buffer.from(readFileSync(files.token, "utf8").trim());
  const validityMs = (options.confValiditySeconds ?? config.confValiditySeconds) * 1000;
  const storage = await openCentralStorage(options.dir, options.databaseUrl, options.databaseSchema);
  const registry = new CentralRegistry(storage, config.instance);
  const trustFile = join(options.dir, "trust.json");
  if (existsSync(trustFile) && (await registry.getTrust()).serverCas.length === 0)
    await registry.setTrust(JSON.parse(readFileSync(trustFile, "utf8")) as GlobalConfTrust);

  const { app, metrics, logger } = createHttpService({ name: "central", errors: XROAD_ERRORS, bodyLimit: 256 * 1024 });
  const versionGauge = new Gauge({
    name: "riik_globalconf_version",
    help: "Version of the global configuration being served",
    registers: [metrics],
  });

  let current: { version: number; document: string; content: GlobalConfContent } | undefined;
  let generating: Promise<void> = Promise.resolve();
  /** Signs a new configuration version from the registry; serialised so versions never collide. */
  const regenerate = () => {
    generating = generating.then(async () => {
      const latest = await registry.latestConfiguration();
      const version = (latest?.version ?? 0) + 1;
      const nowMs = Date.now();
      const content: GlobalConfContent = {
        ...(await registry.snapshot()),
        version,
        generatedAt: new Date(nowMs).toISOString(),
        expiresAt: new Date(nowMs + validityMs).toISOString(),
        centralServer: { address: config.address },
        settings: { ocspFreshnessSeconds: config.ocspFreshnessSeconds, maxClockSkewSeconds: 300 },
      };
      const document = JSON.stringify(signGlobalConf(content, key, certificate));
      await registry.saveConfiguration(version, content.generatedAt, content.expiresAt, document);
      current = { version, document, content };
      versionGauge.set(version);
    });
    return generating;
  };
  await regenerate();
  // Re-signed well before expiry, so security servers polling every few seconds never see it lapse.
  const timer = setInterval(
    () => void regenerate().catch((err) => logger.error({ err }, "regeneration failed")),
    Math.max(500, validityMs / 3),
  );
  timer.unref();

  const admin = async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (!constantTimeEqual(given, token))
      throw new XRoadError("XROAD_UNAUTHORISED", "the management API needs the administrator's bearer token");
  };
  const changed = async () => {
    await regenerate();
    return { version: current!.version };
  };
  const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, any>;
  const param = (request: FastifyRequest, name: string) =>
    decodeURIComponent((request.params as Record<string, string>)[name]!);

  app.get("/globalconf", async (_request, reply) => reply.type("application/json").send(current!.document));
  app.get("/anchor.json", async (_request, reply) => reply.type("application/json").send(readFileSync(files.anchor)));

  // Submitted by a security server (PR-MSERV authCertReg, simplified): the request proves
  // possession of the authentication key; an administrator approves it below.
  app.post("/managementservice/auth-cert-registrations", async (request, reply) => {
    const input = body(request);
    const cert = certificateFromBase64(input.authCertificate, "authCertificate");
    const trust = await registry.getTrust();
    const cas = trust.serverCas.map((ca) => new X509Certificate(Buffer.from(ca, "base64")));
    if (!cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)))
      throw new XRoadError(
        "XROAD_ARGUMENT",
        "the authentication certificate is not issued by a server CA of this instance",
      );
    const signed = canonicalJson({
      serverId: input.serverId,
      address: input.address,
      authCertificate: input.authCertificate,
      submittedAt: input.submittedAt,
    });
    if (
      typeof input.proof !== "string" ||
      !verifyBytes(
        createPublicKey(cert.publicKey.export({ type: "spki", format: "pem" })),
        signed,
        Buffer.from(input.proof, "base64"),
      )
    )
      throw new XRoadError(
        "XROAD_UNAUTHORISED",
        "the request is not signed with the authentication key (proof of possession)",
      );
    if (typeof input.submittedAt !== "string" || Math.abs(Date.parse(input.submittedAt) - Date.now()) > 10 * 60 * 1000)
      throw new XRoadError("XROAD_ARGUMENT", "submittedAt must be the current time");
    const id = await registry.submitRegistration(String(input.serverId), String(input.address), cert);
    return reply.status(202).send({ id, status: "pending" });
  });

  app.register(async (api) => {
    api.addHook("onRequest", admin);
    api.get("/api/v1/configuration", async () => ({
      version: current!.version,
      expiresAt: current!.content.expiresAt,
    }));
    api.post("/api/v1/configuration/regenerate", changed);
    api.get("/api/v1/members", async () => (await registry.snapshot()).members);
    api.post("/api/v1/members", async (request, reply) => {
      const input = body(request);
      await registry.addMember({
        memberClass: String(input.memberClass ?? ""),
        memberCode: String(input.memberCode ?? ""),
        name: input.name,
      });
      return reply.status(201).send(await changed());
    });
    api.post("/api/v1/subsystems", async (request, reply) => {
      const input = body(request);
      await registry.addSubsystem(String(input.id ?? ""), input.name);
      return reply.status(201).send(await changed());
    });
    api.post("/api/v1/clients/:id/disable", async (request) => {
      await registry.setDisabled(param(request, "id"), true);
      return changed();
    });
    api.post("/api/v1/clients/:id/enable", async (request) => {
      await registry.setDisabled(param(request, "id"), false);
      return changed();
    });
    api.delete("/api/v1/clients/:id", async (request) => {
      await registry.removeClient(param(request, "id"));
      return changed();
    });
    api.get("/api/v1/security-servers", async () => (await registry.snapshot()).securityServers);
    api.get("/api/v1/registration-requests", async () =>
      (await registry.listRegistrations()).map((r) => ({
        id: Number(r.id),
        serverId: r.server_id,
        address: r.address,
        status: r.status,
        submittedAt: r.submitted_at,
        decidedAt: r.decided_at,
        authCertificate: Buffer.from(r.der).toString("base64"),
      })),
    );
    api.post("/api/v1/registration-requests/:id/approve", async (request) => {
      const serverId = await registry.approveRegistration(Number(param(request, "id")));
      return { serverId, ...(await changed()) };
    });
    api.post("/api/v1/registration-requests/:id/reject", async (request) => {
      await registry.rejectRegistration(Number(param(request, "id")));
      return { status: "rejected" };
    });
    api.delete("/api/v1/security-servers/:id", async (request) => {
      await registry.removeServer(param(request, "id"));
      return changed();
    });
    api.post("/api/v1/security-servers/:id/auth-certificates", async (request, reply) => {
      const hash = await registry.addAuthCertificate(
        param(request, "id"),
        parseCertificateText(body(request).certificate, "certificate"),
      );
      return reply.status(201).send({ hash, ...(await changed()) });
    });
    api.delete("/api/v1/security-servers/:id/auth-certificates/:hash", async (request) => {
      await registry.removeAuthCertificate(param(request, "id"), param(request, "hash"));
      return changed();
    });
    api.post("/api/v1/security-servers/:id/clients", async (request, reply) => {
      await registry.addServerClient(param(request, "id"), String(body(request).client ?? ""));
      return reply.status(201).send(await changed());
    });
    api.delete("/api/v1/security-servers/:id/clients/:client", async (request) => {
      await registry.removeServerClient(param(request, "id"), param(request, "client"));
      return changed();
    });
    api.get("/api/v1/global-groups", async () => (await registry.snapshot()).globalGroups);
    api.post("/api/v1/global-groups", async (request, reply) => {
      const input = body(request);
      await registry.addGlobalGroup(input.groupCode, input.description);
      return reply.status(201).send(await changed());
    });
    api.delete("/api/v1/global-groups/:code", async (request) => {
      await registry.removeGlobalGroup(param(request, "code"));
      return changed();
    });
    api.post("/api/v1/global-groups/:code/members", async (request, reply) => {
      await registry.addGroupMember(param(request, "code"), String(body(request).client ?? ""));
      return reply.status(201).send(await changed());
    });
    api.delete("/api/v1/global-groups/:code/members/:client", async (request) => {
      await registry.removeGroupMember(param(request, "code"), param(request, "client"));
      return changed();
    });
    api.get("/api/v1/trust", async () => registry.getTrust());
    api.put("/api/v1/trust", async (request) => {
      const input = body(request);
      const list = (value: unknown, what: string) => {
        if (!Array.isArray(value)) throw new XRoadError("XROAD_ARGUMENT", `${what} must be an array`);
        return value.map((v, i) => derBase64(parseCertificateText(v, `${what}[${i}]`)));
      };
      const tsa = Array.isArray(input.tsa) ? input.tsa : [];
      const trust: GlobalConfTrust = {
        serverCas: list(input.serverCas, "serverCas"),
        roots: list(input.roots ?? [], "roots"),
        tsa: tsa.map((t: any, i: number) => ({
          url: String(t?.url),
          certificate: derBase64(parseCertificateText(t?.certificate, `tsa[${i}].certificate`)),
        })),
        ledger:
          input.ledger && typeof input.ledger.url === "string"
            ? {
                url: input.ledger.url,
                keys: (input.ledger.keys ?? []).map(String),
                witnesses: (input.ledger.witnesses ?? []).map(String),
              }
            : null,
      };
      await registry.setTrust(trust);
      return changed();
    });
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  const url = address.replace("[::1]", "127.0.0.1");
  logger.info({ url, instance: config.instance, storage: storage.location }, "central server listening");
  return {
    url,
    app,
    registry,
    version: () => current!.version,
    close: async () => {
      clearInterval(timer);
      await app.close();
      await generating.catch(() => undefined);
      await storage.close();
    },
  };
}

export { parseServerId };
