// RSA public key recipient (RSAPublicKeyCapsule): a random 32-byte KEK, RSA-OAEP encrypted
// (RFC 8017 7.1, SHA-256 with MGF1-SHA-256, empty label); encrypted FMK = FMK XOR KEK.
import { constants, createPublicKey, type KeyObject, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { CdocError } from "../errors.ts";
import type { RsaRecipient } from "../header.ts";
import { FMK_LENGTH, xor } from "../key-derivation.ts";

/** RSAPublicKey DER (RFC 8017 A.1.1), the form the header stores. */
export function rsaPublicKeyDer(key: KeyObject): Buffer {
  return (key.type === "public" ? key : createPublicKey(key)).export({ format: "der", type: "pkcs1" });
}

export function rsaRecipient(fmk: Uint8Array, recipientKey: KeyObject, keyLabel: string): RsaRecipient {
  const kek = randomBytes(FMK_LENGTH);
  const encryptedKek = publicEncrypt(
    { key: recipientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    kek,
  );
  return {
    type: "rsa",
    keyLabel,
    encryptedFmk: xor(fmk, kek),
    recipientPublicKey: rsaPublicKeyDer(recipientKey),
    encryptedKek,
  };
}

export function rsaKekFor(record: RsaRecipient, privateKey: KeyObject): Buffer {
  try {
    return privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      record.encryptedKek,
    );
  } catch (cause) {
    throw new CdocError("CDOC_NOT_RECIPIENT", "the RSA key cannot decrypt this recipient's KEK", { cause });
  }
}
