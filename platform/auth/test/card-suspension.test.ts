// Issue 12: a session ends when the person's card is suspended, at once: the service follows
// the trust services' status feed and sends the back-channel logout without waiting for the
// session to be used again.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { cardCertificate, normaliseSerial } from "@riik/pki";
import { decodeJwt } from "jose";
import * as client from "openid-client";
import { loginWithCard, newCard, startAuth, startLogin, startRelyingParty, startTrust } from "./harness.ts";

const trust = await startTrust();
const rp = await startRelyingParty();

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let tries = 0; tries < 200; tries++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen`);
}

for (const target of await dialectTargets()) {
  describe(`a suspended card ends its sessions at once, storage on ${target.dialect}`, () => {
    it("sends the back-channel logout for the session's sid and leaves no token that refreshes", async () => {
      const auth = await startAuth(target, trust, temporaryDirectory("riik-auth-keys-"), undefined, {
        followCardStatus: true,
      });
      const clientId = `following-${target.dialect}`;
      const { clientSecret } = await auth.service.clients.add({
        clientId,
        redirectUris: [`${rp.url}/callback`],
        backchannelLogoutUri: `${rp.url}/backchannel-logout`,
        scopes: ["openid", "idcard"],
        minimumAcr: "high",
        authentication: { method: "client_secret_basic" },
      });
      const config = await client.discovery(
        new URL(auth.issuer),
        clientId,
        { redirect_uris: [`${rp.url}/callback`] },
        client.ClientSecretBasic(clientSecret),
        { execute: [client.allowInsecureRequests] },
      );
      const card = await newCard(trust.services);
      const other = await newCard(trust.services);
      const login = await startLogin({ config });
      const back = await login.browser.follow((await loginWithCard(login, auth.issuer, card)).redirect, auth.issuer);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.response.headers.get("location")!), {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
      });
      const sid = tokens.claims()!.sid as string;
      const logoutsFor = (wanted: string) =>
        rp.logoutTokens.map((token) => decodeJwt(token)).filter((claims) => claims.sid === wanted);

      // Another person's signing certificate changing ends nothing.
      await trust.services.registry.changeStatus(
        "esteid",
        normaliseSerial(cardCertificate(other, "signing").serialNumber),
        { event: "suspended", actor: "test" },
      );
      await trust.services.registry.changeStatus(
        "esteid",
        normaliseSerial(cardCertificate(card, "authentication").serialNumber),
        { event: "suspended", actor: "test" },
      );
      const logout = await until("the back-channel logout", () => logoutsFor(sid)[0]);
      assert.equal(logout.sub, tokens.claims()!.sub);
      assert.equal(logout.aud, clientId);
      assert.deepEqual(logout.events, { "http://schemas.openid.net/event/backchannel-logout": {} });
      assert.equal(logoutsFor(sid).length, 1, "one logout for the one session");
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), { error: "invalid_grant" });
      const again = await startLogin({ config }, login.browser);
      assert.ok(again.uid, "no session is left to sign in with: the login page is shown");
      const cursor = await auth.storage.db.selectFrom("feed_cursors").select("position").executeTakeFirstOrThrow();
      assert.ok(Number(cursor.position) > 0, "the feed's cursor is kept in storage, so a restart resumes");
    });
  });
}
