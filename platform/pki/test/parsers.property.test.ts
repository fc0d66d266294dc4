import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import * as pkijs from "pkijs";
import { parseCardFile } from "../src/identity/card-file.ts";
import {
  buildOcspRequest,
  OID,
  PkiError,
  type PkiErrorCode,
  type TimeStampFailure,
  verifyOcspResponse,
  verifyTimeStampToken,
} from "../src/index.ts";
import { parseOcspRequest } from "../src/ocsp/request.ts";
import { buildTimeStampRequest, parseTimeStampResponse } from "../src/tsa/client.ts";
import { parseTimeStampRequest } from "../src/tsa/request.ts";
import { issueTestCard, startTestTrustServices } from "./helpers.ts";

/** Valid bytes with one byte changed, a slice cut out, or bytes appended: the shapes real corruption takes. */
function mutations(valid: Uint8Array) {
  return fc.oneof(
    fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
      const copy = Uint8Array.from(valid);
      copy[at] = copy[at]! ^ x;
      return copy;
    }),
    fc
      .tuple(fc.nat(valid.length), fc.nat(valid.length))
      .map(([a, b]) => Uint8Array.from([...valid.subarray(0, Math.min(a, b)), ...valid.subarray(Math.max(a, b))])),
    fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => Uint8Array.from([...valid, ...tail])),
    fc.uint8Array({ maxLength: 512 }),
  );
}

/** The refusal must be a PkiError with this code (and one of these reasons): any other throw is a crash. */
function assertRefused(error: unknown, code: PkiErrorCode, reasons?: readonly TimeStampFailure[]): true {
  assert.ok(error instanceof PkiError, `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  assert.equal(error.code, code, error.message);
  if (reasons)
    assert.ok(reasons.includes(error.details?.reason as TimeStampFailure), `reason ${error.details?.reason}`);
  return true;
}

/** `parse` returns, or refuses with `code`. */
function parsesOrRefuses(code: PkiErrorCode, parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    assertRefused(error, code);
  }
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const indexOf = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack).indexOf(Buffer.from(needle));

describe("parsers of untrusted bytes throw only typed errors (property tests)", async () => {
  const { dir, services } = await startTestTrustServices();
  const { card } = await issueTestCard(services, dir);
  const ocspRequest = buildOcspRequest(
    new x509.X509Certificate(card.authentication.certificate),
    services.cas.esteid.certificate,
    new Uint8Array(16),
  );
  // A TimeStampReq for a SHA-256 imprint, as openssl ts -query writes it.
  const tsq = Buffer.from(`30390201013031300d060960864801650304020105000420${"ab".repeat(32)}0101ff`, "hex");
  tsq[1] = tsq.length - 2;

  it("parseOcspRequest", () => {
    assert.equal(parseOcspRequest(ocspRequest).certIds.length, 1);
    // Found by this property (seed 712941821): a nonce whose inner tag became a zero-filled
    // GeneralizedTime made asn1js throw a plain Error; the value counts as raw octets.
    const timeInNonce = Uint8Array.from(ocspRequest);
    const at = Buffer.from(timeInNonce).lastIndexOf(Buffer.from([0x04, 0x10]));
    assert.ok(at > 0, "the test request carries a 16-octet nonce");
    timeInNonce[at] = 0x18;
    assert.equal(parseOcspRequest(timeInNonce).certIds.length, 1);
    fc.assert(
      fc.property(mutations(ocspRequest), (bytes) =>
        parsesOrRefuses("OCSP_MALFORMED_REQUEST", () => parseOcspRequest(bytes)),
      ),
      { numRuns: 5000 },
    );
  });

  it("parseTimeStampRequest", () => {
    assert.equal(parseTimeStampRequest(tsq, OID.policyTimeStamping).version, 1);
    fc.assert(
      fc.property(mutations(tsq), (bytes) => {
        try {
          parseTimeStampRequest(bytes, OID.policyTimeStamping);
        } catch (error) {
          // A well-formed request may still ask for what this TSA refuses (RFC 3161 2.4.2 PKIFailureInfo).
          assert.ok(error instanceof PkiError, String(error));
          assert.ok(
            [
              "TSA_MALFORMED_REQUEST",
              "TSA_BAD_ALGORITHM",
              "TSA_UNACCEPTED_POLICY",
              "TSA_UNACCEPTED_EXTENSION",
            ].includes(error.code),
            error.code,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("parseCardFile", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) =>
        parsesOrRefuses("CARD_FORMAT", () => parseCardFile(text)),
      ),
      { numRuns: 500 },
    );
  });

  const certificate = new x509.X509Certificate(card.authentication.certificate);
  const issuer = services.cas.esteid.certificate;

  describe("#22 OCSP responses read by the client (verifyOcspResponse)", async () => {
    const nonce = new Uint8Array(16).fill(7);
    const ask = async (body: Uint8Array, url = `${services.config.baseUrl}/ocsp`) =>
      new Uint8Array(
        await (
          await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/ocsp-request" },
            body: body as BodyInit,
          })
        ).arrayBuffer(),
      );
    const response = await ask(buildOcspRequest(certificate, issuer, nonce));
    const verify = (der: Uint8Array, options: { nonce?: Uint8Array } = { nonce }) =>
      verifyOcspResponse(der, certificate, issuer, options);

    it("accepts the responder's own answer", async () => {
      assert.equal((await verify(response)).status.status, "good");
    });

    it("#22 truncated, bit-flipped or extended: OCSP_RESPONSE_INVALID", async () => {
      await fc.assert(
        fc.asyncProperty(mutations(response), async (bytes) => {
          if (same(bytes, response)) return;
          await assert.rejects(verify(bytes), (error) => assertRefused(error, "OCSP_RESPONSE_INVALID"));
        }),
        { numRuns: 1500 },
      );
    });

    it("an ECDSA signature value re-tagged or re-lengthened (found by the property test): OCSP_RESPONSE_INVALID", async () => {
      // The signature BIT STRING's content: SEQUENCE { INTEGER r, INTEGER s } (RFC 5480 2.2.3).
      const basic = pkijs.BasicOCSPResponse.fromBER(
        Uint8Array.from(
          pkijs.OCSPResponse.fromBER(Uint8Array.from(response)).responseBytes!.response.valueBlock.valueHexView,
        ),
      );
      const signature = basic.signature.valueBlock.valueHexView;
      const at = indexOf(response, signature);
      assert.ok(at > 0);
      const rLength = signature[3]!;
      const flips: Array<[number, number]> = [
        [at, 0x20], // SEQUENCE tag 0x30 → 0x10
        [at + 2, 0x08], // r's INTEGER tag 0x02 → 0x0a (ENUMERATED)
        [at + 4 + rLength, 0x08], // s's INTEGER tag → ENUMERATED
      ];
      for (const [offset, x] of flips) {
        const copy = Uint8Array.from(response);
        copy[offset] = copy[offset]! ^ x;
        await assert.rejects(verify(copy), (error) => assertRefused(error, "OCSP_RESPONSE_INVALID"), `${offset}:${x}`);
      }
    });

    it("#22 every unsuccessful responseStatus (RFC 6960 4.2.1): OCSP_RESPONSE_INVALID naming it", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(1, 2, 3, 5, 6), async (status) => {
          await assert.rejects(verify(new Uint8Array([0x30, 0x03, 0x0a, 0x01, status])), (error) =>
            assertRefused(error, "OCSP_RESPONSE_INVALID"),
          );
        }),
      );
    });

    it("#22 another nonce (a replayed answer): OCSP_RESPONSE_INVALID", async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 32 }), async (other) => {
          if (same(other, nonce)) return;
          await assert.rejects(verify(response, { nonce: other }), (error) =>
            assertRefused(error, "OCSP_RESPONSE_INVALID"),
          );
        }),
        { numRuns: 50 },
      );
    });

    it("#22 signed by another hierarchy's responder: OCSP_RESPONSE_INVALID", async () => {
      const foreign = await startTestTrustServices();
      const stranger = await issueTestCard(foreign.services, foreign.dir, "49701010350");
      const strangerCertificate = new x509.X509Certificate(stranger.card.authentication.certificate);
      const theirs = await ask(
        buildOcspRequest(strangerCertificate, foreign.services.cas.esteid.certificate, nonce),
        `${foreign.url}/ocsp`,
      );
      await assert.rejects(verify(theirs), (error) => assertRefused(error, "OCSP_RESPONSE_INVALID"));
    });
  });

  describe("#22 time-stamp responses read by the client (parseTimeStampResponse, verifyTimeStampToken)", async () => {
    const imprint = new Uint8Array(32).fill(0xab);
    const nonce = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08]);
    const stamp = async (tsaUrl: string) =>
      new Uint8Array(
        await (
          await fetch(tsaUrl, {
            method: "POST",
            headers: { "content-type": "application/timestamp-query" },
            body: buildTimeStampRequest(imprint, "SHA-256", { nonce }) as BodyInit,
          })
        ).arrayBuffer(),
      );
    const response = await stamp(`${services.config.baseUrl}/tsa`);
    const read = async (der: Uint8Array, options: { nonce?: Uint8Array } = { nonce }) =>
      verifyTimeStampToken(parseTimeStampResponse(der), { imprint, trustAnchors: [services.root], ...options });

    it("accepts the TSA's own answer", async () => {
      assert.ok((await read(response)).genTime instanceof Date);
    });

    it("#22 truncated, bit-flipped or extended: TSA_TOKEN_INVALID with a reason", async () => {
      const reasons: TimeStampFailure[] = [
        "response",
        "structure",
        "signature",
        "signing-certificate",
        "untrusted",
        "key-usage",
        "validity",
        "imprint",
        "nonce",
      ];
      await fc.assert(
        fc.asyncProperty(mutations(response), async (bytes) => {
          if (same(bytes, response)) return;
          try {
            await read(bytes);
          } catch (error) {
            return assertRefused(error, "TSA_TOKEN_INVALID", reasons);
          }
          // Accepted only when the token itself is untouched: the wrapper's status may say
          // grantedWithMods (RFC 3161 2.4.2) around the very same signed token.
          assert.ok(same(parseTimeStampResponse(bytes), parseTimeStampResponse(response)), "a changed token verified");
        }),
        { numRuns: 1500 },
      );
    });

    it("#22 a refusal status (RFC 3161 2.4.2 rejection, waiting, revocation…): reason 'response'", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(2, 3, 4, 5), async (status) => {
          const refused = Uint8Array.from([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, status]);
          await assert.rejects(read(refused), (error) => assertRefused(error, "TSA_TOKEN_INVALID", ["response"]));
        }),
      );
    });

    it("#22 another nonce: reason 'nonce'", async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 8 }), async (other) => {
          other[0] = other[0]! & 0x7f;
          if (Buffer.from(other).toString("hex").replace(/^0+/, "") === Buffer.from(nonce).toString("hex")) return;
          await assert.rejects(read(response, { nonce: other }), (error) =>
            assertRefused(error, "TSA_TOKEN_INVALID", ["nonce"]),
          );
        }),
        { numRuns: 50 },
      );
    });

    it("#22 signed by another hierarchy's TSA: reason 'untrusted'", async () => {
      const foreign = await startTestTrustServices();
      await assert.rejects(read(await stamp(`${foreign.url}/tsa`)), (error) =>
        assertRefused(error, "TSA_TOKEN_INVALID", ["untrusted"]),
      );
    });
  });
});
