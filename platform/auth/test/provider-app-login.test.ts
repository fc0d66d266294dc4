import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import * as client from "openid-client";
import { createEnrolmentCode } from "../src/index.ts";
import { Phone } from "./fixtures/app-login/harness.ts";
import { startAuth, startLogin, startRelyingParty, startTrust } from "./harness.ts";

const trust = await startTrust();
const rp = await startRelyingParty();
const callbackUri = `${rp.url}/callback`;

for (const target of await dialectTargets()) {
  describe(`auth provider with the app login, storage on ${target.dialect}`, () => {
    it("logs in with the app at acr substantial; a high-only client is refused; a refusal in the app is access_denied", async () => {
      const auth = await startAuth(target, trust, temporaryDirectory("riik-auth-keys-"), undefined, { appLogin: true });
      const register = async (clientId: string, minimumAcr: "substantial" | "high") => {
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
          client.ClientSecretBasic(clientSecret),
          {
            execute: [client.allowInsecureRequests],
          },
        );
      };
      const config = await register("eservice", "substantial");
      const personalCode = "39001010000";
      const phone = new Phone(auth.issuer);
      const { code } = await createEnrolmentCode(auth.storage.db, { personalCode, givenName: "Jaan", surname: "Tamm" });
      assert.equal((await phone.enrol(code)).status, 200);

      // The login page offers both methods; the person starts the app login with their code.
      const login = await startLogin({ config, scope: "openid" });
      assert.match(await login.response.text(), /Log in with the app/);
      const base = `${auth.issuer}/interaction/${login.uid}`;
      const json = { method: "POST", headers: { "content-type": "application/json" } };
      const started = (await (
        await login.browser.fetch(`${base}/app/start`, { ...json, body: JSON.stringify({ personalCode }) })
      ).json()) as { verificationCode: string };
      assert.match(started.verificationCode, /^\d{4}$/);
      assert.deepEqual(await (await login.browser.fetch(`${base}/app/status`, { method: "POST" })).json(), {
        outcome: "running",
      });
      const [pending] = await phone.pending();
      assert.ok(pending);
      await phone.confirm(pending.sessionId, started.verificationCode, await phone.sign(pending.hash));
      const done = (await (await login.browser.fetch(`${base}/app/status`, { method: "POST" })).json()) as {
        outcome: string;
        redirect: string;
      };
      assert.equal(done.outcome, "authenticated");
      const back = await login.browser.follow(done.redirect, auth.issuer);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.response.headers.get("location")!), {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, `EE${personalCode}`);
      assert.equal(claims.acr, "substantial");
      assert.deepEqual(claims.amr, ["app"]);

      // A client that needs acr high is never offered the app login.
      const strict = await register("strict", "high");
      const strictLogin = await startLogin({ config: strict, scope: "openid" });
      assert.doesNotMatch(await strictLogin.response.text(), /Log in with the app/);
      const notOffered = await strictLogin.browser.fetch(`${auth.issuer}/interaction/${strictLogin.uid}/app/start`, {
        ...json,
        body: JSON.stringify({ personalCode }),
      });
      assert.equal(notOffered.status, 403);
      assert.equal(((await notOffered.json()) as { code: string }).code, "AUTH_METHOD_NOT_OFFERED");

      // The person refuses in the app: the relying party gets access_denied with the code.
      const refused = await startLogin({ config, scope: "openid app" });
      const refusedBase = `${auth.issuer}/interaction/${refused.uid}`;
      await refused.browser.fetch(`${refusedBase}/app/start`, { ...json, body: JSON.stringify({ personalCode }) });
      const [toRefuse] = await phone.pending();
      assert.ok(toRefuse);
      await phone.refuse(toRefuse.sessionId);
      const ended = (await (await refused.browser.fetch(`${refusedBase}/app/status`, { method: "POST" })).json()) as {
        outcome: string;
        code: string;
        redirect: string;
      };
      assert.deepEqual([ended.outcome, ended.code], ["refused", "USER_REFUSED"]);
      const denied = await refused.browser.follow(ended.redirect, auth.issuer);
      const location = new URL(denied.response.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "access_denied");
      assert.match(location.searchParams.get("error_description") ?? "", /USER_REFUSED/);

      // A person with no app: typed refusal, the login stays open.
      const nobody = await startLogin({ config, scope: "openid app" });
      const noAccount = await nobody.browser.fetch(`${auth.issuer}/interaction/${nobody.uid}/app/start`, {
        ...json,
        body: JSON.stringify({ personalCode: "38001085718" }),
      });
      assert.equal(noAccount.status, 404);
      assert.equal(((await noAccount.json()) as { code: string }).code, "NO_ACCOUNT");
    });
  });
}
