// Back-channel logout tokens as OpenID Connect Back-Channel Logout 1.0, 2.6 says a relying
// party validates them, with keys published at a JWKS URL as the provider's are: each check
// refuses a token that breaks it, and a jti is good once. (The whole exchange with the real
// provider is api.test.ts's "logs out everywhere".)
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, it } from "node:test";
import { freePort } from "@riik/core/testing";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { PortalError } from "../src/errors.ts";
import { BACKCHANNEL_LOGOUT_EVENT, LogoutTokens } from "../src/oidc/backchannel-logout.ts";

const ISSUER = "http://auth.test";
const CLIENT = "portal";
const provider = await generateKeyPair("RS256");
const stranger = await generateKeyPair("RS256");
const jwk = { ...(await exportJWK(provider.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
const server = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
});
const port = await freePort();
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

let serial = 0;
async function logoutToken(
  change: (claims: JWTPayload) => JWTPayload = (claims) => claims,
  key = provider.privateKey,
): Promise<string> {
  serial += 1;
  const claims = change({
    iss: ISSUER,
    aud: CLIENT,
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 120,
    jti: `jti-${serial}`,
    sid: "session-1",
    sub: "EE38001085718",
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  });
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1", typ: "logout+jwt" }).sign(key);
}

const tokens = new LogoutTokens({ issuer: ISSUER, jwksUri: `http://127.0.0.1:${port}/jwks`, clientId: CLIENT });

async function refused(token: string, reason: RegExp): Promise<void> {
  await assert.rejects(tokens.validate(token), (error: unknown) => {
    assert.ok(error instanceof PortalError);
    assert.equal(error.code, "PORTAL_LOGOUT_TOKEN");
    assert.match(error.message, reason);
    return true;
  });
}

describe("back-channel logout token (Back-Channel Logout 1.0, 2.6)", () => {
  it("accepts a valid token once, and names its sid", async () => {
    const token = await logoutToken();
    assert.deepEqual(await tokens.validate(token), { sid: "session-1", sub: "EE38001085718" });
    await refused(token, /used already/);
  });

  it("refuses another signer, issuer, audience, and a token too old", async () => {
    await refused(await logoutToken(undefined, stranger.privateKey), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    await refused(await logoutToken((c) => ({ ...c, iss: "http://evil.test" })), /ERR_JWT_CLAIM_VALIDATION_FAILED/);
    await refused(await logoutToken((c) => ({ ...c, aud: "another" })), /ERR_JWT_CLAIM_VALIDATION_FAILED/);
    const old = Math.floor(Date.now() / 1000) - 3600;
    await refused(await logoutToken((c) => ({ ...c, iat: old, exp: old + 7200 })), /ERR_JWT_EXPIRED/);
  });

  it("refuses a token without iat, jti, the logout event or sid, or with a nonce", async () => {
    const without = (name: string) => (c: JWTPayload) =>
      Object.fromEntries(Object.entries(c).filter(([k]) => k !== name));
    await refused(await logoutToken(without("iat")), /ERR_JWT_CLAIM_VALIDATION_FAILED/);
    await refused(await logoutToken(without("jti")), /ERR_JWT_CLAIM_VALIDATION_FAILED/);
    await refused(await logoutToken(without("events")), /no back-channel logout event/);
    await refused(
      await logoutToken((c) => ({ ...c, events: { "http://other/event": {} } })),
      /no back-channel logout event/,
    );
    await refused(await logoutToken(without("sid")), /no sid/);
    await refused(await logoutToken((c) => ({ ...c, nonce: "n" })), /must not have a nonce/);
    await refused("not.a.jwt", /not valid/);
  });
});
