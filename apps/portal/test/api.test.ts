// The portal's HTTP API without a browser: headers, CSRF, the login through the auth service
// (OpenID Connect relying party), sessions, logout everywhere and back-channel logout, the
// data reads through the (fake) security server, Data Tracker answers and the operator view.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { cardCertificate, issueCard, normaliseSerial } from "@riik/pki";
import {
  messageCounts,
  normaliseUsage,
  type OperatorOverview,
  PortalError,
  parseCheckpointNote,
  parseFindUsage,
  parsePortalConfig,
  type UsageReport,
} from "../src/index.ts";
import { Client } from "./client.ts";
import { PIN1, PIN2, PROVIDER, startWorld, type TestWorld } from "./helpers.ts";

// The stand-in records the X-Road headers the portal sends and refuses on demand (trackerFault), which
// a real security server neither shows nor can be made to do; anchored, proofs and register data on real
// components: anchoring.test.ts and up.e2e.test.ts.
const world: TestWorld = await startWorld();
const { url, portal } = await world.startPortal();

/** A client with a cookie jar, as a browser on the portal's page. */
describe("portal HTTP API", () => {
  it("serves the page, script and styles with security headers and a CSP without inline scripts", async () => {
    const client = new Client(url, world.card);
    const page = await client.call("/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.doesNotMatch(page.text, /<script>|\son\w+="/, "no inline script or handler");
    const script = await client.call("/app.js");
    assert.match(script.headers.get("content-type") ?? "", /javascript/);
    assert.ok(script.text.length > 1000);
    const etag = script.headers.get("etag") ?? "";
    const again = await fetch(`${url}/app.js`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal((await client.call("/healthz")).json.status, "ok");
    assert.match((await client.call("/metrics")).text, /riik_http_requests_total/);
  });

  it("refuses state-changing requests without this portal's Origin (CSRF)", async () => {
    const client = new Client(url, world.card);
    const noOrigin = await client.call("/api/logout", { method: "POST", body: {}, origin: null });
    assert.equal(noOrigin.status, 403);
    assert.equal(noOrigin.json.code, "PORTAL_CSRF");
    const evil = await client.call("/api/logout", { method: "POST", body: {}, origin: "https://evil.example" });
    assert.equal(evil.status, 403);
    assert.equal(evil.json.code, "PORTAL_CSRF");
  });

  it("logs in through the auth service (code flow, PKCE S256, state, nonce), in an HttpOnly SameSite=Strict cookie", async () => {
    const client = new Client(url, world.card);
    const start = await client.call("/api/auth/start?lang=en", { redirect: "manual" });
    assert.equal(start.status, 303);
    const authorize = new URL(start.headers.get("location") ?? "");
    assert.equal(authorize.origin, world.authUrl);
    assert.equal(authorize.searchParams.get("response_type"), "code");
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorize.searchParams.get("scope"), "openid idcard app representee_list");
    assert.equal(authorize.searchParams.get("redirect_uri"), `${url}/api/auth/callback`);
    assert.equal(authorize.searchParams.get("ui_locales"), "en");
    for (const name of ["state", "nonce", "code_challenge"]) assert.ok(authorize.searchParams.get(name), name);
    assert.match(client.lastSetCookie ?? "", /^riik-portal-login=.*HttpOnly/);
    assert.match(client.lastSetCookie ?? "", /SameSite=Lax/, "the login cookie survives the redirect back");

    const login = await client.login();
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.authenticated, true);
    assert.equal(login.json.person.personalCode, world.card.personalCode);
    assert.equal(login.json.person.givenName, "MARI-LIIS", "the ID token's given_name, as TARA writes it");
    assert.match(client.lastSetCookie ?? "", /^riik-portal=[A-Za-z0-9_-]{43};/);
    assert.match(client.lastSetCookie ?? "", /HttpOnly/);
    assert.match(client.lastSetCookie ?? "", /SameSite=Strict/);
    const records = await world.auth.authentications.of(`EE${world.card.personalCode}`, 10);
    assert.ok(
      records.some((r) => r.clientId.startsWith("portal-") && r.method === "idcard"),
      "the login is recorded",
    );
  });

  it("refuses a return it did not start, and a return whose state is not its own", async () => {
    const client = new Client(url, world.card);
    const stray = await client.call("/api/auth/callback?code=abc&state=xyz", { redirect: "manual" });
    assert.equal(stray.status, 303);
    assert.match(stray.headers.get("location") ?? "", /[?&]login=PORTAL_LOGIN_EXPIRED/);
    await client.call("/api/auth/start", { redirect: "manual" });
    const forged = await client.call("/api/auth/callback?code=abc&state=not-mine", { redirect: "manual" });
    assert.match(forged.headers.get("location") ?? "", /[?&]login=PORTAL_LOGIN_FAILED/);
    // The pending login was used up by that answer: the same cookie cannot come back again.
    const again = await client.call("/api/auth/callback?code=abc&state=not-mine", { redirect: "manual" });
    assert.match(again.headers.get("location") ?? "", /[?&]login=PORTAL_LOGIN_EXPIRED/);
    assert.equal((await client.call("/api/session")).json.authenticated, false);
  });

  it("#10 a flood of anonymous login starts leaves a logged-in session working", async () => {
    const client = new Client(url, world.card);
    assert.equal((await client.login()).status, 200);
    const sessionsBefore = portal.sessions.size;
    for (let i = 0; i < 300; i++)
      assert.equal((await new Client(url, world.card).call("/api/auth/start", { redirect: "manual" })).status, 303);
    // Pending logins live in their own bounded store: they create no session and evict none.
    assert.equal(portal.sessions.size, sessionsBefore);
    const session = await client.call("/api/session");
    assert.equal(session.json.authenticated, true);
    assert.equal((await new Client(url, world.card).login()).status, 200, "a new login works");
  });

  it("reads my data through X-Road as me, with the purpose citizen self-service", async () => {
    const client = new Client(url, world.card);
    await client.login();
    const me = await client.call("/api/me");
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.person.givenName, "Mari-Liis");
    assert.equal(me.json.exchange.purpose, "citizen self-service");
    const family = await client.call("/api/me/family");
    assert.equal(family.json.family.parents[0].givenName, "Malle");
    assert.equal(family.json.family.spouse, null);
    const address = await client.call("/api/me/address");
    assert.equal(address.json.address.municipality, "Tallinn");
    const sent = world.ss.requests.filter((r) => r.url.includes(`/persons/${world.card.personalCode}`));
    assert.ok(sent.length >= 3);
    for (const r of sent) {
      assert.equal(r.headers["x-road-client"], "EE/GOV/70006317/portal");
      assert.equal(r.headers["x-road-userid"], `EE${world.card.personalCode}`);
      assert.equal(r.headers["x-road-issue"], "citizen self-service");
      assert.match(String(r.headers["x-road-id"]), /^[0-9a-f-]{36}$/);
    }
  });

  it("shows who used my data, newest first, anchored, with a downloadable proof", async () => {
    const client = new Client(url, world.card);
    await client.login();
    await client.call("/api/me");
    const usage = await client.call("/api/me/usage");
    assert.equal(usage.status, 200, usage.text);
    const report = usage.json as UsageReport;
    assert.equal(report.userCode, `EE${world.card.personalCode}`);
    assert.ok(report.usages.length >= 1);
    assert.deepEqual(
      report.usages.map((u) => u.time),
      [...report.usages.map((u) => u.time)].sort().reverse(),
    );
    const first = report.usages[0]!;
    assert.equal(first.purpose, "citizen self-service");
    // The stand-in claims the anchoring but serves no real proof: claimed, not verified. A real
    // proof shows anchored in anchoring.test.ts (issue 22).
    assert.equal(first.anchor.claimed, true);
    assert.equal(first.anchor.anchored, false);
    assert.equal(first.anchor.reference, "batch 7");
    assert.equal(first.user, `EE${world.card.personalCode}`);
    assert.equal(report.providers[0]?.ok, true);
    const q = world.ss.requests.find((r) => r.url.includes("findUsage"));
    assert.equal(q?.headers["x-road-client"], "EE/GOV/70006317/datatracker");
    assert.match(
      decodeURIComponent(q?.url ?? ""),
      /userCode=EE\d{11}&periodStart=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ&periodEnd=.*&offset=0&limit=1000/,
    );
    const proof = await client.call(`/api/me/usage/proof?provider=${encodeURIComponent(PROVIDER)}&id=${first.proofId}`);
    assert.equal(proof.status, 200);
    assert.equal(proof.json.query.userCode, `EE${world.card.personalCode}`);
    assert.match(proof.headers.get("content-disposition") ?? "", /attachment/);
    const foreign = await client.call(`/api/me/usage/proof?provider=EE/GOV/1/x&id=1`);
    assert.equal(foreign.status, 404);
  });

  it("reports a Data Tracker that refuses, and still answers", async () => {
    const client = new Client(url, world.card);
    await client.login();
    world.ss.trackerFault = "Server.ServerProxy.AccessDenied";
    try {
      const usage = await client.call("/api/me/usage");
      assert.equal(usage.status, 200);
      assert.equal(usage.json.providers[0].ok, false);
      assert.equal(usage.json.providers[0].error.type, "Server.ServerProxy.AccessDenied");
    } finally {
      world.ss.trackerFault = undefined;
    }
  });

  it("#10 an e-resident (not in the population register) is told PORTAL_NOT_IN_REGISTER (404), not a 502", async () => {
    const eResident = await issueCard(world.services, {
      personalCode: generatePersonalCode("1985-07-07", "female", 903),
      givenName: "Ada",
      surname: "Lovelace",
      pin1: PIN1,
      pin2: PIN2,
    });
    const client = new Client(url, world.card);
    assert.equal((await client.login(eResident)).status, 200);
    for (const path of ["/api/me", "/api/me/family", "/api/me/address"]) {
      const answer = await client.call(path);
      assert.equal(answer.status, 404, `${path}: ${answer.text}`);
      assert.equal(answer.json.code, "PORTAL_NOT_IN_REGISTER");
    }
    assert.equal((await client.call("/api/me/usage")).status, 200, "the rest of the portal still serves");
  });

  it("#10 every route has a request schema: bad query, params and bodies are REQUEST_INVALID, never FST_ERR_*", async () => {
    const client = new Client(url, world.card);
    await client.login();
    const cases = [
      await client.call("/api/me/usage/proof?provider=x&id=abc"),
      await client.call("/api/me/usage/proof?id=1"),
      await client.call("/api/me?surprise=1"),
      await client.call("/api/sign/containers/..%2Fx"),
      await client.call("/api/logout", { method: "POST", body: { surprise: 1 } }),
      await client.call("/api/auth/start?lang=xx"),
      await client.call("/api/auth/callback?surprise=1"),
      await client.call("/api/auth/backchannel-logout", { method: "POST", body: { surprise: 1 } }),
      await client.call("/api/sign/finish", { method: "POST", body: "text" }),
    ];
    for (const answer of cases) {
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.code, "REQUEST_INVALID", answer.text);
      assert.ok(answer.json.details.errors.length > 0);
    }
    assert.equal((await client.call("/api/session")).json.authenticated, true, "the portal still serves");
  });

  it("needs a session for my data, and ends it at logout", async () => {
    const client = new Client(url, world.card);
    const anonymous = await client.call("/api/me");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.code, "PORTAL_UNAUTHENTICATED");
    await client.login();
    assert.equal((await client.call("/api/me")).status, 200);
    const old = new Map(client.jar);
    await client.call("/api/logout", { method: "POST", body: {} });
    for (const [name, value] of old) client.jar.set(name, value);
    assert.equal((await client.call("/api/me")).status, 401, "the old session id is dead");
  });

  it("tells a refused login by the provider's reason: a suspended card", async () => {
    const client = new Client(url, world.card);
    const suspended = await world.newCard("Peeter", "Peatatud");
    const serial = normaliseSerial(cardCertificate(suspended, "authentication").serialNumber);
    await world.services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "test" });
    const refused = await client.login(suspended);
    assert.equal(refused.refusal, "WEBEID_CERTIFICATE_SUSPENDED");
    assert.equal(refused.json.authenticated, false);
  });

  it("#12 shows whom the person may act for (representee_list, GovSSO 4.1)", async () => {
    const parent = await world.newCard("Tiina", "Tegutseja");
    const grantor = await world.newCard("Ants", "Andja");
    await world.auth.mandates.explicit.grant({
      grantor: `EE${grantor.personalCode}`,
      representative: `EE${parent.personalCode}`,
      role: "PORTAL:Read",
      by: "test",
    });
    const client = new Client(url, parent);
    const session = await client.login();
    assert.equal(session.status, 200, session.text);
    assert.equal(session.json.representees.status, "current");
    assert.deepEqual(
      session.json.representees.list.map((r: { type: string; sub: string }) => [r.type, r.sub]),
      [["NATURAL_PERSON", `EE${grantor.personalCode}`]],
    );
    const alone = await new Client(url, world.card).login();
    assert.deepEqual(alone.json.representees, { status: "current", list: [] });

    // Act for the grantor (GovSSO 4.2 through single sign-on): "My data" is the grantor's, read
    // with the actor as X-Road-UserId and the grantor as X-Road-Represented-Party.
    const acting = await client.actFor(`EE${grantor.personalCode}`);
    assert.equal(acting.status, 200, acting.refusal ?? acting.text);
    assert.equal(acting.json.actingFor.sub, `EE${grantor.personalCode}`);
    assert.equal(acting.json.person.personalCode, parent.personalCode, "the person logged in stays the actor");
    const me = await client.call("/api/me");
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.person.personalCode, grantor.personalCode);
    const read = world.ss.requests.findLast((r) => r.url.endsWith(`/persons/persons/${grantor.personalCode}`));
    assert.equal(read?.headers["x-road-userid"], `EE${parent.personalCode}`);
    assert.equal(read?.headers["x-road-represented-party"], `EE${grantor.personalCode}`);
    // Someone the person may not act for is refused by the provider; the session stays as it was.
    const stranger = await client.actFor(`EE${world.card.personalCode}`);
    assert.equal(stranger.refusal, "REQUESTED_REPRESENTEE_NOT_ALLOWED");
    assert.equal(stranger.json.actingFor?.sub, `EE${grantor.personalCode}`);
    // And back to acting for oneself.
    const self = await client.actFor("self");
    assert.equal(self.json.actingFor, undefined);
    assert.equal((await client.call("/api/me")).json.person.personalCode, parent.personalCode);
  });

  it("#10 suspending the card ends its session (the provider refuses the session's refresh)", async () => {
    const { url: strict } = await world.startPortal({}, { sessionRefreshSeconds: 0 });
    const card = await world.newCard("Kadri", "Kaardita");
    const client = new Client(strict, world.card);
    assert.equal((await client.login(card)).status, 200);
    assert.equal((await client.call("/api/session")).json.authenticated, true);
    assert.equal((await client.call("/api/me")).status, 200, "refreshed while the card is good");
    // The real CA registry and OCSP responder of the test's trust services.
    const serial = normaliseSerial(cardCertificate(card, "authentication").serialNumber);
    await world.services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "test" });
    const me = await client.call("/api/me");
    assert.equal(me.status, 401, me.text);
    assert.equal(me.json.code, "PORTAL_UNAUTHENTICATED");
    assert.equal((await client.call("/api/session")).json.authenticated, false, "the session is gone");
    const other = new Client(strict, world.card);
    assert.equal((await other.login()).status, 200, "the portal still serves others");
    assert.equal((await other.call("/api/session")).json.authenticated, true);
  });

  it("logs out everywhere: the provider's session ends, and back-channel logout ends the other portal's session", async () => {
    const { url: second } = await world.startPortal();
    const card = await world.newCard("Liis", "Lahkuja");
    const first = new Client(url, card);
    assert.equal((await first.login()).status, 200);
    // The same browser at another e-service: the provider's single sign-on, no card asked.
    const other = new Client(second, card);
    for (const [name, value] of first.jar) if (!name.startsWith("riik-portal")) other.jar.set(name, value);
    const start = await other.call("/api/auth/start", { redirect: "manual" });
    const sso = await other.call(start.headers.get("location") ?? "", { redirect: "manual" });
    assert.equal(sso.status, 303);
    assert.doesNotMatch(sso.headers.get("location") ?? "", /\/interaction\//, "no login page: single sign-on");
    assert.equal((await other.login()).json.person.personalCode, card.personalCode);

    const { logoutUrl, confirmed } = await first.logoutEverywhere();
    assert.equal(new URL(logoutUrl).origin, world.authUrl);
    assert.equal(new URL(logoutUrl).searchParams.get("post_logout_redirect_uri"), `${url}/?logout=done`);
    assert.ok(new URL(logoutUrl).searchParams.get("id_token_hint"), "the ID token names the session");
    assert.equal(confirmed.status, 303, confirmed.text);
    assert.equal(confirmed.headers.get("location"), `${url}/?logout=done`);
    assert.equal((await first.call("/api/session")).json.authenticated, false);
    assert.equal((await other.call("/api/session")).json.authenticated, false, "back-channel logout ended it");
    // The provider's session is gone too: a new login at either portal asks for the card again.
    for (const [name, value] of first.jar) if (!name.startsWith("riik-portal")) other.jar.set(name, value);
    const again = await other.call("/api/auth/start", { redirect: "manual" });
    const { at, result: page } = await other.follow(again.headers.get("location") ?? "");
    assert.match(at.pathname, /^\/interaction\//);
    assert.match(page.text, /id="card-file"/, "the login page asks for the card");
  });

  it("answers the operator view on loopback, or with the operator token only", async () => {
    const open = await new Client(url, world.card).call("/api/operator/overview");
    assert.equal(open.status, 200, open.text);
    const overview = open.json as OperatorOverview;
    assert.ok(overview.services.some((s) => s.name === "pki" && s.state === "up"));
    assert.equal(overview.members.length, 2);
    assert.equal(overview.globalConf?.version, 17);
    const ss = overview.securityServers.find((s) => s.id === "EE/GOV/70000562/ss-rr");
    assert.equal(ss?.state, "up");
    assert.equal(ss?.messages?.bySide.server, 2);
    assert.equal(overview.ledger?.checkpoint?.size, 42);
    // #22: each cosignature verified against the global configuration's witness keys.
    assert.deepEqual(
      overview.witnesses.map((w) => [w.name, w.cosigned, w.cosignature]),
      [
        ["riik.localhost/witness-1", true, "verified"],
        ["riik.localhost/witness-2", false, "none"],
        ["riik.localhost/witness-3", false, "invalid"],
      ],
    );
    const token = "operator-token-0123456789";
    const { url: guarded } = await world.startPortal({ operatorToken: token });
    const without = await new Client(guarded, world.card).call("/api/operator/overview");
    assert.equal(without.status, 403);
    assert.equal(without.json.code, "PORTAL_OPERATOR_FORBIDDEN");
    const withToken = await new Client(guarded, world.card).call("/api/operator/overview", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(withToken.status, 200);
  });
});

describe("portal pieces", () => {
  it("collects every bad configuration field", () => {
    assert.throws(
      () =>
        parsePortalConfig({
          port: -1,
          publicOrigin: "http://x/path",
          securityServer: { url: "ftp://x", clientCert: "a.pem" },
          portalClient: "EE/GOV",
          dataTrackerProviders: ["x"],
          trustedCaFiles: [],
          auth: { issuer: "http://auth.example/?x=1", clientId: "portal", clientSecret: "short", scope: "idcard" },
          surprise: 1,
        }),
      (error: unknown) => {
        assert.ok(error instanceof PortalError);
        assert.equal(error.code, "PORTAL_CONFIG");
        assert.deepEqual([...((error.details?.fields ?? []) as string[])].sort(), [
          "auth.clientSecret",
          "auth.issuer",
          "auth.scope",
          "dataTrackerProviders[0]",
          "port",
          "portalClient",
          "publicOrigin",
          "securityServer.clientKey",
          "securityServer.url",
          "surprise",
          "trustedCaFiles",
        ]);
        return true;
      },
    );
  });

  it("reads v2 and v3 findUsage answers tolerantly", () => {
    const v2 = parseFindUsage(
      {
        totalUsages: 1,
        usages: [
          {
            logtime: "2021-01-31T10:20:30",
            action: "Isiku päring",
            receiverCode: "70000562",
            receiverName: "SMIT",
            receiverSystem: "Politsei",
          },
        ],
      },
      PROVIDER,
    );
    assert.equal(v2.usages[0]?.purpose, "Isiku päring");
    assert.equal(v2.usages[0]?.institution.name, "SMIT");
    assert.equal(v2.usages[0]?.anchor.anchored, false);
    const v3 = parseFindUsage(
      {
        totalUsages: 1,
        returnedUsages: 1,
        dataRequests: [],
        dataResponses: [
          {
            logTime: "2021-01-31T10:20:30Z",
            purpose: "Raviajaloo vaatamine",
            initiatorOrg: { type: "GOV", code: "70008799", name: "PPA", systemName: "POLIS" },
            initiatorPerson: { code: "EE38001085718", name: "Mari Maasikas" },
            target: { type: "GOV", name: "RR" },
            riik: { id: 3, anchor: { batch: 2, ledger: false }, proof: "/riik/proof?x" },
          },
        ],
        dataProcessings: null,
        internalProcessings: null,
      },
      PROVIDER,
    );
    const u = v3.usages[0]!;
    assert.deepEqual(
      [u.institution.name, u.system, u.user, u.proofId],
      ["PPA", "POLIS", "Mari Maasikas, EE38001085718", 3],
    );
    assert.equal(u.anchor.claimed, false, "time-stamped but not yet in the ledger");
    assert.equal(normaliseUsage({ logtime: "not a time" }, PROVIDER), undefined);
  });

  it("reads checkpoints and message counts", () => {
    const note = "riik.localhost/ledger\n3\nAAAA\n\n\u2014 riik.localhost/ledger abc=\n\u2014 w1 def=\n";
    assert.deepEqual(parseCheckpointNote(note)?.signers, ["riik.localhost/ledger", "w1"]);
    assert.equal(parseCheckpointNote("garbage"), undefined);
    const counts = messageCounts(
      'riik_xroad_messages_total{side="client",service="a",outcome="ok"} 3\nriik_xroad_messages_total{side="server",service="a",outcome="error"} 1\nother 5\n',
    );
    assert.deepEqual(counts, { total: 4, bySide: { client: 3, server: 1 }, byOutcome: { ok: 3, error: 1 } });
  });
});
