import type { Document, Element } from "@xmldom/xmldom";
import { SignatureError } from "../errors.ts";
import type { DigestAlgorithm } from "../signer/hash-signer.ts";
import { childElements, createElement, descendants, isElement, NS, newDocument, parseXml, textOf } from "../xml.ts";
import { b64, DIGEST_URI, digestAlgorithmOf, SIGNATURE_URI, type SignatureMethod } from "./algorithms.ts";
import { C14N11, CANONICALIZATIONS, canonicalize } from "./canonicalize.ts";
import { SIGNED_PROPERTIES_TYPE, type SignedPropertiesInput, signedProperties } from "./qualifying-properties.ts";

/**
 * A new `META-INF/signatures<N>.xml` as DigiDoc writes it (EN 319 162-1 A.5), without
 * references or SignatureValue yet: the root asic:XAdESSignatures declares the asic, ds and
 * xades namespaces and holds one ds:Signature. The root's declarations are part of every
 * canonicalised subset (inclusive c14n), so they never change after signing; later
 * properties declare their own namespaces locally.
 */
export function newSignatureFile(input: {
  signatureMethodUri: string;
  certificate: Uint8Array;
  properties: SignedPropertiesInput;
}): Document {
  const document = newDocument();
  const e = (name: string, attributes: Record<string, string> = {}, ...children: Array<Element | string>) =>
    createElement(document, name, attributes, ...children);
  const id = input.properties.signatureId;
  document.appendChild(
    e(
      "asic:XAdESSignatures",
      { "xmlns:asic": NS.asic, "xmlns:ds": NS.ds, "xmlns:xades": NS.xades },
      e(
        "ds:Signature",
        { Id: id },
        e(
          "ds:SignedInfo",
          {},
          e("ds:CanonicalizationMethod", { Algorithm: C14N11 }),
          e("ds:SignatureMethod", { Algorithm: input.signatureMethodUri }),
        ),
        e("ds:SignatureValue", { Id: `${id}-SIG` }),
        e(
          "ds:KeyInfo",
          { Id: `${id}-KeyInfo` },
          e("ds:X509Data", {}, e("ds:X509Certificate", {}, b64(input.certificate))),
        ),
        e(
          "ds:Object",
          { Id: `${id}-object-xades` },
          e(
            "xades:QualifyingProperties",
            { Id: `${id}-QualifyingProperties`, Target: `#${id}` },
            signedProperties(document, input.properties),
          ),
        ),
      ),
    ),
  );
  return document;
}

export interface ReferenceInput {
  id: string;
  uri: string;
  type?: string;
  transforms?: string[];
  digestAlgorithm: DigestAlgorithm;
  digest: Uint8Array;
}

/** Appends a ds:Reference (XMLDSig 4.4.3) to the ds:SignedInfo of the file. */
export function appendReference(document: Document, reference: ReferenceInput): void {
  const e = (
    name: string,
    attributes: Record<string, string | undefined> = {},
    ...children: Array<Element | string | undefined>
  ) => createElement(document, name, attributes, ...children);
  const transforms = reference.transforms ?? [];
  document
    .getElementsByTagNameNS(NS.ds, "SignedInfo")[0]!
    .appendChild(
      e(
        "ds:Reference",
        { Id: reference.id, Type: reference.type, URI: reference.uri },
        transforms.length > 0
          ? e("ds:Transforms", {}, ...transforms.map((algorithm) => e("ds:Transform", { Algorithm: algorithm })))
          : undefined,
        e("ds:DigestMethod", { Algorithm: DIGEST_URI[reference.digestAlgorithm] }),
        e("ds:DigestValue", {}, b64(reference.digest)),
      ),
    );
}

/** Appends an unsigned signature property (EN 319 132-1 4.3), after those already there. */
export function appendUnsignedProperty(document: Document, property: Element): void {
  const qualifying = document.getElementsByTagNameNS(NS.xades, "QualifyingProperties")[0]!;
  let unsigned = optional(qualifying, NS.xades, "UnsignedProperties");
  if (!unsigned) {
    unsigned = createElement(
      document,
      "xades:UnsignedProperties",
      {},
      createElement(document, "xades:UnsignedSignatureProperties"),
    );
    qualifying.appendChild(unsigned);
  }
  only(unsigned, NS.xades, "UnsignedSignatureProperties", "UnsignedProperties").appendChild(property);
}

export interface ParsedReference {
  element: Element;
  id?: string;
  uri: string;
  type?: string;
  transforms: string[];
  digestAlgorithm: DigestAlgorithm;
  digest: Uint8Array;
}

export interface EncapsulatedTimeStamp {
  element: Element;
  canonicalization: string;
  token: Uint8Array;
}

export interface ParsedSignature {
  document: Document;
  signature: Element;
  id: string;
  signedInfo: Element;
  canonicalization: string;
  signatureMethodUri: string;
  signatureMethod: SignatureMethod;
  references: ParsedReference[];
  signatureValueElement: Element;
  signatureValue: Uint8Array;
  keyInfo?: Element;
  keyInfoCertificates: Uint8Array[];
  signedProperties: Element;
  signingTime?: Date;
  signingCertificates: Array<{ digestAlgorithm: DigestAlgorithm; digest: Uint8Array; issuerSerial?: Uint8Array }>;
  role?: string;
  productionPlace?: Record<string, string>;
  mimeTypes: Map<string, string>;
  unsignedSignatureProperties: Element[];
  signatureTimeStamps: EncapsulatedTimeStamp[];
  certificateValues: Uint8Array[];
  ocspValues: Uint8Array[];
  archiveTimeStamps: EncapsulatedTimeStamp[];
  /** ds:Object elements other than the one holding QualifyingProperties (archive time-stamp input). */
  otherObjects: Element[];
}

const bad = (message: string) => new SignatureError("XADES_FORMAT", message);

function base64(element: Element, what: string): Uint8Array {
  const text = textOf(element).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw bad(`${what} is not base64`);
  return new Uint8Array(Buffer.from(text, "base64"));
}

function only(parent: Element, ns: string, local: string, what: string): Element {
  const found = childElements(parent).filter((e) => isElement(e, ns, local));
  if (found.length !== 1) throw bad(`${what} must have exactly one ${local}, found ${found.length}`);
  return found[0]!;
}

const optional = (parent: Element, ns: string, local: string): Element | undefined =>
  childElements(parent).find((e) => isElement(e, ns, local));

function encapsulated(element: Element, what: string): EncapsulatedTimeStamp {
  const method = optional(element, NS.ds, "CanonicalizationMethod")?.getAttribute("Algorithm") ?? C14N11;
  if (!CANONICALIZATIONS.includes(method)) throw bad(`${what} uses canonicalization ${method}`);
  const tokens = childElements(element).filter((e) => isElement(e, NS.xades, "EncapsulatedTimeStamp"));
  if (tokens.length !== 1) throw bad(`${what} must hold exactly one EncapsulatedTimeStamp`);
  return { element, canonicalization: method, token: base64(tokens[0]!, `${what} token`) };
}

/**
 * Reads one signatures file strictly. Every Id in the document is unique, the SignedInfo
 * references are plain (detached files by relative URI, the SignedProperties by `#Id` with
 * the XAdES Type), and the SignedProperties referenced is the one inside this signature's
 * QualifyingProperties, so no part can be swapped in from elsewhere (signature wrapping).
 */
export function parseSignatureFile(bytes: Uint8Array, name = "signatures file"): ParsedSignature {
  const document = parseXml(bytes, name, "XADES_FORMAT");
  const root = document.documentElement!;
  if (!isElement(root, NS.asic, "XAdESSignatures"))
    throw bad(`${name}: the root element must be asic:XAdESSignatures (${NS.asic})`);
  const signatures = childElements(root);
  if (signatures.length !== 1 || !isElement(signatures[0], NS.ds, "Signature"))
    throw bad(`${name} must hold exactly one ds:Signature`);
  const signature = signatures[0]!;
  const ids = new Map<string, Element>();
  for (const element of descendants(root)) {
    const id = element.getAttribute("Id");
    if (id === null) continue;
    if (ids.has(id)) throw bad(`${name}: Id ${JSON.stringify(id)} appears twice`);
    ids.set(id, element);
  }
  const id = signature.getAttribute("Id") ?? "";
  if (!id) throw bad(`${name}: ds:Signature has no Id`);

  const signedInfo = only(signature, NS.ds, "SignedInfo", "ds:Signature");
  const canonicalization =
    only(signedInfo, NS.ds, "CanonicalizationMethod", "SignedInfo").getAttribute("Algorithm") ?? "";
  if (!CANONICALIZATIONS.includes(canonicalization)) throw bad(`canonicalization ${canonicalization} is not supported`);
  const signatureMethodUri = only(signedInfo, NS.ds, "SignatureMethod", "SignedInfo").getAttribute("Algorithm") ?? "";
  const signatureMethod = SIGNATURE_URI[signatureMethodUri];
  if (!signatureMethod) throw bad(`signature method ${signatureMethodUri} is not supported`);
  const references = childElements(signedInfo)
    .filter((e) => isElement(e, NS.ds, "Reference"))
    .map((element): ParsedReference => {
      const uri = element.getAttribute("URI");
      if (uri === null) throw bad("a Reference without URI is not accepted");
      const transformsElement = optional(element, NS.ds, "Transforms");
      const transforms = transformsElement
        ? childElements(transformsElement).map((t) => t.getAttribute("Algorithm") ?? "")
        : [];
      const digestUri = only(element, NS.ds, "DigestMethod", "Reference").getAttribute("Algorithm") ?? "";
      const digestAlgorithm = digestAlgorithmOf(digestUri);
      if (!digestAlgorithm) throw bad(`digest method ${digestUri} is not accepted`);
      const type = element.getAttribute("Type");
      const refId = element.getAttribute("Id");
      return {
        element,
        uri,
        transforms,
        digestAlgorithm,
        digest: base64(only(element, NS.ds, "DigestValue", "Reference"), "DigestValue"),
        ...(type ? { type } : {}),
        ...(refId ? { id: refId } : {}),
      };
    });

  const signatureValueElement = only(signature, NS.ds, "SignatureValue", "ds:Signature");
  const signatureValue = base64(signatureValueElement, "SignatureValue");
  const keyInfo = optional(signature, NS.ds, "KeyInfo");
  const keyInfoCertificates = keyInfo
    ? childElements(keyInfo)
        .filter((e) => isElement(e, NS.ds, "X509Data"))
        .flatMap((data) => childElements(data).filter((e) => isElement(e, NS.ds, "X509Certificate")))
        .map((e) => base64(e, "X509Certificate"))
    : [];

  const objects = childElements(signature).filter((e) => isElement(e, NS.ds, "Object"));
  const holders = objects.filter((o) => childElements(o).some((e) => isElement(e, NS.xades, "QualifyingProperties")));
  if (holders.length !== 1) throw bad("the signature must have exactly one ds:Object with xades:QualifyingProperties");
  const qualifying = only(holders[0]!, NS.xades, "QualifyingProperties", "ds:Object");
  if (qualifying.getAttribute("Target") !== `#${id}`) throw bad("QualifyingProperties does not target this signature");
  const signedProperties = only(qualifying, NS.xades, "SignedProperties", "QualifyingProperties");
  const propertyRefs = references.filter((r) => r.type === SIGNED_PROPERTIES_TYPE);
  if (propertyRefs.length !== 1) throw bad("SignedInfo must reference the SignedProperties exactly once");
  const target = ids.get(propertyRefs[0]!.uri.replace(/^#/, ""));
  if (!propertyRefs[0]!.uri.startsWith("#") || target !== signedProperties)
    throw bad("the SignedProperties reference does not point at this signature's SignedProperties");
  for (const reference of references) {
    if (reference.type === SIGNED_PROPERTIES_TYPE) continue;
    if (reference.uri === "" || reference.uri.startsWith("#") || reference.transforms.length > 0)
      throw bad(`reference ${reference.uri || "(empty)"} must be a detached file reference without transforms`);
  }

  const signedSignature = only(signedProperties, NS.xades, "SignedSignatureProperties", "SignedProperties");
  const signingTimeElement = optional(signedSignature, NS.xades, "SigningTime");
  const signingTime = signingTimeElement ? new Date(textOf(signingTimeElement).trim()) : undefined;
  if (signingTime && Number.isNaN(signingTime.getTime())) throw bad("SigningTime is not an xsd:dateTime");
  const signingCertificates = [
    ...childElements(optional(signedSignature, NS.xades, "SigningCertificateV2") ?? signedSignature).filter((e) =>
      isElement(e, NS.xades, "Cert"),
    ),
  ].map((cert) => {
    const certDigest = only(cert, NS.xades, "CertDigest", "Cert");
    const digestUri = only(certDigest, NS.ds, "DigestMethod", "CertDigest").getAttribute("Algorithm") ?? "";
    const digestAlgorithm = digestAlgorithmOf(digestUri);
    if (!digestAlgorithm) throw bad(`CertDigest method ${digestUri} is not accepted`);
    const issuerSerial = optional(cert, NS.xades, "IssuerSerialV2");
    return {
      digestAlgorithm,
      digest: base64(only(certDigest, NS.ds, "DigestValue", "CertDigest"), "CertDigest"),
      ...(issuerSerial ? { issuerSerial: base64(issuerSerial, "IssuerSerialV2") } : {}),
    };
  });
  const roleElement =
    optional(signedSignature, NS.xades, "SignerRoleV2") ?? optional(signedSignature, NS.xades, "SignerRole");
  const claimed = roleElement ? optional(roleElement, NS.xades, "ClaimedRoles") : undefined;
  const roles = claimed ? childElements(claimed).map((e) => textOf(e).trim()) : [];
  const placeElement =
    optional(signedSignature, NS.xades, "SignatureProductionPlaceV2") ??
    optional(signedSignature, NS.xades, "SignatureProductionPlace");
  const productionPlace = placeElement
    ? Object.fromEntries(childElements(placeElement).map((e) => [e.localName!, textOf(e).trim()]))
    : undefined;
  const mimeTypes = new Map<string, string>();
  const dataObjectProperties = optional(signedProperties, NS.xades, "SignedDataObjectProperties");
  for (const format of dataObjectProperties ? childElements(dataObjectProperties) : []) {
    if (!isElement(format, NS.xades, "DataObjectFormat")) continue;
    const mime = optional(format, NS.xades, "MimeType");
    const reference = format.getAttribute("ObjectReference") ?? "";
    if (mime) mimeTypes.set(reference.replace(/^#/, ""), textOf(mime).trim());
  }

  const unsignedProperties = optional(qualifying, NS.xades, "UnsignedProperties");
  const unsignedSignature = unsignedProperties
    ? optional(unsignedProperties, NS.xades, "UnsignedSignatureProperties")
    : undefined;
  const unsignedSignatureProperties = unsignedSignature ? childElements(unsignedSignature) : [];
  const signatureTimeStamps: EncapsulatedTimeStamp[] = [];
  const archiveTimeStamps: EncapsulatedTimeStamp[] = [];
  const certificateValues: Uint8Array[] = [];
  const ocspValues: Uint8Array[] = [];
  for (const property of unsignedSignatureProperties) {
    if (isElement(property, NS.xades, "SignatureTimeStamp"))
      signatureTimeStamps.push(encapsulated(property, "SignatureTimeStamp"));
    else if (isElement(property, NS.xades141, "ArchiveTimeStamp") || isElement(property, NS.xades, "ArchiveTimeStamp"))
      archiveTimeStamps.push(encapsulated(property, "ArchiveTimeStamp"));
    else if (isElement(property, NS.xades, "CertificateValues"))
      for (const c of childElements(property))
        if (isElement(c, NS.xades, "EncapsulatedX509Certificate")) certificateValues.push(base64(c, "certificate"));
    if (isElement(property, NS.xades, "RevocationValues")) {
      const ocsp = optional(property, NS.xades, "OCSPValues");
      for (const value of ocsp ? childElements(ocsp) : [])
        if (isElement(value, NS.xades, "EncapsulatedOCSPValue")) ocspValues.push(base64(value, "OCSP response"));
    }
  }
  return {
    document,
    signature,
    id,
    signedInfo,
    canonicalization,
    signatureMethodUri,
    signatureMethod,
    references,
    signatureValueElement,
    signatureValue,
    ...(keyInfo ? { keyInfo } : {}),
    keyInfoCertificates,
    signedProperties,
    ...(signingTime ? { signingTime } : {}),
    signingCertificates,
    ...(roles.length > 0 ? { role: roles.join("; ") } : {}),
    ...(productionPlace ? { productionPlace } : {}),
    mimeTypes,
    unsignedSignatureProperties,
    signatureTimeStamps,
    certificateValues,
    ocspValues,
    archiveTimeStamps,
    otherObjects: objects.filter((o) => o !== holders[0]),
  };
}

/** The octets a Reference digests: the file's bytes, or the canonicalised SignedProperties. */
export function referencedOctets(
  parsed: ParsedSignature,
  reference: ParsedReference,
  fileBytes: (uri: string) => Uint8Array | undefined,
): Uint8Array | undefined {
  if (reference.type === SIGNED_PROPERTIES_TYPE) {
    const transform = reference.transforms.find((t) => CANONICALIZATIONS.includes(t));
    // XMLDSig 4.4.3.3: a same-document reference without transforms is canonicalised with c14n 1.0.
    return canonicalize(parsed.signedProperties, transform ?? "http://www.w3.org/TR/2001/REC-xml-c14n-20010315");
  }
  return fileBytes(reference.uri);
}

/**
 * EN 319 132-1 5.5.2.2 input of an ArchiveTimeStamp: the octets of every reference in
 * order, then the canonicalised SignedInfo, SignatureValue and KeyInfo, then every unsigned
 * signature property before this time-stamp, then the other ds:Object elements.
 */
export function archiveTimeStampInput(
  parsed: ParsedSignature,
  fileBytes: (uri: string) => Uint8Array | undefined,
  before: Element | undefined,
  canonicalization: string,
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const reference of parsed.references) {
    const octets = referencedOctets(parsed, reference, fileBytes);
    if (!octets) throw bad(`the archive time-stamp input needs ${reference.uri}, which is not in the container`);
    parts.push(octets);
  }
  parts.push(canonicalize(parsed.signedInfo, canonicalization));
  parts.push(canonicalize(parsed.signatureValueElement, canonicalization));
  if (parsed.keyInfo) parts.push(canonicalize(parsed.keyInfo, canonicalization));
  for (const property of parsed.unsignedSignatureProperties) {
    if (property === before) break;
    parts.push(canonicalize(property, canonicalization));
  }
  for (const object of parsed.otherObjects) parts.push(canonicalize(object, canonicalization));
  return Buffer.concat(parts);
}

/** DigiDoc writes file URIs percent-encoded (RFC 3986); names match after decoding. */
export function fileUri(name: string): string {
  return name
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

export function fileNameOfUri(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}
