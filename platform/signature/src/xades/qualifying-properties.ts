import type { DigestAlgorithm } from "../signer/hash-signer.ts";
import { escapeXml, NS } from "../xml.ts";
import { b64, DIGEST_URI, digest } from "./algorithms.ts";
import { C14N11 } from "./canonicalize.ts";
import { issuerSerialV2 } from "./issuer-serial.ts";

/** ETSI EN 319 132-1 5.2.5 production place; every part optional. */
export interface ProductionPlace {
  city?: string;
  streetAddress?: string;
  stateOrProvince?: string;
  postalCode?: string;
  countryName?: string;
}

export interface SignedPropertiesInput {
  signatureId: string;
  signingTime: Date;
  certificate: Uint8Array;
  role?: string;
  productionPlace?: ProductionPlace;
  /** One DataObjectFormat per signed data object (EN 319 132-1 5.2.4). */
  dataObjects: ReadonlyArray<{ referenceId: string; mimeType: string }>;
  digestAlgorithm?: DigestAlgorithm;
}

export const SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties";

/** xsd:dateTime in UTC without fractions, as DigiDoc writes SigningTime. */
export const xmlDateTime = (at: Date): string => `${at.toISOString().slice(0, 19)}Z`;

const element = (name: string, content: string, attributes = ""): string =>
  `<${name}${attributes}>${content}</${name}>`;

/**
 * xades:SignedProperties (EN 319 132-1 4.3, 5.2) in schema order: SigningTime,
 * SigningCertificateV2, SignatureProductionPlaceV2, SignerRoleV2, then the
 * DataObjectFormat of each data file.
 */
export function signedPropertiesXml(input: SignedPropertiesInput): string {
  const algorithm = input.digestAlgorithm ?? "SHA-256";
  const place = input.productionPlace;
  const placeParts = place
    ? [
        ["City", place.city],
        ["StreetAddress", place.streetAddress],
        ["StateOrProvince", place.stateOrProvince],
        ["PostalCode", place.postalCode],
        ["CountryName", place.countryName],
      ].filter(([, v]) => v !== undefined && v !== "")
    : [];
  const signed =
    element("xades:SigningTime", xmlDateTime(input.signingTime)) +
    element(
      "xades:SigningCertificateV2",
      element(
        "xades:Cert",
        element(
          "xades:CertDigest",
          `<ds:DigestMethod Algorithm="${DIGEST_URI[algorithm]}"/>` +
            element("ds:DigestValue", b64(digest(algorithm, input.certificate))),
        ) + element("xades:IssuerSerialV2", b64(issuerSerialV2(input.certificate))),
      ),
    ) +
    (placeParts.length > 0
      ? element(
          "xades:SignatureProductionPlaceV2",
          placeParts.map(([name, value]) => element(`xades:${name}`, escapeXml(value!))).join(""),
        )
      : "") +
    (input.role
      ? element(
          "xades:SignerRoleV2",
          element("xades:ClaimedRoles", element("xades:ClaimedRole", escapeXml(input.role))),
        )
      : "");
  const formats = input.dataObjects
    .map((o) =>
      element(
        "xades:DataObjectFormat",
        element("xades:MimeType", escapeXml(o.mimeType)),
        ` ObjectReference="#${escapeXml(o.referenceId)}"`,
      ),
    )
    .join("");
  return element(
    "xades:SignedProperties",
    element("xades:SignedSignatureProperties", signed) + element("xades:SignedDataObjectProperties", formats),
    ` Id="${input.signatureId}-SignedProperties"`,
  );
}

/** EN 319 132-1 5.3: SignatureTimeStamp over the canonicalised ds:SignatureValue. */
export const signatureTimeStampXml = (signatureId: string, token: Uint8Array): string =>
  element(
    "xades:SignatureTimeStamp",
    `<ds:CanonicalizationMethod Algorithm="${C14N11}"/>` +
      element("xades:EncapsulatedTimeStamp", b64(token), ` Id="${signatureId}-T0-TST"`),
    ` Id="${signatureId}-T0"`,
  );

/** EN 319 132-1 5.4.1: the certificates needed to validate the signature and its time-stamp. */
export const certificateValuesXml = (signatureId: string, certificates: readonly Uint8Array[]): string =>
  element(
    "xades:CertificateValues",
    certificates
      .map((c, i) => element("xades:EncapsulatedX509Certificate", b64(c), ` Id="${signatureId}-CERT-${i}"`))
      .join(""),
  );

/** EN 319 132-1 5.4.2: the OCSP responses, DER, base64. */
export const revocationValuesXml = (signatureId: string, responses: readonly Uint8Array[]): string =>
  element(
    "xades:RevocationValues",
    element(
      "xades:OCSPValues",
      responses
        .map((r, i) => element("xades:EncapsulatedOCSPValue", b64(r), ` Id="${signatureId}-OCSP-${i}"`))
        .join(""),
    ),
  );

/** EN 319 132-1 5.5.2: xadesv141:ArchiveTimeStamp; the namespace is declared here, not on the root (see signature-xml.ts). */
export const archiveTimeStampXml = (signatureId: string, index: number, token: Uint8Array): string =>
  element(
    "xades141:ArchiveTimeStamp",
    `<ds:CanonicalizationMethod Algorithm="${C14N11}"/>` +
      element("xades:EncapsulatedTimeStamp", b64(token), ` Id="${signatureId}-A${index}-TST"`),
    ` xmlns:xades141="${NS.xades141}" Id="${signatureId}-A${index}"`,
  );
