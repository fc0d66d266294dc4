import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import * as x509 from "@peculiar/x509";
import { temporaryDirectory } from "@riik/core/testing";
import { generationParams, signingParams, subtle } from "../src/algorithms.ts";
import { randomSerial } from "../src/ca/authority.ts";
import { type CertificatePurpose, profileExtensions } from "../src/ca/profiles.ts";
import { PathValidationError, type PathValidationOptions, validatePath } from "../src/index.ts";

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date("2026-01-01T00:00:00Z");
const days = (n: number) => new Date(T0.getTime() + n * DAY);

interface Issued {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** A certificate of one of pki's own profiles, valid from T0 for `validDays` unless said otherwise. */
async function make(
  purpose: CertificatePurpose,
  commonName: string,
  issuer?: Issued,
  validity: { from?: number; to?: number } = {},
  signingKey?: CryptoKey,
): Promise<Issued> {
  const keys = (await subtle.generateKey(generationParams("p384"), true, ["sign", "verify"])) as CryptoKeyPair;
  const subject = `CN=${commonName}`;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuer ? issuer.certificate.subject : subject,
    notBefore: days(validity.from ?? 0),
    notAfter: days(validity.to ?? 3650),
    publicKey: keys.publicKey,
    signingKey: signingKey ?? (issuer ?? { keys }).keys.privateKey,
    signingAlgorithm: signingParams("p384"),
    extensions: await profileExtensions(purpose, {
      subjectKey: keys.publicKey,
      ...(issuer ? { issuer: issuer.certificate, issuerName: "test" } : {}),
      baseUrl: "http://127.0.0.1:1",
    }),
  });
  return { certificate, keys };
}

const root = await make("root-ca", "Test Root");
const intermediate = await make("issuing-ca", "Test Issuing CA", root);
const leaf = await make("id-authentication", "Test Person", intermediate, { to: 365 });
const otherRoot = await make("root-ca", "Other Root");
const at = days(30);

async function refusal(cert: Issued, options: PathValidationOptions): Promise<PathValidationError> {
  const error = await validatePath(cert.certificate, options).then(
    () => assert.fail("validatePath accepted"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof PathValidationError, String(error));
  assert.equal(error.code, "PKI_PATH_INVALID");
  assert.equal(error.details?.reason, error.reason);
  return error;
}

describe("validatePath", () => {
  it("accepts leaf ← intermediate ← root and returns the path end entity first, anchor last", async () => {
    const result = await validatePath(leaf.certificate, {
      anchors: [otherRoot.certificate, root.certificate],
      intermediates: [otherRoot.certificate, intermediate.certificate],
      at,
      usage: { keyUsage: ["digitalSignature"], extendedKeyUsage: ["clientAuth"] },
    });
    assert.deepEqual(
      result.path.map((c) => c.subject),
      ["CN=Test Person", "CN=Test Issuing CA", "CN=Test Root"],
    );
    assert.equal(result.anchor, root.certificate);
    assert.equal(result.certificate, leaf.certificate);
  });

  it("stops at an intermediate that is itself an anchor", async () => {
    const result = await validatePath(leaf.certificate, {
      anchors: [intermediate.certificate],
      intermediates: [root.certificate],
      at,
    });
    assert.equal(result.path.length, 2);
    assert.equal(result.anchor, intermediate.certificate);
  });

  it("refuses a chain to a different anchor", async () => {
    const error = await refusal(leaf, {
      anchors: [otherRoot.certificate],
      intermediates: [intermediate.certificate],
      at,
    });
    assert.equal(error.reason, "NO_PATH");
  });

  it("never takes trust from the object: a root only among the intermediates is not an anchor", async () => {
    const error = await refusal(leaf, {
      anchors: [otherRoot.certificate],
      intermediates: [intermediate.certificate, root.certificate],
      at,
    });
    assert.equal(error.reason, "NO_PATH");
    assert.equal(
      (await refusal(leaf, { anchors: [], intermediates: [intermediate.certificate, root.certificate], at })).reason,
      "NO_PATH",
    );
  });

  it("refuses an Invalid Date as the validation time (it would compare as inside every period)", async () => {
    const options = { anchors: [root.certificate], intermediates: [intermediate.certificate] };
    assert.equal((await refusal(leaf, { ...options, at: new Date(Number.NaN) })).reason, "NO_TIME");
  });

  it("refuses when the intermediate is missing", async () => {
    assert.equal((await refusal(leaf, { anchors: [root.certificate], at })).reason, "NO_PATH");
  });

  it("checks validity of every certificate at `at`", async () => {
    const options = { anchors: [root.certificate], intermediates: [intermediate.certificate] };
    assert.equal((await refusal(leaf, { ...options, at: days(400) })).reason, "EXPIRED");
    assert.equal((await refusal(leaf, { ...options, at: days(-1) })).reason, "NOT_YET_VALID");
    const shortIntermediate = await make("issuing-ca", "Short CA", root, { to: 10 });
    const underShort = await make("id-authentication", "Short Person", shortIntermediate, { to: 5 });
    const error = await refusal(underShort, {
      anchors: [root.certificate],
      intermediates: [shortIntermediate.certificate],
      at: days(20),
    });
    assert.equal(error.reason, "EXPIRED");
  });

  it("refuses a certificate signed by another key under the issuer's name", async () => {
    const forged = await make("id-authentication", "Forged", intermediate, {}, otherRoot.keys.privateKey);
    const error = await refusal(forged, { anchors: [root.certificate], intermediates: [intermediate.certificate], at });
    assert.equal(error.reason, "SIGNATURE");
  });

  it("refuses an issuer that is not a CA (basicConstraints)", async () => {
    const underLeaf = await make("id-authentication", "Under A Person", leaf, { to: 100 });
    const error = await refusal(underLeaf, {
      anchors: [root.certificate],
      intermediates: [intermediate.certificate, leaf.certificate],
      at,
    });
    assert.equal(error.reason, "NOT_A_CA");
  });

  it("refuses a path longer than an issuing CA's pathLenConstraint (0)", async () => {
    const subCa = await make("issuing-ca", "Sub CA", intermediate);
    const deep = await make("id-authentication", "Deep Person", subCa, { to: 100 });
    const error = await refusal(deep, {
      anchors: [root.certificate],
      intermediates: [subCa.certificate, intermediate.certificate],
      at,
    });
    assert.equal(error.reason, "PATH_LENGTH");
  });

  it("refuses an end entity without the required key usage or extended key usage", async () => {
    const options = { anchors: [root.certificate], intermediates: [intermediate.certificate], at };
    assert.equal((await refusal(leaf, { ...options, usage: { extendedKeyUsage: ["timeStamping"] } })).reason, "USAGE");
    assert.equal((await refusal(leaf, { ...options, usage: { keyUsage: ["nonRepudiation"] } })).reason, "USAGE");
  });

  it("agrees with `openssl verify -attime` on validity, a missing intermediate and path length", async () => {
    const dir = temporaryDirectory("riik-path-");
    let files = 0;
    const pem = (...certs: x509.X509Certificate[]) => {
      const file = join(dir, `${files++}.pem`);
      writeFileSync(file, certs.map((cert) => cert.toString("pem")).join("\n"));
      return file;
    };
    const subCa = await make("issuing-ca", "Sub CA", intermediate);
    const deep = await make("id-authentication", "Deep Person", subCa, { to: 100 });
    const cases: Array<[string, Issued, x509.X509Certificate[], Date]> = [
      ["valid", leaf, [intermediate.certificate], at],
      ["expired", leaf, [intermediate.certificate], days(400)],
      ["not yet valid", leaf, [intermediate.certificate], days(-1)],
      ["missing intermediate", leaf, [], at],
      ["path length", deep, [subCa.certificate, intermediate.certificate], at],
    ];
    const rootFile = pem(root.certificate);
    for (const [name, cert, intermediates, time] of cases) {
      const ours = await validatePath(cert.certificate, { anchors: [root.certificate], intermediates, at: time }).then(
        () => true,
        () => false,
      );
      // A non-zero exit (a refused path) rejects; openssl missing fails the test, as in tsa.test.ts.
      const theirs = await promisify(execFile)("openssl", [
        "verify",
        "-attime",
        String(Math.floor(time.getTime() / 1000)),
        "-CAfile",
        rootFile,
        ...(intermediates.length > 0 ? ["-untrusted", pem(...intermediates)] : []),
        pem(cert.certificate),
      ]).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") throw error;
          return false;
        },
      );
      assert.equal(ours, theirs, name);
      assert.equal(ours, name === "valid", name);
    }
  });
});
