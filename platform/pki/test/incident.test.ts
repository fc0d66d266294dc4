// A key incident on SQLite and PostgreSQL: certificates with RSALib's fingerprint (the
// published ROCA moduli) are found among ordinary ones and suspended at once; a holder renews;
// an operator releases one; the deadline revokes the rest; a crash mid-sweep resumes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { CertificateAuthority } from "../src/ca/authority.ts";
import { personName } from "../src/ca/names.ts";
import {
  declareIncident,
  enforceIncidentDeadline,
  holdersToNotify,
  incidentReport,
  recordRenewal,
} from "../src/incident/incident.ts";
import { renewCardRemotely } from "../src/incident/renewal-client.ts";
import { CertificateRegistry, REVOCATION_REASONS } from "../src/registry/certificate-registry.ts";
import { createAuthToken } from "../src/webeid/auth-token.ts";
import { issueTestCard, opensslOcsp, run, startTestTrustServices } from "./helpers.ts";

const targets = await dialectTargets();
const trust = await startTestTrustServices();

const vectors = JSON.parse(readFileSync(new URL("vectors/roca.json", import.meta.url), "utf8")) as {
  moduli: Array<{ name: string; modulus: string; fingerprinted: boolean }>;
};
/** An RSA public key of a published modulus (no private key: the CA signs any subject key). */
async function rsaPublicKey(name: string): Promise<CryptoKey> {
  const vector = vectors.moduli.find((m) => m.name === name)!;
  const hex = vector.modulus.slice(2);
  const n = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
  return crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n, e: "AQAB" },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["verify"],
  );
}

const DAY = 86_400_000;
const code = (birthDate: string, sex: "male" | "female", serial: number) =>
  generatePersonalCode(birthDate, sex, serial);

for (const target of targets) {
  describe(`key incident (ROCA) on ${target.dialect}`, () => {
    let registry: CertificateRegistry;
    let ca: CertificateAuthority;
    const serials: Record<string, string> = {};
    const issue = async (who: string, personalCode: string, key: CryptoKey) => {
      const certificate = await ca.issue({
        purpose: "id-authentication",
        subject: personName({ personalCode, givenName: who, surname: "INCIDENT" }),
        publicKey: key,
        validityDays: 365,
        personalCode,
        actor: "test",
      });
      serials[who] = certificate.serialNumber.toLowerCase().replace(/^(00)+/, "");
    };

    before(async () => {
      registry = await CertificateRegistry.open(target.location("pki_incident"));
      const esteid = trust.services.cas.esteid;
      ca = new CertificateAuthority("esteid", esteid.certificate, esteid.keys, esteid.baseUrl, registry);
      // Three holders with weak keys (two 2048-bit moduli and a 1028-bit one), one with a strong RSA key, one with ECC.
      await issue("WEAK-A", "38001085718", await rsaPublicKey("mod03.txt"));
      await issue("WEAK-B", code("1987-09-11", "female", 28), await rsaPublicKey("mod08.txt"));
      await issue("WEAK-C", code("1976-05-03", "male", 29), await rsaPublicKey("mod09.txt"));
      await issue("STRONG", code("1999-12-31", "male", 17), await rsaPublicKey("mod04.txt"));
      const ecc = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign", "verify"]);
      await issue("ECC", code("1994-03-13", "female", 652), ecc.publicKey);
    });
    after(() => registry.close());

    const status = async (who: string) => registry.status("esteid", serials[who]!);
    const declaration = {
      id: "2017-roca",
      title: "Weak keys of RSALib (CVE-2017-15361)",
      criterion: { key: "roca-fingerprint" as const },
      renewBy: new Date(Date.now() + 30 * DAY).toISOString(),
      actor: "operator",
    };

    it("suspends exactly the fingerprinted certificates, at once, with their events", async () => {
      const seen: number[] = [];
      const result = await declareIncident(registry, declaration, (p) => seen.push(p.scanned));
      assert.deepEqual(result, { total: 5, scanned: 5, affected: 3 });
      assert.ok(seen.length > 0);
      for (const who of ["WEAK-A", "WEAK-B", "WEAK-C"]) {
        const row = await status(who);
        assert.equal(row?.status, "revoked", who);
        assert.equal(row?.revocation_reason, REVOCATION_REASONS.certificateHold, who);
        assert.equal(row?.version, 2, `${who}: a new version, so no pre-signed OCSP answer is served`);
        const events = await registry.events("esteid", serials[who]!);
        assert.deepEqual(
          events.map((e) => [e.event, e.actor]),
          [
            ["issued", "test"],
            ["suspended", "incident:2017-roca:operator"],
          ],
        );
      }
      for (const who of ["STRONG", "ECC"]) assert.equal((await status(who))?.status, "good", who);
      assert.deepEqual(await holdersToNotify(registry, "2017-roca"), [
        code("1976-05-03", "male", 29),
        "38001085718",
        code("1987-09-11", "female", 28),
      ]);
    });

    it("declaring again resumes the sweep (nothing suspended twice); another criterion under the same id is refused", async () => {
      assert.deepEqual(await declareIncident(registry, declaration), { total: 2, scanned: 2, affected: 0 });
      await assert.rejects(declareIncident(registry, { ...declaration, criterion: { key: { rsaBelowBits: 2048 } } }), {
        code: "PKI_ARGUMENT",
      });
      await assert.rejects(declareIncident(registry, { ...declaration, id: "Bad Id" }), { code: "PKI_ARGUMENT" });
      await assert.rejects(declareIncident(registry, { ...declaration, id: "nothing", criterion: {} }), {
        code: "PKI_ARGUMENT",
      });
    });

    it("a renewal supersedes the old certificate once; the deadline waits, then revokes the rest", async () => {
      await recordRenewal(registry, "2017-roca", { issuer: "esteid", serial: serials["WEAK-A"]! }, "38001085718");
      assert.equal((await status("WEAK-A"))?.revocation_reason, REVOCATION_REASONS.superseded);
      await assert.rejects(
        recordRenewal(registry, "2017-roca", { issuer: "esteid", serial: serials["WEAK-A"]! }, "38001085718"),
        { code: "PKI_STATUS_TRANSITION" },
      );
      await assert.rejects(
        recordRenewal(
          registry,
          "2017-roca",
          { issuer: "esteid", serial: serials.STRONG! },
          code("1999-12-31", "male", 17),
        ),
        { code: "PKI_STATUS_TRANSITION" },
      );
      // An operator finds WEAK-C's key was replaced on paper already and lifts the hold.
      await registry.changeStatus("esteid", serials["WEAK-C"]!, { event: "resumed", actor: "operator" });
      await assert.rejects(enforceIncidentDeadline(registry, "2017-roca", "operator"), {
        code: "PKI_STATUS_TRANSITION",
      });
      const deadline = new Date(Date.parse(declaration.renewBy) + 1000);
      assert.equal(await enforceIncidentDeadline(registry, "2017-roca", "operator", undefined, deadline), 2);
      const b = await status("WEAK-B");
      assert.equal(b?.status, "revoked");
      assert.equal(b?.revocation_reason, REVOCATION_REASONS.keyCompromise);
      assert.equal((await status("WEAK-C"))?.status, "good", "a released certificate is not revoked");
      const report = await incidentReport(registry, "2017-roca");
      assert.deepEqual(report.counts, { suspended: 0, renewed: 1, revoked: 1, released: 1 });
      assert.equal(report.holdersWaiting, 0);
      assert.equal(report.closedAt, deadline.toISOString());
      assert.equal(
        report.days.reduce((n, d) => n + d.renewed + d.revoked + d.released + d.suspended, 0),
        3,
      );
      await assert.rejects(declareIncident(registry, declaration), { code: "PKI_STATUS_TRANSITION" });
      await assert.rejects(incidentReport(registry, "no-such"), { code: "PKI_INCIDENT_UNKNOWN" });
    });
  });
}

describe("key incident: the public status and OCSP, as outside tools see them", () => {
  it("a card of the batch answers certificateHold to openssl ocsp; /incidents shows counts, never whom", async () => {
    const dir = temporaryDirectory();
    const card = await issueTestCard(trust.services, dir, code("1990-02-03", "female", 41));
    assert.match(await opensslOcsp(trust.dir, trust.url, card.authPath), /: good/);
    const from = new Date(Date.now() - DAY).toISOString();
    const to = new Date(Date.now() + DAY).toISOString();
    await declareIncident(trust.services.registry, {
      id: "batch-7",
      title: "Chip batch 7",
      criterion: { issued: { from, to }, purposes: ["id-authentication"] },
      renewBy: to,
      actor: "operator",
    });
    const answer = await opensslOcsp(trust.dir, trust.url, card.authPath);
    assert.match(answer, /: revoked/);
    assert.match(answer, /Reason: certificateHold/);
    assert.match(await opensslOcsp(trust.dir, trust.url, card.signPath), /: good/, "only the purpose named");
    const list = JSON.parse((await run("curl", ["-sf", `${trust.url}/incidents`])).stdout);
    assert.deepEqual(
      list.incidents.map((i: { id: string }) => i.id),
      ["batch-7"],
    );
    const report = (await run("curl", ["-sf", `${trust.url}/incidents/batch-7`])).stdout;
    assert.equal(JSON.parse(report).counts.suspended, 1);
    assert.doesNotMatch(report, /\d{11}/, "no personal code on the public page");
    const missing = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `${trust.url}/incidents/none`]);
    assert.equal(missing.stdout, "404");
  });
});

describe("key incident: remote renewal with the suspended card", () => {
  it("renews once with proof of the old key; the new card is good, the old superseded; replays and strangers refused", async () => {
    const dir = temporaryDirectory();
    const holder = code("1985-06-07", "male", 52);
    const old = await issueTestCard(trust.services, dir, holder);
    const other = await issueTestCard(trust.services, dir, code("1985-06-07", "female", 53));
    const from = new Date(Date.now() - 60_000).toISOString();
    await declareIncident(trust.services.registry, {
      id: "renewal-drill",
      title: "Renewal drill",
      criterion: { issued: { from, to: new Date(Date.now() + 60_000).toISOString() } },
      renewBy: new Date(Date.now() + DAY).toISOString(),
      actor: "operator",
    });
    const request = { card: old.card, pin1: "1234", pin2: "12345", url: trust.url, incident: "renewal-drill" };
    await assert.rejects(renewCardRemotely({ ...request, pin1: "9999" }), { code: "CARD_WRONG_PIN" });
    await assert.rejects(renewCardRemotely({ ...request, incident: "no-such" }), { code: "PKI_INCIDENT_UNKNOWN" });

    // A challenge is used once, even by a refused attempt.
    const base = `${trust.url}/incidents/renewal-drill`;
    const post = (path: string, body: unknown) =>
      fetch(`${base}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const { nonce } = (await (await post("renewal-challenges", {})).json()) as { nonce: string };
    const key = Buffer.from(
      await crypto.subtle.exportKey(
        "spki",
        (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign"])).publicKey,
      ),
    ).toString("base64");
    const wrongOrigin = await createAuthToken({ card: old.card, pin1: "1234", origin: "https://evil.example", nonce });
    const refused = await post("renewals", { authToken: wrongOrigin, nonce, authenticationKey: key, signingKey: key });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).code, "PKI_RENEWAL_REFUSED");
    const token = await createAuthToken({ card: old.card, pin1: "1234", origin: new URL(trust.url).origin, nonce });
    const replayed = await post("renewals", { authToken: token, nonce, authenticationKey: key, signingKey: key });
    assert.equal((await replayed.json()).details?.reason, "WEBEID_NONCE_REUSED");

    const renewed = await renewCardRemotely(request);
    assert.equal(renewed.documentNumber, old.card.documentNumber);
    assert.notEqual(renewed.authentication.certificate, old.card.authentication.certificate);
    const newAuth = join(dir, "renewed-auth.crt");
    writeFileSync(newAuth, renewed.authentication.certificate);
    assert.match(await opensslOcsp(trust.dir, trust.url, newAuth), /: good/);
    const oldAnswer = await opensslOcsp(trust.dir, trust.url, old.authPath);
    assert.match(oldAnswer, /Reason: superseded/);
    // The renewed card logs in (its new key signs a token a validator accepts on its signature).
    await createAuthToken({
      card: renewed,
      pin1: "1234",
      origin: "https://portal.example",
      nonce: randomBytes(32).toString("base64"),
    });
    await assert.rejects(renewCardRemotely(request), { code: "PKI_RENEWAL_REFUSED" }, "the old card again");
    // Another holder of the batch renews with their own card; a card issued after the incident has nothing to renew.
    assert.equal((await renewCardRemotely({ ...request, card: other.card })).documentNumber, other.card.documentNumber);
    const later = await issueTestCard(trust.services, dir, code("1985-06-07", "male", 54));
    await assert.rejects(renewCardRemotely({ ...request, card: later.card }), { code: "PKI_STATUS_TRANSITION" });
  });
});
