// CDOC2 key schedule (CDOC2 specification, "Cryptographic algorithms" / the reference Crypto.java):
// FMK = HKDF-Extract("CDOC20salt", 64 random bytes); CEK = HKDF-Expand(FMK, "CDOC20cek", 32);
// HHK = HKDF-Expand(FMK, "CDOC20hmac", 32); the FMK is XOR-encrypted per recipient with a KEK.
import { createHmac, diffieHellman, type KeyObject, randomBytes } from "node:crypto";
import { CdocError } from "./errors.ts";

export const FMK_LENGTH = 32;
export const SALT_LENGTH = 32;
/** FMK encryption method name mixed into every KEK's HKDF info (FMKEncryptionMethod.XOR). */
const FMK_METHOD = "XOR";

const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");

/** HKDF-Extract (RFC 5869 2.2) as HMAC-SHA-256(salt, ikm). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac("sha256", salt).update(ikm).digest();
}

/** HKDF-Expand (RFC 5869 2.3) of a pseudorandom key already extracted. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  // node's hkdfSync always extracts first; extracting a PRK with an all-zero salt is not the
  // identity, so Expand is written as RFC 5869 2.3's single block T(1) = HMAC(PRK, info | 0x01).
  if (length > 32) throw new CdocError("CDOC_ARGUMENT", "HKDF-Expand longer than one SHA-256 block");
  return createHmac("sha256", prk)
    .update(info)
    .update(Buffer.from([1]))
    .digest()
    .subarray(0, length);
}

export function generateFmk(): Buffer {
  return hkdfExtract(utf8("CDOC20salt"), randomBytes(64));
}

export function contentEncryptionKey(fmk: Uint8Array): Buffer {
  return hkdfExpand(fmk, utf8("CDOC20cek"), 32);
}

export function headerHmacKey(fmk: Uint8Array): Buffer {
  return hkdfExpand(fmk, utf8("CDOC20hmac"), 32);
}

export function headerHmac(fmk: Uint8Array, header: Uint8Array): Buffer {
  return createHmac("sha256", headerHmacKey(fmk)).update(header).digest();
}

/** KEK for a symmetric or password-derived secret: HKDF(salt, secret, "CDOC20kek" | "XOR" | key label). */
export function secretKek(secret: Uint8Array, salt: Uint8Array, keyLabel: string): Buffer {
  if (secret.length < 32) throw new CdocError("CDOC_ARGUMENT", "a symmetric key must be at least 32 bytes");
  if (salt.length < SALT_LENGTH) throw new CdocError("CDOC_FORMAT", "a recipient salt is shorter than 32 bytes");
  return hkdfExpand(hkdfExtract(salt, secret), utf8(`CDOC20kek${FMK_METHOD}${keyLabel}`), FMK_LENGTH);
}

/**
 * KEK for an EC recipient: HKDF(salt "CDOC20kekpremaster", ECDH shared secret,
 * "CDOC20kek" | "XOR" | recipient public key | sender public key), keys as TLS 1.3 points.
 */
export function eccKek(sharedSecret: Uint8Array, recipientPoint: Uint8Array, senderPoint: Uint8Array): Buffer {
  const prk = hkdfExtract(utf8("CDOC20kekpremaster"), sharedSecret);
  return hkdfExpand(prk, Buffer.concat([utf8(`CDOC20kek${FMK_METHOD}`), recipientPoint, senderPoint]), FMK_LENGTH);
}

export function ecdh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new CdocError("CDOC_FORMAT", "an encrypted FMK has the wrong length");
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
