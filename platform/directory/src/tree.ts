/**
 * The directory's tree, shaped as SK's public LDAP (ldap.sk.ee, "LDAP" documentation):
 *   c=EE / dc=ESTEID / o=<document kind> / ou=Authentication / cn=SURNAME,GIVEN,CODE
 * Entries carry serialNumber=PNOEE-<code> (ETSI EN 319 412-1 5.1.3 natural-person semantics
 * identifier) and userCertificate;binary, the authentication certificate's DER.
 */
export const BASE_DN = "c=EE";
export const ESTEID_DN = "dc=ESTEID,c=EE";

export type DocumentKind = "id-card" | "digi-id" | "e-residency";

export const DOCUMENT_ORGANISATION: Record<DocumentKind, string> = {
  "id-card": "Identity card of Estonian citizen",
  "digi-id": "Digital identity card",
  "e-residency": "Digital identity card of e-resident",
};

export const organisationDn = (kind: DocumentKind): string => `o=${DOCUMENT_ORGANISATION[kind]},${ESTEID_DN}`;
export const authenticationDn = (kind: DocumentKind): string => `ou=Authentication,${organisationDn(kind)}`;

/** The ETSI EN 319 412-1 semantics identifier of an Estonian personal code. */
export const semanticsIdentifier = (code: string): string => `PNOEE-${code}`;

/** RFC 4514 2.4: escape an attribute value for a DN. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

/** One entry per certificate (a person may hold an ID card and a digi-ID at once): cn names the holder, the serial tells them apart. */
export function entryDn(kind: DocumentKind, cn: string, serial: string): string {
  return `cn=${escapeDnValue(cn)}+uid=${serial},${authenticationDn(kind)}`;
}

/** The document kind from the subject and document number the registry recorded. */
export function documentKind(subject: string, documentNumber: string | null): DocumentKind {
  if (/E-RESIDENT/.test(subject)) return "e-residency";
  if (documentNumber && /^N/i.test(documentNumber)) return "digi-id";
  return "id-card";
}

/** The fixed entries above the people: created once when the database is new (slapadd). */
export function skeletonLdif(): string {
  const out = [
    `dn: ${BASE_DN}\nobjectClass: country\nc: EE\n`,
    `dn: ${ESTEID_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: ESTEID\no: ESTEID\n`,
  ];
  for (const kind of Object.keys(DOCUMENT_ORGANISATION) as DocumentKind[]) {
    out.push(`dn: ${organisationDn(kind)}\nobjectClass: organization\no: ${DOCUMENT_ORGANISATION[kind]}\n`);
    out.push(`dn: ${authenticationDn(kind)}\nobjectClass: organizationalUnit\nou: Authentication\n`);
  }
  return out.join("\n");
}
