// GovSSO's representation scopes through the real provider, with openid-client as the
// relying party: a parent's `representee_list` from the real population register (its HTTP
// server, read with the kit's XRoadRestClient), `representee.<child>` granted,
// `representee.<stranger>` refused; explicit mandates granted and revoked over the API with a
// bearer access token; the list failing soft when the register is down. Both back ends.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { openStorage } from "@riik/core";
import { dialectTargets, freePort, temporaryDirectory } from "@riik/core/testing";
import { FileKeyStore, readCertificate } from "@riik/pki";
import { openPopulationRegister, seedPopulation, startPopulationRegister } from "@riik/population-register";
import { compactVerify, createRemoteJWKSet } from "jose";
import * as client from "openid-client";
import { AUTH_STORE_MIGRATIONS, type AuthStoreTables, createAuthService } from "../src/index.ts";
import { FAMILY_PURPOSE, PARENT_ROLE } from "../src/mandates/index.ts";
import { Browser, loginWithCard, newCard, startLogin, startRelyingParty, startTrust } from "./harness.ts";

const AUTH_CLIENT = "EE/GOV/70006317/auth";
const PERSONS_SERVICE = "EE/GOV/70000562/rr/persons";
const STRANGER = "49403136526";

const trust = await startTrust();
const rp = await startRelyingParty();

// The population register, seeded: a parent with a child born after 2010 (a minor until 2028
// at least) and one born before 2005 (of age).
const registerDir = temporaryDirectory("riik-mandates-rr-");
await seedPopulation({ dataDir: registerDir, persons: 2_000, seed: 5 });
const family = await (async () => {
  const register = await openPopulationRegister({ dataDir: registerDir });
  try {
    const rows = await register.db
      .selectFrom("relation")
      .innerJoin("person", "person.personal_code", "relation.to_code")
      .select([
        "relation.from_code",
        "person.personal_code",
        "person.birth_date",
        "person.given_name",
        "person.surname",
      ])
      .where("relation.kind", "=", "parent")
      .orderBy("relation.from_code")
      .orderBy("person.personal_code")
      .execute();
    for (const parent of new Set(rows.map((row) => row.from_code))) {
      const children = rows.filter((row) => row.from_code === parent);
      const minor = children.find((row) => row.birth_date > "2010-01-01");
      const adult = children.find((row) => row.birth_date < "2005-01-01");
      if (minor && adult && parent !== STRANGER) return { parent, minor, adult };
    }
    throw new Error("the seed has no parent with a minor and an adult child");
  } finally {
    await register.close();
  }
})();
const registerServer = await startPopulationRegister({
  dataDir: registerDir,
  port: await freePort(),
  host: "127.0.0.1",
});
after(() => registerServer.close());

/**
 * The exchange layer as the auth service's information system sees it: its own security
 * server's client URL, where `/r1/{service}{path}` (PR-REST 4.3) reaches the provider's
 * `{path}` with the X-Road headers passed on. The security-server pair itself (signatures,
 * access rights, Data Tracker) is tested in platform/xroad; here it only forwards.
 */
async function startExchange(provider: string) {
  const calls: Array<{ client: string; userId: string; issue: string; service: string; path: string }> = [];
  const server: Server = createServer(async (request, response) => {
    const match = /^\/r1\/((?:[^/]+\/){4}[^/]+)(\/.*)$/.exec(request.url ?? "");
    if (!match || !request.headers["x-road-client"]) return response.writeHead(400).end();
    const [, service, path] = match as unknown as [string, string, string];
    calls.push({
      client: String(request.headers["x-road-client"]),
      userId: String(request.headers["x-road-userid"]),
      issue: decodeURIComponent(String(request.headers["x-road-issue"])),
      service,
      path,
    });
    const answer = await fetch(`${provider}${path}`, { headers: { accept: "application/json" } });
    response
      .writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" })
      .end(Buffer.from(await answer.arrayBuffer()));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  let open = true;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!open) return resolve();
      open = false;
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, calls, stop };
}

for (const target of await dialectTargets()) {
  describe(`representation (GovSSO representee scopes) with openid-client, storage on ${target.dialect}`, () => {
    let auth: Awaited<ReturnType<typeof createAuthService>>;
    let exchange: Awaited<ReturnType<typeof startExchange>>;
    let issuer: string;
    let config: client.Configuration;
    let closeStorage = async () => {};

    // Cleanup is registered here: an after() made inside before() runs when that hook ends.
    after(async () => {
      await auth?.app.close();
      await closeStorage();
    });
    after(() => exchange?.stop());
    before(async () => {
      exchange = await startExchange(registerServer.url);
      const storage = await openStorage<AuthStoreTables>({
        component: "auth",
        migrations: AUTH_STORE_MIGRATIONS,
        ...target.location("auth"),
      });
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      auth = await createAuthService({
        issuer,
        db: storage.db,
        keyStore: FileKeyStore.open(temporaryDirectory("riik-mandates-keys-"), { create: true }),
        trustedCas: [readCertificate(`${trust.dir}/ca/esteid.crt`)],
        ocsp: "required",
        privateNetworkFetch: true,
        populationRegister: { securityServer: exchange.url, client: AUTH_CLIENT, personsService: PERSONS_SERVICE },
      });
      closeStorage = () => storage.close();
      await auth.app.listen({ port, host: "127.0.0.1" });
      const { clientSecret } = await auth.clients.add({
        clientId: "portal",
        redirectUris: [`${rp.url}/callback`],
        postLogoutRedirectUris: [],
        scopes: ["openid", "idcard", "representee_list", "mandates"],
        minimumAcr: "high",
        authentication: { method: "client_secret_basic" },
      });
      config = await client.discovery(
        new URL(issuer),
        "portal",
        { redirect_uris: [`${rp.url}/callback`] },
        client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
    });

    /** Logs in with a card (or reuses BROWSER's session) asking SCOPE; answers the tokens. */
    async function login(scope: string, personalCode: string, browser = new Browser()) {
      const started = await startLogin({ config, scope }, browser);
      let response = started.response;
      if (started.uid) {
        const card = await newCard(trust.services, personalCode);
        const answer = await loginWithCard(started, issuer, card);
        assert.equal(answer.outcome, "authenticated");
        response = (await browser.follow(answer.redirect, issuer)).response;
      }
      const callback = new URL(response.headers.get("location")!);
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
      return { tokens, claims: tokens.claims()!, browser, reused: !started.uid };
    }

    const childParty = {
      type: "NATURAL_PERSON",
      sub: `EE${family.minor.personal_code}`,
      given_name: family.minor.given_name,
      family_name: family.minor.surname,
    };

    it("a parent gets representee_list with their minor child (not the adult one), then representee.<child>", async () => {
      const first = await login("openid idcard representee_list", family.parent);
      assert.deepEqual(first.claims.representee_list, { status: "REPRESENTEE_LIST_CURRENT", list: [childParty] });
      assert.equal(first.claims.representee, undefined, "acting for oneself: no representee claim");
      const userinfo = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
      assert.deepEqual(userinfo.representee_list, first.claims.representee_list);
      // Read over X-Road as the auth service's subsystem, on behalf of the parent.
      assert.deepEqual(exchange.calls.at(-1), {
        client: AUTH_CLIENT,
        userId: `EE${family.parent}`,
        issue: FAMILY_PURPOSE,
        service: PERSONS_SERVICE,
        path: `/persons/${family.parent}/family`,
      });

      // The portal then asks to act for the child: single sign-on, no login page.
      const acting = await login(
        `openid representee_list representee.EE${family.minor.personal_code}`,
        family.parent,
        first.browser,
      );
      assert.ok(acting.reused);
      assert.deepEqual(acting.claims.representee, {
        status: "REQUESTED_REPRESENTEE_CURRENT",
        ...childParty,
        mandates: [{ role: PARENT_ROLE }],
      });
      assert.equal(acting.claims.sub, `EE${family.parent}`, "the subject stays the person who logged in");
      const userinfo2 = await client.fetchUserInfo(config, acting.tokens.access_token, acting.claims.sub);
      assert.deepEqual(userinfo2.representee, acting.claims.representee);
      // The refresh asks again and still carries the representation.
      const refreshed = await client.refreshTokenGrant(config, acting.tokens.refresh_token!);
      assert.deepEqual(refreshed.claims()?.representee, acting.claims.representee);
      // The authentication record names the representee.
      const recorded = (
        await auth.exchange.app.inject({ method: "GET", url: `/authentications/EE${family.parent}` })
      ).json() as {
        authentications: Array<{ representee?: string }>;
      };
      assert.equal(recorded.authentications[0]?.representee, `EE${family.minor.personal_code}`);
      assert.equal(recorded.authentications.at(-1)?.representee, undefined);

      // Neither the adult child nor a stranger: GovSSO 4.2 REQUESTED_REPRESENTEE_NOT_ALLOWED, nothing else.
      for (const other of [family.adult.personal_code, STRANGER]) {
        const refused = await login(`openid representee.EE${other}`, family.parent, first.browser);
        assert.deepEqual(refused.claims.representee, { status: "REQUESTED_REPRESENTEE_NOT_ALLOWED" });
      }
      const self = await login("openid", family.parent, first.browser);
      assert.equal(self.claims.representee, undefined, "a request without representee.<id> acts for oneself again");
    });

    it("an explicit mandate granted over the API is a right until its grantor revokes it", async () => {
      // A login token alone may not manage mandates: an e-service holding it could grant in the person's name.
      const loginOnly = await login("openid idcard", STRANGER);
      const noScope = await fetch(`${issuer}/mandates`, {
        headers: { authorization: `Bearer ${loginOnly.tokens.access_token}` },
      });
      assert.equal(noScope.status, 403);
      assert.equal(((await noScope.json()) as { code: string }).code, "MANDATE_INSUFFICIENT_SCOPE");
      assert.match(noScope.headers.get("www-authenticate") ?? "", /^Bearer error="insufficient_scope"/);

      const grantor = await login("openid idcard mandates", STRANGER);
      const bearer = { authorization: `Bearer ${grantor.tokens.access_token}`, "content-type": "application/json" };
      const post = (path: string, body: unknown, headers: Record<string, string> = bearer) =>
        fetch(`${issuer}${path}`, { method: "POST", headers, body: JSON.stringify(body) });

      const unauthenticated = await fetch(`${issuer}/mandates`);
      assert.equal(unauthenticated.status, 401);
      assert.equal(((await unauthenticated.json()) as { code: string }).code, "MANDATE_UNAUTHENTICATED");
      assert.match(unauthenticated.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
      const self = await post("/mandates", { representative: `EE${STRANGER}`, role: "AGENCY-Q:Edit" });
      assert.equal(self.status, 400);
      assert.equal(((await self.json()) as { code: string }).code, "MANDATE_SELF");
      const extra = await post("/mandates", { representative: `EE${family.parent}`, role: "X:Y", scope: "all" });
      assert.equal(extra.status, 400);
      assert.equal(((await extra.json()) as { code: string }).code, "REQUEST_INVALID");

      const created = await post("/mandates", { representative: `EE${family.parent}`, role: "AGENCY-Q:Edit" });
      assert.equal(created.status, 201);
      const mandate = (await created.json()) as { id: string; seal: string; grantor: string; status: string };
      assert.equal(mandate.grantor, `EE${STRANGER}`);
      assert.equal(mandate.status, "valid");
      assert.equal(created.headers.get("x-riik-data-subjects"), `EE${STRANGER},EE${family.parent}`);
      // The seal verifies against the JWKS the provider publishes (discovery's jwks_uri).
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const sealed = JSON.parse(new TextDecoder().decode((await compactVerify(mandate.seal, jwks)).payload));
      assert.deepEqual(
        [sealed.id, sealed.iss, sealed.grantor, sealed.representative, sealed.role],
        [mandate.id, issuer, `EE${STRANGER}`, `EE${family.parent}`, "AGENCY-Q:Edit"],
      );
      const listed = (await (await fetch(`${issuer}/mandates`, { headers: bearer })).json()) as {
        granted: Array<{ id: string }>;
        held: unknown[];
      };
      assert.deepEqual(
        listed.granted.map((m) => m.id),
        [mandate.id],
      );
      assert.deepEqual(listed.held, []);

      const parent = await login(`openid mandates representee_list representee.EE${STRANGER}`, family.parent);
      assert.deepEqual(
        (parent.claims.representee_list as { list: Array<{ sub: string }> }).list.map((p) => p.sub).sort(),
        [`EE${family.minor.personal_code}`, `EE${STRANGER}`].sort(),
      );
      assert.deepEqual(parent.claims.representee, {
        status: "REQUESTED_REPRESENTEE_CURRENT",
        type: "NATURAL_PERSON",
        sub: `EE${STRANGER}`,
        given_name: "MARI-LIIS",
        family_name: "MÄNNIK",
        mandates: [{ role: "AGENCY-Q:Edit" }],
      });

      // Only the grantor revokes; then the next token says NOT_ALLOWED.
      const parentBearer = {
        authorization: `Bearer ${parent.tokens.access_token}`,
        "content-type": "application/json",
      };
      assert.equal((await post(`/mandates/${mandate.id}/revocation`, {}, parentBearer)).status, 404);
      const revoked = await post(`/mandates/${mandate.id}/revocation`, {});
      assert.equal(revoked.status, 200);
      assert.equal(((await revoked.json()) as { status: string }).status, "revoked");
      assert.equal((await post(`/mandates/${mandate.id}/revocation`, {})).status, 409);
      const after = await client.refreshTokenGrant(config, parent.tokens.refresh_token!);
      assert.deepEqual(after.claims()?.representee, { status: "REQUESTED_REPRESENTEE_NOT_ALLOWED" });
    });

    it("refuses two representees at once (invalid_scope) and fails soft when the register is down", async () => {
      const browser = new Browser();
      const first = await login("openid idcard representee_list", family.parent, browser);
      const two = await startLogin(
        { config, scope: `openid representee.EE${family.minor.personal_code} representee.EE${STRANGER}` },
        browser,
      );
      const location = new URL(two.response.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "invalid_scope");

      await exchange.stop();
      const refreshed = await client.refreshTokenGrant(config, first.tokens.refresh_token!);
      assert.deepEqual(refreshed.claims()?.representee_list, { status: "SERVICE_NOT_AVAILABLE" });
      const acting = await login(`openid representee.EE${family.minor.personal_code}`, family.parent, browser);
      assert.deepEqual(acting.claims.representee, { status: "SERVICE_NOT_AVAILABLE" });
      // A new login still succeeds.
      const fresh = await login("openid idcard representee_list", family.parent);
      assert.equal(fresh.claims.sub, `EE${family.parent}`);
      assert.deepEqual(fresh.claims.representee_list, { status: "SERVICE_NOT_AVAILABLE" });
    });
  });
}
