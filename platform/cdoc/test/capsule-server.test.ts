// The CDOC2 capsule server on loopback with real TLS: certificates from the sandbox trust
// services (server CA for the server, ESTEID cards for the recipients), on SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { dialectTargets, freePort, temporaryDirectory } from "@riik/core/testing";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import fc from "fast-check";
import { capsuleBody } from "../src/capsule-server/capsule.ts";
import {
  type CapsuleServer,
  CdocError,
  cardPublicKey,
  containerInfo,
  decryptFile,
  encryptFiles,
  fetchCapsule,
  readContainerHeader,
  readKeyServerConfig,
  serveCapsuleServer,
} from "../src/index.ts";
import { tlsPoint } from "../src/recipients/ecc-public-key.ts";
import { inputFiles } from "./helpers.ts";

const run = promisify(execFile);
const pki = await startTestTrustServices();
const card = (code: string, algorithm: "p384" | "rsa2048" = "p384") =>
  issueCard(pki.services, {
    personalCode: code,
    givenName: "Mari-Liis",
    surname: "Männik",
    pin1: "1234",
    pin2: "12345",
    algorithm,
  });
const mari = await card("48001085719");
const jaan = await card("38001085718");
const rsaCard = await card("37605030299", "rsa2048");
const credentials = (c: CardFile) => ({
  cert: c.authentication.certificate,
  key: c.authentication.privateKey,
  passphrase: "1234",
});

const HOUR = 60 * 60 * 1000;
let clock = Date.now();
const now = () => new Date(clock);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
/** A plain HTTPS call, with or without a client certificate. */
function call(
  url: string,
  options: {
    method?: string;
    ca: string;
    body?: unknown;
    headers?: Record<string, string>;
    cert?: string;
    key?: string;
    passphrase?: string;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        ca: options.ca,
        agent: false,
        headers: { ...(options.body ? { "content-type": "application/json" } : {}), ...options.headers },
        ...(options.cert ? { cert: options.cert, key: options.key, passphrase: options.passphrase } : {}),
      },
      (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

const eccCapsule = (c: CardFile) =>
  capsuleBody({
    type: "ecc_secp384r1",
    recipientId: tlsPoint(cardPublicKey(c)),
    ephemeralKeyMaterial: tlsPoint(generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey),
  });

const refusedAs = (code: string) => (e: unknown) => e instanceof CdocError && e.code === code;

for (const target of await dialectTargets()) {
  describe(`capsule server on ${target.dialect}`, async () => {
    const location = target.location("cdoc_capsules");
    const start = async (dir: string, rateLimit: number): Promise<CapsuleServer> => {
      const server = await serveCapsuleServer({
        dir,
        pkiDir: pki.dir,
        port: await freePort(),
        getPort: await freePort(),
        databaseUrl: location.url,
        ...(location.schema ? { databaseSchema: location.schema } : {}),
        rateLimit,
        now,
      });
      return server;
    };
    const dir = temporaryDirectory("riik-capsules-");
    const server = await start(dir, 1000);
    after(() => server.close());
    const { client } = server;

    test("a container for a card through the server: header names server and transaction; the card fetches over mutual TLS and opens it", async () => {
      assert.deepEqual(readKeyServerConfig(join(dir, "key-server.json")), client);
      const { paths } = inputFiles({ "kiri.txt": "Kohtume reedel.\n" });
      const out = join(temporaryDirectory("riik-cdoc-enc-"), "kiri.cdoc2");
      await encryptFiles({
        files: paths,
        out,
        recipients: [{ type: "public-key", key: cardPublicKey(mari), label: "Mari-Liis", keyServer: client }],
      });
      const [record] = readContainerHeader(out).recipients;
      assert.equal(record?.type, "key-server");
      assert.ok(record?.type === "key-server");
      assert.equal(record.keyServerId, "riik");
      assert.match(record.transactionId, /^KC[0-9a-f]{32}$/);
      assert.ok(tlsPoint(cardPublicKey(mari)).equals(record.recipientPublicKey));
      assert.equal(containerInfo(out)[0]?.type, "key-server");

      const opened = join(temporaryDirectory("riik-cdoc-dec-"), "out");
      const names = await decryptFile({
        file: out,
        outputDir: opened,
        key: { type: "card", card: mari, pin1: "1234" },
        keyServers: [client],
      });
      assert.deepEqual(names, ["kiri.txt"]);
      assert.equal(readFileSync(join(opened, "kiri.txt"), "utf8"), "Kohtume reedel.\n");

      // Another card is not among the recipients; without the server's configuration nothing opens.
      await assert.rejects(
        decryptFile({
          file: out,
          outputDir: opened,
          key: { type: "card", card: jaan, pin1: "1234" },
          keyServers: [client],
        }),
        refusedAs("CDOC_NOT_RECIPIENT"),
      );
      await assert.rejects(
        decryptFile({ file: out, outputDir: opened, key: { type: "card", card: mari, pin1: "1234" } }),
        refusedAs("CDOC_KEY_SERVER"),
      );
    });

    test("an RSA card's capsule: the encrypted KEK on the server, fetched with the card; a bare key without certificate cannot", async () => {
      const { paths } = inputFiles({ "a.txt": "RSA\n" });
      const out = join(temporaryDirectory("riik-cdoc-enc-"), "a.cdoc2");
      await encryptFiles({
        files: paths,
        out,
        recipients: [{ type: "public-key", key: cardPublicKey(rsaCard), keyServer: client }],
      });
      const record = readContainerHeader(out).recipients[0];
      assert.ok(record?.type === "key-server" && record.keyType === "rsa");
      const opened = join(temporaryDirectory("riik-cdoc-dec-"), "out");
      await decryptFile({
        file: out,
        outputDir: opened,
        key: { type: "card", card: rsaCard, pin1: "1234" },
        keyServers: [client],
      });
      assert.equal(readFileSync(join(opened, "a.txt"), "utf8"), "RSA\n");

      const key = createPrivateKey({ key: rsaCard.authentication.privateKey, passphrase: "1234" });
      await assert.rejects(
        decryptFile({
          file: out,
          outputDir: temporaryDirectory(),
          key: { type: "private-key", key },
          keyServers: [client],
        }),
        refusedAs("CDOC_ARGUMENT"),
      );
      // The same key with a certificate outside the trust anchors: the server refuses (403).
      const stranger = await selfSigned(key.export({ type: "pkcs8", format: "pem" }) as string);
      await assert.rejects(
        decryptFile({
          file: out,
          outputDir: temporaryDirectory(),
          key: { type: "private-key", key, certificate: stranger },
          keyServers: [client],
        }),
        refusedAs("CDOC_KEY_SERVER"),
      );
    });

    test("GET answers only the recipient's certificate: another card, an unknown id and an expired capsule are one 404", async () => {
      const created = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: eccCapsule(mari),
      });
      assert.equal(created.status, 201);
      const id = String(created.headers.location).split("/").pop()!;
      const mine = await call(`${client.getUrl}/key-capsules/${id}`, { ca: client.ca, ...credentials(mari) });
      assert.equal(mine.status, 200);
      assert.equal(JSON.parse(mine.body).capsule_type, "ecc_secp384r1");
      const others = await call(`${client.getUrl}/key-capsules/${id}`, { ca: client.ca, ...credentials(jaan) });
      const unknown = await call(`${client.getUrl}/key-capsules/KC${"0".repeat(32)}`, {
        ca: client.ca,
        ...credentials(mari),
      });
      assert.equal(others.status, 404);
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(others.body).code, "CAPSULE_NOT_FOUND");
      assert.equal(JSON.parse(unknown.body).code, "CAPSULE_NOT_FOUND");
      await assert.rejects(fetchCapsule(client, id, credentialsOf(jaan)), refusedAs("CDOC_NOT_RECIPIENT"));

      // x-expiry-time: an hour asked, granted; once it passes the capsule is gone.
      const expiry = new Date(clock + HOUR);
      const short = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: eccCapsule(mari),
        headers: { "x-expiry-time": expiry.toISOString() },
      });
      assert.equal(short.headers["x-expiry-time"], expiry.toISOString());
      assert.equal(short.headers["x-expiry-time-adjusted"], "false");
      const shortId = String(short.headers.location).split("/").pop()!;
      clock += 2 * HOUR;
      try {
        const expired = await call(`${client.getUrl}/key-capsules/${shortId}`, { ca: client.ca, ...credentials(mari) });
        assert.equal(expired.status, 404);
        assert.equal(JSON.parse(expired.body).code, "CAPSULE_NOT_FOUND");
      } finally {
        clock -= 2 * HOUR;
      }
      // Past the maximum (P1825D) is shortened to it and says so; a past time is refused.
      const far = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: eccCapsule(mari),
        headers: { "x-expiry-time": new Date(clock + 3650 * 24 * HOUR).toISOString() },
      });
      assert.equal(far.status, 201);
      assert.equal(far.headers["x-expiry-time-adjusted"], "true");
      const past = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: eccCapsule(mari),
        headers: { "x-expiry-time": new Date(clock - HOUR).toISOString() },
      });
      assert.equal(past.status, 400);
      assert.equal(JSON.parse(past.body).code, "CAPSULE_EXPIRY_INVALID");
    });

    test("no client certificate is 401, one outside the trust anchors 403; bodies that are not capsules 400", async () => {
      const id = `KC${"1".repeat(32)}`;
      const bare = await call(`${client.getUrl}/key-capsules/${id}`, { ca: client.ca });
      assert.equal(bare.status, 401);
      assert.equal(JSON.parse(bare.body).code, "CAPSULE_NO_CLIENT_CERTIFICATE");
      const key = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({
        type: "pkcs8",
        format: "pem",
      }) as string;
      const stranger = await call(`${client.getUrl}/key-capsules/${id}`, {
        ca: client.ca,
        cert: await selfSigned(key),
        key,
      });
      assert.equal(stranger.status, 403);
      assert.equal(JSON.parse(stranger.body).code, "CAPSULE_CLIENT_CERTIFICATE_UNTRUSTED");

      const notOnCurve = { ...eccCapsule(mari), recipient_id: Buffer.alloc(97, 4).toString("base64") };
      const bad = await call(`${client.postUrl}/key-capsules`, { method: "POST", ca: client.ca, body: notOnCurve });
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body).code, "CAPSULE_INVALID");
      const unknownType = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: { ...eccCapsule(mari), capsule_type: "ecc_secp256r1" },
      });
      assert.equal(unknownType.status, 400);
      // The sender's side serves no capsules, the recipient's side stores none.
      assert.equal((await call(`${client.postUrl}/key-capsules/${id}`, { ca: client.ca })).status, 404);
      assert.equal(
        (
          await call(`${client.getUrl}/key-capsules`, {
            method: "POST",
            ca: client.ca,
            body: eccCapsule(mari),
            ...credentials(mari),
          })
        ).status,
        404,
      );
    });

    test("any body POSTed is stored (201) or refused (400), never a server error", async () => {
      const valid = eccCapsule(mari);
      const body = fc.oneof(
        fc.jsonValue(),
        fc.record({
          recipient_id: fc.oneof(fc.constant(valid.recipient_id), fc.base64String({ maxLength: 160 }), fc.string()),
          ephemeral_key_material: fc.oneof(
            fc.constant(valid.ephemeral_key_material),
            fc.base64String({ maxLength: 160 }),
          ),
          capsule_type: fc.constantFrom("ecc_secp384r1", "rsa", "ecc_secp256r1", ""),
        }),
      );
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const answer = await call(`${client.postUrl}/key-capsules`, {
            method: "POST",
            ca: client.ca,
            body: value,
            headers: { "content-type": "application/json" },
          });
          assert.ok([201, 400].includes(answer.status), `${answer.status} ${answer.body}`);
        }),
        { numRuns: 40 },
      );
    });

    test("TLS 1.2 is refused on both sides", async () => {
      for (const url of [client.postUrl, client.getUrl]) {
        const { port } = new URL(url);
        const outcome = await new Promise<string>((resolve) => {
          const socket = connect({ host: "127.0.0.1", port: Number(port), ca: client.ca, maxVersion: "TLSv1.2" });
          socket.on("secureConnect", () => {
            socket.destroy();
            resolve("connected");
          });
          socket.on("error", (error) => resolve(error.message));
        });
        assert.notEqual(outcome, "connected");
        assert.match(outcome, /version|protocol/i);
      }
    });

    test("curl fetches a capsule with the card's certificate and PIN1-protected key", async () => {
      const created = await call(`${client.postUrl}/key-capsules`, {
        method: "POST",
        ca: client.ca,
        body: eccCapsule(mari),
      });
      const files = temporaryDirectory("riik-curl-");
      writeFileSync(join(files, "auth.crt"), mari.authentication.certificate);
      writeFileSync(join(files, "auth.key"), mari.authentication.privateKey, { mode: 0o600 });
      writeFileSync(join(files, "ca.pem"), client.ca);
      const { stdout } = await run("curl", [
        "--silent",
        "--show-error",
        "--fail",
        "--tlsv1.3",
        "--cacert",
        join(files, "ca.pem"),
        "--cert",
        join(files, "auth.crt"),
        "--key",
        join(files, "auth.key"),
        "--pass",
        "1234",
        `${client.getUrl}${created.headers.location}`,
      ]);
      const capsule = JSON.parse(stdout);
      assert.equal(capsule.capsule_type, "ecc_secp384r1");
      assert.ok(Buffer.from(capsule.recipient_id, "base64").equals(tlsPoint(cardPublicKey(mari))));
    });

    test("a flood of POSTs from one address is refused 429 with Retry-After, also after a restart", async () => {
      const floodDir = temporaryDirectory("riik-capsules-flood-");
      // Its own database, so that the other tests' POSTs from this address do not count.
      const floodLocation = target.location("cdoc_capsules_flood");
      const startFlood = async () =>
        serveCapsuleServer({
          dir: floodDir,
          pkiDir: pki.dir,
          port: await freePort(),
          getPort: await freePort(),
          databaseUrl: floodLocation.url,
          ...(floodLocation.schema ? { databaseSchema: floodLocation.schema } : {}),
          rateLimit: 3,
          rateWindowSeconds: 60,
          now,
        });
      const flood = await startFlood();
      let open = flood;
      try {
        const post = () =>
          call(`${open.client.postUrl}/key-capsules`, { method: "POST", ca: open.client.ca, body: eccCapsule(mari) });
        for (let i = 0; i < 3; i++) assert.equal((await post()).status, 201);
        const refused = await post();
        assert.equal(refused.status, 429);
        assert.equal(JSON.parse(refused.body).code, "CAPSULE_RATE_LIMITED");
        assert.ok(Number(refused.headers["retry-after"]) >= 1 && Number(refused.headers["retry-after"]) <= 60);
        await open.close();
        open = await startFlood();
        assert.equal((await post()).status, 429);
        clock += 61_000;
        try {
          assert.equal((await post()).status, 201);
        } finally {
          clock -= 61_000;
        }
      } finally {
        await open.close();
      }
    });
  });
}

const credentialsOf = (c: CardFile) => {
  const { cert, key, passphrase } = credentials(c);
  // fetchCapsule takes an unencrypted key (the decryptor unlocks the card first).
  return { cert, key: createPrivateKey({ key, passphrase }).export({ type: "pkcs8", format: "pem" }) as string };
};

/** A self-signed certificate for KEY (outside every trust anchor), made by openssl. */
async function selfSigned(keyPem: string): Promise<string> {
  const dir = temporaryDirectory("riik-self-");
  writeFileSync(join(dir, "k.pem"), keyPem, { mode: 0o600 });
  await run("openssl", [
    "req",
    "-x509",
    "-new",
    "-key",
    join(dir, "k.pem"),
    "-subj",
    "/CN=stranger",
    "-days",
    "1",
    "-out",
    join(dir, "c.pem"),
  ]);
  return readFileSync(join(dir, "c.pem"), "utf8");
}
