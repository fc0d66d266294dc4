import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import { normaliseSerial } from "@riik/pki";
import { fromBase64url } from "../src/app-login/app-key.ts";
import {
  AppLoginError,
  createEnrolmentCode,
  MAX_PENDING_PER_PERSON,
  verificationCode,
} from "../src/app-login/index.ts";
import { Phone, startAppLoginServer, startTrustServices } from "./fixtures/app-login/harness.ts";

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

describe("#12 the app login's verification code is Smart-ID's", () => {
  // SK ID Solutions' smart-id-java-client, VerificationCodeCalculatorTest: the code of
  // SHA-256(text) for four texts, and of the two-byte "hash" {27, -69}.
  it("#12 matches Smart-ID's published vectors", async () => {
    assert.equal(await verificationCode(sha256("Hello World!")), "7712");
    assert.equal(await verificationCode(sha256("Go ahead, make my day.")), "7782");
    assert.equal(await verificationCode(sha256("You're gonna need a bigger boat.")), "1464");
    assert.equal(await verificationCode(sha256("Say 'hello' to my little friend!")), "4240");
    assert.equal(await verificationCode(new Uint8Array([27, 0xbb])), "4555");
  });
});

let serial = 0;
const person = () => ({
  personalCode: generatePersonalCode("1985-04-12", serial % 2 ? "male" : "female", ++serial),
  givenName: "Mari-Liis",
  surname: "Männik",
});

const expectError = (code: string) => (error: unknown) => error instanceof AppLoginError && error.code === code;

for (const target of await dialectTargets()) {
  describe(`#12 app login over HTTP on loopback, storage on ${target.dialect}`, async () => {
    const services = await startTrustServices();
    const server = await startAppLoginServer(target, services);
    const { service, storage } = server;

    /** A person with an enrolled phone. */
    async function enrolled() {
      const who = person();
      const phone = new Phone(server.url);
      const { code } = await createEnrolmentCode(storage.db, who);
      const answer = await phone.enrol(code);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return { who, phone };
    }

    it("#12 enrols, logs in with the right code and PIN1, and hands over the identity once", async () => {
      const { who, phone } = await enrolled();
      const started = await service.start({ personalCode: who.personalCode });
      assert.match(started.verificationCode, /^\d{4}$/);
      const [login, ...more] = await phone.pending();
      assert.ok(login);
      assert.equal(more.length, 0);
      assert.equal(login.sessionId, started.sessionId);
      // The app computes the code from the hash it signs, and finds it among three distinct choices.
      assert.equal(await verificationCode(fromBase64url(login.hash)), started.verificationCode);
      assert.equal(new Set(login.choices).size, 3);
      assert.ok(login.choices.includes(started.verificationCode));
      assert.deepEqual(await service.status(started.sessionId), { state: "RUNNING" });
      const signature = await phone.sign(login.hash);
      const answer = await phone.confirm(login.sessionId, started.verificationCode, signature);
      assert.deepEqual([answer.status, answer.body], [200, { state: "COMPLETE" }]);
      const status = await service.status(started.sessionId);
      assert.equal(status.state, "COMPLETE");
      assert.ok(status.state === "COMPLETE");
      const { identity } = status;
      assert.equal(identity.subject, `EE${who.personalCode}`);
      assert.deepEqual(
        [identity.country, identity.personalCode, identity.givenName, identity.familyName, identity.birthdate],
        ["EE", who.personalCode, "MARI-LIIS", "MÄNNIK", "1985-04-12"],
      );
      assert.deepEqual([identity.amr, identity.acr], ["app", "substantial"]);
      const row = await services.registry.find("esteid", normaliseSerial(identity.certificate.serialNumber));
      assert.equal(row?.purpose, "app-authentication", "the certificate is in the trust services' registry");
      await assert.rejects(service.status(started.sessionId), expectError("APP_SESSION_USED"));
      // The signature replayed: on its own session, which has ended; on a new one, whose hash differs.
      const again = await phone.confirm(login.sessionId, started.verificationCode, signature);
      assert.deepEqual([again.status, again.body.code], [409, "APP_SESSION_FINISHED"]);
      const next = await service.start({ personalCode: who.personalCode });
      const replayed = await phone.confirm(next.sessionId, next.verificationCode, signature);
      assert.deepEqual([replayed.status, replayed.body.code], [400, "APP_SIGNATURE_INVALID"]);
      assert.deepEqual(await service.status(next.sessionId), { state: "RUNNING" }, "a bad signature is no answer");
      assert.equal((await phone.refuse(next.sessionId)).status, 200);
    });

    it("#12 enrolment codes: single use, expiring, unknown refused, bounded per person, stored hashed", async () => {
      const who = person();
      const { code } = await createEnrolmentCode(storage.db, who);
      assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
      const stored = await storage.db.selectFrom("app_enrolment_code").selectAll().execute();
      assert.ok(!JSON.stringify(stored).includes(code.replace(/-/g, "")), "only the code's hash is stored");
      // As a person types it: lower case, without dashes.
      const first = await new Phone(server.url).enrol(code.toLowerCase().replace(/-/g, ""));
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const second = await new Phone(server.url).enrol(code);
      assert.deepEqual([second.status, second.body.code], [403, "APP_ENROLMENT_CODE"]);
      const unknown = await new Phone(server.url).enrol("AAAA-BBBB-CCCC-DDDD");
      assert.deepEqual([unknown.status, unknown.body.code], [403, "APP_ENROLMENT_CODE"]);
      const old = await createEnrolmentCode(storage.db, who, { now: new Date(Date.now() - 2 * 3600_000) });
      const expired = await new Phone(server.url).enrol(old.code);
      assert.deepEqual([expired.status, expired.body.code], [403, "APP_ENROLMENT_CODE"]);
      // A proof made for another code does not show possession of the key: refused, the code spent.
      const bound = person();
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await createEnrolmentCode(storage.db, bound)).code);
      await assert.rejects(createEnrolmentCode(storage.db, bound), expectError("APP_TOO_MANY_CODES"));
      const badProof = await new Phone(server.url).enrol(codes[0]!, { proofFor: codes[1]! });
      assert.deepEqual([badProof.status, badProof.body.code], [400, "APP_SIGNATURE_INVALID"]);
      assert.equal((await new Phone(server.url).enrol(codes[0]!)).status, 403, "the code was spent");
      assert.equal((await services.registry.byPersonalCode(bound.personalCode)).length, 0, "nothing issued");
      await assert.rejects(
        createEnrolmentCode(storage.db, { ...bound, givenName: "M4ri" }),
        expectError("APP_ARGUMENT"),
      );
    });

    it("#12 a person has at most three apps: a fourth enrolment retires the oldest", async () => {
      const who = person();
      const phones = [];
      for (let i = 0; i < 4; i++) {
        const phone = new Phone(server.url);
        assert.equal((await phone.enrol((await createEnrolmentCode(storage.db, who)).code)).status, 200);
        phones.push(phone);
      }
      const retired = await phones[0]!.call("pending");
      assert.deepEqual([retired.status, retired.body.code], [401, "APP_UNAUTHORISED"]);
      for (const phone of phones.slice(1)) assert.deepEqual(await phone.pending(), []);
      const accounts = await storage.db
        .selectFrom("app_account")
        .select("id")
        .where("personal_code", "=", who.personalCode)
        .execute();
      assert.equal(accounts.length, 3);
    });

    it("#12 NO_ACCOUNT for a person without an app, a bad credential is 401, another person's login 404", async () => {
      await assert.rejects(service.start({ personalCode: person().personalCode }), expectError("NO_ACCOUNT"));
      await assert.rejects(service.start({ personalCode: "38001085718", country: "LV" }), expectError("NO_ACCOUNT"));
      const { who, phone } = await enrolled();
      const { phone: stranger } = await enrolled();
      const started = await service.start({ personalCode: who.personalCode });
      assert.deepEqual(await stranger.pending(), [], "a phone sees only its person's logins");
      const foreign = await stranger.refuse(started.sessionId);
      assert.deepEqual([foreign.status, foreign.body.code], [404, "APP_SESSION_UNKNOWN"]);
      const forged = await phone.call("pending", undefined, `${phone.credential.split(".")[0]}.${"A".repeat(43)}`);
      assert.deepEqual([forged.status, forged.body.code], [401, "APP_UNAUTHORISED"]);
      const none = await phone.call("pending", undefined, "");
      assert.equal(none.status, 400, "no Authorization header fails the route's schema");
      assert.deepEqual(await service.status(started.sessionId), { state: "RUNNING" });
      await assert.rejects(service.status("x".repeat(43)), expectError("APP_SESSION_UNKNOWN"));
    });

    it("#12 a wrong code chosen is WRONG_VERIFICATION_CODE; refusing is USER_REFUSED; each ends the login", async () => {
      const { who, phone } = await enrolled();
      const started = await service.start({ personalCode: who.personalCode });
      const [login] = await phone.pending();
      const wrong = login!.choices.find((c) => c !== started.verificationCode)!;
      const answer = await phone.confirm(started.sessionId, wrong, await phone.sign(login!.hash));
      assert.deepEqual(answer.body, { state: "FAILED", code: "WRONG_VERIFICATION_CODE" });
      assert.deepEqual(await service.status(started.sessionId), { state: "FAILED", code: "WRONG_VERIFICATION_CODE" });
      const late = await phone.confirm(started.sessionId, started.verificationCode, await phone.sign(login!.hash));
      assert.deepEqual([late.status, late.body.code], [409, "APP_SESSION_FINISHED"]);

      const refused = await service.start({ personalCode: who.personalCode });
      assert.deepEqual((await phone.refuse(refused.sessionId)).body, { state: "FAILED", code: "USER_REFUSED" });
      assert.deepEqual(await service.status(refused.sessionId), { state: "FAILED", code: "USER_REFUSED" });
      assert.equal((await phone.refuse(refused.sessionId)).status, 409);
    });

    it("#12 a suspended or revoked app certificate is CERTIFICATE_INVALID (OCSP at the trust services)", async () => {
      const { who, phone } = await enrolled();
      const [row] = await services.registry.byPersonalCode(who.personalCode);
      await services.registry.changeStatus("esteid", row!.serial, { event: "suspended", actor: "test" });
      const login = async () => {
        const started = await service.start({ personalCode: who.personalCode });
        const [pending] = await phone.pending();
        return phone.confirm(started.sessionId, started.verificationCode, await phone.sign(pending!.hash));
      };
      assert.deepEqual((await login()).body, { state: "FAILED", code: "CERTIFICATE_INVALID" });
      await services.registry.changeStatus("esteid", row!.serial, { event: "resumed", actor: "test" });
      assert.deepEqual((await login()).body, { state: "COMPLETE" });
      await services.registry.changeStatus("esteid", row!.serial, {
        event: "revoked",
        reason: "keyCompromise",
        actor: "test",
      });
      assert.deepEqual((await login()).body, { state: "FAILED", code: "CERTIFICATE_INVALID" });
    });

    it("#12 a certificate that does not chain to the configured anchor is CERTIFICATE_INVALID", async () => {
      const other = await startTrustServices();
      const warnings: Array<{ reason: string }> = [];
      const strict = await startAppLoginServer(target, services, {
        anchors: [other.cas.esteid.certificate],
        logger: { warn: (fields: object) => void warnings.push(fields as { reason: string }) },
      });
      const who = person();
      const phone = new Phone(strict.url);
      assert.equal((await phone.enrol((await createEnrolmentCode(strict.storage.db, who)).code)).status, 200);
      const started = await strict.service.start({ personalCode: who.personalCode });
      const [pending] = await phone.pending();
      const answer = await phone.confirm(started.sessionId, started.verificationCode, await phone.sign(pending!.hash));
      assert.deepEqual(answer.body, { state: "FAILED", code: "CERTIFICATE_INVALID" });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!.reason, /path|issuer|anchor/i, "the operator learns why");
      await strict.close();
    });

    it("#12 no answer before the timeout is TIMEOUT; pending logins are bounded per person", async () => {
      let offset = 0;
      const timed = await startAppLoginServer(target, services, {
        clock: () => new Date(Date.now() + offset),
        timeoutMs: 60_000,
      });
      const who = person();
      const phone = new Phone(timed.url);
      assert.equal((await phone.enrol((await createEnrolmentCode(timed.storage.db, who)).code)).status, 200);
      const started = [];
      for (let i = 0; i < MAX_PENDING_PER_PERSON; i++)
        started.push(await timed.service.start({ personalCode: who.personalCode }));
      await assert.rejects(
        timed.service.start({ personalCode: who.personalCode }),
        expectError("APP_TOO_MANY_PENDING"),
      );
      const [first] = await phone.pending();
      offset = 61_000;
      assert.deepEqual(await phone.pending(), [], "an expired login is no longer offered");
      assert.deepEqual(await timed.service.status(started[0]!.sessionId), { state: "FAILED", code: "TIMEOUT" });
      const late = await phone.confirm(
        started[1]!.sessionId,
        started[1]!.verificationCode,
        await phone.sign(first!.hash),
      );
      assert.deepEqual([late.status, late.body.code], [409, "APP_SESSION_FINISHED"]);
      assert.deepEqual(await timed.service.status(started[1]!.sessionId), { state: "FAILED", code: "TIMEOUT" });
      // Timed-out logins no longer count against the bound.
      await timed.service.start({ personalCode: who.personalCode });
      await timed.close();
    });

    it("#12 a restart mid-login loses nothing: the app answers the new process, which hands over the identity", async () => {
      const { who, phone } = await enrolled();
      const before = await startAppLoginServer(target, services);
      const started = await before.service.start({ personalCode: who.personalCode });
      phone.url = before.url;
      const [pending] = await phone.pending();
      await before.close();
      const after = await startAppLoginServer(target, services);
      phone.url = after.url;
      const answer = await phone.confirm(started.sessionId, started.verificationCode, await phone.sign(pending!.hash));
      assert.deepEqual(answer.body, { state: "COMPLETE" });
      const status = await after.service.status(started.sessionId);
      assert.equal(status.state === "COMPLETE" && status.identity.personalCode, who.personalCode);
      phone.url = server.url;
    });

    it("#12 malformed requests are refused by the route schemas", async () => {
      const phone = new Phone(server.url);
      const bad = await phone.call("enrol", { code: "x", publicKey: "!!", proof: "" });
      assert.deepEqual([bad.status, bad.body.code], [400, "REQUEST_INVALID"]);
      const extra = await phone.call("enrol", { code: "A".repeat(16), publicKey: "AA", proof: "AA", more: 1 });
      assert.equal(extra.status, 400);
      const { phone: enrolledPhone } = await enrolled();
      const wrongShape = await enrolledPhone.call("sessions/short/confirm", {
        verificationCode: "12345",
        signature: "AA",
      });
      assert.equal(wrongShape.status, 400);
      const page = await fetch(`${server.url}/app`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.match(await page.text(), /<script type="module" src="app\/app.js">/);
      const script = await fetch(`${server.url}/app/app.js`);
      assert.equal(script.status, 200);
      assert.ok((await script.text()).includes("PBKDF2"), "the bundle carries the key module");
    });
  });
}
