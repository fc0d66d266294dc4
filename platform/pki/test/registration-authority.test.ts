import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { runRiik } from "@riik/core/testing";
import { subtle } from "../src/algorithms.ts";
import {
  fetchStatusChanges,
  normaliseSerial,
  OID,
  type PkiError,
  RegistrationAuthorities,
  requestAppCertificate,
} from "../src/index.ts";
import { startTestTrustServices } from "./helpers.ts";

const appKey = async (curve = "P-256") =>
  (await subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
const person = { personalCode: "38001085718", givenName: "Mari-Liis", surname: "Männik" };

describe("#12 registration authorities: app certificates over HTTP, never the CA's keys", async () => {
  const trust = await startTestTrustServices();
  const authorities = new RegistrationAuthorities(trust.services.registry);
  const { token } = await authorities.add("auth", { hourlyQuota: 3 });

  it("issues the app certificate for the key sent, recorded with the authority as actor", async () => {
    const key = (await appKey("P-384")).publicKey;
    const certificate = await requestAppCertificate({ url: trust.url, token }, { ...person, publicKey: key });
    assert.deepEqual(
      [...(certificate.getExtension(x509.CertificatePolicyExtension)?.policies ?? [])],
      [OID.policyAppAuthentication],
    );
    assert.equal(certificate.issuer, trust.services.cas.esteid.certificate.subject);
    const serial = certificate.serialNumber.toLowerCase().replace(/^(00)+/, "");
    const events = await trust.services.registry.events("esteid", serial);
    assert.deepEqual(
      events.map((e) => [e.event, e.actor]),
      [["issued", "ra:auth"]],
    );
  });

  it("refuses a missing, wrong or removed token with 401, and bad keys and persons with 400", async () => {
    const publicKey = (await appKey()).publicKey;
    for (const bad of ["", "x".repeat(43), `${token.slice(0, -1)}A`])
      await assert.rejects(requestAppCertificate({ url: trust.url, token: bad }, { ...person, publicKey }), {
        code: "PKI_RA_UNAUTHORIZED",
      });
    const post = (body: unknown) =>
      fetch(`${trust.url}/ra/app-certificates`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const rsa = await subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    );
    const rsaSpki = Buffer.from(await subtle.exportKey("spki", rsa.publicKey)).toString("base64");
    for (const body of [
      { ...person, publicKey: rsaSpki },
      { ...person, publicKey: "not base64!" },
      { ...person, personalCode: "38001085719", publicKey: rsaSpki },
      { ...person, publicKey: rsaSpki, extra: 1 },
    ]) {
      const reply = await post(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(
        ((await reply.json()) as { code: string }).code,
        /^(PKI_ARGUMENT|REQUEST_INVALID|PERSONAL_CODE_\w+)$/,
      );
    }
  });

  it("stops an authority at its hourly quota (429), counted from the event log, so a restart does not reset it", async () => {
    const publicKey = (await appKey()).publicKey;
    // One issued above; two more reach the quota of three.
    for (let i = 0; i < 2; i++) await requestAppCertificate({ url: trust.url, token }, { ...person, publicKey });
    await assert.rejects(
      requestAppCertificate({ url: trust.url, token }, { ...person, publicKey }),
      (error: PkiError) => error.code === "PKI_RA_QUOTA",
    );
    const fresh = new RegistrationAuthorities(trust.services.registry);
    const authority = await fresh.authenticate(`Bearer ${token}`);
    await assert.rejects(fresh.assertWithinQuota(authority), { code: "PKI_RA_QUOTA" });
    await fresh.assertWithinQuota(authority, new Date(Date.now() + 61 * 60 * 1000));
  });

  it("riik pki ra add prints a token once; list never shows it; remove ends it at once", async () => {
    const dir = ["--dir", trust.dir];
    const added = await runRiik(["pki", "ra", "add", ...dir, "--name", "enrolment-desk", "--hourly-quota", "5"]);
    assert.equal(added.code, 0, added.stderr);
    const deskToken = added.stdout.trim();
    assert.match(deskToken, /^[A-Za-z0-9_-]{43}$/);
    const again = await runRiik(["pki", "ra", "add", ...dir, "--name", "enrolment-desk"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /PKI_RA_EXISTS/);
    const listed = await runRiik(["pki", "ra", "list", ...dir]);
    assert.match(listed.stdout, /^enrolment-desk {2}5\/hour/m);
    assert.doesNotMatch(listed.stdout, new RegExp(deskToken));
    await authorities.authenticate(`Bearer ${deskToken}`);
    assert.equal((await runRiik(["pki", "ra", "remove", ...dir, "--name", "enrolment-desk"])).code, 0);
    await assert.rejects(authorities.authenticate(`Bearer ${deskToken}`), { code: "PKI_RA_UNAUTHORIZED" });
  });

  it("feeds the registry's status events in order to an authority, and to nobody else", async () => {
    await assert.rejects(fetchStatusChanges({ url: trust.url, token: "x".repeat(43) }, 0), {
      code: "PKI_RA_UNAUTHORIZED",
    });
    const before = await fetchStatusChanges({ url: trust.url, token }, 0, 1000);
    const cursor = before.at(-1)?.id ?? 0;
    const { publicKey } = await appKey();
    const fresh = new RegistrationAuthorities(trust.services.registry);
    const { token: other } = await fresh.add("feed-reader");
    const certificate = await requestAppCertificate({ url: trust.url, token: other }, { ...person, publicKey });
    const serial = normaliseSerial(certificate.serialNumber);
    await trust.services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "a test" });
    const changes = await fetchStatusChanges({ url: trust.url, token: other }, cursor);
    assert.deepEqual(
      changes.map((c) => [c.serial, c.event, c.purpose, c.personalCode]),
      [
        [serial, "issued", "app-authentication", person.personalCode],
        [serial, "suspended", "app-authentication", person.personalCode],
      ],
    );
    assert.ok(changes[0]!.id < changes[1]!.id);
    assert.deepEqual(await fetchStatusChanges({ url: trust.url, token: other }, changes[1]!.id), []);
    assert.equal((await fetchStatusChanges({ url: trust.url, token: other }, cursor, 1)).length, 1);
  });
});
