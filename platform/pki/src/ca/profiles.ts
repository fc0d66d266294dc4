import * as x509 from "@peculiar/x509";
import { Null, ObjectIdentifier, Sequence } from "asn1js";
import { OID } from "./oids.ts";

/** What a certificate is for; each purpose has one profile below (RFC 5280 4.2). */
export type CertificatePurpose =
  | "root-ca"
  | "issuing-ca"
  | "ocsp-responder"
  | "time-stamping"
  | "id-authentication"
  | "id-signing"
  | "app-authentication"
  | "server"
  | "seal";

export interface ProfileContext {
  /** Public key of the certificate being issued. */
  subjectKey: CryptoKey;
  /** Issuer certificate; absent for a self-signed root. */
  issuer?: x509.X509Certificate;
  /** Base URL of the trust services (AIA points here). */
  baseUrl: string;
  /** The CA name under /ca/<name>.crt of the issuer, for caIssuers. */
  issuerName?: string;
  eResident?: boolean;
  /** DNS names and IP addresses for server certificates. */
  altNames?: ReadonlyArray<{ type: "dns" | "ip"; value: string }>;
}

const KU = x509.KeyUsageFlags;

function aia(context: ProfileContext, withOcsp: boolean): x509.Extension[] {
  if (!context.issuerName) return [];
  return [
    new x509.AuthorityInfoAccessExtension({
      ...(withOcsp ? { ocsp: [`${context.baseUrl}/ocsp`] } : {}),
      caIssuers: [`${context.baseUrl}/ca/${context.issuerName}.crt`],
    }),
  ];
}

/** ETSI EN 319 412-5: QcCompliance, QcSSCD and QcType esign, for qualified signing certificates. */
function qcStatements(): x509.Extension {
  const statement = (...parts: Array<ObjectIdentifier | Sequence>) => new Sequence({ value: parts });
  const value = new Sequence({
    value: [
      statement(new ObjectIdentifier({ value: OID.qcsCompliance })),
      statement(new ObjectIdentifier({ value: OID.qcsSscd })),
      statement(
        new ObjectIdentifier({ value: OID.qcsType }),
        new Sequence({ value: [new ObjectIdentifier({ value: OID.qcsTypeEsign })] }),
      ),
    ],
  });
  return new x509.Extension(OID.qcStatements, false, value.toBER());
}

export async function profileExtensions(
  purpose: CertificatePurpose,
  context: ProfileContext,
): Promise<x509.Extension[]> {
  const common: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(context.subjectKey)];
  if (context.issuer) common.push(await x509.AuthorityKeyIdentifierExtension.create(context.issuer.publicKey));
  switch (purpose) {
    case "root-ca":
      return [
        ...common,
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
      ];
    case "issuing-ca":
      return [
        ...common,
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
        ...aia(context, false),
      ];
    case "ocsp-responder":
      // RFC 6960 4.2.2.2: delegated by the CA with id-kp-OCSPSigning; 4.2.2.2.1: no-check.
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID.ekuOcspSigning], false),
        new x509.Extension(OID.ocspNoCheck, false, new Null().toBER()),
      ];
    case "time-stamping":
      // RFC 3161 2.3: the only extended key usage, and critical.
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
        new x509.ExtendedKeyUsageExtension([OID.ekuTimeStamping], true),
        new x509.CertificatePolicyExtension([OID.policyTimeStamping]),
        ...aia(context, false),
      ];
    case "id-authentication":
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID.ekuClientAuth], false),
        new x509.CertificatePolicyExtension([
          context.eResident ? OID.policyEResidentAuthentication : OID.policyIdCardAuthentication,
          OID.etsiNcpPlus,
        ]),
        ...aia(context, true),
      ];
    case "app-authentication":
      // Like Smart-ID's authentication certificate: digitalSignature and clientAuth, but its
      // own policy, so that nothing accepting an ID card accepts a software-held key.
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID.ekuClientAuth], false),
        new x509.CertificatePolicyExtension([OID.policyAppAuthentication]),
        ...aia(context, true),
      ];
    case "id-signing":
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.nonRepudiation, true),
        new x509.CertificatePolicyExtension([
          context.eResident ? OID.policyEResidentSigning : OID.policyIdCardSigning,
          OID.etsiQcpNQscd,
        ]),
        qcStatements(),
        ...aia(context, true),
      ];
    case "server":
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature | KU.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([OID.ekuServerAuth, OID.ekuClientAuth], false),
        new x509.CertificatePolicyExtension([OID.policyServer]),
        ...(context.altNames?.length ? [new x509.SubjectAlternativeNameExtension([...context.altNames])] : []),
        ...aia(context, true),
      ];
    case "seal":
      return [
        ...common,
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KU.digitalSignature | KU.nonRepudiation, true),
        new x509.CertificatePolicyExtension([OID.policyServer]),
        ...aia(context, true),
      ];
  }
}
