// npm run bench -- auth
// The national authentication service (issue 12): completed ID-card logins per second
// (authorization request with PKCE, login page, Web eID challenge, card token with OCSP,
// code exchange by openid-client) and ID-token validations per second (jose jwtVerify
// against the published JWKS), each beside the raw cost of the signatures involved,
// measured in the same run. Everything on loopback, SQLite storage.
import { createSign, createVerify, generateKeyPairSync, sign, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePersonalCode, openStorage } from "@riik/core";
import { freePort } from "@riik/core/testing";
import { createAuthToken, initTrustServices, issueCard, startTrustServicesServer } from "@riik/pki";
import { createLocalJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { AUTH_STORE_MIGRATIONS, type AuthStoreTables, createAuthService } from "../platform/auth/src/index.ts";
import { FileKeyStore, readCertificate } from "../platform/pki/src/index.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 4;
const dir = mkdtempSync(join(tmpdir(), "riik-bench-auth-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const pkiPort = await freePort();
const services = await initTrustServices({ dir: join(dir, "pki"), baseUrl: `http://127.0.0.1:${pkiPort}` });
const pki = await startTrustServicesServer({ services, port: pkiPort });
const storage = await openStorage<AuthStoreTables>({
  component: "auth",
  dataDir: dir,
  migrations: AUTH_STORE_MIGRATIONS,
});
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const auth = await createAuthService({
  issuer,
  db: storage.db,
  keyStore: FileKeyStore.open(join(dir, "keys"), { create: true }),
  trustedCas: [readCertificate(join(dir, "pki", "ca", "esteid.crt"))],
  logger: (await import("pino")).pino({ level: "warn" }),
});
await auth.app.listen({ port, host: "127.0.0.1" });
const redirectUri = "http://127.0.0.1:9/callback";
const { clientSecret } = await auth.clients.add({
  clientId: "bench",
  redirectUris: [redirectUri],
  scopes: ["openid", "idcard"],
  minimumAcr: "high",
  authentication: { method: "client_secret_basic" },
});
const config = await client.discovery(
  new URL(issuer),
  "bench",
  { redirect_uris: [redirectUri] },
  client.ClientSecretBasic(clientSecret!),
  {
    execute: [client.allowInsecureRequests],
  },
);
const cards = await Promise.all(
  Array.from({ length: CONCURRENCY }, (_, i) =>
    issueCard(services, {
      personalCode: generatePersonalCode("1980-01-08", "female", i + 1),
      givenName: "Mari",
      surname: "Maasikas",
      pin1: "1234",
      pin2: "12345",
    }),
  ),
);

/** One complete login in a fresh browser (no SSO): what a person with a card reader does. */
async function login(card: (typeof cards)[number]): Promise<string> {
  const cookies = new Map<string, string>();
  const go = async (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  };
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid idcard",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
  });
  const toInteraction = new URL((await go(url)).headers.get("location")!, issuer);
  await (await go(toInteraction)).text();
  const base = toInteraction.href;
  const { nonce } = (await (await go(`${base}/idcard/challenge`, { method: "POST" })).json()) as { nonce: string };
  const token = await createAuthToken({ card, pin1: "1234", origin: issuer, nonce });
  const answer = (await (
    await go(`${base}/idcard`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: issuer },
      body: JSON.stringify({ token }),
    })
  ).json()) as { redirect: string };
  let response = await go(answer.redirect);
  while (new URL(response.headers.get("location")!, issuer).origin === issuer)
    response = await go(new URL(response.headers.get("location")!, issuer));
  const tokens = await client.authorizationCodeGrant(config, new URL(response.headers.get("location")!), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return tokens.id_token!;
}

async function rate(work: (worker: number) => Promise<unknown>, workers: number): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (Date.now() < end) {
        await work(worker);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

function opsPerSecond(operation: () => void): number {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  while (Date.now() < end) {
    operation();
    done++;
  }
  return done / SECONDS;
}

await login(cards[0]!); // warm up (tsx, JIT, SQLite pages)
const logins = await rate((worker) => login(cards[worker]!), CONCURRENCY);
const idToken = await login(cards[0]!);
const jwks = createLocalJWKSet(
  (await (await fetch(`${issuer}/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0],
);
const validations = await rate(() => jwtVerify(idToken, jwks, { issuer, audience: "bench", algorithms: ["RS256"] }), 1);

// The signatures of one login, raw (node:crypto, one core): the ID token (RS256 sign), the
// card's Web eID token (ES384 sign and verify), the OCSP answer (ES384 sign and verify).
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
const data = Buffer.alloc(96, 7);
const rsaSignature = sign("sha256", data, rsa.privateKey);
const ecSignature = sign("sha384", data, ec.privateKey);
const perLogin = opsPerSecond(() => {
  createSign("sha256").update(data).sign(rsa.privateKey);
  for (let i = 0; i < 2; i++) {
    createSign("sha384").update(data).sign(ec.privateKey);
    createVerify("sha384").update(data).verify(ec.publicKey, ecSignature);
  }
});
const rawVerify = opsPerSecond(() => verify("sha256", data, rsa.publicKey, rsaSignature));

console.log(`completed ID-card logins/s (${CONCURRENCY} browsers, fresh session each): ${logins.toFixed(1)}`);
console.log(
  `raw signature work of one login (RS256 sign + 2 × ES384 sign and verify)/s, one core: ${perLogin.toFixed(1)}`,
);
console.log(`ID-token validations/s (jose jwtVerify, RS256, one caller): ${validations.toFixed(0)}`);
console.log(`raw RS256 verifications/s (node:crypto, one core): ${rawVerify.toFixed(0)}`);
console.log(`ratio validations/raw verifications: ${(validations / rawVerify).toFixed(2)}`);
await auth.app.close();
await storage.close();
await pki.close();
await services.close();
console.log(`ratio logins/raw signature work per login: ${(logins / perLogin).toFixed(3)}`);
