import { createHash, randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { keyAlgorithmOf, signingHash } from "../algorithms.ts";
import { OID } from "../ca/oids.ts";
import type { SigningIdentity } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import { parseTimeStampRequest } from "./request.ts";

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

/**
 * RFC 3161 time-stamping unit. Tokens are CMS SignedData over TSTInfo with the ESS
 * signingCertificateV2 attribute (RFC 5816), serial numbers are 128 random bits (unique
 * without a shared counter, so several instances may run side by side), accuracy 1 s.
 */
export class TimeStampAuthority {
  readonly #identity: SigningIdentity;
  readonly #certificate: pkijs.Certificate;
  readonly #signedAttributesBase: pkijs.Attribute[];
  readonly policy: string;

  constructor(identity: SigningIdentity, policy: string = OID.policyTimeStamping) {
    this.#identity = identity;
    this.policy = policy;
    this.#certificate = pkijs.Certificate.fromBER(identity.certificate.rawData);
    const certHash = createHash("sha256").update(new Uint8Array(identity.certificate.rawData)).digest();
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } ; ESSCertIDv2 with the default
    // hashAlgorithm (SHA-256) omitted, certHash, and issuerSerial (RFC 5035 3).
    const essCertId = new asn1js.Sequence({
      value: [
        new asn1js.OctetString({ valueHex: certHash }),
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.Constructed({
                  idBlock: { tagClass: 3, tagNumber: 4 },
                  value: [this.#certificate.issuer.toSchema()],
                }),
              ],
            }),
            this.#certificate.serialNumber,
          ],
        }),
      ],
    });
    this.#signedAttributesBase = [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
      new pkijs.Attribute({
        type: OID.signingCertificateV2,
        values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] })],
      }),
    ];
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp: granted, or rejection with failInfo. */
  async respond(der: Uint8Array): Promise<TimeStampAnswer> {
    let request: pkijs.TimeStampReq;
    try {
      request = parseTimeStampRequest(der, this.policy);
    } catch (error) {
      if (!(error instanceof PkiError)) throw error;
      return { der: rejection(FAILURE_BIT[error.code] ?? 2, error.message), granted: false, error };
    }
    return { der: await this.#grant(request), granted: true };
  }

  async #grant(request: pkijs.TimeStampReq): Promise<Uint8Array> {
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x01;
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: request.messageImprint,
      serialNumber: new asn1js.Integer({ valueHex: serial }),
      genTime: new Date(),
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(request.nonce ? { nonce: request.nonce } : {}),
    });
    const content = new Uint8Array(tstInfo.toSchema().toBER());
    const hash = signingHash(keyAlgorithmOf(this.#identity.keys.privateKey));
    const digest = createHash(hash.replace("-", "").toLowerCase()).update(content).digest();
    const signedData = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: OID.tstInfo,
        eContent: new asn1js.OctetString({ valueHex: content }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({
            issuer: this.#certificate.issuer,
            serialNumber: this.#certificate.serialNumber,
          }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              ...this.#signedAttributesBase,
              new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
            ],
          }),
        }),
      ],
      // RFC 3161 2.4.1: the TSA certificate is included only when certReq is true.
      ...(request.certReq ? { certificates: [this.#certificate] } : {}),
    });
    await signedData.sign(this.#identity.keys.privateKey, 0, hash);
    const response = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
      timeStampToken: new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) }),
    });
    return new Uint8Array(response.toSchema().toBER());
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
