// Symmetric key recipient (SymmetricKeyCapsule): a pre-shared secret of at least 256 bits,
// KEK = HKDF(salt, secret, "CDOC20kek" | "XOR" | key label); encrypted FMK = FMK XOR KEK.
import { randomBytes } from "node:crypto";
import type { SymmetricRecipient } from "../header.ts";
import { SALT_LENGTH, secretKek, xor } from "../key-derivation.ts";

export function symmetricRecipient(fmk: Uint8Array, secret: Uint8Array, keyLabel: string): SymmetricRecipient {
  const salt = randomBytes(SALT_LENGTH);
  return { type: "symmetric", keyLabel, salt, encryptedFmk: xor(fmk, secretKek(secret, salt, keyLabel)) };
}

export function symmetricKekFor(record: SymmetricRecipient, secret: Uint8Array): Uint8Array {
  return secretKek(secret, record.salt, record.keyLabel);
}
