import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { sha256 } from "@riik/core";
import { LedgerError } from "../errors.ts";

/** Signature type bytes of C2SP signed-note, section "Signature types". */
export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;
export type SignatureType = typeof SIGNATURE_TYPE_ED25519 | typeof SIGNATURE_TYPE_COSIGNATURE_V1;

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * Key names per C2SP signed-note, section "Format": non-empty, no Unicode spaces, no
 * plus; we also refuse control characters, which a note may never contain.
 */
export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+\p{Zs}\p{Cc}]/u.test(name)) {
    throw new LedgerError(
      "VKEY_MALFORMED",
      `key name ${JSON.stringify(name)} must be non-empty, without spaces, plus signs or control characters`,
    );
  }
}

/** signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]. */
export function keyId(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  return sha256(Buffer.from(name, "utf8"), Buffer.from([0x0a, type]), publicKey).subarray(0, 4);
}

export function ed25519PublicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32)
    throw new LedgerError("VKEY_MALFORMED", `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
}

/** A public key a verifier trusts: a log key (type 0x01) or a witness cosigner key (type 0x04). */
export interface VerifierKey {
  readonly name: string;
  readonly type: SignatureType;
  readonly publicKey: Uint8Array;
  readonly keyId: Uint8Array;
  /** The key in verifier-key text form, `name+hex(keyId)+base64(type || key)`. */
  readonly text: string;
  /** Checks a raw Ed25519 signature over message. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export function makeVerifierKey(name: string, type: SignatureType, publicKey: Uint8Array): VerifierKey {
  checkKeyName(name);
  const object = ed25519PublicKeyObject(publicKey);
  const id = keyId(name, type, publicKey);
  const text = `${name}+${Buffer.from(id).toString("hex")}+${Buffer.concat([Buffer.from([type]), publicKey]).toString("base64")}`;
  return Object.freeze({
    name,
    type,
    publicKey: Uint8Array.from(publicKey),
    keyId: id,
    text,
    verify: (message: Uint8Array, signature: Uint8Array) =>
      signature.length === 64 && verify(null, message, object, signature),
  });
}

/**
 * Parses a verifier key, `<name>+<8 hex digits key ID>+<base64(type || public key)>`
 * (golang.org/x/mod/sumdb/note, referenced by C2SP signed-note and tlog-cosignature).
 * The key ID must be the one derived from the rest, and the encoding canonical.
 */
export function parseVerifierKey(text: string): VerifierKey {
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  if (first <= 0 || second < 0) {
    throw new LedgerError("VKEY_MALFORMED", "a verifier key has the form name+keyid+base64key");
  }
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const keyB64 = trimmed.slice(second + 1);
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex))
    throw new LedgerError("VKEY_MALFORMED", "the key ID must be 8 lowercase hex digits");
  const material = decodeBase64Strict(keyB64, "VKEY_MALFORMED", "verifier key");
  const type = material[0];
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new LedgerError("VKEY_MALFORMED", `unsupported verifier key type ${type}; riik uses 0x01 and 0x04 (Ed25519)`);
  }
  const key = makeVerifierKey(name, type, material.subarray(1));
  if (key.text !== trimmed) {
    throw new LedgerError("VKEY_MALFORMED", `verifier key ID ${idHex} does not match the key (expected ${key.text})`);
  }
  return key;
}

/** Parses a file of verifier keys, one per line; blank lines and # comments are skipped. */
export function parseVerifierKeys(text: string): VerifierKey[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map(parseVerifierKey);
}

/** An Ed25519 signing key with a name: the private half of a VerifierKey, wherever it lives. */
export interface NoteSigner {
  readonly name: string;
  readonly verifierKey: VerifierKey;
  /** Signs with the raw Ed25519 algorithm (the caller builds the message of its type). */
  signRaw(message: Uint8Array): Uint8Array;
}

/** A NoteSigner whose seed is held here (a key file). */
export interface FileNoteSigner extends NoteSigner {
  /** The key in the Go note private form, `PRIVATE+KEY+name+keyid+base64(type || seed)`. */
  readonly privateText: string;
}

/**
 * A NoteSigner over an Ed25519 key that never leaves a PKCS#11 token (@riik/pki's
 * Pkcs11KeyStore.ed25519): the token signs (CKM_EDDSA, pure Ed25519 per RFC 8032), so the
 * signatures are the very bytes a file key makes, and every verifier is unchanged.
 */
export function tokenSigner(
  name: string,
  type: SignatureType,
  key: { readonly publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array },
): NoteSigner {
  checkKeyName(name);
  if (key.publicKey.length !== 32) throw new LedgerError("VKEY_MALFORMED", "an Ed25519 public key is 32 bytes");
  return Object.freeze({
    name,
    verifierKey: makeVerifierKey(name, type, key.publicKey),
    signRaw: (message: Uint8Array) => key.sign(message),
  });
}

export function makeSigner(name: string, type: SignatureType, seed: Uint8Array): FileNoteSigner {
  if (seed.length !== 32) throw new LedgerError("VKEY_MALFORMED", "an Ed25519 private key seed is 32 bytes");
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const verifierKey = makeVerifierKey(name, type, spki.subarray(spki.length - 32));
  const id = Buffer.from(verifierKey.keyId).toString("hex");
  const privateText = `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([type]), seed]).toString("base64")}`;
  return Object.freeze({
    name,
    verifierKey,
    privateText,
    signRaw: (message: Uint8Array) => sign(null, message, privateKey),
  });
}

export function generateSigner(name: string, type: SignatureType): FileNoteSigner {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  return makeSigner(name, type, pkcs8.subarray(pkcs8.length - 32));
}

/** Parses `PRIVATE+KEY+name+keyid+base64(type || seed)` and checks it against its key ID. */
export function parseSigner(text: string): FileNoteSigner {
  const trimmed = text.trim();
  if (!trimmed.startsWith("PRIVATE+KEY+")) throw new LedgerError("VKEY_MALFORMED", "not a PRIVATE+KEY+ signer key");
  const rest = trimmed.slice("PRIVATE+KEY+".length);
  const first = rest.indexOf("+");
  const second = rest.indexOf("+", first + 1);
  if (first <= 0 || second < 0)
    throw new LedgerError("VKEY_MALFORMED", "a signer key has the form PRIVATE+KEY+name+keyid+key");
  const name = rest.slice(0, first);
  const material = decodeBase64Strict(rest.slice(second + 1), "VKEY_MALFORMED", "signer key");
  const type = material[0];
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new LedgerError("VKEY_MALFORMED", `unsupported signer key type ${type}`);
  }
  const signer = makeSigner(name, type, material.subarray(1));
  if (signer.privateText !== trimmed) throw new LedgerError("VKEY_MALFORMED", "signer key ID does not match the key");
  return signer;
}

/** Standard base64 (RFC 4648 section 4) that must round-trip exactly: no whitespace, canonical padding. */
export function decodeBase64Strict(
  text: string,
  code: "VKEY_MALFORMED" | "NOTE_MALFORMED" | "CHECKPOINT_MALFORMED" | "SIGNATURE_MALFORMED" | "WITNESS_MALFORMED",
  what: string,
): Buffer {
  const bytes = Buffer.from(text, "base64");
  if (text.length === 0 || bytes.toString("base64") !== text) {
    throw new LedgerError(code, `${what} is not canonical base64`);
  }
  return bytes;
}
