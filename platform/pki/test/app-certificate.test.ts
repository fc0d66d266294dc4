import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { subtle } from "../src/algorithms.ts";
import {
  AuthTokenValidator,
  checkOcsp,
  issueAppCertificate,
  MemoryNonceStore,
  normaliseSerial,
  OID,
  PkiError,
  validatePath,
} from "../src/index.ts";
import { startTestTrustServices } from "./helpers.ts";

const appKey = async (curve = "P-256") =>
  (await subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;

describe("#12 the authentication app's certificate (ESTEID CA, own policy)", async () => {
  const { services } = await startTestTrustServices();
  const esteid = services.cas.esteid.certificate;
  const person = { personalCode: "38001085718", givenName: "Mari-Liis", surname: "Männik" };

  it("#12 carries the person's subject, digitalSignature, clientAuth and only the app policy", async () => {
    const certificate = await issueAppCertificate(services, { ...person, publicKey: (await appKey()).publicKey });
    assert.equal(certificate.subjectName.getField(OID.serialNumber)[0], "PNOEE-38001085718");
    assert.equal(certificate.subjectName.getField("CN")[0], "MÄNNIK,MARI-LIIS,38001085718");
    assert.equal(certificate.issuer, esteid.subject);
    const policies = certificate.getExtension(x509.CertificatePolicyExtension)?.policies;
    assert.deepEqual([...(policies ?? [])], [OID.policyAppAuthentication]);
    assert.equal(certificate.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.deepEqual(
      [...(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      [OID.ekuClientAuth],
    );
    const days = (certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 86_400_000;
    assert.ok(days > 3 * 365 - 1 && days < 3 * 365 + 1, `three years, got ${days} days`);
    await validatePath(certificate, {
      anchors: [services.root],
      intermediates: [esteid],
      at: new Date(),
      usage: { keyUsage: ["digitalSignature"], extendedKeyUsage: ["clientAuth"] },
    });
  });

  it("#12 is in the certificate registry, so OCSP answers for it and follows a suspension", async () => {
    const certificate = await issueAppCertificate(services, {
      ...person,
      publicKey: (await appKey("P-384")).publicKey,
    });
    const serial = normaliseSerial(certificate.serialNumber);
    const row = await services.registry.find("esteid", serial);
    assert.equal(row?.purpose, "app-authentication");
    assert.equal(row?.personal_code, person.personalCode);
    const ocspUrl = `${services.config.baseUrl}/ocsp`;
    assert.equal((await checkOcsp(certificate, esteid, ocspUrl)).status.status, "good");
    await services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "test" });
    const suspended = (await checkOcsp(certificate, esteid, ocspUrl)).status;
    assert.equal(suspended.status, "revoked");
    assert.equal(suspended.status === "revoked" && suspended.reason, 6, "certificateHold");
  });

  it("#12 is not an ID card: the Web eID validator refuses its policy", async () => {
    const keys = await appKey();
    const certificate = await issueAppCertificate(services, { ...person, publicKey: keys.publicKey });
    const nonces = new MemoryNonceStore();
    const validator = new AuthTokenValidator({
      trustedCas: [esteid],
      allowedOrigin: "https://portal.riik.test",
      nonces,
      ocsp: "off",
    });
    const nonce = (await nonces.issue()).value;
    await assert.rejects(
      validator.validate(
        {
          format: "web-eid:1.0",
          appVersion: "https://web-eid.eu/web-eid-app/releases/2.5.0",
          algorithm: "ES256",
          unverifiedCertificate: Buffer.from(certificate.rawData).toString("base64"),
          signature: Buffer.alloc(64).toString("base64"),
        },
        { nonce },
      ),
      { code: "WEBEID_CERTIFICATE_POLICY" },
    );
  });

  it("#12 refuses an RSA or private key, bad names and a bad personal code, issuing nothing", async () => {
    const before = (await services.registry.byPersonalCode("49403136526")).length;
    const rsa = (await subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const ec = await appKey();
    const other = { personalCode: "49403136526", givenName: "Kati", surname: "Karu" };
    for (const [request, pattern] of [
      [{ ...other, publicKey: rsa.publicKey }, /ECDSA/],
      [{ ...other, publicKey: ec.privateKey }, /public key/],
      [{ ...other, givenName: "K4ti", publicKey: ec.publicKey }, /given name/],
      [{ ...other, publicKey: ec.publicKey, validityDays: 0 }, /validity/],
    ] as const) {
      await assert.rejects(
        issueAppCertificate(services, request),
        (error: unknown) => error instanceof PkiError && error.code === "PKI_ARGUMENT" && pattern.test(error.message),
      );
    }
    await assert.rejects(
      issueAppCertificate(services, { ...other, personalCode: "49403136527", publicKey: ec.publicKey }),
      {
        code: "PERSONAL_CODE_CHECKSUM",
      },
    );
    assert.equal((await services.registry.byPersonalCode("49403136526")).length, before);
  });
});
