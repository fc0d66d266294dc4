import type { Document, Element } from "@xmldom/xmldom";
import type { DigestAlgorithm } from "../signer/hash-signer.ts";
import { createElement, NS } from "../xml.ts";
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

/**
 * xades:SignedProperties (EN 319 132-1 4.3, 5.2) in schema order: SigningTime,
 * SigningCertificateV2, SignatureProductionPlaceV2, SignerRoleV2, then the
 * DataObjectFormat of each data file.
 */
export function signedProperties(document: Document, input: SignedPropertiesInput): Element {
  const e = (
    name: string,
    attributes: Record<string, string | undefined>,
    ...children: Array<Element | string | undefined>
  ) => createElement(document, name, attributes, ...children);
  const algorithm = input.digestAlgorithm ?? "SHA-256";
  const place = input.productionPlace;
  const placeParts = (
    [
      ["City", place?.city],
      ["StreetAddress", place?.streetAddress],
      ["StateOrProvince", place?.stateOrProvince],
      ["PostalCode", place?.postalCode],
      ["CountryName", place?.countryName],
    ] as const
  ).flatMap(([name, value]) => (value ? [e(`xades:${name}`, {}, value)] : []));
  return e(
    "xades:SignedProperties",
    { Id: `${input.signatureId}-SignedProperties` },
    e(
      "xades:SignedSignatureProperties",
      {},
      e("xades:SigningTime", {}, xmlDateTime(input.signingTime)),
      e(
        "xades:SigningCertificateV2",
        {},
        e(
          "xades:Cert",
          {},
          e(
            "xades:CertDigest",
            {},
            e("ds:DigestMethod", { Algorithm: DIGEST_URI[algorithm] }),
            e("ds:DigestValue", {}, b64(digest(algorithm, input.certificate))),
          ),
          e("xades:IssuerSerialV2", {}, b64(issuerSerialV2(input.certificate))),
        ),
      ),
      placeParts.length > 0 ? e("xades:SignatureProductionPlaceV2", {}, ...placeParts) : undefined,
      input.role
        ? e("xades:SignerRoleV2", {}, e("xades:ClaimedRoles", {}, e("xades:ClaimedRole", {}, input.role)))
        : undefined,
    ),
    e(
      "xades:SignedDataObjectProperties",
      {},
      ...input.dataObjects.map((o) =>
        e("xades:DataObjectFormat", { ObjectReference: `#${o.referenceId}` }, e("xades:MimeType", {}, o.mimeType)),
      ),
    ),
  );
}

/** An EncapsulatedTimeStamp property (EN 319 132-1 5.3, 5.5.2) with its c14n method. */
const timeStamp = (document: Document, name: string, id: string, token: Uint8Array, attributes = {}): Element =>
  createElement(
    document,
    name,
    { ...attributes, Id: id },
    createElement(document, "ds:CanonicalizationMethod", { Algorithm: C14N11 }),
    createElement(document, "xades:EncapsulatedTimeStamp", { Id: `${id}-TST` }, b64(token)),
  );

/** EN 319 132-1 5.3: SignatureTimeStamp over the canonicalised ds:SignatureValue. */
export const signatureTimeStamp = (document: Document, signatureId: string, token: Uint8Array): Element =>
  timeStamp(document, "xades:SignatureTimeStamp", `${signatureId}-T0`, token);

/** EN 319 132-1 5.4.1: the certificates needed to validate the signature and its time-stamp. */
export const certificateValues = (
  document: Document,
  signatureId: string,
  certificates: readonly Uint8Array[],
): Element =>
  createElement(
    document,
    "xades:CertificateValues",
    {},
    ...certificates.map((c, i) =>
      createElement(document, "xades:EncapsulatedX509Certificate", { Id: `${signatureId}-CERT-${i}` }, b64(c)),
    ),
  );

/** EN 319 132-1 5.4.2: the OCSP responses, DER, base64. */
export const revocationValues = (document: Document, signatureId: string, responses: readonly Uint8Array[]): Element =>
  createElement(
    document,
    "xades:RevocationValues",
    {},
    createElement(
      document,
      "xades:OCSPValues",
      {},
      ...responses.map((r, i) =>
        createElement(document, "xades:EncapsulatedOCSPValue", { Id: `${signatureId}-OCSP-${i}` }, b64(r)),
      ),
    ),
  );

/** EN 319 132-1 5.5.2: xadesv141:ArchiveTimeStamp; the namespace is declared here, not on the root (see signature-xml.ts). */
export const archiveTimeStamp = (document: Document, signatureId: string, index: number, token: Uint8Array): Element =>
  timeStamp(document, "xades141:ArchiveTimeStamp", `${signatureId}-A${index}`, token, {
    "xmlns:xades141": NS.xades141,
  });
