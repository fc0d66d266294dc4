import { createHash, randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { signingHash } from "../algorithms.ts";
import { OID } from "../ca/oids.ts";
import type { SigningIdentity } from "../ca/trust-services.ts";
import { derTlv } from "../der.ts";
import { PkiError } from "../errors.ts";
import type { SigningKey } from "../keystore/signing-key.ts";
import { type ParsedTimeStampRequest, parseTimeStampRequest } from "./request.ts";

/** RFC 3161 2.4.2 PKIFailureInfo bits. */
const FAILURE_BIT: Record<string, number> = {
  TSA_BAD_ALGORITHM: 0,
  TSA_MALFORMED_REQUEST: 2,
  TSA_UNACCEPTED_POLICY: 15,
  TSA_UNACCEPTED_EXTENSION: 16,
};

export interface TimeStampAnswer {
  der: Uint8Array;
  granted: boolean;
  error?: PkiError;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const encode = (block: asn1js.BaseBlock) => new Uint8Array(block.toBER());
const oid = (value: string) => encode(new asn1js.ObjectIdentifier({ value }));
const attribute = (type: string, value: Uint8Array) => derTlv(SEQUENCE, oid(type), derTlv(SET, value));
const compareBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

/** genTime to the millisecond, trailing zeros removed as DER requires (RFC 3161 2.4.2). */
function genTime(date: Date): Uint8Array {
  const iso = date.toISOString();
  const millis = iso.slice(20, 23).replace(/0+$/, "");
  return derTlv(0x18, Buffer.from(`${iso.replace(/[-:T]/g, "").slice(0, 14)}${millis ? `.${millis}` : ""}Z`, "ascii"));
}

/**
 * RFC 3161 time-stamping unit. Tokens are CMS SignedData over TSTInfo with the ESS
 * signingCertificateV2 attribute (RFC 5816), serial numbers are 128 random bits (unique
 * without a shared counter, so several instances may run side by side), accuracy 1 s.
 * The token is assembled from DER pieces fixed at start-up and signed by the TSA's
 * SigningKey, as the OCSP responder's answers are.
 */
export class TimeStampAuthority {
  readonly policy: string;
  readonly #key: SigningKey;
  readonly #hash: string;
  readonly #digestAlgorithm: Uint8Array;
  readonly #signatureAlgorithm: Uint8Array;
  readonly #sid: Uint8Array;
  readonly #certificate: Uint8Array;
  readonly #fixedAttributes: Uint8Array[];
  readonly #policyOid: Uint8Array;

  constructor(identity: SigningIdentity, policy: string = OID.policyTimeStamping) {
    this.policy = policy;
    this.#key = identity.keys;
    const algorithm = identity.keys.algorithm;
    const hash = signingHash(algorithm);
    this.#hash = hash.replace("-", "").toLowerCase();
    this.#digestAlgorithm = derTlv(SEQUENCE, oid(hash === "SHA-384" ? OID.sha384 : OID.sha256));
    this.#signatureAlgorithm =
      algorithm === "p384"
        ? derTlv(SEQUENCE, oid("1.2.840.10045.4.3.3")) // ecdsa-with-SHA384
        : derTlv(SEQUENCE, oid("1.2.840.113549.1.1.11"), Uint8Array.of(0x05, 0x00));
    this.#certificate = new Uint8Array(identity.certificate.rawData);
    const parsed = pkijs.Certificate.fromBER(identity.certificate.rawData);
    const issuer = encode(parsed.issuer.toSchema());
    const serial = encode(parsed.serialNumber);
    this.#sid = derTlv(SEQUENCE, issuer, serial);
    // ESSCertIDv2 with the default hashAlgorithm (SHA-256) omitted, certHash, and
    // issuerSerial { GeneralNames [4] directoryName, serial } (RFC 5035 3).
    const certHash = createHash("sha256").update(this.#certificate).digest();
    const issuerSerial = derTlv(SEQUENCE, derTlv(SEQUENCE, derTlv(0xa4, issuer)), serial);
    const essCertId = derTlv(SEQUENCE, derTlv(OCTET_STRING, certHash), issuerSerial);
    this.#fixedAttributes = [
      attribute(OID.contentType, oid(OID.tstInfo)),
      attribute(OID.signingCertificateV2, derTlv(SEQUENCE, derTlv(SEQUENCE, essCertId))),
    ];
    this.#policyOid = oid(policy);
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp: granted, or rejection with failInfo. */
  async respond(der: Uint8Array): Promise<TimeStampAnswer> {
    let request: ParsedTimeStampRequest;
    try {
      request = parseTimeStampRequest(der, this.policy);
    } catch (error) {
      if (!(error instanceof PkiError)) throw error;
      return { der: rejection(FAILURE_BIT[error.code] ?? 2, error.message), granted: false, error };
    }
    return { der: await this.#grant(request), granted: true };
  }

  async #grant(request: ParsedTimeStampRequest): Promise<Uint8Array> {
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x01;
    // TSTInfo (RFC 3161 2.4.2): version, policy, messageImprint, serialNumber, genTime,
    // accuracy { seconds 1 }, ordering FALSE (DEFAULT, omitted), nonce.
    const tstInfo = derTlv(
      SEQUENCE,
      Uint8Array.of(INTEGER, 1, 1),
      this.#policyOid,
      request.messageImprintDer,
      derTlv(INTEGER, serial),
      genTime(new Date()),
      derTlv(SEQUENCE, Uint8Array.of(INTEGER, 1, 1)),
      ...(request.nonceDer ? [request.nonceDer] : []),
    );
    const messageDigest = createHash(this.#hash).update(tstInfo).digest();
    // CMS 5.4: signed attributes are signed as a DER SET, whose members sort by encoding.
    const attributes = [
      ...this.#fixedAttributes,
      attribute(OID.messageDigest, derTlv(OCTET_STRING, messageDigest)),
    ].sort(compareBytes);
    const signedAttributes = derTlv(SET, ...attributes);
    const signature = await this.#key.sign(signedAttributes);
    const signerInfo = derTlv(
      SEQUENCE,
      Uint8Array.of(INTEGER, 1, 1),
      this.#sid,
      this.#digestAlgorithm,
      derTlv(0xa0, ...attributes),
      this.#signatureAlgorithm,
      derTlv(OCTET_STRING, signature),
    );
    const signedData = derTlv(
      SEQUENCE,
      Uint8Array.of(INTEGER, 1, 3),
      derTlv(SET, this.#digestAlgorithm),
      derTlv(SEQUENCE, oid(OID.tstInfo), derTlv(0xa0, derTlv(OCTET_STRING, tstInfo))),
      // RFC 3161 2.4.1: the TSA certificate is included only when certReq is true.
      ...(request.certReq ? [derTlv(0xa0, this.#certificate)] : []),
      derTlv(SET, signerInfo),
    );
    const token = derTlv(SEQUENCE, oid(OID.signedData), derTlv(0xa0, signedData));
    return derTlv(SEQUENCE, derTlv(SEQUENCE, Uint8Array.of(INTEGER, 1, 0)), token);
  }
}

function rejection(failureBit: number, text: string): Uint8Array {
  const bits = new Uint8Array(4);
  bits[failureBit >> 3] = 0x80 >> (failureBit & 7);
  const used = (failureBit >> 3) + 1;
  const status = new pkijs.PKIStatusInfo({
    status: pkijs.PKIStatus.rejection,
    statusStrings: [new asn1js.Utf8String({ value: text.slice(0, 200) })],
    failInfo: new asn1js.BitString({ valueHex: bits.slice(0, used), unusedBits: 7 - (failureBit & 7) }),
  });
  return new Uint8Array(new pkijs.TimeStampResp({ status }).toSchema().toBER());
}
