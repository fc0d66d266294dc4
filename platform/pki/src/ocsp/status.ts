import * as asn1js from "asn1js";

/** RFC 6960 4.2.1 CertStatus, as riik's registry states it. */
export type OcspCertStatus =
  | { status: "good" }
  | { status: "revoked"; revokedAt: Date; reason?: number }
  | { status: "unknown" };

/** Encodes CertStatus: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL. */
export function encodeCertStatus(value: OcspCertStatus): asn1js.BaseBlock {
  if (value.status === "good") return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (value.status === "unknown") return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  const revocationTime = new asn1js.GeneralizedTime({ valueDate: value.revokedAt });
  const parts: asn1js.BaseBlock[] = [revocationTime];
  if (value.reason !== undefined) {
    // revocationReason [0] EXPLICIT CRLReason
    parts.push(
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: value.reason })],
      }),
    );
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: parts });
}

export function decodeCertStatus(block: any): OcspCertStatus {
  const tag = block?.idBlock?.tagNumber;
  if (tag === 0) return { status: "good" };
  if (tag === 1) {
    const values = block.valueBlock.value as any[];
    const time = values[0] as asn1js.GeneralizedTime;
    const reasonBlock = values[1];
    const revokedAt = time.toDate();
    return reasonBlock
      ? { status: "revoked", revokedAt, reason: reasonBlock.valueBlock.value[0].valueBlock.valueDec }
      : { status: "revoked", revokedAt };
  }
  return { status: "unknown" };
}
