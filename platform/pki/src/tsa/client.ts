import { createHash, X509Certificate as NodeCertificate, randomBytes, verify as verifySignature } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import "../algorithms.ts";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { hex, parseDer, toArrayBuffer } from "../der.ts";
import { PkiError } from "../errors.ts";
import { PathValidationError, validatePath } from "../path/validate-path.ts";
import { normaliseSerial } from "../registry/certificate-registry.ts";

export type TimeStampHash = "SHA-256" | "SHA-384" | "SHA-512";

const HASH_OID: Record<TimeStampHash, string> = { "SHA-256": OID.sha256, "SHA-384": OID.sha384, "SHA-512": OID.sha512 };
const NODE_HASH: Record<string, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** Why a time-stamp token was refused, in `PkiError.details.reason` (code TSA_TOKEN_INVALID). */
export type TimeStampFailure =
  | "response"
  | "structure"
  | "signature"
  | "signing-certificate"
  | "untrusted"
  | "key-usage"
  | "validity"
  | "imprint"
  | "nonce";

export interface TimeStampVerification {
  genTime: Date;
  /** Serial number of the token, lower-case hex without leading zeros (as the registry writes serials). */
  serial: string;
  policy: string;
  hashAlgorithm: TimeStampHash;
  /** The TSA certificate that signed the token, checked up to a trusted root. */
  certificate: x509.X509Certificate;
  /** The path from the TSA certificate up to (and including) the trust anchor. */
  chain: x509.X509Certificate[];
  accuracySeconds?: number;
}

export interface VerifyTimeStampOptions {
  /** The data time-stamped, or its digest as `imprint` (with `hashAlgorithm` from the token). */
  data?: Uint8Array;
  imprint?: Uint8Array;
  /** Roots the TSA certificate must chain to. */
  trustAnchors: readonly x509.X509Certificate[];
  /** Extra certificates for path building (the TSA certificate when the token lacks it, intermediates). */
  certificates?: readonly x509.X509Certificate[];
  nonce?: Uint8Array;
}

const fail = (reason: TimeStampFailure, message: string, cause?: unknown): PkiError =>
  new PkiError("TSA_TOKEN_INVALID", message, { details: { reason }, ...(cause === undefined ? {} : { cause }) });

/** Every TSA_TOKEN_INVALID carries its reason, also when the DER itself is broken. */
function withReason<T>(reason: TimeStampFailure, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof PkiError && cause.details?.reason === undefined) throw fail(reason, cause.message, cause);
    throw cause;
  }
}

/** RFC 3161 2.4.1 TimeStampReq: version 1, the imprint, a nonce, and certReq so the token carries the TSA certificate. */
export function buildTimeStampRequest(
  imprint: Uint8Array,
  hashAlgorithm: TimeStampHash,
  options: { nonce?: Uint8Array; certReq?: boolean } = {},
): Uint8Array {
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[hashAlgorithm] }),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    certReq: options.certReq ?? true,
    ...(options.nonce ? { nonce: new asn1js.Integer({ valueHex: positive(options.nonce) }) } : {}),
  });
  return new Uint8Array(request.toSchema().toBER());
}

/**
 * Asks the TSA at `url` for a token over `imprint` (RFC 3161 3.4, HTTP POST) and returns the
 * DER TimeStampToken (a CMS ContentInfo) with the nonce sent; pass both to
 * `verifyTimeStampToken`, which checks the signature, the TSA's trust, the imprint and the nonce.
 */
export async function requestTimeStamp(
  url: string,
  imprint: Uint8Array,
  hashAlgorithm: TimeStampHash,
  options: { timeoutMs?: number } = {},
): Promise<{ token: Uint8Array; nonce: Uint8Array }> {
  const nonce = randomBytes(8);
  nonce[0] = nonce[0]! & 0x7f;
  let body: Uint8Array;
  try {
    const reply = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" },
      body: buildTimeStampRequest(imprint, hashAlgorithm, { nonce }) as BodyInit,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    body = new Uint8Array(await reply.arrayBuffer());
  } catch (cause) {
    throw fail(
      "response",
      `the time-stamping authority at ${url} cannot be reached: ${(cause as Error).message}`,
      cause,
    );
  }
  return { token: parseTimeStampResponse(body), nonce };
}

/** RFC 3161 2.4.2: the token from a granted TimeStampResp; a rejection becomes an error with its status text. */
export function parseTimeStampResponse(der: Uint8Array): Uint8Array {
  const response = withReason("response", () =>
    parseDer(der, "the time-stamp response", "TSA_TOKEN_INVALID", (schema) => new pkijs.TimeStampResp({ schema })),
  );
  const status = response.status.status;
  if ((status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) || !response.timeStampToken) {
    const text = (response.status.statusStrings ?? []).map((s) => s.valueBlock.value).join("; ");
    throw fail(
      "response",
      `the time-stamping authority refused the request (status ${status})${text ? `: ${text}` : ""}`,
    );
  }
  return new Uint8Array(response.timeStampToken.toSchema().toBER());
}

/**
 * Verifies a TimeStampToken as a relying party must (RFC 3161 2.4.2, RFC 5816, RFC 5035):
 * the CMS signature over TSTInfo, the ESS signingCertificateV2 naming the signer's
 * certificate, the TSA certificate's path to a trusted root with every certificate valid at
 * genTime, the TSA certificate's only and critical EKU id-kp-timeStamping (RFC 3161 2.3),
 * and the message imprint (and nonce) against what was time-stamped.
 */
export async function verifyTimeStampToken(
  token: Uint8Array,
  options: VerifyTimeStampOptions,
): Promise<TimeStampVerification> {
  const contentInfo = withReason("structure", () =>
    parseDer(token, "the time-stamp token", "TSA_TOKEN_INVALID", (schema) => new pkijs.ContentInfo({ schema })),
  );
  if (contentInfo.contentType !== OID.signedData) throw fail("structure", "the time-stamp token is not CMS SignedData");
  let signedData: pkijs.SignedData;
  let tstInfo: pkijs.TSTInfo;
  try {
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    // RFC 5652 5.1: version 3, since the content type is not id-data.
    if (signedData.version !== 3) throw new Error(`SignedData version ${signedData.version}, not 3`);
    if (signedData.encapContentInfo.eContentType !== OID.tstInfo || !signedData.encapContentInfo.eContent)
      throw new Error("the encapsulated content is not TSTInfo");
    if (signedData.signerInfos.length !== 1) throw new Error("a token must have exactly one SignerInfo");
    // RFC 5652 5.3: version 1 goes with an issuerAndSerialNumber sid, the only kind read here.
    if (signedData.signerInfos[0]!.version !== 1) throw new Error("the SignerInfo version is not 1");
    // RFC 5652 5.1: digestAlgorithms names the one signer's digest algorithm, nothing else.
    const digests = signedData.digestAlgorithms.map((a) => a.algorithmId);
    if (digests.length !== 1 || digests[0] !== signedData.signerInfos[0]!.digestAlgorithm.algorithmId)
      throw new Error(`digestAlgorithms ${digests.join(", ")} do not name the SignerInfo's digest algorithm`);
    const content = signedData.encapContentInfo.eContent.getValue();
    tstInfo = parseDer(
      new Uint8Array(content),
      "TSTInfo",
      "TSA_TOKEN_INVALID",
      (schema) => new pkijs.TSTInfo({ schema }),
    );
  } catch (cause) {
    if (cause instanceof PkiError) throw fail("structure", cause.message, cause);
    throw fail("structure", `the time-stamp token is malformed: ${(cause as Error).message}`, cause);
  }

  // The signer's certificate: from the token, else from the caller's extras, matched by the SID.
  const candidates = [
    ...(signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate),
    ...(options.certificates ?? []).map((c) => pkijs.Certificate.fromBER(c.rawData)),
  ];
  const sid = signedData.signerInfos[0]!.sid;
  const signer = candidates.find((c) =>
    sid instanceof pkijs.IssuerAndSerialNumber
      ? // The very octets of the issuer name: isEqual would match a name re-encoded in another string type.
        hex(c.issuer.valueBeforeDecode) === hex(sid.issuer.valueBeforeDecode) &&
        c.serialNumber.isEqual(sid.serialNumber)
      : false,
  );
  if (!signer) throw fail("signing-certificate", "the time-stamp token names no certificate that is available");
  if (!(signedData.certificates ?? []).includes(signer))
    signedData.certificates = [...(signedData.certificates ?? []), signer];

  verifySignerInfo(signedData, signer);
  const certificate = new x509.X509Certificate(signer.toSchema().toBER());
  checkEssSigningCertificate(signedData.signerInfos[0]!, certificate);

  const genTime = tstInfo.genTime;
  const eku = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (!eku?.critical || eku.usages.length !== 1 || eku.usages[0] !== OID.ekuTimeStamping)
    throw fail(
      "key-usage",
      "the TSA certificate must have id-kp-timeStamping as its only, critical, extended key usage",
    );
  const chain = await buildPath(certificate, options, genTime);

  const hashName = HASH_OIDS[tstInfo.messageImprint.hashAlgorithm.algorithmId];
  if (!hashName || hashName === "SHA-1")
    throw fail(
      "imprint",
      `the token's imprint hash ${tstInfo.messageImprint.hashAlgorithm.algorithmId} is not accepted`,
    );
  const expected =
    options.imprint ?? (options.data ? createHash(NODE_HASH[hashName]!).update(options.data).digest() : undefined);
  if (!expected) throw new PkiError("PKI_ARGUMENT", "verifyTimeStampToken needs data or imprint");
  if (hex(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView) !== hex(expected))
    throw fail("imprint", "the time-stamp token is over other data (message imprint mismatch)");
  if (options.nonce) {
    const nonce = tstInfo.nonce ? hex(tstInfo.nonce.valueBlock.valueHexView).replace(/^0+/, "") : "";
    if (nonce !== hex(options.nonce).replace(/^0+/, ""))
      throw fail("nonce", "the time-stamp token does not carry our nonce");
  }
  const accuracy = tstInfo.accuracy;
  return {
    genTime,
    serial: normaliseSerial(hex(tstInfo.serialNumber.valueBlock.valueHexView)),
    policy: tstInfo.policy,
    hashAlgorithm: hashName,
    certificate,
    chain,
    ...(accuracy
      ? { accuracySeconds: (accuracy.seconds ?? 0) + (accuracy.millis ?? 0) / 1000 + (accuracy.micros ?? 0) / 1e6 }
      : {}),
  };
}

/** CMS signature algorithms a token may name (RFC 5754 3.2, 3.3; RFC 3370 3.2 rsaEncryption takes the digest's hash). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { key: "ec" | "rsa"; hash?: string }>> = {
  "1.2.840.10045.4.3.2": { key: "ec", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { key: "ec", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { key: "ec", hash: "SHA-512" },
  "1.2.840.113549.1.1.1": { key: "rsa" },
  "1.2.840.113549.1.1.11": { key: "rsa", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { key: "rsa", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { key: "rsa", hash: "SHA-512" },
};

/**
 * RFC 5652 5.4 and 5.6: the messageDigest attribute hashes the TSTInfo, the content-type
 * attribute names it, and the signature covers the DER SET OF signed attributes.
 */
function verifySignerInfo(signedData: pkijs.SignedData, signer: pkijs.Certificate): void {
  const signerInfo = signedData.signerInfos[0]!;
  const attributes = signerInfo.signedAttrs;
  if (!attributes) throw fail("structure", "the time-stamp token has no signed attributes");
  const hashName = HASH_OIDS[signerInfo.digestAlgorithm.algorithmId];
  if (!hashName || hashName === "SHA-1")
    throw fail("signature", `the token's digest algorithm ${signerInfo.digestAlgorithm.algorithmId} is not accepted`);
  const contentType = attributes.attributes.find((a) => a.type === OID.contentType);
  if ((contentType?.values[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString() !== OID.tstInfo)
    throw fail("structure", "the token's content-type attribute is not id-ct-TSTInfo");
  const messageDigest = attributes.attributes.find((a) => a.type === OID.messageDigest);
  const content = new Uint8Array(signedData.encapContentInfo.eContent!.getValue());
  const expected = createHash(NODE_HASH[hashName]!).update(content).digest();
  const actual = (messageDigest?.values[0] as asn1js.OctetString | undefined)?.valueBlock.valueHexView;
  if (!actual || hex(actual) !== hex(expected))
    throw fail("signature", "the token's messageDigest attribute does not match its TSTInfo");
  const signed = new Uint8Array(attributes.encodedValue);
  signed[0] = 0x31; // signed over as SET OF, not as the [0] IMPLICIT it is stored with
  const algorithm = SIGNATURE_ALGORITHMS[signerInfo.signatureAlgorithm.algorithmId];
  let verified = false;
  try {
    const publicKey = new NodeCertificate(new Uint8Array(signer.toSchema().toBER())).publicKey;
    // The signatureAlgorithm sits outside what is signed: it must still name what was used.
    if (!algorithm || algorithm.key !== publicKey.asymmetricKeyType || (algorithm.hash && algorithm.hash !== hashName))
      throw new Error(
        `signature algorithm ${signerInfo.signatureAlgorithm.algorithmId} does not fit the key and digest`,
      );
    verified = verifySignature(NODE_HASH[hashName]!, signed, publicKey, signerInfo.signature.valueBlock.valueHexView);
  } catch (cause) {
    throw fail("signature", `the time-stamp token signature does not verify: ${(cause as Error).message}`, cause);
  }
  if (!verified) throw fail("signature", "the time-stamp token signature does not verify");
}

/** RFC 5035 3 / RFC 5816 2.2.1: the first ESSCertIDv2 must hash the signer's certificate. */
function checkEssSigningCertificate(signerInfo: pkijs.SignerInfo, certificate: x509.X509Certificate): void {
  const attribute = signerInfo.signedAttrs?.attributes.find((a) => a.type === OID.signingCertificateV2);
  if (!attribute)
    throw fail("signing-certificate", "the time-stamp token lacks the ESS signingCertificateV2 attribute");
  try {
    const certs = (attribute.values[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const first = certs.valueBlock.value[0] as asn1js.Sequence;
    const parts = first.valueBlock.value;
    let hashName = "SHA-256";
    let index = 0;
    if (parts[0] instanceof asn1js.Sequence) {
      const algorithm = new pkijs.AlgorithmIdentifier({ schema: parts[0] });
      hashName = HASH_OIDS[algorithm.algorithmId] ?? "";
      index = 1;
    }
    const certHash = (parts[index] as asn1js.OctetString).valueBlock.valueHexView;
    const node = NODE_HASH[hashName];
    if (!node || hashName === "SHA-1") throw new Error(`unsupported ESSCertIDv2 hash ${hashName}`);
    const actual = createHash(node).update(new Uint8Array(certificate.rawData)).digest();
    if (hex(actual) !== hex(certHash)) throw new Error("ESSCertIDv2 certHash does not match the signer certificate");
  } catch (cause) {
    throw fail("signing-certificate", `signingCertificateV2: ${(cause as Error).message}`, cause);
  }
}

/** The TSA certificate's path to a trust anchor, every certificate valid at genTime (RFC 3161 4.3). */
async function buildPath(
  leaf: x509.X509Certificate,
  options: VerifyTimeStampOptions,
  at: Date,
): Promise<x509.X509Certificate[]> {
  try {
    return (await validatePath(leaf, { anchors: options.trustAnchors, intermediates: options.certificates ?? [], at }))
      .path;
  } catch (error) {
    if (!(error instanceof PathValidationError)) throw error;
    if (error.reason === "EXPIRED" || error.reason === "NOT_YET_VALID")
      throw fail(
        "validity",
        `certificate ${String(error.details?.subject)} was not valid at the time-stamp's genTime ${at.toISOString()}`,
        error,
      );
    throw fail("untrusted", `the TSA certificate ${leaf.subject} does not chain to a trusted root`, error);
  }
}

/** A DER INTEGER must be positive: clear the top bit of an unsigned nonce. */
function positive(bytes: Uint8Array): ArrayBuffer {
  const copy = Uint8Array.from(bytes);
  if (copy.length > 0) copy[0] = copy[0]! & 0x7f;
  return toArrayBuffer(copy);
}
