import { createHash } from "node:crypto";
import type * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { hex } from "../der.ts";

const NODE_HASH: Record<string, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/**
 * RFC 6960 4.1.1 CertID: the issuer by hashes of its name (DER) and of its public key
 * (the BIT STRING value, without tag, length and unused-bits octet), plus the serial.
 */
export function issuerHashes(
  issuer: x509.X509Certificate,
  hashOid: string,
): { nameHash: Uint8Array; keyHash: Uint8Array } {
  const parsed = pkijs.Certificate.fromBER(issuer.rawData);
  const algorithm = NODE_HASH[HASH_OIDS[hashOid] ?? ""];
  if (!algorithm) throw new Error(`unsupported CertID hash ${hashOid}`);
  const nameDer = parsed.subject.toSchema().toBER();
  const keyBits = parsed.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return {
    nameHash: createHash(algorithm).update(new Uint8Array(nameDer)).digest(),
    keyHash: createHash(algorithm).update(keyBits).digest(),
  };
}

/** The lookup key for an issuer: hash algorithm, name hash and key hash. */
export const issuerKey = (hashOid: string, nameHash: Uint8Array, keyHash: Uint8Array): string =>
  `${hashOid}:${hex(nameHash)}:${hex(keyHash)}`;

export function buildCertId(
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
  hashOid: string = OID.sha256,
): pkijs.CertID {
  const { nameHash, keyHash } = issuerHashes(issuer, hashOid);
  const serial = pkijs.Certificate.fromBER(certificate.rawData).serialNumber;
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: hashOid, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: nameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: keyHash }),
    serialNumber: serial,
  });
}

/** SHA-1 of the responder's public key BIT STRING value: ResponderID byKey (RFC 6960 4.2.1). */
export function responderKeyHash(responder: x509.X509Certificate): Uint8Array {
  const parsed = pkijs.Certificate.fromBER(responder.rawData);
  return createHash("sha1").update(parsed.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest();
}
