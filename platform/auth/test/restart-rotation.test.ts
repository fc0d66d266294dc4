import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { describe, it } from "node:test";
import { dialectTargets, freePort, temporaryDirectory } from "@riik/core/testing";
import * as client from "openid-client";
import { Agent, setGlobalDispatcher } from "undici";
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

const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()).kid as string;

/** Verifies an RS256 JWT with the key of its kid in the provider's published JWKS (RFC 7515 5.2). */
async function verifiesWithJwks(auth: RunningAuth, jwt: string): Promise<boolean> {
  const { keys } = (await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: Array<JsonWebKey & { kid: string }> };
  const jwk = keys.find((key) => key.kid === kidOf(jwt));
  if (!jwk) return false;
  const [header, payload, signature] = jwt.split(".");
  return verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk, format: "jwk" }),
    Buffer.from(signature!, "base64url"),
  );
}

for (const target of await dialectTargets()) {
  describe(`auth provider across a restart and a key rotation, storage on ${target.dialect}`, () => {
    it("keeps sessions, codes and refresh tokens, and rolls its signing key over", async () => {
      const keysDir = temporaryDirectory("riik-auth-keys-");
      const port = await freePort();
      let auth = await startAuth(target, trust, keysDir, port);
      const { clientSecret } = await auth.service.clients.add({
        clientId: "rotating",
        redirectUris: [callbackUri],
        scopes: ["openid", "idcard"],
        minimumAcr: "high",
        authentication: { method: "client_secret_basic" },
      });
      const discover = () =>
        client.discovery(
          new URL(auth.issuer),
          "rotating",
          { redirect_uris: [callbackUri] },
          client.ClientSecretBasic(clientSecret),
          {
            execute: [client.allowInsecureRequests],
          },
        );
      let config = await discover();
      const login = await startLogin({ config });
      const answer = await loginWithCard(login, auth.issuer, await newCard(trust.services));
      const back = await login.browser.follow(answer.redirect, auth.issuer);
      const callback = new URL(back.response.headers.get("location")!);
      const checks = { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce };
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      const oldKid = kidOf(tokens.id_token!);
      const refreshToken = tokens.refresh_token!;

      // Rotate: the new key is made while the service runs, and signs after the restart.
      const rotated = await auth.service.keys.rotate();
      assert.notEqual(rotated.kid, oldKid);
      await auth.close();
      auth = await startAuth(target, trust, keysDir, port);
      // The old server's keep-alive sockets are gone; the client must not reuse them.
      setGlobalDispatcher(new Agent());
      config = await discover();

      const { keys } = (await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      assert.deepEqual(keys.map((key) => key.kid).sort(), [oldKid, rotated.kid].sort());
      assert.ok(await verifiesWithJwks(auth, tokens.id_token!), "a token of the old key still verifies");

      // The refresh token still works, and new tokens carry the new kid.
      // The single sign-on session survived: the same browser gets a code without logging in.
      const sso = await startLogin({ config }, login.browser);
      assert.equal(sso.uid, undefined);
      assert.equal(sso.response.status, 303);
      const refreshed = await client.refreshTokenGrant(config, refreshToken);
      assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
      assert.equal(kidOf(refreshed.id_token!), rotated.kid);
      assert.ok(await verifiesWithJwks(auth, refreshed.id_token!));
      const refreshToken2 = refreshed.refresh_token!;

      // The used code stays used; its reuse revokes what it granted (RFC 6749 4.1.2).
      await assert.rejects(client.authorizationCodeGrant(config, callback, checks), { error: "invalid_grant" });
      await assert.rejects(client.refreshTokenGrant(config, refreshToken2), { error: "invalid_grant" });

      // Retire the old key and reload without a restart: only the new key is published.
      assert.deepEqual(await auth.service.keys.retire(), [oldKid]);
      await auth.service.reloadKeys();
      const after = (await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      assert.deepEqual(
        after.keys.map((key) => key.kid),
        [rotated.kid],
      );
      assert.equal(await verifiesWithJwks(auth, tokens.id_token!), false);
    });
  });
}
