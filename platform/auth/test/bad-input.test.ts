import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { cardCertificate, normaliseSerial } from "@riik/pki";
import * as client from "openid-client";
import {
  loginWithCard,
  newCard,
  type RunningAuth,
  startAuth,
  startLogin,
  startRelyingParty,
  startTrust,
} from "./harness.ts";

const trust = await startTrust();
const rp = await startRelyingParty();
const callbackUri = `${rp.url}/callback`;

/** Registers a relying party and discovers the provider as openid-client does. */
async function relyingParty(auth: RunningAuth, clientId: string, minimumAcr: "high" | "substantial", secret?: string) {
  const { clientSecret } = await auth.service.clients.add({
    clientId,
    redirectUris: [callbackUri],
    scopes: ["openid", "idcard", "app"],
    minimumAcr,
    authentication: { method: "client_secret_basic" },
  });
  return client.discovery(
    new URL(auth.issuer),
    clientId,
    { redirect_uris: [callbackUri] },
    client.ClientSecretBasic(secret ?? clientSecret),
    { execute: [client.allowInsecureRequests] },
  );
}

/** The error a relying party receives at its redirect URI. */
function redirectedError(response: Response): { error: string | null; description: string | null } {
  assert.equal(response.status, 303);
  const location = new URL(response.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, callbackUri);
  return { error: location.searchParams.get("error"), description: location.searchParams.get("error_description") };
}

async function tokenError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (thrown) {
    // openid-client: an error body's `error`, or a WWW-Authenticate challenge's (RFC 6750 3).
    const error = thrown as Error & { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
    return error.error ?? (Array.isArray(error.cause) ? error.cause[0]?.parameters?.error : undefined) ?? error.message;
  }
  return "no error";
}

for (const target of await dialectTargets()) {
  describe(`auth provider refusals, storage on ${target.dialect}`, () => {
    it("answers each bad request with the OIDC error the specification names, and keeps serving", async () => {
      const auth = await startAuth(target, trust, temporaryDirectory("riik-auth-keys-"));
      const config = await relyingParty(auth, "rp-high", "high");
      const card = await newCard(trust.services);

      // RFC 6749 4.1.2.1: a redirect URI not registered is never redirected to.
      const wrongRedirect = await fetch(
        client.buildAuthorizationUrl(config, {
          redirect_uri: `${rp.url}/elsewhere`,
          scope: "openid",
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: "S256",
        }),
        { redirect: "manual" },
      );
      assert.equal(wrongRedirect.status, 400);
      assert.match(await wrongRedirect.text(), /redirect_uri did not match/);

      // PKCE is required (RFC 7636 4.4.1).
      const noPkce = await fetch(client.buildAuthorizationUrl(config, { redirect_uri: callbackUri, scope: "openid" }), {
        redirect: "manual",
      });
      assert.equal(redirectedError(noPkce).error, "invalid_request");

      const unknownScope = await startLogin({ config, scope: "openid idcard bogus" });
      assert.equal(redirectedError(unknownScope.response).error, "invalid_scope");

      // Only the app login asked for, whose acr (substantial) is below this client's minimum.
      const belowMinimum = await startLogin({ config, scope: "openid app" });
      assert.equal(redirectedError(belowMinimum.response).error, "access_denied");

      // A complete login, then the code misused.
      const login = await startLogin({ config });
      const answer = await loginWithCard(login, auth.issuer, card);
      const back = await login.browser.follow(answer.redirect, auth.issuer);
      const callback = new URL(back.response.headers.get("location")!);
      const wrongVerifier = await tokenError(
        client.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: client.randomPKCECodeVerifier(),
          expectedState: login.state,
          expectedNonce: login.nonce,
        }),
      );
      assert.equal(wrongVerifier, "invalid_grant");
      const checks = { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce };
      assert.ok((await client.authorizationCodeGrant(config, callback, checks)).id_token);
      // A code is single use (RFC 6749 4.1.2).
      assert.equal(await tokenError(client.authorizationCodeGrant(config, callback, checks)), "invalid_grant");

      // An expired code: past its lifetime in storage. (Single sign-on: no login page this time.)
      const second = await startLogin({ config }, login.browser);
      assert.equal(second.uid, undefined);
      const secondCallback = new URL(second.response.headers.get("location")!);
      await auth.storage.db
        .updateTable("oidc_models")
        .set({ expires_at: Date.now() - 1000 })
        .where("model", "=", "AuthorizationCode")
        .execute();
      const expired = await tokenError(
        client.authorizationCodeGrant(config, secondCallback, {
          pkceCodeVerifier: second.verifier,
          expectedState: second.state,
          expectedNonce: second.nonce,
        }),
      );
      assert.equal(expired, "invalid_grant");

      // A replayed state is the relying party's check; openid-client refuses it.
      const third = await startLogin({ config }, login.browser);
      const thirdCallback = new URL(third.response.headers.get("location")!);
      const replayedState = await tokenError(
        client.authorizationCodeGrant(config, thirdCallback, {
          pkceCodeVerifier: third.verifier,
          expectedState: login.state,
          expectedNonce: third.nonce,
        }),
      );
      assert.equal(replayedState, "invalid response encountered");

      // A wrong client secret at the token endpoint (RFC 6749 5.2).
      const impostor = await client.discovery(
        new URL(auth.issuer),
        "rp-high",
        { redirect_uris: [callbackUri] },
        client.ClientSecretBasic("not-the-secret"),
        { execute: [client.allowInsecureRequests] },
      );
      const fourth = await startLogin({ config: impostor }, login.browser);
      const wrongSecret = await tokenError(
        client.authorizationCodeGrant(impostor, new URL(fourth.response.headers.get("location")!), {
          pkceCodeVerifier: fourth.verifier,
          expectedState: fourth.state,
          expectedNonce: fourth.nonce,
        }),
      );
      assert.equal(wrongSecret, "invalid_client");

      // A suspended card: refused with its Web eID code, and the client gets access_denied.
      const suspended = await newCard(trust.services);
      await trust.services.registry.changeStatus(
        "esteid",
        normaliseSerial(cardCertificate(suspended, "authentication").serialNumber),
        { event: "suspended", actor: "test" },
      );
      const fresh = await startLogin({ config });
      const refused = await loginWithCard(fresh, auth.issuer, suspended);
      assert.equal(refused.outcome, "refused");
      assert.equal(refused.code, "WEBEID_CERTIFICATE_SUSPENDED");
      const denied = await fresh.browser.follow(refused.redirect, auth.issuer);
      const { error, description } = redirectedError(denied.response);
      assert.equal(error, "access_denied");
      assert.match(description ?? "", /WEBEID_CERTIFICATE_SUSPENDED/);

      // A good card still logs in after the refusals.
      const again = await startLogin({ config });
      const ok = await loginWithCard(again, auth.issuer, card);
      assert.equal(ok.outcome, "authenticated");

      // Still serving.
      assert.equal((await fetch(`${auth.issuer}/.well-known/openid-configuration`)).status, 200);
      assert.equal((await fetch(`${auth.issuer}/healthz`)).status, 200);
      const unknownSubject = await auth.service.exchange.app.inject({ method: "GET", url: "/authentications/nobody" });
      assert.equal(unknownSubject.statusCode, 400);
      const badCode = await auth.service.exchange.app.inject({ method: "GET", url: "/authentications/EE38001085719" });
      assert.equal(badCode.json().code, "AUTH_SUBJECT_INVALID");
    });
  });
}
