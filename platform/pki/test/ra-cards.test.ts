// Cards and revocations for registration authorities (#14): the e-Residency agency asks the
// trust services for a digital ID over HTTP on loopback, hands it over, and revokes it.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { generatePersonalCode } from "@riik/core";
import { runRiik } from "@riik/core/testing";
import { subtle } from "../src/algorithms.ts";
import {
  CertificateRegistry,
  fetchStatusChanges,
  RegistrationAuthorities,
  requestAppCertificate,
  requestCard,
  revokeDocument,
  unlockCardKey,
} from "../src/index.ts";
import { opensslOcsp, run, startTestTrustServices } from "./helpers.ts";

const citizen = { personalCode: "38001085718", givenName: "Mari-Liis", surname: "Männik", eResident: false };
const eResident = {
  personalCode: generatePersonalCode("1990-01-01", "female", 5),
  givenName: "Ada",
  surname: "Lovelace",
  eResident: true,
};

describe("#14 registration authorities: cards and their revocation over HTTP", async () => {
  const trust = await startTestTrustServices();
  const authorities = new RegistrationAuthorities(trust.services.registry);
  const desk = {
    url: trust.url,
    token: (await authorities.add("e-residency", { allow: ["cards"], hourlyQuota: 3 })).token,
  };
  const other = { url: trust.url, token: (await authorities.add("other-desk", { allow: ["cards"] })).token };
  const apps = { url: trust.url, token: (await authorities.add("auth")).token };
  const ca = (name: string) => join(trust.dir, "ca", `${name}.crt`);

  /** OpenSSL's OCSP answer about a certificate given as PEM. */
  async function ocspOf(pem: string): Promise<string> {
    const path = join(trust.dir, `ocsp-${Math.random().toString(36).slice(2)}.crt`);
    writeFileSync(path, pem);
    return opensslOcsp(trust.dir, trust.url, path);
  }

  let issued: Awaited<ReturnType<typeof requestCard>>;

  it("issues an e-resident's digital ID: random PINs open its keys, its certificates chain to the root", async () => {
    issued = await requestCard(desk, eResident);
    const { card, pinEnvelope } = issued;
    assert.match(pinEnvelope.pin1, /^\d{4}$/);
    assert.match(pinEnvelope.pin2, /^\d{5}$/);
    assert.equal(card.kind, "e-resident");
    assert.equal(card.personalCode, eResident.personalCode);
    assert.match(issued.documentNumber, /^N\d{7}$/);
    assert.equal(card.documentNumber, issued.documentNumber);
    const authentication = new x509.X509Certificate(card.authentication.certificate);
    assert.match(authentication.subject, /OU=E-RESIDENT/);
    assert.equal(issued.authentication.notAfter, authentication.notAfter.toISOString());
    assert.ok(authentication.notAfter.getTime() - Date.now() > 4.9 * 365 * 86_400_000, "five years");

    // The keys open with the PIN envelope's PINs, and not with others.
    const keys = await unlockCardKey(card, "authentication", pinEnvelope.pin1);
    const data = new TextEncoder().encode("challenge");
    const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-384" }, keys.privateKey, data);
    assert.ok(
      await subtle.verify({ name: "ECDSA", hash: "SHA-384" }, await authentication.publicKey.export(), signature, data),
    );
    await unlockCardKey(card, "signing", pinEnvelope.pin2);
    const wrong = pinEnvelope.pin1 === "0000" ? "0001" : "0000";
    await assert.rejects(unlockCardKey(card, "authentication", wrong), { code: "CARD_WRONG_PIN" });

    // openssl agrees: the authentication certificate chains to the root, the key opens with PIN1.
    const authPath = join(trust.dir, "e-resident-auth.crt");
    const keyPath = join(trust.dir, "e-resident-auth.key");
    writeFileSync(authPath, card.authentication.certificate);
    writeFileSync(keyPath, card.authentication.privateKey, { mode: 0o600 });
    const { stdout } = await run("openssl", ["verify", "-CAfile", ca("root"), "-untrusted", ca("esteid"), authPath]);
    assert.match(stdout, /: OK/);
    await run("openssl", ["pkey", "-in", keyPath, "-passin", `pass:${pinEnvelope.pin1}`, "-noout"]);
    await assert.rejects(run("openssl", ["pkey", "-in", keyPath, "-passin", `pass:${wrong}`, "-noout"]));

    // Recorded with the authority as the actor, which is what lets it revoke them.
    for (const serial of [issued.authentication.serial, issued.signing.serial])
      assert.deepEqual(
        (await trust.services.registry.events("esteid", serial)).map((e) => [e.event, e.actor]),
        [["issued", "ra:e-residency"]],
      );
  });

  it("issues a citizen's ID card for the validity asked", async () => {
    const card = await requestCard(desk, { ...citizen, validityYears: 1 });
    assert.equal(card.card.kind, "id-card");
    assert.match(card.documentNumber, /^AB\d{7}$/);
    const years = (Date.parse(card.signing.notAfter) - Date.now()) / (365 * 86_400_000);
    assert.ok(years > 0.99 && years < 1.01, `one year, not ${years}`);
  });

  it("refuses an authority without `cards` (403), and `cards` alone gets no app certificate", async () => {
    await assert.rejects(requestCard(apps, citizen), { code: "PKI_RA_FORBIDDEN" });
    await assert.rejects(revokeDocument(apps, issued.documentNumber, "keyCompromise"), { code: "PKI_RA_FORBIDDEN" });
    const { publicKey } = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    await assert.rejects(requestAppCertificate(desk, { ...citizen, publicKey }), { code: "PKI_RA_FORBIDDEN" });
    await assert.rejects(requestCard({ url: trust.url, token: "x".repeat(43) }, citizen), {
      code: "PKI_RA_UNAUTHORIZED",
    });
  });

  it("refuses bad requests with 400 and issues nothing", async () => {
    const before = (await trust.services.registry.byPersonalCode("38001085719")).length;
    await assert.rejects(requestCard(desk, { ...citizen, personalCode: "38001085719" }), { code: "PKI_ARGUMENT" });
    assert.equal((await trust.services.registry.byPersonalCode("38001085719")).length, before);
    for (const body of [
      { ...citizen, validityYears: 6 },
      { ...citizen, validityYears: 0 },
      { ...citizen, eResident: "yes" },
      { ...citizen, pin1: "1234" },
      { personalCode: citizen.personalCode, givenName: "A", surname: "B" },
    ]) {
      const reply = await fetch(`${trust.url}/ra/cards`, {
        method: "POST",
        headers: { authorization: `Bearer ${desk.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(((await reply.json()) as { code: string }).code, "REQUEST_INVALID");
    }
    const badReason = await fetch(`${trust.url}/ra/revocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${desk.token}`, "content-type": "application/json" },
      body: JSON.stringify({ documentNumber: issued.documentNumber, reason: "certificateHold" }),
    });
    assert.equal(badReason.status, 400);
  });

  it("refuses to revoke another authority's document or one that does not exist (403), revoking nothing", async () => {
    await assert.rejects(revokeDocument(other, issued.documentNumber, "keyCompromise"), { code: "PKI_RA_FORBIDDEN" });
    await assert.rejects(revokeDocument(desk, "N0000000", "keyCompromise"), { code: "PKI_RA_FORBIDDEN" });
    assert.match(await ocspOf(issued.card.authentication.certificate), /: good/);
  });

  it("revokes both certificates of its own document: OCSP says revoked with the reason, the feed shows it", async () => {
    const cursor = (await fetchStatusChanges(desk, 0, 1000)).at(-1)?.id ?? 0;
    const revoked = await revokeDocument(desk, issued.documentNumber, "superseded");
    assert.deepEqual(revoked.sort(), [issued.authentication.serial, issued.signing.serial].sort());
    for (const pem of [issued.card.authentication.certificate, issued.card.signing.certificate]) {
      const answer = await ocspOf(pem);
      assert.match(answer, /: revoked/);
      assert.match(answer, /Reason: superseded/);
    }
    const changes = await fetchStatusChanges(desk, cursor);
    assert.deepEqual(changes.map((c) => c.event).sort(), ["revoked", "revoked"]);
    // Asked again (an answer lost on the way): the same answer, nothing changes.
    assert.deepEqual((await revokeDocument(desk, issued.documentNumber, "keyCompromise")).sort(), revoked.sort());
    assert.match(await ocspOf(issued.card.signing.certificate), /Reason: superseded/);
    assert.equal((await fetchStatusChanges(desk, cursor)).length, 2);
  });

  it("counts a card once in the hourly quota (429 after it), from the event log", async () => {
    // Two cards above (four certificates); the quota of three allows one more card.
    await requestCard(desk, citizen);
    await assert.rejects(requestCard(desk, citizen), { code: "PKI_RA_QUOTA" });
    const fresh = new RegistrationAuthorities(trust.services.registry);
    const authority = await fresh.authenticate(`Bearer ${desk.token}`);
    await assert.rejects(fresh.assertWithinQuota(authority), { code: "PKI_RA_QUOTA" });
    await fresh.assertWithinQuota(authority, new Date(Date.now() + 61 * 60 * 1000));
  });

  it("riik pki ra add NAME --allow: stored, listed, and kept when the registry is opened again", async () => {
    const dir = ["--dir", trust.dir];
    const added = await runRiik(["pki", "ra", "add", "card-desk", ...dir, "--allow", "cards,app-certificates"]);
    assert.equal(added.code, 0, added.stderr);
    const bad = await runRiik(["pki", "ra", "add", "bad-desk", ...dir, "--allow", "cards,everything"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /PKI_ARGUMENT/);
    const listed = await runRiik(["pki", "ra", "list", ...dir]);
    assert.match(listed.stdout, /^card-desk {2}600\/hour {2}allow app-certificates,cards /m);
    assert.match(listed.stdout, /^auth {2}600\/hour {2}allow app-certificates /m);
    assert.doesNotMatch(listed.stdout, /bad-desk/);
    const reopened = await CertificateRegistry.open({ dataDir: trust.dir });
    try {
      const authority = await new RegistrationAuthorities(reopened).authenticate(`Bearer ${added.stdout.trim()}`);
      assert.deepEqual(authority.allow, ["app-certificates", "cards"]);
    } finally {
      await reopened.close();
    }
  });
});
