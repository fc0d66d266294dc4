import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import { subtle } from "../src/algorithms.ts";
import { assertOrigin, type WebEidAuthToken, WebEidError } from "../src/index.ts";
import { parseAuthToken, signAuthToken } from "../src/webeid/auth-token.ts";
import { generateChallengeNonce } from "../src/webeid/challenge-nonce.ts";

let token: WebEidAuthToken;
let der: Uint8Array;

/** The only codes parseAuthToken raises (its contract): the token's shape, its format, its algorithm. */
const PARSE_CODES = ["WEBEID_TOKEN_FORMAT", "WEBEID_UNSUPPORTED_FORMAT", "WEBEID_ALGORITHM"];

/** Runs `parse` and fails unless it returns or throws a WebEidError with one of the parser's codes. */
function onlyWebEidError(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof WebEidError)) throw error;
    assert.ok(PARSE_CODES.includes(error.code), `${error.code}: ${error.message}`);
  }
}

before(async () => {
  const keys = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=TAMM\\,JAAN\\,38001085718, C=EE",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  der = new Uint8Array(certificate.rawData);
  token = await signAuthToken({
    privateKey: keys.privateKey,
    certificate,
    origin: "https://portal.riik.test",
    nonce: generateChallengeNonce(),
  });
});

describe("Web eID token parser (property tests)", () => {
  it("parses the token it is given back to the same fields", () => {
    const parsed = parseAuthToken(JSON.stringify(token));
    assert.deepEqual({ ...parsed.token }, { ...token });
    assert.equal(parsed.signature.length, 96);
  });

  it("arbitrary strings only ever throw WebEidError", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => onlyWebEidError(() => parseAuthToken(text))),
      { numRuns: 2000 },
    );
  });

  it("arbitrary JSON text and values only ever throw WebEidError", () => {
    fc.assert(
      fc.property(fc.json(), (text) => onlyWebEidError(() => parseAuthToken(text))),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }), (value) =>
        onlyWebEidError(() => parseAuthToken(value)),
      ),
      { numRuns: 1000 },
    );
  });

  it("tokens with arbitrary field values only ever throw WebEidError", () => {
    const anyField = fc.oneof(fc.string(), fc.base64String(), fc.anything(), fc.constant(undefined));
    fc.assert(
      fc.property(
        fc.record({
          unverifiedCertificate: fc.oneof(fc.constant(token.unverifiedCertificate), anyField),
          algorithm: fc.oneof(fc.constantFrom("ES256", "ES384", "RS256", "PS512", "HS256", ""), anyField),
          signature: fc.oneof(fc.constant(token.signature), anyField),
          format: fc.oneof(fc.constantFrom("web-eid:1.0", "web-eid:1.1", "web-eid:2.0", "web-eid:1"), anyField),
          appVersion: fc.oneof(fc.constant(token.appVersion), fc.webUrl(), anyField),
        }),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
        (fields, extra) => {
          onlyWebEidError(() => parseAuthToken({ ...extra, ...fields }));
          onlyWebEidError(() => parseAuthToken(JSON.stringify({ ...extra, ...fields })));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("#22 corrupted or truncated certificates: WEBEID_TOKEN_FORMAT naming unverifiedCertificate, or a certificate OpenSSL reads", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (flips, cut) => {
          const bytes = Uint8Array.from(der);
          for (const [position, mask] of flips) bytes[position % bytes.length]! ^= mask;
          const truncated = flips.length === 0 ? bytes.subarray(0, cut % bytes.length) : bytes;
          const unverifiedCertificate = Buffer.from(truncated).toString("base64");
          let refusal: unknown;
          try {
            parseAuthToken({ ...token, unverifiedCertificate });
          } catch (error) {
            refusal = error;
          }
          if (refusal === undefined) {
            // Accepted: then OpenSSL, which no one here wrote, reads it as a certificate too.
            assert.doesNotThrow(() => new X509Certificate(truncated), "accepted what OpenSSL refuses");
            return;
          }
          assert.ok(refusal instanceof WebEidError, String(refusal));
          assert.equal(refusal.code, "WEBEID_TOKEN_FORMAT", refusal.message);
          assert.deepEqual(refusal.details?.fields, ["unverifiedCertificate"], "only the changed field is named");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("origins: only the exact ASCII serialization passes, other strings fail with WEBEID_ORIGIN", () => {
    for (const good of [
      "https://portal.riik.test",
      "http://localhost:3000",
      "https://[::1]:8443",
      "https://xn--mnt-ila.ee",
    ])
      assertOrigin(good);
    fc.assert(
      fc.property(fc.oneof(fc.webUrl(), fc.string()), (text) => {
        try {
          assertOrigin(text);
          assert.equal(new URL(text).origin, text);
        } catch (error) {
          if (!(error instanceof WebEidError) || error.code !== "WEBEID_ORIGIN") throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
