/**
 * Object identifiers. riik's own policies sit under the example arc 2.999 (ITU-T X.660
 * A.2): a sandbox state must not claim a real organisation's arc, and UUID arcs (2.25)
 * exceed 2^53, which asn1js and @peculiar/x509 cannot read back. A deployment replaces
 * RIIK_ARC with its own registered arc (an IANA private enterprise number).
 */
export const RIIK_ARC = "2.999.74";

export const OID = Object.freeze({
  // riik certificate policies (like SK's ESTEID2018 policies, one per document and key purpose).
  policyIdCardAuthentication: `${RIIK_ARC}.1.1`,
  policyIdCardSigning: `${RIIK_ARC}.1.2`,
  policyEResidentAuthentication: `${RIIK_ARC}.1.3`,
  policyEResidentSigning: `${RIIK_ARC}.1.4`,
  /** The authentication app's key (like Smart-ID's): held in software, so not the ID card's policy. */
  policyAppAuthentication: `${RIIK_ARC}.1.5`,
  policyServer: `${RIIK_ARC}.3.1`,
  policyTimeStamping: `${RIIK_ARC}.2.1`,
  // ETSI EN 319 411-1 / 411-2 policy identifiers.
  etsiNcpPlus: "0.4.0.2042.1.2",
  etsiQcpNQscd: "0.4.0.194112.1.2",
  // ETSI EN 319 412-5 qualified certificate statements.
  qcStatements: "1.3.6.1.5.5.7.1.3",
  qcsCompliance: "0.4.0.1862.1.1",
  qcsSscd: "0.4.0.1862.1.4",
  qcsType: "0.4.0.1862.1.6",
  qcsTypeEsign: "0.4.0.1862.1.6.1",
  // RFC 5280 / RFC 6960 / RFC 3161.
  ekuServerAuth: "1.3.6.1.5.5.7.3.1",
  ekuClientAuth: "1.3.6.1.5.5.7.3.2",
  ekuTimeStamping: "1.3.6.1.5.5.7.3.8",
  ekuOcspSigning: "1.3.6.1.5.5.7.3.9",
  ocspNoCheck: "1.3.6.1.5.5.7.48.1.5",
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  // CMS and RFC 3161 / RFC 5035 attributes.
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  // X.520 attribute types used in subjects.
  country: "2.5.4.6",
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  commonName: "2.5.4.3",
  surname: "2.5.4.4",
  givenName: "2.5.4.42",
  serialNumber: "2.5.4.5",
  organizationIdentifier: "2.5.4.97",
});

export const HASH_OIDS: Readonly<Record<string, "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512">> = Object.freeze({
  [OID.sha1]: "SHA-1",
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
});
