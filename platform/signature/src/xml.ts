import { DOMImplementation, DOMParser, type Document, type Element, type Node, XMLSerializer } from "@xmldom/xmldom";
import { SignatureError, type SignatureErrorCode } from "./errors.ts";

export const NS = Object.freeze({
  asic: "http://uri.etsi.org/02918/v1.2.1#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xades: "http://uri.etsi.org/01903/v1.3.2#",
  xades141: "http://uri.etsi.org/01903/v1.4.1#",
  manifest: "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
  xmlns: "http://www.w3.org/2000/xmlns/",
});

/** Largest XML part (manifest, signatures file) this package parses. */
export const MAX_XML_BYTES = 4 * 1024 * 1024;

/**
 * Parses untrusted XML: strict UTF-8, no DTD at all (no entity tricks), every parser
 * warning an error, and no `xml:*` attributes, whose inheritance is where c14n 1.0 and 1.1
 * differ (see canonicalize.ts).
 */
export function parseXml(bytes: Uint8Array, what: string, code: SignatureErrorCode): Document {
  if (bytes.byteLength > MAX_XML_BYTES) throw new SignatureError(code, `${what} is larger than ${MAX_XML_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new SignatureError(code, `${what} is not UTF-8`, { cause });
  }
  if (/<!DOCTYPE/i.test(text)) throw new SignatureError(code, `${what} has a DOCTYPE, which is not accepted`);
  let document: Document;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(text, "application/xml");
  } catch (cause) {
    throw new SignatureError(code, `${what} is not well-formed XML: ${(cause as Error).message}`, { cause });
  }
  if (!document.documentElement) throw new SignatureError(code, `${what} has no root element`);
  for (const element of descendants(document.documentElement)) {
    for (let i = 0; i < element.attributes.length; i++) {
      if (element.attributes[i]!.prefix === "xml")
        throw new SignatureError(code, `${what} uses ${element.attributes[i]!.name}, which is not accepted`);
    }
  }
  return document;
}

export function* descendants(root: Element): Generator<Element> {
  yield root;
  for (const child of childElements(root)) yield* descendants(child);
}

export function childElements(parent: Node): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) out.push(node as Element);
  return out;
}

export const isElement = (node: Node | null | undefined, ns: string, local: string): node is Element =>
  !!node && node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === local;

/** Namespace of a qualified name's prefix (`ds:Reference`, `xmlns:ds`); unprefixed names have none. */
function namespaceOf(qualifiedName: string): string | null {
  const [prefix, local] = qualifiedName.split(":");
  if (local === undefined) return null;
  const ns = (NS as Readonly<Record<string, string>>)[prefix!];
  if (!ns) throw new SignatureError("SIG_ARGUMENT", `no namespace is known for the prefix of ${qualifiedName}`);
  return ns;
}

export type Child = Node | string | undefined;

/**
 * A new element `prefix:local` in the namespace NS gives its prefix, with its attributes in
 * the order given (undefined ones left out) and its children (text for strings, undefined
 * ones left out). The serialiser escapes; nothing here builds XML text by hand.
 */
export function createElement(
  document: Document,
  qualifiedName: string,
  attributes: Readonly<Record<string, string | undefined>> = {},
  ...children: readonly Child[]
): Element {
  const element = document.createElementNS(namespaceOf(qualifiedName), qualifiedName);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const ns = namespaceOf(name);
    if (ns) element.setAttributeNS(ns, name, value);
    else element.setAttribute(name, value);
  }
  for (const child of children)
    if (child !== undefined) element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return element;
}

/** A document with DigiDoc's XML declaration and nothing else yet. */
export function newDocument(): Document {
  const document = new DOMImplementation().createDocument(null, "", null);
  document.appendChild(document.createProcessingInstruction("xml", 'version="1.0" encoding="UTF-8" standalone="no"'));
  document.appendChild(document.createTextNode("\n"));
  return document;
}

/** UTF-8 with a final newline; the declaration is the document's own (newDocument's, or the one parsed). */
export const serializeXml = (document: Document): Uint8Array =>
  new TextEncoder().encode(`${new XMLSerializer().serializeToString(document)}\n`);

export const textOf = (element: Element): string => element.textContent ?? "";
