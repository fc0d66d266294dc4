// The browser's card code (@riik/pki/browser) runs on WebCrypto only, so it runs in Node
// as well: its tokens must validate with @riik/pki's validator, and a wrong PIN must be told.
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify } from "node:crypto";
import { describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { AuthTokenValidator, caCertificatePath, issueCard, MemoryNonceStore, readCertificate } from "@riik/pki";
import {
  CardError,
  createAuthToken,
  parseCardText,
  parseEncryptedPrivateKeyInfo,
  signingCertificate,
  signPrepared,
  unlockSigningKey,
} from "@riik/pki/browser";
import {
  completeSignature,
  createContainer,
  prepareSignature,
  validateContainer,
  writeContainer,
} from "@riik/signature";
import fc from "fast-check";
import { PIN1, PIN2, startWorld, type TestWorld } from "./helpers.ts";

const ORIGIN = "http://127.0.0.1:8890";
// Top level, not in before(): the helpers' after() hooks then run when the file ends.
// Card login and signing need only the trust services (real here); the stand-in only answers the register reads.
const world: TestWorld = await startWorld();
const nonces = new MemoryNonceStore();
const validator = new AuthTokenValidator({
  trustedCas: [readCertificate(caCertificatePath(`${world.dir}/pki`, "esteid"))],
  allowedOrigin: ORIGIN,
  nonces,
});

const codeOf = (error: unknown) => (error instanceof CardError ? error.code : String(error));

describe("browser card code", () => {
  it("reads OpenSSL 3's PBES2 parameters: PBKDF2-HMAC-SHA256, AES-256-CBC", () => {
    const pem = world.card.authentication.privateKey;
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const p = parseEncryptedPrivateKeyInfo(der);
    assert.equal(p.hash, "SHA-256");
    assert.equal(p.keyBits, 256);
    assert.equal(p.iv.length, 16);
    assert.ok(p.iterations >= 1000);
  });

  it("makes a web-eid:1.0 ES384 token that the server-side validator accepts", async () => {
    const nonce = await nonces.issue();
    const card = parseCardText(JSON.stringify(world.card));
    const token = await createAuthToken(card, PIN1, ORIGIN, nonce.value);
    assert.equal(token.format, "web-eid:1.0");
    assert.equal(token.algorithm, "ES384");
    assert.equal(Buffer.from(token.signature, "base64").length, 96);
    // Signed data checked by hand: SHA-384(origin) ‖ SHA-384(nonce), raw r ‖ s.
    const sha384 = (text: string) => createHash("sha384").update(text, "utf8").digest();
    const publicKey = createPublicKey(world.card.authentication.certificate);
    assert.ok(
      verify(
        "sha384",
        Buffer.concat([sha384(ORIGIN), sha384(nonce.value)]),
        { key: publicKey, dsaEncoding: "ieee-p1363" },
        Buffer.from(token.signature, "base64"),
      ),
    );
    const person = await validator.validate(token, { nonce: nonce.value, origin: ORIGIN });
    assert.equal(person.personalCode, world.card.personalCode);
  });

  it("makes an RS256 token from an RSA card", async () => {
    const rsa = await issueCard(world.services, {
      personalCode: generatePersonalCode("1975-05-05", "male", 901),
      givenName: "Jaan",
      surname: "Tamm",
      pin1: PIN1,
      pin2: PIN2,
      algorithm: "rsa2048",
    });
    const nonce = await nonces.issue();
    const token = await createAuthToken(parseCardText(JSON.stringify(rsa)), PIN1, ORIGIN, nonce.value);
    assert.equal(token.algorithm, "RS256");
    assert.equal((await validator.validate(token, { nonce: nonce.value })).personalCode, rsa.personalCode);
  });

  it("tells a wrong PIN1 as CARD_WRONG_PIN, for every wrong PIN tried", async () => {
    const card = parseCardText(JSON.stringify(world.card));
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[0-9]{4,12}$/), async (pin) => {
        fc.pre(pin !== PIN1);
        await assert.rejects(createAuthToken(card, pin, ORIGIN, "A".repeat(44)), (e) => codeOf(e) === "CARD_WRONG_PIN");
      }),
      { numRuns: 12 },
    );
  });

  it("refuses a malformed PIN1 before any cryptography, and files that are not cards", async () => {
    const card = parseCardText(JSON.stringify(world.card));
    for (const pin of ["", "123", "1234567890123", "12a4", " 1234"])
      await assert.rejects(createAuthToken(card, pin, ORIGIN, "A".repeat(44)), (e) => codeOf(e) === "CARD_PIN_FORMAT");
    for (const text of ["", "{", "[]", '{"format":"riik-card/1"}', JSON.stringify({ ...world.card, format: "x" })])
      assert.throws(
        () => parseCardText(text),
        (e) => codeOf(e) === "CARD_FORMAT",
      );
    const broken = {
      ...world.card,
      authentication: {
        ...world.card.authentication,
        privateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----",
      },
    };
    await assert.rejects(
      createAuthToken(parseCardText(JSON.stringify(broken)), PIN1, ORIGIN, "A".repeat(44)),
      (e) => codeOf(e) === "CARD_FORMAT",
    );
  });

  it("opens the signing key with PIN2 and signs prepared SignedInfo octets into valid signatures (P-384, RSA)", async () => {
    const rsa = await issueCard(world.services, {
      personalCode: generatePersonalCode("1971-03-03", "female", 902),
      givenName: "Tiina",
      surname: "Tamm",
      pin1: PIN1,
      pin2: PIN2,
      algorithm: "rsa2048",
    });
    const root = readCertificate(caCertificatePath(`${world.dir}/pki`, "root"));
    for (const file of [world.card, rsa]) {
      const card = parseCardText(JSON.stringify(file));
      const der = new Uint8Array(Buffer.from(signingCertificate(card).replace(/-----[A-Z ]+-----|\s/g, ""), "base64"));
      const pending = prepareSignature(
        createContainer([{ name: "a.txt", mediaType: "text/plain", data: new TextEncoder().encode("a") }]),
        der,
      );
      const key = await unlockSigningKey(card, PIN2);
      const value = await signPrepared(key, new Uint8Array(pending.signedInfo), pending.digestAlgorithm);
      const done = await completeSignature(pending, value, { tsaUrl: `${world.pkiUrl}/tsa`, trustAnchors: [root] });
      const report = await validateContainer(writeContainer(done.container), { trustAnchors: [root] });
      assert.equal(report.verdict, "valid", JSON.stringify(report.signatures[0]?.findings));
    }
  });

  it("tells a wrong or malformed PIN2, and a card file without a signing key", async () => {
    const card = parseCardText(JSON.stringify(world.card));
    for (const pin of ["54321", "99999999"])
      await assert.rejects(unlockSigningKey(card, pin), (e) => codeOf(e) === "CARD_WRONG_PIN2");
    for (const pin of ["1234", "1234567890123", "1234a"])
      await assert.rejects(unlockSigningKey(card, pin), (e) => codeOf(e) === "CARD_PIN2_FORMAT");
    const { signing: _, ...withoutSigning } = world.card;
    const authOnly = parseCardText(JSON.stringify(withoutSigning));
    await assert.rejects(unlockSigningKey(authOnly, PIN2), (e) => codeOf(e) === "CARD_NO_SIGNING_KEY");
  });

  it("never throws anything but CardError on arbitrary key bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseEncryptedPrivateKeyInfo(bytes);
        } catch (error) {
          assert.ok(error instanceof CardError, String(error));
        }
      }),
      { numRuns: 300 },
    );
  });
});
