// The PKCS #8 structures the browser opens itself (RFC 5958): the card file's
// EncryptedPrivateKeyInfo with its PBES2 parameters (RFC 8018 6.2, A.2, A.4), and the key
// algorithm of the PrivateKeyInfo inside. asn1js reads them against schemas that follow the
// RFCs' ASN.1 modules; the cryptography (PBKDF2, AES-CBC, the key import) is WebCrypto's, in
// card.ts.

import * as asn1js from "asn1js";

/** A structure that is not what its RFC says (`format`), or is but with an algorithm this page does not do. */
export class Pkcs8Error extends Error {
  readonly reason: "format" | "unsupported";
  constructor(reason: "format" | "unsupported", message: string) {
    super(message);
    this.reason = reason;
  }
}

// RFC 8018 A.2, A.4, B.1.2 and B.2.5; NIST CSOR for the AES OIDs.
const OID_PBES2 = "1.2.840.113549.1.5.13";
const OID_PBKDF2 = "1.2.840.113549.1.5.12";
const PRF: Record<string, Pbes2Parameters["hash"]> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
const AES_CBC: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 128,
  "2.16.840.1.101.3.4.1.22": 192,
  "2.16.840.1.101.3.4.1.42": 256,
};
const MAX_ITERATIONS = 10_000_000n;

/** AlgorithmIdentifier (RFC 5280 4.1.1.2): an OID and whatever parameters it takes. */
function algorithmIdentifier(name: string, optional = false): asn1js.Sequence {
  return new asn1js.Sequence({
    name,
    optional,
    value: [
      new asn1js.ObjectIdentifier({ name: `${name}Oid` }),
      new asn1js.Any({ name: `${name}Parameters`, optional: true }),
    ],
  });
}

/** RFC 5958 3: EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }. */
const ENCRYPTED_PRIVATE_KEY_INFO = new asn1js.Sequence({
  value: [algorithmIdentifier("scheme"), new asn1js.OctetString({ name: "encryptedData" })],
});

/** RFC 8018 A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }. */
const PBES2_PARAMS = new asn1js.Sequence({ value: [algorithmIdentifier("kdf"), algorithmIdentifier("cipher")] });

/**
 * RFC 8018 A.2: PBKDF2-params ::= SEQUENCE { salt, iterationCount INTEGER, keyLength INTEGER
 * OPTIONAL, prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }. Of the salt CHOICE only
 * `specified OCTET STRING`: `otherSource` is reserved for later versions of the standard.
 */
const PBKDF2_PARAMS = new asn1js.Sequence({
  value: [
    new asn1js.OctetString({ name: "salt" }),
    new asn1js.Integer({ name: "iterationCount" }),
    new asn1js.Integer({ name: "keyLength", optional: true }),
    algorithmIdentifier("prf", true),
  ],
});

/** RFC 5958 2: OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING, … }. */
const PRIVATE_KEY_INFO = new asn1js.Sequence({
  value: [new asn1js.Integer(), algorithmIdentifier("key"), new asn1js.OctetString()],
});

type Fields = Record<string, unknown>;

/** The named parts of `block` when it matches `schema`. */
function match(block: asn1js.AsnType | undefined, schema: asn1js.Sequence, what: string): Fields {
  const result = block ? asn1js.compareSchema(block, block, schema) : undefined;
  if (!result?.verified) throw new Pkcs8Error("format", `${what} does not have the structure its RFC gives`);
  return result.result;
}

/** The one BER/DER object that fills `bytes` exactly. */
function parse(bytes: Uint8Array, what: string): asn1js.AsnType {
  let parsed: asn1js.FromBerResult;
  try {
    parsed = asn1js.fromBER(bytes);
  } catch (cause) {
    // asn1js throws (rather than reporting) on some malformed primitives.
    throw new Pkcs8Error("format", `${what} is not DER: ${(cause as Error).message}`);
  }
  if (parsed.offset === -1 || parsed.result.error) throw new Pkcs8Error("format", `${what} is not DER`);
  if (parsed.offset !== bytes.byteLength) throw new Pkcs8Error("format", `${what} has bytes after its DER`);
  return parsed.result;
}

function oid(fields: Fields, name: string): string {
  return (fields[name] as asn1js.ObjectIdentifier).getValue();
}

function octets(fields: Fields, name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array((fields[name] as asn1js.OctetString).getValue());
}

function integer(fields: Fields, name: string): bigint | undefined {
  const value = fields[name];
  return value instanceof asn1js.Integer ? value.toBigInt() : undefined;
}

function parameters(fields: Fields, name: string): asn1js.AsnType | undefined {
  return fields[`${name}Parameters`] as asn1js.AsnType | undefined;
}

/** What PBES2 needs to open the key, in WebCrypto's terms. */
export interface Pbes2Parameters {
  /** PBKDF2 (RFC 8018 5.2). */
  salt: Uint8Array<ArrayBuffer>;
  iterations: number;
  /** The PRF's hash: HMAC with it. */
  hash: "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
  /** AES-CBC (RFC 8018 B.2.5): the key length and the IV. */
  keyBits: number;
  iv: Uint8Array<ArrayBuffer>;
  /** The encrypted PrivateKeyInfo. */
  encrypted: Uint8Array<ArrayBuffer>;
}

/** EncryptedPrivateKeyInfo with PBES2: PBKDF2 with an HMAC-SHA PRF and AES-CBC, as OpenSSL 3 writes it. */
export function readEncryptedPrivateKeyInfo(der: Uint8Array): Pbes2Parameters {
  const info = match(parse(der, "the private key"), ENCRYPTED_PRIVATE_KEY_INFO, "EncryptedPrivateKeyInfo");
  if (oid(info, "schemeOid") !== OID_PBES2) throw new Pkcs8Error("unsupported", "the key is not encrypted with PBES2");
  const pbes2 = match(parameters(info, "scheme"), PBES2_PARAMS, "PBES2-params");
  if (oid(pbes2, "kdfOid") !== OID_PBKDF2) throw new Pkcs8Error("unsupported", "the key derivation is not PBKDF2");
  const pbkdf2 = match(parameters(pbes2, "kdf"), PBKDF2_PARAMS, "PBKDF2-params");
  let hash: Pbes2Parameters["hash"] = "SHA-1"; // RFC 8018 A.2: the default PRF is hmacWithSHA1.
  if (pbkdf2.prf) {
    const named = PRF[oid(pbkdf2, "prfOid")];
    if (!named) throw new Pkcs8Error("unsupported", "unsupported PBKDF2 PRF");
    hash = named;
  }
  const keyBits = AES_CBC[oid(pbes2, "cipherOid")];
  if (!keyBits) throw new Pkcs8Error("unsupported", "the key is not encrypted with AES-CBC");
  const keyLength = integer(pbkdf2, "keyLength");
  if (keyLength !== undefined && keyLength * 8n !== BigInt(keyBits))
    throw new Pkcs8Error("format", "the PBKDF2 key length does not fit the cipher");
  const iterations = integer(pbkdf2, "iterationCount") ?? 0n;
  if (iterations < 1n || iterations > MAX_ITERATIONS)
    throw new Pkcs8Error("unsupported", "unreasonable PBKDF2 iteration count");
  // RFC 8018 B.2.5: the parameters of AES-CBC are the IV, an OCTET STRING of one block.
  const iv = parameters(pbes2, "cipher");
  if (!(iv instanceof asn1js.OctetString) || iv.idBlock.isConstructed || iv.valueBlock.valueHexView.length !== 16)
    throw new Pkcs8Error("format", "the AES-CBC IV is not an OCTET STRING of 16 bytes");
  return {
    salt: octets(pbkdf2, "salt"),
    iterations: Number(iterations),
    hash,
    keyBits,
    iv: new Uint8Array(iv.getValue()),
    encrypted: octets(info, "encryptedData"),
  };
}

/** The privateKeyAlgorithm of a PrivateKeyInfo: its OID, and the named curve's OID for an EC key (RFC 5480 2.1.1). */
export function readPrivateKeyAlgorithm(der: Uint8Array): { algorithm: string; namedCurve?: string } {
  const info = match(parse(der, "the decrypted key"), PRIVATE_KEY_INFO, "PrivateKeyInfo");
  const curve = parameters(info, "key");
  return {
    algorithm: oid(info, "keyOid"),
    ...(curve instanceof asn1js.ObjectIdentifier ? { namedCurve: curve.getValue() } : {}),
  };
}
