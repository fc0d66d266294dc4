// TLS between the provider's security server and the provider's information systems
// (PR-REST 4.7: mutual TLS MUST be supported on the provider side; UG-SS 9.2, 9.3, 10.4),
// against real processes: the sandbox's servers, HTTPS information systems that require a
// client certificate, and OpenSSL's s_server as an independent TLS 1.3 peer.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { request } from "undici";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { OTHER, PROVIDER_SUBSYSTEM, readReply, type Sandbox, startSandbox } from "./fixtures/sandbox.ts";

const run = promisify(execFile);
const RIIK = join(import.meta.dirname, "../../../apps/cli/bin/riik.js");
const dir = temporaryDirectory("riik-is-tls-");
let sb: Sandbox;
let internalPem: string;
const servers: Server[] = [];
let sServer: ChildProcess | undefined;

/** An information system's TLS identity: a self-signed certificate, as X-Road's IS certificates usually are. */
async function identity(name: string) {
  const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  const cert = await selfSignedCertificate(key, name, { altNames: [{ type: "ip", value: "127.0.0.1" }] });
  const keyPem = key.export({ type: "pkcs8", format: "pem" }) as string;
  writeFileSync(join(dir, `${name}.crt`), cert);
  writeFileSync(join(dir, `${name}.key`), keyPem);
  return { cert, key: keyPem, file: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** What an HTTPS information system saw of its TLS clients. */
interface Seen {
  peers: string[];
  protocols: string[];
  refusals: string[];
}

/** An HTTPS information system requiring a client certificate issued by (or equal to) `trusted`. */
async function informationSystem(
  tls: { cert: string; key: string },
  trusted: string,
): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { peers: [], protocols: [], refusals: [] };
  const server = createServer(
    { ...tls, ca: [trusted], requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      seen.peers.push(socket.getPeerX509Certificate()!.fingerprint256);
      seen.protocols.push(socket.getProtocol()!);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: req.url }));
    },
  );
  server.on("tlsClientError", (error) => seen.refusals.push(error.message));
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  servers.push(server);
  return { url: `https://127.0.0.1:${port}`, seen };
}

const services = () => `${sb.ss2.admin}/api/v1/clients/${encodeURIComponent(PROVIDER_SUBSYSTEM)}/services`;
const admin = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${sb.ss2.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function addService(serviceCode: string, url: string, connection: string): Promise<void> {
  const added = await admin(services(), { serviceCode, url, connection });
  assert.equal(added.status, 201, await added.text());
  const granted = await admin(`${services()}/${serviceCode}/access`, { subject: OTHER });
  assert.equal(granted.status, 201, await granted.text());
}

/** OTHER calls a service of the provider through both security servers. */
async function call(serviceCode: string, path = "/things") {
  return readReply(
    await request(`${sb.ss1.client}/r1/${PROVIDER_SUBSYSTEM}/${serviceCode}${path}`, {
      headers: { "x-road-client": OTHER },
    }),
  );
}

let trusting: { url: string; seen: Seen };
let untrusting: { url: string; seen: Seen };
let unpinned: { url: string; seen: Seen };
let sServerUrl: string;

before(async () => {
  sb = await startSandbox({ dir });
  // UG-SS 10.4: the operator exports the internal TLS certificate for the information systems.
  const out = join(dir, "ss2-internal.crt");
  await run(process.execPath, [RIIK, "ss", "internal-tls-cert", "--config", sb.ss2.config, "--out", out], {
    env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
  });
  internalPem = readFileSync(out, "utf8");
  const pinned = await identity("is-pinned");
  const stranger = await identity("is-stranger");
  const otherCa = await identity("some-other-ca");
  trusting = await informationSystem(pinned, internalPem);
  untrusting = await informationSystem(pinned, otherCa.cert);
  unpinned = await informationSystem(stranger, internalPem);
  // UG-SS 9.3: the provider IS certificate goes into the client's IS certificate list.
  await run(
    process.execPath,
    [RIIK, "ss", "client-cert-add", "--config", sb.ss2.config, "--client", PROVIDER_SUBSYSTEM, "--cert", pinned.file],
    { env: { ...process.env, RIIK_LOG_LEVEL: "warn" } },
  );
  // OpenSSL as the information system: TLS 1.3 only, a client certificate required and
  // verified against the exported internal certificate; -www answers with the session.
  const port = await freePort();
  sServer = spawn(
    "openssl",
    [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      pinned.file,
      "-key",
      pinned.keyFile,
      "-CAfile",
      out,
      "-Verify",
      "1",
      "-verify_return_error",
      "-tls1_3",
      "-www",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise<void>((done, fail) => {
    let output = "";
    sServer!.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("ACCEPT")) done();
    });
    sServer!.once("exit", (code) => fail(new Error(`openssl s_server exited ${code}: ${output}`)));
  });
  sServerUrl = `https://127.0.0.1:${port}`;
  await addService("secure", trusting.url, "https");
  await addService("refusing", untrusting.url, "https");
  await addService("stranger", unpinned.url, "https");
  // The same setting through the CLI (riik ss service-add --connection).
  await run(
    process.execPath,
    [
      RIIK,
      "ss",
      "service-add",
      "--config",
      sb.ss2.config,
      "--client",
      PROVIDER_SUBSYSTEM,
      "--code",
      "noauth",
      "--url",
      unpinned.url,
      "--connection",
      "https-no-auth",
    ],
    { env: { ...process.env, RIIK_LOG_LEVEL: "warn" } },
  );
  const granted = await admin(`${services()}/noauth/access`, { subject: OTHER });
  assert.equal(granted.status, 201, await granted.text());
  await addService("openssl", sServerUrl, "https");
});
after(async () => {
  sServer?.kill();
  for (const server of servers) server.close();
  await sb?.stop();
});

describe("TLS to the provider's information system", () => {
  it("UG-SS 10.4: the internal TLS certificate is exported as made at init; its key file is the owner's alone", () => {
    assert.equal(internalPem, readFileSync(join(sb.ss2.dir, "internal.crt"), "utf8"));
    assert.ok(new X509Certificate(internalPem));
    assert.equal(statSync(join(sb.ss2.dir, "keys/internal.key.pem")).mode & 0o777, 0o600);
    assert.equal(statSync(join(sb.ss2.dir, "keys")).mode & 0o777, 0o700);
  });

  it("PR-REST 4.7, UG-SS 9.2 https: mutual TLS 1.3 with the internal certificate to a pinned information system", async () => {
    const reply = await call("secure");
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json(), { path: "/things" });
    assert.deepEqual(trusting.seen.peers, [new X509Certificate(internalPem).fingerprint256]);
    assert.deepEqual(trusting.seen.protocols, ["TLSv1.3"]);
  });

  it("UG-SS 9.2 https: an information system whose certificate is not pinned is refused (SslAuthenticationFailed)", async () => {
    const reply = await call("stranger");
    assert.equal(reply.status, 500);
    assert.equal(reply.headers["x-road-error"], "Server.ServerProxy.SslAuthenticationFailed", reply.text);
    assert.equal(unpinned.seen.peers.length, 0, "no request reached the unpinned information system");
  });

  it("UG-SS 9.2 https-no-auth: the same information system is reached when its certificate is not checked", async () => {
    const reply = await call("noauth");
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(unpinned.seen.peers, [new X509Certificate(internalPem).fingerprint256]);
  });

  it("an information system not set up to trust the security server refuses it; the client gets an X-Road error", async () => {
    const reply = await call("refusing");
    assert.equal(reply.status, 500);
    assert.equal(reply.headers["x-road-error"], "Server.ServerProxy.NetworkError", reply.text);
    assert.equal(untrusting.seen.peers.length, 0);
    assert.ok(untrusting.seen.refusals.length > 0, "the information system refused the handshake");
  });

  it("OpenSSL s_server -Verify (TLS 1.3 only) accepts the security server's client certificate", async () => {
    const reply = await call("openssl", "/");
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.text, /TLSv1\.3/);
    assert.match(reply.text, /Client certificate/);
    const base64 = internalPem.split("\n").slice(1, 3).join("\n");
    assert.ok(reply.text.includes(base64), "s_server shows the internal certificate as the client's");
  });

  it("the connection must fit the URL's scheme; an unknown connection is refused", async () => {
    for (const [url, connection] of [
      [trusting.url, "http"],
      [trusting.url.replace("https:", "http:"), "https"],
      [trusting.url.replace("https:", "http:"), "https-no-auth"],
      [trusting.url, "tls"],
    ]) {
      const reply = await admin(services(), { serviceCode: "mismatch", url, connection });
      assert.equal(reply.status, 400, `${connection} ${url}`);
    }
    const listed = await (await fetch(services(), { headers: { authorization: `Bearer ${sb.ss2.token}` } })).json();
    const connections = Object.fromEntries(
      (listed as Array<{ serviceCode: string; connection: string }>).map((s) => [s.serviceCode, s.connection]),
    );
    assert.equal(connections.secure, "https");
    assert.equal(connections.noauth, "https-no-auth");
    assert.equal(connections.pets, "http");
  });
});
