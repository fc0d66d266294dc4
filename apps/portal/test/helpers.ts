import { createPrivateKey, webcrypto } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import {
  type AuthService,
  type AuthStore,
  createAppLoginService,
  createAuthService,
  openAuthStore,
  type PopulationRegisterAccess,
} from "@riik/auth";
import { generatePersonalCode } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import {
  cosign,
  generateSigner,
  type NoteSigner,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  signNote,
} from "@riik/ledger";
import {
  type CardFile,
  caCertificatePath,
  initTrustServices,
  issueAppCertificate,
  issueCard,
  readCertificate,
  startTrustServicesServer,
  type TrustServices,
} from "@riik/pki";
import Fastify, { type FastifyInstance } from "fastify";
import {
  createPortal,
  type Portal,
  type PortalOptions,
  type PrepareResponse,
  parsePortalConfig,
} from "../src/index.ts";

/** Debian's Chromium, driven by playwright-core; `.ci/run` installs it where missing. */
export const CHROMIUM = process.env.RIIK_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

export const PIN1 = "1234";
export const PIN2 = "12345";
export const PROVIDER = "EE/GOV/70000562/rr";
export const PORTAL_CLIENT = "EE/GOV/70006317/portal";
export const TRACKER_CLIENT = "EE/GOV/70006317/datatracker";

export interface Use {
  logtime: string;
  action: string;
  client: string;
  userId: string;
  queryId: string;
  anchored: boolean;
}

/**
 * Not the product's evidence: the anchored badge, proofs, replication and register data are
 * asserted on real components (anchoring.test.ts: the xroad sandbox; up.e2e.test.ts: riik up).
 * A stand-in for the portal's security server and the population register behind it:
 * answers the r1 paths the portal calls with fixed JSON, checks the X-Road headers, and
 * records each register read as a data use that its Data Tracker (v2) then reports.
 */
export class FakeSecurityServer {
  readonly app: FastifyInstance;
  readonly uses: Use[] = [];
  readonly requests: Array<{ url: string; headers: Record<string, unknown> }> = [];
  url = "";
  /** X-Road error to answer with for the Data Tracker, when set. */
  trackerFault: string | undefined;

  constructor(readonly people: Map<string, { givenName: string; surname: string }>) {
    this.app = Fastify();
    const base = `/r1/${PROVIDER}`;
    const xroadError = (reply: import("fastify").FastifyReply, type: string, message: string) =>
      reply
        .status(type.startsWith("Client") ? 400 : 500)
        .header("x-road-error", type)
        .send({ type, message, detail: "x" });
    this.app.addHook("onRequest", async (request) => {
      this.requests.push({ url: request.url, headers: { ...request.headers } });
    });
    const person = (code: string) => {
      const p = this.people.get(code);
      return p
        ? {
            personalCode: code,
            ...p,
            sex: Number(code[0]) % 2 ? "male" : "female",
            birthDate: birthDate(code),
            status: "alive",
          }
        : undefined;
    };
    const register = (suffix: string, answer: (code: string) => unknown) =>
      this.app.get(`${base}/persons/persons/:code${suffix}`, async (request, reply) => {
        const { code } = request.params as { code: string };
        const h = request.headers;
        if (h["x-road-client"] !== PORTAL_CLIENT)
          return xroadError(reply, "Server.ServerProxy.AccessDenied", "wrong client");
        // The person themself, or someone acting for them (X-Road-Represented-Party, PR-THIRDPARTY 2.2).
        const represented = h["x-road-represented-party"];
        const asThemself = h["x-road-userid"] === `EE${code}` && represented === undefined;
        const forThem = represented === `EE${code}` && /^EE\d{11}$/.test(String(h["x-road-userid"]));
        if (!(asThemself || forThem) || h["x-road-issue"] !== "citizen self-service")
          return reply.status(400).send({ error: "user id and purpose required" });
        // The population register's own refusal (RiikError JSON), passed through by the security server.
        if (!this.people.has(code))
          return reply
            .status(404)
            .send({ code: "PERSON_NOT_FOUND", message: `no person with code ${code} in the register` });
        this.uses.push({
          logtime: new Date().toISOString(),
          action: String(h["x-road-issue"]),
          client: PORTAL_CLIENT,
          // Recorded for the person the data is about (the represented one), as riik's servers do.
          userId: `EE${code}`,
          queryId: String(h["x-road-id"]),
          anchored: true,
        });
        reply.header("x-road-id", String(h["x-road-id"]));
        return answer(code);
      });
    register("", (code) => person(code));
    register("/family", () => ({
      parents: [{ personalCode: "46001010006", givenName: "Malle", surname: "Männik" }],
      children: [],
      spouse: null,
    }));
    register("/address", () => ({
      address: {
        county: "Harju maakond",
        municipality: "Tallinn",
        settlement: "Kesklinna linnaosa",
        street: "Lossi plats",
        house: "1a",
        apartment: "",
        postalCode: "15165",
        since: "2015-06-01",
      },
    }));
    this.app.get(`${base}/datatracker/v2/findUsage`, async (request, reply) => {
      if (this.trackerFault) return xroadError(reply, this.trackerFault, "tracker refused");
      const h = request.headers;
      const q = request.query as Record<string, string>;
      if (h["x-road-client"] !== TRACKER_CLIENT)
        return xroadError(reply, "Server.ServerProxy.AccessDenied", "not a reader");
      if (!q.userCode || h["x-road-userid"] !== q.userCode || !q.periodStart || !q.periodEnd)
        return reply.status(400).send({ code: "INVALID_PARAMETER", message: "bad query" });
      const mine = this.uses.filter((u) => u.userId === q.userCode);
      return {
        totalUsages: mine.length,
        usages: mine.map((u, i) => ({
          logtime: `${u.logtime.slice(0, 19)}Z`,
          action: u.action,
          receiverCode: u.client.split("/")[2],
          receiverName: u.client.includes("70006317") ? "Riigi Infosüsteemi Amet" : "Politsei- ja Piirivalveamet",
          receiverSystem: u.client.split("/")[3],
          riik: {
            id: i + 1,
            client: u.client,
            service: `${PROVIDER}/persons`,
            userId: u.userId,
            queryId: u.queryId,
            recordHash: "ab".repeat(32),
            anchor: u.anchored
              ? {
                  batch: 7,
                  root: "cd".repeat(32),
                  anchoredAt: new Date().toISOString(),
                  timestamped: true,
                  ledger: true,
                }
              : null,
            proof: `/riik/proof?userCode=${u.userId}&id=${i + 1}`,
          },
        })),
      };
    });
    // The same app plays the central server, the ledger and an admin port for the operator view.
    this.app.get("/healthz", async () => ({ status: "ok" }));
    this.app.get("/metrics", async (_request, reply) =>
      reply
        .type("text/plain")
        .send(
          [
            "# HELP riik_xroad_messages_total X-Road messages",
            "# TYPE riik_xroad_messages_total counter",
            `riik_xroad_messages_total{side="client",service="${PROVIDER}/persons",outcome="ok"} ${this.uses.length}`,
            `riik_xroad_messages_total{side="server",service="${PROVIDER}/persons",outcome="ok"} 2`,
          ].join("\n"),
        ),
    );
    this.app.get("/globalconf", async () => GLOBALCONF);
    // The data embassy: the shipper's status (home side) and the node's holdings (admin port).
    this.app.get("/v1/status", async () => ({ deliveries: DELIVERIES }));
    this.app.get("/v1/registries", async () => ({ registries: HOLDINGS }));
    this.app.get("/checkpoint", async (_request, reply) => reply.type("text/plain; charset=utf-8").send(CHECKPOINT));
    this.app.get(`${base}/datatracker/riik/proof`, async (request) => ({
      format: "riik-datatracker-proof/1",
      query: request.query,
    }));
  }

  async start(): Promise<string> {
    this.url = await this.app.listen({ port: 0, host: "127.0.0.1" });
    after(() => this.app.close());
    return this.url;
  }
}

const DELIVERIES = [
  {
    embassy: "lux",
    registry: "population-register",
    journalSeq: 1240,
    chainIndex: 17,
    ackedIndex: 15,
    ackedSeq: 1200,
    ackedAt: "2026-03-01T10:00:00.000Z",
    lagChanges: 40,
    lagSegments: 2,
    lagSeconds: 3.25,
    lastError: null,
    keyId: "dk-20260301-0123456789ab",
  },
  {
    embassy: "lux",
    registry: "land-register",
    journalSeq: 12,
    chainIndex: 3,
    ackedIndex: 3,
    ackedSeq: 12,
    ackedAt: "2026-03-01T10:00:00.000Z",
    lagChanges: 0,
    lagSegments: 0,
    lagSeconds: 0,
    lastError: "EMBASSY_UNREACHABLE: connect ECONNREFUSED",
  },
];

const HOLDINGS = [
  {
    registry: "population-register",
    segments: 16,
    bytes: 123456,
    head: { index: 15, digest: "ab".repeat(32), lastSeq: 1200, lastAt: "2026-03-01T09:59:59.000Z" },
    snapshots: [
      { id: 0, seq: 0, at: "2026-03-01T08:00:00.000Z", parts: 2, complete: true },
      { id: 9, seq: 900, at: "2026-03-01T09:00:00.000Z", parts: 1, complete: true },
    ],
  },
];

// Real keys and real C2SP signatures (the ledger service itself is stood in for): witness-1
// cosigns, witness-2 does not, witness-3's cosignature is broken, so the operator view must
// verify each against the configured keys rather than read names off the lines (#22).
const ledgerSigner = generateSigner("riik.localhost/ledger", SIGNATURE_TYPE_ED25519);
const witnessSigners = [1, 2, 3].map((n) =>
  generateSigner(`riik.localhost/witness-${n}`, SIGNATURE_TYPE_COSIGNATURE_V1),
);
const checkpointBody = "riik.localhost/ledger\n42\n7kVf8u0oQ2+6X0o7wN2x0c4r1QJzYw3w9v2J9lC1Zx8=\n";
const signedCheckpoint = signNote(checkpointBody, ledgerSigner);
const brokenCosignature = cosign(checkpointBody, witnessSigners[2] as NoteSigner).replace(/\S+(?=\n$)/, (b64) => {
  const bytes = Buffer.from(b64, "base64");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1; // the Ed25519 signature's last byte
  return bytes.toString("base64");
});
const CHECKPOINT = `${signedCheckpoint}${cosign(checkpointBody, witnessSigners[0] as NoteSigner)}${brokenCosignature}`;

const GLOBALCONF = {
  format: "riik-globalconf/1",
  content: {
    instance: "EE",
    version: 17,
    generatedAt: "2026-01-01T00:00:00.000Z",
    expiresAt: "2099-01-01T00:00:00.000Z",
    members: [
      {
        memberClass: "GOV",
        memberCode: "70000562",
        name: "Siseministeeriumi infotehnoloogia- ja arenduskeskus",
        subsystems: [{ subsystemCode: "rr" }],
      },
      {
        memberClass: "GOV",
        memberCode: "70006317",
        name: "Riigi Infosüsteemi Amet",
        subsystems: [{ subsystemCode: "portal" }, { subsystemCode: "datatracker" }],
      },
    ],
    securityServers: [
      {
        owner: { memberClass: "GOV", memberCode: "70000562" },
        serverCode: "ss-rr",
        address: "https://127.0.0.1:1",
        clients: [PROVIDER],
      },
    ],
    trust: {
      ledger: {
        url: "http://127.0.0.1:1",
        keys: [],
        witnesses: witnessSigners.map((w) => w.verifierKey.text),
      },
    },
  },
  signature: { algorithm: "ecdsa-with-SHA384", certificateHash: "00", value: "" },
};

function birthDate(code: string): string {
  const century = { "1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000 }[code[0] as "1"] ?? 1900;
  return `${century + Number(code.slice(1, 3))}-${code.slice(3, 5)}-${code.slice(5, 7)}`;
}

export interface TestWorld {
  dir: string;
  services: TrustServices;
  pkiUrl: string;
  /** The state's authentication service (ID card and app login), every portal's OpenID Connect provider. */
  auth: AuthService;
  authUrl: string;
  /** The auth service's storage (enrolment codes for the app login). */
  authDb: AuthStore["storage"]["db"];
  ss: FakeSecurityServer;
  /** A card with PIN1 1234, its file written to `path`. */
  card: CardFile & { path: string };
  newCard(given?: string, surname?: string): Promise<CardFile & { path: string }>;
  startPortal(overrides?: Record<string, unknown>, options?: PortalOptions): Promise<{ portal: Portal; url: string }>;
}

let serial = 0;

/** What the page does with PIN2: the card's signing key signs the prepared octets (ECDSA, raw r‖s). */
export async function signAsPage(card: CardFile, prepared: PrepareResponse): Promise<string> {
  const pkcs8 = createPrivateKey({ key: card.signing.privateKey, passphrase: PIN2 }).export({
    format: "der",
    type: "pkcs8",
  });
  const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-384" }, false, ["sign"]);
  const data = new Uint8Array(Buffer.from(prepared.dataToSign, "base64"));
  const value = await webcrypto.subtle.sign({ name: "ECDSA", hash: prepared.digestAlgorithm }, key, data);
  return Buffer.from(value).toString("base64");
}

export interface WorldOptions {
  /** The auth service's mandates over X-Road (family relations, board members' rights). */
  mandates?: PopulationRegisterAccess;
}

/** Trust services, a fake security server and a card; portals started from it close after the file. */
export async function startWorld(options: WorldOptions = {}): Promise<TestWorld> {
  const dir = temporaryDirectory("riik-portal-");
  const pkiPort = await freePort();
  const services = await initTrustServices({ dir: join(dir, "pki"), baseUrl: `http://127.0.0.1:${pkiPort}` });
  const server = await startTrustServicesServer({ services, port: pkiPort });
  const pkiUrls = server.urls;
  after(async () => {
    await server.close();
    await services.close();
  });
  const auth = await startAuthService(dir, services, pkiUrls.ocsp, options.mandates);
  const people = new Map<string, { givenName: string; surname: string }>();
  const ss = new FakeSecurityServer(people);
  await ss.start();
  const newCard = async (givenName = "Mari-Liis", surname = "Männik") => {
    serial += 1;
    const personalCode = generatePersonalCode("1980-01-08", serial % 2 ? "female" : "male", 100 + serial);
    const card = await issueCard(services, { personalCode, givenName, surname, pin1: PIN1, pin2: PIN2 });
    const path = join(dir, `${personalCode}.card.json`);
    writeFileSync(path, JSON.stringify(card, null, 2));
    people.set(personalCode, { givenName, surname });
    return { ...card, path };
  };
  const card = await newCard();
  const stateFile = join(dir, "state.json");
  writeFileSync(
    stateFile,
    JSON.stringify({
      services: {
        pki: { url: server.url },
        central: { url: ss.url },
        ledger: { url: ss.url },
        "ss-rr": { url: ss.url },
        embassy: { url: "https://127.0.0.1:1", admin: ss.url, status: ss.url },
      },
    }),
  );
  return {
    dir,
    services,
    pkiUrl: server.url,
    auth: auth.service,
    authUrl: auth.url,
    authDb: auth.db,
    ss,
    card,
    newCard,
    async startPortal(overrides = {}, options = {}) {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      // Registered as riik up registers the portal: code flow back to the callback, back-channel logout.
      const { clientId, clientSecret } = await auth.service.clients.add({
        clientId: `portal-${port}`,
        redirectUris: [`${origin}/api/auth/callback`],
        postLogoutRedirectUris: [`${origin}/?logout=done`],
        backchannelLogoutUri: `${origin}/api/auth/backchannel-logout`,
        scopes: ["openid", "idcard", "app", "representee_list"],
        minimumAcr: "substantial",
        authentication: { method: "client_secret_basic" },
      });
      const config = parsePortalConfig({
        port,
        host: "127.0.0.1",
        publicOrigin: origin,
        // The portal's own store (the bounds on anonymous forms): one per portal unless a test shares one.
        dataDir: join(dir, `portal-${port}`),
        auth: { issuer: auth.url, clientId, clientSecret },
        securityServer: { url: ss.url },
        portalClient: PORTAL_CLIENT,
        dataTrackerClient: TRACKER_CLIENT,
        populationService: `${PROVIDER}/persons`,
        dataTrackerProviders: [PROVIDER],
        trustedCaFiles: [caCertificatePath(join(dir, "pki"), "esteid")],
        ocspUrl: pkiUrls.ocsp,
        signing: { tsaUrl: pkiUrls.tsa, trustAnchorFiles: [caCertificatePath(join(dir, "pki"), "root")] },
        stateFile,
        ...overrides,
      });
      const portal = await createPortal(config, options);
      const url = await portal.listen();
      after(() => portal.close());
      return { portal, url };
    },
  };
}

/** The auth service on loopback over SQLite in DIR/auth, with the app login; closed after the file. */
async function startAuthService(
  dir: string,
  services: TrustServices,
  ocspUrl: string,
  mandates?: PopulationRegisterAccess,
): Promise<{ service: AuthService; url: string; db: AuthStore["storage"]["db"] }> {
  const store = await openAuthStore(join(dir, "auth"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const trustedCas = [readCertificate(caCertificatePath(join(dir, "pki"), "esteid"))];
  const service = await createAuthService({
    issuer: url,
    db: store.storage.db,
    keyStore: store.keyStore,
    trustedCas,
    ocsp: "required",
    ocspUrl,
    appLogin: createAppLoginService({
      db: store.storage.db,
      anchors: trustedCas,
      issueCertificate: (request) => issueAppCertificate(services, request),
    }),
    // The portals under test are on loopback and get back-channel logout there.
    privateNetworkFetch: true,
    ...(mandates ? { populationRegister: mandates } : {}),
  });
  await service.app.listen({ port, host: "127.0.0.1" });
  after(async () => {
    await service.app.close();
    await store.close();
  });
  return { service, url, db: store.storage.db };
}

export { freePort };
