// CDOC2 key schedule (CDOC2 specification, "Cryptographic algorithms" / the reference Crypto.java):
// FMK = HKDF-Extract("CDOC20salt", 64 random bytes); CEK = HKDF-Expand(FMK, "CDOC20cek", 32);
// HHK = HKDF-Expand(FMK, "CDOC20hmac", 32); the FMK is XOR-encrypted per recipient with a KEK.
// Pure functions on bytes (no node: imports), shared by the command line and the browser.
import { equalBytes } from "@noble/ciphers/utils.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, randomBytes } from "@noble/hashes/utils.js";
import { CdocError } from "./errors.ts";

export const FMK_LENGTH = 32;
export const SALT_LENGTH = 32;
/** FMK encryption method name mixed into every KEK's HKDF info (FMKEncryptionMethod.XOR). */
const FMK_METHOD = "XOR";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** HKDF-Extract (RFC 5869 2.2): HMAC-SHA-256 keyed with the salt. */
export const hkdfExtract = (salt: Uint8Array, ikm: Uint8Array): Uint8Array => extract(sha256, ikm, salt);

/** HKDF-Expand (RFC 5869 2.3) of a pseudorandom key already extracted. */
export const hkdfExpand = (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array =>
  expand(sha256, prk, info, length);

export function generateFmk(): Uint8Array {
  return hkdfExtract(utf8("CDOC20salt"), randomBytes(64));
}

export function contentEncryptionKey(fmk: Uint8Array): Uint8Array {
  return hkdfExpand(fmk, utf8("CDOC20cek"), 32);
}

export function headerHmac(fmk: Uint8Array, header: Uint8Array): Uint8Array {
  return hmac(sha256, hkdfExpand(fmk, utf8("CDOC20hmac"), 32), header);
}

/** KEK for a symmetric or password-derived secret: HKDF(salt, secret, "CDOC20kek" | "XOR" | key label). */
export function secretKek(secret: Uint8Array, salt: Uint8Array, keyLabel: string): Uint8Array {
  if (secret.length < 32) throw new CdocError("CDOC_ARGUMENT", "a symmetric key must be at least 32 bytes");
  if (salt.length < SALT_LENGTH) throw new CdocError("CDOC_FORMAT", "a recipient salt is shorter than 32 bytes");
  return hkdfExpand(hkdfExtract(salt, secret), utf8(`CDOC20kek${FMK_METHOD}${keyLabel}`), FMK_LENGTH);
}

/**
 * KEK for an EC recipient: HKDF(salt "CDOC20kekpremaster", ECDH shared secret,
 * "CDOC20kek" | "XOR" | recipient public key | sender public key), keys as TLS 1.3 points.
 */
export function eccKek(sharedSecret: Uint8Array, recipientPoint: Uint8Array, senderPoint: Uint8Array): Uint8Array {
  const prk = hkdfExtract(utf8("CDOC20kekpremaster"), sharedSecret);
  return hkdfExpand(prk, concatBytes(utf8(`CDOC20kek${FMK_METHOD}`), recipientPoint, senderPoint), FMK_LENGTH);
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new CdocError("CDOC_FORMAT", "an encrypted FMK has the wrong length");
  return a.map((byte, i) => byte ^ b[i]!);
}

/**
 * The FMK a candidate KEK opens from `encryptedFmk`, or undefined when the header HMAC (compared
 * in constant time) does not verify with it: a wrong key, or an altered header.
 */
export function openFmk(kek: Uint8Array, encryptedFmk: Uint8Array, header: Uint8Array, hmacValue: Uint8Array) {
  const fmk = xor(kek, encryptedFmk);
  return equalBytes(headerHmac(fmk, header), hmacValue) ? fmk : undefined;
}
