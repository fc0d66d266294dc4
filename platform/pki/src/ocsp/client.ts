import { randomBytes } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { OID } from "../ca/oids.ts";
import { assertDerEcdsaSignature, hex, parseDer } from "../der.ts";
import { PkiError } from "../errors.ts";
import { PathValidationError, validatePath } from "../path/validate-path.ts";
import { buildCertId } from "./cert-id.ts";
import { OCSP_RESPONSE_STATUS } from "./responder.ts";
import { decodeCertStatus, type OcspCertStatus } from "./status.ts";

export interface OcspCheck {
  status: OcspCertStatus;
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** The whole DER response, for evidence (XAdES RevocationValues, message logs). */
  response: Uint8Array;
  responder: x509.X509Certificate;
}

export function buildOcspRequest(
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
  nonce?: Uint8Array,
): Uint8Array {
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: buildCertId(certificate, issuer) })];
  if (nonce) {
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({ extnID: OID.ocspNonce, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER() }),
    ];
  }
  return new Uint8Array(request.toSchema(true).toBER());
}

/** ecdsa-with-SHA1 and ecdsa-with-SHA2 (RFC 5758 3.2) signature algorithms share this arc. */
const ECDSA_SIGNATURE_ALGORITHMS = "1.2.840.10045.4.";

/**
 * Checks an OCSP response as a relying party must (RFC 6960 3.2): it answers for this
 * certificate, it is signed by the issuer or by a responder the issuer delegated with
 * id-kp-OCSPSigning, it is fresh, and it carries our nonce when we sent one.
 */
export async function verifyOcspResponse(
  der: Uint8Array,
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
  options: { nonce?: Uint8Array; now?: Date; maxSkewMs?: number } = {},
): Promise<OcspCheck> {
  const invalid = (message: string) => new PkiError("OCSP_RESPONSE_INVALID", message);
  const response = parseDer(
    der,
    "the OCSP response",
    "OCSP_RESPONSE_INVALID",
    (schema) => new pkijs.OCSPResponse({ schema }),
  );
  const statusValue = response.responseStatus.valueBlock.valueDec;
  if (statusValue !== OCSP_RESPONSE_STATUS.successful || !response.responseBytes) {
    const name = Object.entries(OCSP_RESPONSE_STATUS).find(([, v]) => v === statusValue)?.[0] ?? String(statusValue);
    throw invalid(`the OCSP responder refused the request: ${name}`);
  }
  if (response.responseBytes.responseType !== OID.ocspBasic) throw invalid("the OCSP response is not a basic response");
  const basic = parseDer(
    response.responseBytes.response.valueBlock.valueHexView,
    "the basic OCSP response",
    "OCSP_RESPONSE_INVALID",
    (schema) => new pkijs.BasicOCSPResponse({ schema }),
  );
  // RFC 6960 4.2.1 / X.509: the signature is a whole number of octets; other bits are not the signature.
  if (basic.signature.valueBlock.unusedBits !== 0) throw invalid("the OCSP response signature has unused bits");
  if (basic.signatureAlgorithm.algorithmId.startsWith(ECDSA_SIGNATURE_ALGORITHMS))
    assertDerEcdsaSignature(
      basic.signature.valueBlock.valueHexView,
      "the OCSP response signature",
      "OCSP_RESPONSE_INVALID",
    );
  const at = options.now ?? new Date();
  let responder: x509.X509Certificate;
  let signed: boolean;
  try {
    responder = await findResponder(basic, issuer, at);
    const publicKeyInfo = pkijs.Certificate.fromBER(responder.rawData).subjectPublicKeyInfo;
    signed = await pkijs
      .getEngine()
      .crypto!.verifyWithPublicKey(
        basic.tbsResponseData.tbsView! as BufferSource,
        basic.signature,
        publicKeyInfo,
        basic.signatureAlgorithm,
      );
  } catch (cause) {
    // pkijs and WebCrypto throw on unknown algorithms and malformed signature values.
    throw new PkiError(
      "OCSP_RESPONSE_INVALID",
      `the OCSP response signature cannot be checked: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!signed) throw invalid("the OCSP response signature does not verify");
  const expected = buildCertId(certificate, issuer);
  const single = basic.tbsResponseData.responses.find(
    (r) =>
      hex(r.certID.serialNumber.valueBlock.valueHexView) === hex(expected.serialNumber.valueBlock.valueHexView) &&
      sameIssuer(r.certID, certificate, issuer),
  );
  if (!single) throw invalid("the OCSP response does not answer for this certificate");
  const now = at.getTime();
  const skew = options.maxSkewMs ?? 5 * 60 * 1000;
  if (single.thisUpdate.getTime() > now + skew) throw invalid("the OCSP response is from the future (thisUpdate)");
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew)
    throw invalid("the OCSP response is stale (nextUpdate has passed)");
  if (options.nonce) {
    const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OID.ocspNonce);
    const expectedValue = hex(new asn1js.OctetString({ valueHex: options.nonce }).toBER());
    if (!echoed || hex(echoed.extnValue.valueBlock.valueHexView) !== expectedValue)
      throw invalid("the OCSP response does not carry our nonce (replay?)");
  }
  return {
    status: decodeCertStatus(single.certStatus),
    producedAt: basic.tbsResponseData.producedAt,
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    response: der,
    responder,
  };
}

function sameIssuer(certId: pkijs.CertID, certificate: x509.X509Certificate, issuer: x509.X509Certificate): boolean {
  const ours = buildCertId(certificate, issuer, certId.hashAlgorithm.algorithmId);
  return (
    hex(ours.issuerNameHash.valueBlock.valueHexView) === hex(certId.issuerNameHash.valueBlock.valueHexView) &&
    hex(ours.issuerKeyHash.valueBlock.valueHexView) === hex(certId.issuerKeyHash.valueBlock.valueHexView)
  );
}

async function findResponder(
  basic: pkijs.BasicOCSPResponse,
  issuer: x509.X509Certificate,
  at: Date,
): Promise<x509.X509Certificate> {
  const candidates = (basic.certs ?? []).map((c) => new x509.X509Certificate(c.toSchema().toBER()));
  for (const candidate of candidates) {
    // RFC 6960 4.2.2.2: a delegated responder is issued directly by the CA, with id-kp-OCSPSigning,
    // and trusted only while its certificate is valid.
    try {
      await validatePath(candidate, { anchors: [issuer], at, usage: { extendedKeyUsage: ["ocspSigning"] } });
      return candidate;
    } catch (error) {
      if (!(error instanceof PathValidationError)) throw error;
    }
  }
  // RFC 6960 4.2.2.2: otherwise only the CA itself may sign.
  return issuer;
}

/** Asks the responder at `url` about `certificate`, with a fresh nonce, and verifies the answer. */
export async function checkOcsp(
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
  url: string,
  options: { timeoutMs?: number; now?: Date } = {},
): Promise<OcspCheck> {
  const nonce = randomBytes(16);
  let body: Uint8Array;
  try {
    const reply = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body: buildOcspRequest(certificate, issuer, nonce) as BodyInit,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    body = new Uint8Array(await reply.arrayBuffer());
  } catch (cause) {
    throw new PkiError(
      "OCSP_UNAVAILABLE",
      `the OCSP responder at ${url} cannot be reached: ${(cause as Error).message}`,
      { cause },
    );
  }
  return verifyOcspResponse(body, certificate, issuer, { nonce, ...(options.now ? { now: options.now } : {}) });
}

/** The OCSP URL from a certificate's Authority Information Access, if it has one. */
export function ocspUrlOf(certificate: x509.X509Certificate): string | undefined {
  const aia = certificate.getExtension(x509.AuthorityInfoAccessExtension);
  const first = aia?.ocsp[0];
  return first?.type === "url" ? first.value : undefined;
}
