import { createHash, randomBytes, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { request } from "undici";
import { XRoadError } from "../errors.ts";

const SHA256 = "2.16.840.1.101.3.4.2.1";

/** RFC 3161 2.4.1: asks the TSA for a token over a SHA-256 digest; returns the token (ContentInfo) DER. */
export async function requestTimestamp(url: string, digest: Uint8Array): Promise<Uint8Array> {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: digest }),
    }),
    nonce: new asn1js.Integer({ valueHex: randomBytes(8) }),
    certReq: true,
  });
  const reply = await request(url, {
    method: "POST",
    headers: { "content-type": "application/timestamp-query" },
    body: Buffer.from(req.toSchema().toBER()),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const body = new Uint8Array(await reply.body.arrayBuffer());
  let resp: pkijs.TimeStampResp;
  try {
    resp = pkijs.TimeStampResp.fromBER(body);
  } catch (cause) {
    throw new XRoadError("XROAD_ANCHOR", `the TSA at ${url} did not answer with a TimeStampResp`, { cause });
  }
  // RFC 3161 2.4.2: granted (0) or grantedWithMods (1).
  if (resp.status.status > 1 || !resp.timeStampToken)
    throw new XRoadError("XROAD_ANCHOR", `the TSA at ${url} refused: status ${resp.status.status}`);
  return new Uint8Array(resp.timeStampToken.toSchema().toBER());
}

/**
 * Verifies a time-stamp token offline: the TSTInfo imprint is the SHA-256 of `data`, and
 * the CMS signature verifies with one of the trusted TSA certificates. Returns the time.
 */
export async function verifyTimestampToken(
  token: Uint8Array,
  data: Uint8Array,
  tsaCertificates: readonly X509Certificate[],
): Promise<Date> {
  const digest = createHash("sha256").update(data).digest();
  const invalid = (message: string, cause?: unknown) => new XRoadError("XROAD_EVIDENCE_INVALID", message, { cause });
  let signed: pkijs.SignedData;
  let tstInfo: pkijs.TSTInfo;
  try {
    const contentInfo = pkijs.ContentInfo.fromBER(token as BufferSource);
    signed = new pkijs.SignedData({ schema: contentInfo.content });
    tstInfo = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent!.getValue() as BufferSource);
  } catch (cause) {
    throw invalid("the time-stamp token is not a CMS SignedData over a TSTInfo", cause);
  }
  if (!Buffer.from(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView).equals(Buffer.from(digest)))
    throw invalid("the time-stamp token is over a different hash");
  const trusted = tsaCertificates.map((c) => pkijs.Certificate.fromBER(c.raw));
  let result: { signatureVerified?: boolean | null; signerCertificate?: pkijs.Certificate };
  try {
    result = (await signed.verify({
      signer: 0,
      trustedCerts: trusted,
      data: new Uint8Array(data).buffer as ArrayBuffer,
      checkChain: false,
      extendedMode: true,
    })) as unknown as typeof result;
  } catch (cause) {
    throw invalid("the time-stamp token signature does not verify", cause);
  }
  if (!result.signatureVerified) throw invalid("the time-stamp token signature does not verify");
  const signer = result.signerCertificate ? Buffer.from(result.signerCertificate.toSchema().toBER()) : undefined;
  if (!signer || !tsaCertificates.some((c) => c.raw.equals(signer)))
    throw invalid("the time-stamp token is not signed by a trusted TSA");
  return tstInfo.genTime;
}

export const x509FromBase64 = (value: string): X509Certificate => new X509Certificate(Buffer.from(value, "base64"));
