import type { Element } from "@xmldom/xmldom";
import { C14nCanonicalization, ExclusiveCanonicalization, type NamespacePrefix } from "xml-crypto";
import { SignatureError } from "../errors.ts";

/**
 * Canonical XML. riik declares Canonical XML 1.1 (W3C REC xml-c14n11, the algorithm DigiDoc
 * uses) and computes it with xml-crypto's Canonical XML 1.0 (inclusive, without comments).
 * The two differ only in how xml:id, xml:base, xml:lang and xml:space reach a document
 * subset from its ancestors (c14n11 2.4); parseXml refuses every xml:* attribute, so here
 * both give the same octets. Exclusive c14n is accepted on validation as well.
 */
export const C14N11 = "http://www.w3.org/2006/12/xml-c14n11";
export const C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
export const CANONICALIZATIONS: readonly string[] = [C14N11, C14N10, EXC_C14N];

const inclusive = new C14nCanonicalization();
const exclusive = new ExclusiveCanonicalization();

/** Canonicalises the subtree at `element` (a document subset with its in-scope namespaces). */
export function canonicalize(element: Element, algorithm: string = C14N11): Uint8Array {
  let text: string;
  try {
    if (algorithm === EXC_C14N) text = exclusive.process(element as never, {});
    else if (algorithm === C14N11 || algorithm === C14N10)
      text = inclusive.process(element as never, { ancestorNamespaces: inScopeNamespaces(element) });
    else throw new SignatureError("XADES_FORMAT", `canonicalization ${algorithm} is not supported`);
  } catch (cause) {
    if (cause instanceof SignatureError) throw cause;
    throw new SignatureError("XADES_FORMAT", `cannot canonicalise ${element.tagName}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return new TextEncoder().encode(text);
}

/** Namespace declarations in scope at `element` from its ancestors, nearest binding first (c14n 2.3). */
function inScopeNamespaces(element: Element): NamespacePrefix[] {
  const bound = new Map<string, string>();
  for (let node = element.parentNode; node && node.nodeType === 1; node = node.parentNode) {
    const attributes = (node as Element).attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      const prefix = attribute.name === "xmlns" ? "" : attribute.prefix === "xmlns" ? attribute.localName! : undefined;
      if (prefix !== undefined && !bound.has(prefix)) bound.set(prefix, attribute.value);
    }
  }
  // An empty default namespace binding is no binding (c14n 2.3: xmlns="" is not rendered at the apex).
  return [...bound]
    .filter(([prefix, uri]) => !(prefix === "" && uri === ""))
    .map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
}
