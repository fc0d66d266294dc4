import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { cardCertificate, normaliseSerial } from "@riik/pki";
import * as client from "openid-client";
import { loginWithCard, newCard, startAuth, startLogin, startRelyingParty, startTrust } from "./harness.ts";

const trust = await startTrust();
const rp = await startRelyingParty();

for (const target of await dialectTargets()) {
  // The tests of one back end share its storage, so they share its signing keys too.
  const keysDir = temporaryDirectory("riik-auth-keys-");
  describe(`auth provider with openid-client, storage on ${target.dialect}`, () => {
    it("logs in with the ID card: discovery, PKCE, ID token, userinfo, refresh, logout", async () => {
      const auth = await startAuth(target, trust, keysDir);
      const { clientSecret } = await auth.service.clients.add({
        clientId: "portal",
        redirectUris: [`${rp.url}/callback`],
        postLogoutRedirectUris: [`${rp.url}/logged-out`],
        backchannelLogoutUri: `${rp.url}/backchannel-logout`,
        scopes: ["openid", "idcard", "app"],
        minimumAcr: "high",
        authentication: { method: "client_secret_basic" },
      });
      const config = await client.discovery(
        new URL(auth.issuer),
        "portal",
        { redirect_uris: [`${rp.url}/callback`] },
        client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      const metadata = config.serverMetadata();
      assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
      assert.ok(metadata.token_endpoint_auth_methods_supported?.includes("private_key_jwt"));
      assert.equal(metadata.backchannel_logout_session_supported, true);

      const card = await newCard(trust.services);
      const login = await startLogin({ config });
      assert.equal(login.response.status, 200);
      assert.match(await login.response.text(), /Log in with ID card/);
      const answer = await loginWithCard(login, auth.issuer, card);
      assert.equal(answer.outcome, "authenticated");
      const back = await login.browser.follow(answer.redirect, auth.issuer);
      const callback = new URL(back.response.headers.get("location")!);
      assert.equal(callback.origin + callback.pathname, `${rp.url}/callback`);

      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, `EE${card.personalCode}`);
      assert.equal(claims.acr, "high");
      assert.deepEqual(claims.amr, ["idcard"]);
      assert.equal(claims.given_name, "MARI-LIIS");
      assert.match(String(claims.birthdate), /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(typeof claims.sid, "string");
      const header = JSON.parse(Buffer.from(tokens.id_token!.split(".")[0]!, "base64url").toString());
      assert.equal(header.alg, "RS256");
      assert.equal(header.kid, (await auth.service.keys.list())[0]!.kid);

      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(userinfo.family_name, "MÄNNIK");

      assert.ok(tokens.refresh_token);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.equal(refreshed.claims()?.sub, claims.sub);

      // The login record is served to the security server on its own listener, never on the public port.
      assert.equal((await fetch(`${auth.issuer}/authentications/${claims.sub}`)).status, 404);
      const recorded = await auth.service.exchange.app.inject({ method: "GET", url: `/authentications/${claims.sub}` });
      assert.equal(recorded.statusCode, 200);
      assert.equal(recorded.headers["x-riik-data-subjects"], claims.sub);
      const body = recorded.json() as { authentications: Array<{ clientId: string; method: string }> };
      assert.deepEqual(
        body.authentications.map((a) => [a.clientId, a.method]),
        [["portal", "idcard"]],
      );

      const logoutUrl = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: `${rp.url}/logged-out`,
      });
      const confirm = await login.browser.fetch(logoutUrl);
      assert.equal(confirm.status, 200);
      const form = await confirm.text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
      assert.ok(xsrf, form);
      const loggedOut = await login.browser.fetch(new URL("/session/end/confirm", auth.issuer), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ xsrf, logout: "yes" }),
      });
      assert.equal(new URL(loggedOut.headers.get("location")!).pathname, "/logged-out");
      // OpenID Connect Back-Channel Logout 1.0, 2.4: the logout token names the session.
      const logoutClaims = rp.logoutTokens
        .map((token) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()))
        .filter((payload) => payload.sid === claims.sid);
      assert.equal(logoutClaims.length, 1);
      assert.equal(logoutClaims[0].sub, claims.sub);
      assert.ok(logoutClaims[0].events["http://schemas.openid.net/event/backchannel-logout"]);
    });

    it("authenticates a relying party with private_key_jwt (RFC 7523) and refuses a key it did not register", async () => {
      const auth = await startAuth(target, trust, keysDir);
      const { privateKey, publicKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
        "sign",
        "verify",
      ])) as CryptoKeyPair;
      const jwk = { ...(await crypto.subtle.exportKey("jwk", publicKey)), kid: "rp-1", alg: "ES256", use: "sig" };
      const added = await auth.service.clients.add({
        clientId: "jwt-rp",
        redirectUris: [`${rp.url}/callback`],
        scopes: ["openid", "idcard"],
        minimumAcr: "high",
        authentication: { method: "private_key_jwt", jwks: { keys: [jwk] } },
      });
      assert.equal(added.clientSecret, undefined, "no secret is made for a key-authenticated client");
      const discover = (key: CryptoKey) =>
        client.discovery(
          new URL(auth.issuer),
          "jwt-rp",
          { redirect_uris: [`${rp.url}/callback`], token_endpoint_auth_method: "private_key_jwt" },
          client.PrivateKeyJwt({ key, kid: "rp-1" }),
          { execute: [client.allowInsecureRequests] },
        );
      const config = await discover(privateKey);
      const card = await newCard(trust.services);
      const login = await startLogin({ config });
      const answer = await loginWithCard(login, auth.issuer, card);
      const back = await login.browser.follow(answer.redirect, auth.issuer);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.response.headers.get("location")!), {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
      });
      assert.equal(tokens.claims()?.sub, `EE${card.personalCode}`);

      // The same client id with a key it never registered: invalid_client (RFC 6749 5.2).
      const other = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
        "sign",
      ])) as CryptoKeyPair;
      await assert.rejects(
        client.refreshTokenGrant(await discover(other.privateKey), tokens.refresh_token!),
        (error) => {
          const cause = (error as { cause?: Array<{ parameters?: { error?: string } }> }).cause;
          return (
            (error as { error?: string }).error === "invalid_client" ||
            cause?.[0]?.parameters?.error === "invalid_client"
          );
        },
      );
    });

    it("ends the session when the card is suspended: refresh is invalid_grant, single sign-on asks for a login", async () => {
      const auth = await startAuth(target, trust, keysDir);
      const { clientSecret } = await auth.service.clients.add({
        clientId: "suspending",
        redirectUris: [`${rp.url}/callback`],
        scopes: ["openid", "idcard"],
        minimumAcr: "high",
        authentication: { method: "client_secret_basic" },
      });
      const config = await client.discovery(
        new URL(auth.issuer),
        "suspending",
        { redirect_uris: [`${rp.url}/callback`] },
        client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      const card = await newCard(trust.services);
      const login = await startLogin({ config });
      const back = await login.browser.follow((await loginWithCard(login, auth.issuer, card)).redirect, auth.issuer);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.response.headers.get("location")!), {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
      });
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      await trust.services.registry.changeStatus(
        "esteid",
        normaliseSerial(cardCertificate(card, "authentication").serialNumber),
        { event: "suspended", actor: "test" },
      );
      await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token!), { error: "invalid_grant" });
      const again = await startLogin({ config }, login.browser);
      assert.ok(again.uid, "the session no longer answers: the login page is shown");
    });
  });
}
