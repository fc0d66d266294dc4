import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, constants as cryptoConstants, sign, verify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as x509 from "@peculiar/x509";
import { generatePersonalCode } from "@riik/core";
import { freePort, RIIK_BIN, temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { subtle } from "../src/algorithms.ts";
import { organisationName } from "../src/ca/names.ts";
import {
  AuthTokenValidator,
  type AuthTokenValidatorOptions,
  type CardFile,
  cardCertificate,
  createAuthToken,
  initTrustServices,
  issueCard,
  MemoryNonceStore,
  normaliseSerial,
  OID,
  PkiError,
  startTrustServicesServer,
  type TrustServices,
  unlockCardKey,
  type WebEidAuthToken,
  WebEidError,
  type WebEidErrorCode,
} from "../src/index.ts";
import { AUTH_TOKEN_FORMAT, authTokenSignedData, signAuthToken } from "../src/webeid/auth-token.ts";
import { generateChallengeNonce, NONCE_LIFETIME_MS } from "../src/webeid/challenge-nonce.ts";

const ORIGIN = "https://portal.riik.test";
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

let services: TrustServices;
let foreign: TrustServices;
let server: Awaited<ReturnType<typeof startTrustServicesServer>>;
let card: CardFile;
let nonces: MemoryNonceStore;

const PIN1 = "1234";
const PIN2 = "12345";

let serial = 0;
function newCard(on: TrustServices, extra: { eResident?: boolean; algorithm?: "p384" | "rsa2048" } = {}) {
  return issueCard(on, {
    personalCode: generatePersonalCode("1980-01-08", "male", ++serial),
    givenName: "Jaan",
    surname: "Tamm",
    pin1: PIN1,
    pin2: PIN2,
    ...extra,
  });
}

function validator(overrides: Partial<AuthTokenValidatorOptions> = {}): AuthTokenValidator {
  return new AuthTokenValidator({
    trustedCas: [services.cas.esteid.certificate],
    allowedOrigin: ORIGIN,
    nonces,
    ...overrides,
  });
}

/** Issues a nonce, lets `cardFile` sign a token for `origin`, and validates it. */
async function login(
  cardFile: CardFile,
  options: { origin?: string; presentedFrom?: string; validator?: AuthTokenValidator } = {},
) {
  const nonce = await nonces.issue();
  const token = await createAuthToken({
    card: cardFile,
    pin1: PIN1,
    origin: options.origin ?? ORIGIN,
    nonce: nonce.value,
  });
  return (options.validator ?? validator()).validate(JSON.stringify(token), {
    nonce: nonce.value,
    origin: options.presentedFrom,
  });
}

function refusedWith(code: WebEidErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof WebEidError, `expected WebEidError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

before(async () => {
  const dir = temporaryDirectory("riik-webeid-");
  const port = await freePort();
  services = await initTrustServices({ dir: join(dir, "pki"), baseUrl: `http://127.0.0.1:${port}` });
  server = await startTrustServicesServer({ services, port });
  foreign = await initTrustServices({ dir: join(dir, "foreign"), baseUrl: "http://127.0.0.1:9" });
  card = await newCard(services);
  nonces = new MemoryNonceStore();
});

after(async () => {
  await server?.close();
  await services?.close();
  await foreign?.close();
});

describe("Web eID authentication token: a good login", () => {
  it("validates and names the person from the authentication certificate", async () => {
    const person = await login(card, { presentedFrom: ORIGIN });
    assert.equal(person.personalCode, card.personalCode);
    assert.equal(person.givenName, "JAAN");
    assert.equal(person.surname, "TAMM");
    assert.equal(person.country, "EE");
    assert.equal(person.kind, "id-card");
    assert.equal(person.certificate.serialNumber, cardCertificate(card, "authentication").serialNumber);
    assert.equal(person.issuer.subject, services.cas.esteid.certificate.subject);
    assert.equal(person.ocsp?.status.status, "good");
  });

  it("has the five web-eid:1.0 fields, ES384 for a P-384 card, and a raw r ‖ s signature", async () => {
    const nonce = generateChallengeNonce();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce });
    assert.deepEqual(Object.keys(token).sort(), [
      "algorithm",
      "appVersion",
      "format",
      "signature",
      "unverifiedCertificate",
    ]);
    assert.equal(token.format, AUTH_TOKEN_FORMAT);
    assert.equal(token.algorithm, "ES384");
    assert.equal(Buffer.from(token.signature, "base64").length, 96);
    assert.ok(URL.canParse(token.appVersion));
    assert.equal(
      token.unverifiedCertificate,
      Buffer.from(cardCertificate(card, "authentication").rawData).toString("base64"),
    );
  });

  it("signs exactly SHA-384(origin) ‖ SHA-384(nonce), checked with node:crypto alone", async () => {
    const nonce = generateChallengeNonce();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce });
    const sha384 = (text: string) => createHash("sha384").update(text, "utf8").digest();
    const signed = Buffer.concat([sha384(ORIGIN), sha384(nonce)]);
    assert.deepEqual(Buffer.from(authTokenSignedData("ES384", ORIGIN, nonce)), signed);
    const publicKey = createPublicKey(card.authentication.certificate);
    const signature = Buffer.from(token.signature, "base64");
    assert.equal(verify("sha384", signed, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature), true);
    // The nonce is signed as its base64 text, not as the decoded bytes (spec clarification).
    const decoded = Buffer.concat([sha384(ORIGIN), createHash("sha384").update(Buffer.from(nonce, "base64")).digest()]);
    assert.equal(verify("sha384", decoded, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature), false);
  });

  it("accepts a token signed the way a browser signs: WebCrypto ECDSA P-384, raw r ‖ s", async () => {
    const nonce = await nonces.issue();
    const { privateKey } = await unlockCardKey(card, "authentication", PIN1);
    const enc = new TextEncoder();
    const hash = async (text: string) => new Uint8Array(await subtle.digest("SHA-384", enc.encode(text)));
    const data = new Uint8Array([...(await hash(ORIGIN)), ...(await hash(nonce.value))]);
    const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-384" }, privateKey, data);
    const token = {
      unverifiedCertificate: Buffer.from(cardCertificate(card, "authentication").rawData).toString("base64"),
      algorithm: "ES384",
      signature: Buffer.from(signature).toString("base64"),
      format: "web-eid:1.0",
      appVersion: "https://portal.riik.test/web-eid.js/1.0",
    };
    const person = await validator().validate(token, { nonce: nonce.value });
    assert.equal(person.personalCode, card.personalCode);
  });

  it("validates an e-Residency digital ID as kind e-resident", async () => {
    const person = await login(await newCard(services, { eResident: true }));
    assert.equal(person.kind, "e-resident");
  });

  it("validates an RSA card (RS256) and an RSA-PSS token (PS256)", async () => {
    const rsaCard = await newCard(services, { algorithm: "rsa2048" });
    const person = await login(rsaCard);
    assert.equal(person.personalCode, rsaCard.personalCode);

    const nonce = await nonces.issue();
    const key = createPrivateKey({ key: rsaCard.authentication.privateKey, passphrase: PIN1 });
    const signature = sign("sha256", authTokenSignedData("PS256", ORIGIN, nonce.value), {
      key,
      padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    const token = {
      unverifiedCertificate: Buffer.from(cardCertificate(rsaCard, "authentication").rawData).toString("base64"),
      algorithm: "PS256",
      signature: signature.toString("base64"),
      format: "web-eid:1.0",
      appVersion: "https://example.org/pss-signer/1",
    };
    assert.equal((await validator().validate(token, { nonce: nonce.value })).kind, "id-card");
  });

  it("accepts a later minor format version with extra fields", async () => {
    const nonce = await nonces.issue();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: nonce.value });
    const later = { ...token, format: "web-eid:1.1", supportedSignatureAlgorithms: [] };
    assert.equal((await validator().validate(later, { nonce: nonce.value })).personalCode, card.personalCode);
  });

  it("works with OCSP off and with the service's own status checker", async () => {
    assert.equal((await login(card, { validator: validator({ ocsp: "off" }) })).ocsp, undefined);
    let asked = 0;
    const own = validator({
      ocsp: async (certificate, issuer) => {
        asked++;
        assert.equal(issuer.subject, certificate.issuer);
        return { status: "good" };
      },
    });
    await login(card, { validator: own });
    assert.equal(asked, 1);
  });
});

describe("Web eID authentication token: every refusal has its code", () => {
  it("wrong PIN1 refuses to make a token (CARD_WRONG_PIN), a malformed one CARD_PIN_FORMAT", async () => {
    const nonce = generateChallengeNonce();
    await assert.rejects(
      createAuthToken({ card, pin1: "9999", origin: ORIGIN, nonce }),
      (error: unknown) => error instanceof PkiError && error.code === "CARD_WRONG_PIN",
    );
    await assert.rejects(
      createAuthToken({ card, pin1: "12", origin: ORIGIN, nonce }),
      (error: unknown) => error instanceof PkiError && error.code === "CARD_PIN_FORMAT",
    );
  });

  it("refuses to sign for a non-origin or a short nonce", async () => {
    for (const origin of [
      `${ORIGIN}/`,
      `${ORIGIN}/login`,
      "ftp://portal.riik.test",
      "https://Portal.riik.test",
      "https://portal.riik.test:443",
      "portal.riik.test",
    ])
      await assert.rejects(
        createAuthToken({ card, pin1: PIN1, origin, nonce: generateChallengeNonce() }),
        refusedWith("WEBEID_ORIGIN"),
        origin,
      );
    for (const nonce of ["c2hvcnQ=", "x".repeat(43), `${"A".repeat(43)}!`])
      await assert.rejects(
        createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce }),
        refusedWith("WEBEID_NONCE_FORMAT"),
      );
  });

  it("WEBEID_ORIGIN: a token relayed from another site", async () => {
    await assert.rejects(
      login(card, { origin: "https://evil.example", presentedFrom: "https://evil.example" }),
      refusedWith("WEBEID_ORIGIN"),
    );
    // Without the Origin header the origin still counts: it is under the signature.
    await assert.rejects(login(card, { origin: "https://evil.example" }), refusedWith("WEBEID_SIGNATURE"));
    // http and https are different origins; so are ports.
    await assert.rejects(login(card, { origin: "http://portal.riik.test" }), refusedWith("WEBEID_SIGNATURE"));
    await assert.rejects(login(card, { origin: "https://portal.riik.test:8443" }), refusedWith("WEBEID_SIGNATURE"));
  });

  it("WEBEID_NONCE_UNKNOWN: a nonce this service never issued", async () => {
    const nonce = generateChallengeNonce();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce });
    await assert.rejects(validator().validate(token, { nonce }), refusedWith("WEBEID_NONCE_UNKNOWN"));
  });

  it("WEBEID_NONCE_REUSED: the same token twice", async () => {
    const nonce = await nonces.issue();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: nonce.value });
    await validator().validate(token, { nonce: nonce.value });
    await assert.rejects(validator().validate(token, { nonce: nonce.value }), refusedWith("WEBEID_NONCE_REUSED"));
  });

  it("WEBEID_NONCE_REUSED: a refused token still uses its nonce up", async () => {
    const nonce = await nonces.issue();
    const token = await createAuthToken({ card, pin1: PIN1, origin: "https://evil.example", nonce: nonce.value });
    await assert.rejects(validator().validate(token, { nonce: nonce.value }), refusedWith("WEBEID_SIGNATURE"));
    const good = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: nonce.value });
    await assert.rejects(validator().validate(good, { nonce: nonce.value }), refusedWith("WEBEID_NONCE_REUSED"));
  });

  it("WEBEID_NONCE_EXPIRED: a nonce older than 5 minutes", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const store = new MemoryNonceStore({ now: () => new Date(now) });
    const onTime = await store.issue();
    const late = await store.issue();
    assert.equal(late.expiresAt.getTime() - late.issuedAt.getTime(), NONCE_LIFETIME_MS);
    now += NONCE_LIFETIME_MS;
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: onTime.value });
    await validator({ nonces: store }).validate(token, { nonce: onTime.value });
    now += 1;
    const lateToken = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: late.value });
    await assert.rejects(
      validator({ nonces: store }).validate(lateToken, { nonce: late.value }),
      refusedWith("WEBEID_NONCE_EXPIRED"),
    );
  });

  it("WEBEID_SIGNATURE: a tampered signature, a DER-encoded ECDSA signature, another nonce", async () => {
    const nonce = await nonces.issue();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: nonce.value });
    const bytes = Buffer.from(token.signature, "base64");
    bytes[10]! ^= 0x01;
    await assert.rejects(
      validator().validate({ ...token, signature: bytes.toString("base64") }, { nonce: nonce.value }),
      refusedWith("WEBEID_SIGNATURE"),
    );

    const second = await nonces.issue();
    const key = createPrivateKey({ key: card.authentication.privateKey, passphrase: PIN1 });
    const der = sign("sha384", authTokenSignedData("ES384", ORIGIN, second.value), key); // DER by default
    await assert.rejects(
      validator().validate({ ...token, signature: der.toString("base64") }, { nonce: second.value }),
      refusedWith("WEBEID_SIGNATURE"),
    );

    const third = await nonces.issue();
    await assert.rejects(validator().validate(token, { nonce: third.value }), refusedWith("WEBEID_SIGNATURE"));
  });

  it("WEBEID_UNTRUSTED_CA: a card from another CA hierarchy (even with the same CA name)", async () => {
    const stranger = await newCard(foreign);
    assert.equal(foreign.cas.esteid.certificate.subject, services.cas.esteid.certificate.subject);
    await assert.rejects(login(stranger), refusedWith("WEBEID_UNTRUSTED_CA"));
  });

  it("WEBEID_CERTIFICATE_PURPOSE: the signing certificate instead of the authentication one", async () => {
    const nonce = await nonces.issue();
    const signingKeys = await unlockCardKey(card, "signing", PIN2);
    const token = await signAuthToken({
      privateKey: signingKeys.privateKey,
      certificate: cardCertificate(card, "signing"),
      origin: ORIGIN,
      nonce: nonce.value,
    });
    await assert.rejects(
      validator().validate(token, { nonce: nonce.value }),
      refusedWith("WEBEID_CERTIFICATE_PURPOSE"),
    );
  });

  it("WEBEID_CERTIFICATE_POLICY: a server certificate, and an e-resident where only ID cards are accepted", async () => {
    const keys = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const certificate = await services.cas.server.issue({
      purpose: "server",
      subject: organisationName("portal.riik.test", "Portal"),
      publicKey: keys.publicKey,
      validityDays: 30,
      altNames: [{ type: "dns", value: "portal.riik.test" }],
      actor: "test",
    });
    const nonce = await nonces.issue();
    const token = await signAuthToken({ privateKey: keys.privateKey, certificate, origin: ORIGIN, nonce: nonce.value });
    await assert.rejects(
      validator({ trustedCas: [services.cas.esteid.certificate, services.cas.server.certificate] }).validate(token, {
        nonce: nonce.value,
      }),
      refusedWith("WEBEID_CERTIFICATE_POLICY"),
    );

    const resident = await newCard(services, { eResident: true });
    const idCardsOnly = validator({ acceptedPolicies: [OID.policyIdCardAuthentication] });
    await assert.rejects(login(resident, { validator: idCardsOnly }), refusedWith("WEBEID_CERTIFICATE_POLICY"));
    const noResidents = validator({ disallowedPolicies: [OID.policyEResidentAuthentication] });
    await assert.rejects(login(resident, { validator: noResidents }), refusedWith("WEBEID_CERTIFICATE_POLICY"));
  });

  it("WEBEID_CERTIFICATE_SUBJECT: an authentication certificate that names no person", async () => {
    const keys = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const certificate = await services.cas.esteid.issue({
      purpose: "id-authentication",
      subject: organisationName("NOT A PERSON"),
      publicKey: keys.publicKey,
      validityDays: 30,
      actor: "test",
    });
    const nonce = await nonces.issue();
    const token = await signAuthToken({ privateKey: keys.privateKey, certificate, origin: ORIGIN, nonce: nonce.value });
    await assert.rejects(
      validator().validate(token, { nonce: nonce.value }),
      refusedWith("WEBEID_CERTIFICATE_SUBJECT"),
    );
  });

  it("WEBEID_CERTIFICATE_EXPIRED and _NOT_YET_VALID: outside the validity period", async () => {
    const certificate = cardCertificate(card, "authentication");
    const later = new Date(certificate.notAfter.getTime() + 1000);
    await assert.rejects(
      login(card, { validator: validator({ now: () => later }) }),
      refusedWith("WEBEID_CERTIFICATE_EXPIRED"),
    );
    const earlier = new Date(certificate.notBefore.getTime() - 1000);
    await assert.rejects(
      login(card, { validator: validator({ now: () => earlier }) }),
      refusedWith("WEBEID_CERTIFICATE_NOT_YET_VALID"),
    );
  });

  it("WEBEID_CERTIFICATE_SUSPENDED, and good again once resumed", async () => {
    const suspended = await newCard(services);
    const serialNumber = normaliseSerial(cardCertificate(suspended, "authentication").serialNumber);
    await services.registry.changeStatus("esteid", serialNumber, { event: "suspended", actor: "test" });
    await assert.rejects(login(suspended), refusedWith("WEBEID_CERTIFICATE_SUSPENDED"));
    await services.registry.changeStatus("esteid", serialNumber, { event: "resumed", actor: "test" });
    assert.equal((await login(suspended)).personalCode, suspended.personalCode);
  });

  it("WEBEID_CERTIFICATE_REVOKED", async () => {
    const revoked = await newCard(services);
    const serialNumber = normaliseSerial(cardCertificate(revoked, "authentication").serialNumber);
    await services.registry.changeStatus("esteid", serialNumber, {
      event: "revoked",
      reason: "keyCompromise",
      actor: "test",
    });
    await assert.rejects(login(revoked), (error: unknown) => {
      refusedWith("WEBEID_CERTIFICATE_REVOKED")(error);
      assert.equal((error as WebEidError).details?.reason, 1);
      return true;
    });
  });

  it("WEBEID_CERTIFICATE_STATUS_UNKNOWN: the status source does not know the certificate", async () => {
    await assert.rejects(
      login(card, { validator: validator({ ocsp: async () => ({ status: "unknown" }) }) }),
      refusedWith("WEBEID_CERTIFICATE_STATUS_UNKNOWN"),
    );
  });

  it("WEBEID_OCSP_UNAVAILABLE: the OCSP responder is down", async () => {
    const down = `http://127.0.0.1:${await freePort()}/ocsp`;
    await assert.rejects(
      login(card, { validator: validator({ ocspUrl: down }) }),
      refusedWith("WEBEID_OCSP_UNAVAILABLE"),
    );
    const failing = validator({
      ocsp: async () => {
        throw new Error("connection reset");
      },
    });
    await assert.rejects(login(card, { validator: failing }), refusedWith("WEBEID_OCSP_UNAVAILABLE"));
  });

  it("WEBEID_ALGORITHM: an algorithm outside the spec, or one that does not fit the key", async () => {
    const nonce = await nonces.issue();
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: nonce.value });
    for (const algorithm of ["HS256", "none", "ES384 ", "es384"])
      await assert.rejects(
        validator().validate({ ...token, algorithm }, { nonce: nonce.value }),
        refusedWith("WEBEID_ALGORITHM"),
      );
    for (const algorithm of ["RS384", "PS384", "ES256", "ES512"])
      await assert.rejects(
        validator().validate({ ...token, algorithm }, { nonce: (await nonces.issue()).value }),
        refusedWith("WEBEID_ALGORITHM"),
      );
  });

  it("WEBEID_TOKEN_FORMAT and WEBEID_UNSUPPORTED_FORMAT: broken tokens, with field paths", async () => {
    const token = await createAuthToken({ card, pin1: PIN1, origin: ORIGIN, nonce: generateChallengeNonce() });
    const der = Buffer.from(token.unverifiedCertificate, "base64");
    const trailing = Buffer.concat([der, Buffer.from([0, 0])]).toString("base64");
    const cases: Array<[unknown, WebEidErrorCode, string[]?]> = [
      ["{", "WEBEID_TOKEN_FORMAT", ["$"]],
      ["", "WEBEID_TOKEN_FORMAT", ["$"]],
      ["[]", "WEBEID_TOKEN_FORMAT", ["$"]],
      [null, "WEBEID_TOKEN_FORMAT", ["$"]],
      [42, "WEBEID_TOKEN_FORMAT", ["$"]],
      ["x".repeat(10_001), "WEBEID_TOKEN_FORMAT", ["$"]],
      [{}, "WEBEID_TOKEN_FORMAT", ["unverifiedCertificate", "algorithm", "signature", "format", "appVersion"]],
      [{ ...token, signature: undefined }, "WEBEID_TOKEN_FORMAT", ["signature"]],
      [{ ...token, appVersion: 7 }, "WEBEID_TOKEN_FORMAT", ["appVersion"]],
      [{ ...token, appVersion: "not a url" }, "WEBEID_TOKEN_FORMAT", ["appVersion"]],
      [{ ...token, signature: "!!!!" }, "WEBEID_TOKEN_FORMAT", ["signature"]],
      [{ ...token, signature: "" }, "WEBEID_TOKEN_FORMAT", ["signature"]],
      [{ ...token, unverifiedCertificate: "AAAA" }, "WEBEID_TOKEN_FORMAT", ["unverifiedCertificate"]],
      [{ ...token, unverifiedCertificate: trailing }, "WEBEID_TOKEN_FORMAT", ["unverifiedCertificate"]],
      [{ ...token, unverifiedCertificate: "MIIB-w__" }, "WEBEID_TOKEN_FORMAT", ["unverifiedCertificate"]],
      [{ ...token, signature: "AAB=" }, "WEBEID_TOKEN_FORMAT", ["signature"]],
      [{ ...token, extra: 1 }, "WEBEID_TOKEN_FORMAT", ["extra"]],
      [{ ...token, format: "web-eid:2.0" }, "WEBEID_UNSUPPORTED_FORMAT", ["format"]],
      [{ ...token, format: "web-eid:10" }, "WEBEID_UNSUPPORTED_FORMAT", ["format"]],
      [{ ...token, format: "web-eid:1" }, "WEBEID_UNSUPPORTED_FORMAT", ["format"]],
      [{ ...token, format: "openid-x509" }, "WEBEID_UNSUPPORTED_FORMAT", ["format"]],
    ];
    const nonce = generateChallengeNonce();
    for (const [input, code, fields] of cases) {
      await assert.rejects(validator().validate(input, { nonce }), (error: unknown) => {
        refusedWith(code)(error);
        if (fields) assert.deepEqual((error as WebEidError).details?.fields, fields);
        return true;
      });
    }
  });

  it("refuses bad validator options with WEBEID_ARGUMENT", () => {
    for (const overrides of [
      { allowedOrigin: `${ORIGIN}/` },
      { allowedOrigin: "portal.riik.test" },
      { trustedCas: [] },
      { trustedCas: [cardCertificate(card, "authentication")] },
      { ocsp: "maybe" as "off" },
    ] as Array<Partial<AuthTokenValidatorOptions>>)
      assert.throws(() => validator(overrides), refusedWith("WEBEID_ARGUMENT"));
  });
});

describe("#22 Web eID tokens' certificate fields (property tests)", () => {
  /** A token over this service's origin and a fresh nonce, carrying `certificate` signed for by `privateKey`. */
  async function present(certificate: string, privateKey: CryptoKey) {
    const nonce = await nonces.issue();
    const token = await signAuthToken({
      privateKey,
      certificate: new x509.X509Certificate(certificate),
      origin: ORIGIN,
      nonce: nonce.value,
    });
    return { token, nonce: nonce.value };
  }
  /** Codes a certificate that still parses but was changed may earn: never a login. */
  const CERTIFICATE_REFUSALS: WebEidErrorCode[] = [
    "WEBEID_ALGORITHM",
    "WEBEID_CERTIFICATE_EXPIRED",
    "WEBEID_CERTIFICATE_NOT_YET_VALID",
    "WEBEID_CERTIFICATE_PURPOSE",
    "WEBEID_CERTIFICATE_POLICY",
    "WEBEID_UNTRUSTED_CA",
    "WEBEID_CERTIFICATE_SUBJECT",
    "WEBEID_SIGNATURE",
  ];

  it("#22 unverifiedCertificate DER mutated: WEBEID_TOKEN_FORMAT naming only that field, or a certificate refusal, never a login", async () => {
    const keys = await unlockCardKey(card, "authentication", PIN1);
    const der = new Uint8Array(cardCertificate(card, "authentication").rawData);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (flips, cut) => {
          const bytes = Uint8Array.from(der);
          for (const [position, mask] of flips) bytes[position % bytes.length]! ^= mask;
          const mutated = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          const { token, nonce } = await present(card.authentication.certificate, keys.privateKey);
          const forged = { ...token, unverifiedCertificate: Buffer.from(mutated).toString("base64") };
          await assert.rejects(validator().validate(forged, { nonce }), (error: unknown) => {
            assert.ok(error instanceof WebEidError, String(error));
            // Unreadable: the shape error names exactly the changed field; readable: a certificate refusal.
            if (error.code === "WEBEID_TOKEN_FORMAT")
              assert.deepEqual(error.details?.fields, ["unverifiedCertificate"]);
            else assert.ok(CERTIFICATE_REFUSALS.includes(error.code), `${error.code}: ${error.message}`);
            return true;
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("#22 unverifiedCertificate base64 mutated (characters outside the alphabet, padding, whitespace): WEBEID_TOKEN_FORMAT", async () => {
    const keys = await unlockCardKey(card, "authentication", PIN1);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom("!", "-", "_", " ", "\n", "=", "==", "%", "é"),
        async (at, inserted) => {
          const { token, nonce } = await present(card.authentication.certificate, keys.privateKey);
          const text = token.unverifiedCertificate;
          const position = at % text.length;
          const forged = {
            ...token,
            unverifiedCertificate: `${text.slice(0, position)}${inserted}${text.slice(position)}`,
          };
          await assert.rejects(validator().validate(forged, { nonce }), refusedWith("WEBEID_TOKEN_FORMAT"));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("#22 wrong key usage: the qualified signing certificate, or any usage without digitalSignature, is WEBEID_CERTIFICATE_PURPOSE", async () => {
    const signing = await unlockCardKey(card, "signing", PIN2);
    const presented = await present(card.signing.certificate, signing.privateKey);
    await assert.rejects(
      validator().validate(presented.token, { nonce: presented.nonce }),
      refusedWith("WEBEID_CERTIFICATE_PURPOSE"),
    );
    const authentication = cardCertificate(card, "authentication");
    const keys = await unlockCardKey(card, "authentication", PIN1);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x1ff }), async (flags) => {
        const usages = flags & ~x509.KeyUsageFlags.digitalSignature;
        // Issued by the trusted CA itself, so only the key usage is wrong.
        const certificate = await x509.X509CertificateGenerator.create({
          serialNumber: "01",
          subject: authentication.subject,
          issuer: services.cas.esteid.certificate.subject,
          notBefore: authentication.notBefore,
          notAfter: authentication.notAfter,
          publicKey: keys.publicKey,
          signingKey: services.cas.esteid.keys.privateKey,
          signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
          extensions: [
            ...(usages === 0 ? [] : [new x509.KeyUsagesExtension(usages, true)]),
            ...authentication.extensions.filter((e) => e.type !== "2.5.29.15"),
          ],
        });
        const { token, nonce } = await present(certificate.toString("pem"), keys.privateKey);
        await assert.rejects(validator().validate(token, { nonce }), refusedWith("WEBEID_CERTIFICATE_PURPOSE"));
      }),
      { numRuns: 25 },
    );
  });
});

describe("Web eID challenge nonces", () => {
  it("are 256 random bits in base64, 44 characters, all different", async () => {
    const store = new MemoryNonceStore();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const { value } = await store.issue();
      assert.match(value, /^[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(value, "base64").length, 32);
      seen.add(value);
    }
    assert.equal(seen.size, 100);
  });

  it("keep the store bounded: the oldest nonce is forgotten first", async () => {
    const store = new MemoryNonceStore({ maxEntries: 3 });
    const issued = [await store.issue(), await store.issue(), await store.issue(), await store.issue()];
    assert.equal(store.size, 3);
    await assert.rejects(store.consume(issued[0]!.value), refusedWith("WEBEID_NONCE_UNKNOWN"));
    for (const nonce of issued.slice(1)) assert.equal((await store.consume(nonce.value)).value, nonce.value);
  });

  it("are forgotten two lifetimes after issue, and unknown values are refused", async () => {
    let now = 0;
    const store = new MemoryNonceStore({ now: () => new Date(now) });
    const old = await store.issue();
    now += 2 * NONCE_LIFETIME_MS + 1;
    await store.issue();
    assert.equal(store.size, 1);
    await assert.rejects(store.consume(old.value), refusedWith("WEBEID_NONCE_UNKNOWN"));
    for (const value of ["", "x".repeat(10_000), 42 as unknown as string])
      await assert.rejects(store.consume(value), refusedWith("WEBEID_NONCE_UNKNOWN"));
  });
});

describe("riik id auth-token", () => {
  it("prints a token that the validator accepts", async () => {
    const dir = temporaryDirectory("riik-webeid-cli-");
    const cardPath = join(dir, "card.json");
    writeFileSync(cardPath, JSON.stringify(card));
    const nonce = await nonces.issue();
    const run = spawnSync(
      process.execPath,
      [RIIK_BIN, "id", "auth-token", "--card", cardPath, "--origin", ORIGIN, "--nonce", nonce.value],
      { cwd: REPO, encoding: "utf8", env: { ...process.env, RIIK_PIN1: PIN1 } },
    );
    assert.equal(run.status, 0, run.stderr);
    const token = JSON.parse(run.stdout) as WebEidAuthToken;
    assert.equal(token.format, "web-eid:1.0");
    const person = await validator().validate(run.stdout.trim(), { nonce: nonce.value, origin: ORIGIN });
    assert.equal(person.personalCode, card.personalCode);
  });
});
