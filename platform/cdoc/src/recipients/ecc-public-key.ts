// ECC public key recipient (ECCPublicKeyCapsule): ephemeral-static ECDH on secp384r1, the
// curve of the Estonian ID card's authentication key; KEK = eccKek(...), encrypted FMK = FMK XOR KEK.
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { CdocError } from "../errors.ts";
import type { EccRecipient } from "../header.ts";
import { eccKek, xor } from "../key-derivation.ts";

export function ecdh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

/** The TLS 1.3 encoding (RFC 8446 4.2.8.2) of a P-384 public key: 0x04 | X | Y. */
export function tlsPoint(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "P-384" || !jwk.x || !jwk.y) throw new CdocError("CDOC_ARGUMENT", "the EC key is not on secp384r1");
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
}

export function keyFromTlsPoint(point: Uint8Array): KeyObject {
  if (point.length !== 97 || point[0] !== 4) throw new CdocError("CDOC_FORMAT", "an EC point is not 0x04|X|Y on P-384");
  try {
    const x = Buffer.from(point.subarray(1, 49)).toString("base64url");
    const y = Buffer.from(point.subarray(49)).toString("base64url");
    return createPublicKey({ key: { kty: "EC", crv: "P-384", x, y }, format: "jwk" });
  } catch (cause) {
    throw new CdocError("CDOC_FORMAT", "an EC point is not on secp384r1", { cause });
  }
}

export function eccRecipient(fmk: Uint8Array, recipientKey: KeyObject, keyLabel: string): EccRecipient {
  const recipientPoint = tlsPoint(recipientKey);
  const sender = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const senderPoint = tlsPoint(sender.publicKey);
  const kek = eccKek(ecdh(sender.privateKey, recipientKey), recipientPoint, senderPoint);
  return {
    type: "ecc",
    keyLabel,
    encryptedFmk: xor(fmk, kek),
    recipientPublicKey: recipientPoint,
    senderPublicKey: senderPoint,
  };
}

/**
 * The KEK from the recipient's side; `agree` computes ECDH with the recipient's private key
 * (a PEM key here, or a card file's authentication key behind PIN1).
 */
export function eccKekFor(record: EccRecipient, agree: (sender: KeyObject) => Uint8Array): Uint8Array {
  const shared = agree(keyFromTlsPoint(record.senderPublicKey));
  return eccKek(shared, record.recipientPublicKey, record.senderPublicKey);
}
