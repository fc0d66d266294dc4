import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, GeneralName, GeneralNames } from "@peculiar/asn1-x509";
import { IssuerSerial } from "@peculiar/asn1-x509-attr";

/**
 * XAdES IssuerSerialV2 (EN 319 132-1 5.2.2.2): the DER of RFC 5035's IssuerSerial, SEQUENCE {
 * issuer GeneralNames { directoryName }, serialNumber }, for the certificate given.
 */
export function issuerSerialV2(certificate: Uint8Array): Uint8Array {
  const { tbsCertificate } = AsnConvert.parse(certificate, Certificate);
  const issuerSerial = new IssuerSerial({
    issuer: new GeneralNames([new GeneralName({ directoryName: tbsCertificate.issuer })]),
    serial: tbsCertificate.serialNumber,
    issuerUID: undefined, // absent: the class defaults it to an empty BIT STRING
  });
  return new Uint8Array(AsnConvert.serialize(issuerSerial));
}
