import { createPublicKey, randomBytes, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  canonicalJson,
  constantTimeEqual,
  createHttpService,
  openStorage,
  privateDirectory,
  type RiikFastify,
  writeFileAtomic,
} from "@riik/core";
import type { Pkcs11Config } from "@riik/pki";
import type { FastifyRequest } from "fastify";
import { Gauge } from "prom-client";
import {
  certificateFromBase64,
  derBase64,
  fileSigner,
  generateKeyPem,
  type KeySigner,
  openTokenSigner,
  parseCertificateText,
  readCertificatePem,
  readPrivateKey,
  selfSignedCertificate,
  type TokenKey,
  tokenKey,
  verifyBytes,
  writePrivateKey,
} from "../crypto/keys.ts";
import { trustedPath } from "../crypto/trust-path.ts";
import { XROAD_ERRORS, XRoadError } from "../errors.ts";
import {
  ANCHOR_FORMAT,
  type ConfigurationAnchor,
  type GlobalConfContent,
  type GlobalConfTrust,
  signGlobalConfWith,
} from "../globalconf/document.ts";
import { centralMigrations } from "./migrations.ts";
import { CentralRegistry, type CentralStorage, parseServerId } from "./registry.ts";
import {
  AUTH_CERT_BODY,
  CLIENT_BODY,
  CLIENT_PARAMS,
  GROUP_BODY,
  GROUP_MEMBER_PARAMS,
  GROUP_PARAMS,
  MEMBER_BODY,
  NO_QUERY,
  REGISTRATION_BODY,
  REQUEST_PARAMS,
  SERVER_CERT_PARAMS,
  SERVER_CLIENT_PARAMS,
  SERVER_PARAMS,
  SUBSYSTEM_BODY,
  TRUST_BODY,
} from "./schemas.ts";

export interface CentralConfig {
  format: "riik-central/1";
  instance: string;
  /** Base URL where `riik central serve` answers; the anchor points at ADDRESS/globalconf. */
  address: string;
  /** How long a signed configuration stays valid (X-Road: 600 s). */
  confValiditySeconds: number;
  ocspFreshnessSeconds: number;
  /** The configuration signing key in a PKCS#11 token; absent: conf-signing.key.pem beside this file. */
  pkcs11?: TokenKey;
}

/** The label the configuration signing key pair has in a token. */
export const CENTRAL_KEY_LABEL = "central-conf-signing";

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
  /** Generate the configuration signing key inside this PKCS#11 token instead of a file. */
  pkcs11?: Pkcs11Config;
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
  privateDirectory(options.dir);
  const inToken = options.pkcs11 && tokenKey(options.pkcs11, CENTRAL_KEY_LABEL);
  const pem = await selfSignedConfCertificate(files.key, inToken, `${options.instance} configuration signing`);
  writeFileSync(files.certificate, pem);
  if (!existsSync(files.token)) writeFileAtomic(files.token, `${randomBytes(32).toString("base64url")}\n`);
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
    ...(inToken ? { pkcs11: inToken } : {}),
  };
  if (options.pkiDir)
    writeFileSync(join(options.dir, "trust.json"), `${JSON.stringify(trustFromPkiDir(options.pkiDir))}\n`);
  // central.json last: it marks a finished init.
  writeFileAtomic(files.config, `${JSON.stringify(config, null, 2)}\n`);
  return { config, anchorPath: files.anchor, tokenPath: files.token };
}

/** The configuration signing key, made in the token (never leaving it) or in a 0600 file, and its certificate. */
async function selfSignedConfCertificate(keyFile: string, inToken: TokenKey | undefined, name: string) {
  if (!inToken) {
    if (!existsSync(keyFile)) writePrivateKey(keyFile, generateKeyPem("p384"));
    return selfSignedCertificate(readPrivateKey(keyFile), name);
  }
  const signer = await openTokenSigner(inToken, { create: true });
  try {
    return await selfSignedCertificate(signer.signingKey, name);
  } finally {
    signer.close();
  }
}

/** The configuration signing key central.json names: in its token or in conf-signing.key.pem. */
export function openCentralSigner(dir: string, config: CentralConfig): Promise<KeySigner> {
  if (config.pkcs11) return openTokenSigner(config.pkcs11);
  return Promise.resolve(fileSigner(readPrivateKey(centralFiles(dir).key)));
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
  const certificate = readCertificatePem(files.certificate);
  const token = Buffer.from(readFileSync(files.token, "utf8").trim());
  const key = await openCentralSigner(options.dir, config);
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
      const document = JSON.stringify(await signGlobalConfWith(content, key, certificate));
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
  app.get("/globalconf", { schema: { querystring: NO_QUERY } }, async (_request, reply) =>
    reply.type("application/json").send(current!.document),
  );
  app.get("/anchor.json", { schema: { querystring: NO_QUERY } }, async (_request, reply) =>
    reply.type("application/json").send(readFileSync(files.anchor)),
  );

  // Submitted by a security server (PR-MSERV authCertReg, simplified): the request proves
  // possession of the authentication key; an administrator approves it below.
  app.post(
    "/managementservice/auth-cert-registrations",
    { schema: { querystring: NO_QUERY, body: REGISTRATION_BODY } },
    async (request, reply) => {
      const input = request.body;
      const cert = certificateFromBase64(input.authCertificate, "authCertificate");
      const trust = await registry.getTrust();
      const cas = trust.serverCas.map((ca) => new X509Certificate(Buffer.from(ca, "base64")));
      if (!(await trustedPath(cert, cas, new Date())).ok)
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
      const publicKey = createPublicKey(cert.publicKey.export({ type: "spki", format: "pem" }));
      if (!verifyBytes(publicKey, signed, Buffer.from(input.proof, "base64")))
        throw new XRoadError(
          "XROAD_UNAUTHORISED",
          "the request is not signed with the authentication key (proof of possession)",
        );
      if (!(Math.abs(Date.parse(input.submittedAt) - Date.now()) <= 10 * 60 * 1000))
        throw new XRoadError("XROAD_ARGUMENT", "submittedAt must be the current time");
      const id = await registry.submitRegistration(input.serverId, input.address, cert);
      return reply.status(202).send({ id, status: "pending" });
    },
  );

  // Path parameters arrive decoded once (a client id's own %2F stays); never decode again.
  app.register(async (api: RiikFastify) => {
    api.addHook("onRequest", admin);
    const none = { schema: { querystring: NO_QUERY } };
    api.get("/api/v1/configuration", none, async () => ({
      version: current!.version,
      expiresAt: current!.content.expiresAt,
    }));
    api.post("/api/v1/configuration/regenerate", none, changed);
    api.get("/api/v1/members", none, async () => (await registry.snapshot()).members);
    api.post("/api/v1/members", { schema: { querystring: NO_QUERY, body: MEMBER_BODY } }, async (request, reply) => {
      await registry.addMember(request.body);
      return reply.status(201).send(await changed());
    });
    api.post(
      "/api/v1/subsystems",
      { schema: { querystring: NO_QUERY, body: SUBSYSTEM_BODY } },
      async (request, reply) => {
        await registry.addSubsystem(request.body.id, request.body.name);
        return reply.status(201).send(await changed());
      },
    );
    const clientRoute = { schema: { querystring: NO_QUERY, params: CLIENT_PARAMS } };
    api.post("/api/v1/clients/:id/disable", clientRoute, async (request) => {
      await registry.setDisabled(request.params.id, true);
      return changed();
    });
    api.post("/api/v1/clients/:id/enable", clientRoute, async (request) => {
      await registry.setDisabled(request.params.id, false);
      return changed();
    });
    api.delete("/api/v1/clients/:id", clientRoute, async (request) => {
      await registry.removeClient(request.params.id);
      return changed();
    });
    api.get("/api/v1/security-servers", none, async () => (await registry.snapshot()).securityServers);
    api.get("/api/v1/registration-requests", none, async () =>
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
    const requestRoute = { schema: { querystring: NO_QUERY, params: REQUEST_PARAMS } };
    api.post("/api/v1/registration-requests/:id/approve", requestRoute, async (request) => {
      const serverId = await registry.approveRegistration(request.params.id);
      return { serverId, ...(await changed()) };
    });
    api.post("/api/v1/registration-requests/:id/reject", requestRoute, async (request) => {
      await registry.rejectRegistration(request.params.id);
      return { status: "rejected" };
    });
    api.delete(
      "/api/v1/security-servers/:id",
      { schema: { querystring: NO_QUERY, params: SERVER_PARAMS } },
      async (request) => {
        await registry.removeServer(request.params.id);
        return changed();
      },
    );
    api.post(
      "/api/v1/security-servers/:id/auth-certificates",
      { schema: { querystring: NO_QUERY, params: SERVER_PARAMS, body: AUTH_CERT_BODY } },
      async (request, reply) => {
        const hash = await registry.addAuthCertificate(
          request.params.id,
          parseCertificateText(request.body.certificate, "certificate"),
        );
        return reply.status(201).send({ hash, ...(await changed()) });
      },
    );
    api.delete(
      "/api/v1/security-servers/:id/auth-certificates/:hash",
      { schema: { querystring: NO_QUERY, params: SERVER_CERT_PARAMS } },
      async (request) => {
        await registry.removeAuthCertificate(request.params.id, request.params.hash);
        return changed();
      },
    );
    api.post(
      "/api/v1/security-servers/:id/clients",
      { schema: { querystring: NO_QUERY, params: SERVER_PARAMS, body: CLIENT_BODY } },
      async (request, reply) => {
        await registry.addServerClient(request.params.id, request.body.client);
        return reply.status(201).send(await changed());
      },
    );
    api.delete(
      "/api/v1/security-servers/:id/clients/:client",
      { schema: { querystring: NO_QUERY, params: SERVER_CLIENT_PARAMS } },
      async (request) => {
        await registry.removeServerClient(request.params.id, request.params.client);
        return changed();
      },
    );
    api.get("/api/v1/global-groups", none, async () => (await registry.snapshot()).globalGroups);
    api.post(
      "/api/v1/global-groups",
      { schema: { querystring: NO_QUERY, body: GROUP_BODY } },
      async (request, reply) => {
        await registry.addGlobalGroup(request.body.groupCode, request.body.description ?? "");
        return reply.status(201).send(await changed());
      },
    );
    api.delete(
      "/api/v1/global-groups/:code",
      { schema: { querystring: NO_QUERY, params: GROUP_PARAMS } },
      async (request) => {
        await registry.removeGlobalGroup(request.params.code);
        return changed();
      },
    );
    api.post(
      "/api/v1/global-groups/:code/members",
      { schema: { querystring: NO_QUERY, params: GROUP_PARAMS, body: CLIENT_BODY } },
      async (request, reply) => {
        await registry.addGroupMember(request.params.code, request.body.client);
        return reply.status(201).send(await changed());
      },
    );
    api.delete(
      "/api/v1/global-groups/:code/members/:client",
      { schema: { querystring: NO_QUERY, params: GROUP_MEMBER_PARAMS } },
      async (request) => {
        await registry.removeGroupMember(request.params.code, request.params.client);
        return changed();
      },
    );
    api.get("/api/v1/trust", none, async () => registry.getTrust());
    api.put("/api/v1/trust", { schema: { querystring: NO_QUERY, body: TRUST_BODY } }, async (request) => {
      const input = request.body;
      const list = (values: readonly string[], what: string) =>
        values.map((v, i) => derBase64(parseCertificateText(v, `${what}[${i}]`)));
      const trust: GlobalConfTrust = {
        serverCas: list(input.serverCas, "serverCas"),
        roots: list(input.roots ?? [], "roots"),
        tsa: (input.tsa ?? []).map((t, i) => ({
          url: t.url,
          certificate: derBase64(parseCertificateText(t.certificate, `tsa[${i}].certificate`)),
        })),
        ledger: input.ledger
          ? { url: input.ledger.url, keys: input.ledger.keys, witnesses: input.ledger.witnesses ?? [] }
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
      key.close();
    },
  };
}

export { parseServerId };
