// Belenios credentials (spec §4.10, credential.ml): a private credential is 14 random base-58
// digits and a checksum digit (53 − n mod 53), written XXX-XXX-XXX-XXX-XXX; its secret exponent is
// PBKDF2-HMAC-SHA256(password = credential, salt = election uuid, 1000 iterations, one block) mod q;
// the public credential is g^secret.
import { pbkdf2Sync } from "node:crypto";
import { ElectoralOfficeError } from "../errors.ts";
import { powG, q, randomBelow } from "./group.ts";

export const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const TOKEN_LENGTH = 14;

/** A fresh private credential in the dashed form Belenios hands to voters. */
export function generatePrivateCredential(): string {
  let digits = "";
  let value = 0n;
  for (let i = 0; i < TOKEN_LENGTH; i++) {
    const d = randomBelow(58);
    digits += BASE58[d];
    value = value * 58n + BigInt(d);
  }
  const raw = digits + BASE58[53 - Number(value % 53n)];
  return [0, 3, 6, 9, 12].map((i) => raw.slice(i, i + 3)).join("-");
}

/** Refuses a credential with a wrong shape, alphabet or checksum (a typing error). */
export function checkPrivateCredential(credential: string): void {
  const raw = /^[^-]{3}(-[^-]{3}){4}$/.test(credential) ? credential.replaceAll("-", "") : credential;
  if (raw.length !== TOKEN_LENGTH + 1 || [...raw].some((c) => !BASE58.includes(c))) {
    throw new ElectoralOfficeError(
      "CREDENTIAL_INVALID",
      "a credential is 15 characters of the base-58 alphabet, optionally in groups of three separated by dashes",
    );
  }
  let value = 0n;
  for (const c of raw.slice(0, TOKEN_LENGTH)) value = value * 58n + BigInt(BASE58.indexOf(c));
  if ((value + BigInt(BASE58.indexOf(raw[TOKEN_LENGTH] as string))) % 53n !== 0n) {
    throw new ElectoralOfficeError(
      "CREDENTIAL_INVALID",
      "the credential's check character does not match: was it typed correctly?",
    );
  }
}

/** secret(c) of §4.10; the credential is used exactly as written (dashes included), as Belenios does. */
export function credentialSecret(uuid: string, credential: string): bigint {
  checkPrivateCredential(credential);
  const derived = pbkdf2Sync(Buffer.from(credential, "utf8"), Buffer.from(uuid, "utf8"), 1000, 32, "sha256");
  return BigInt(`0x${derived.toString("hex")}`) % q;
}

/** public(c) = g^secret(c), the entry on the public credential list. */
export function publicCredential(uuid: string, credential: string): bigint {
  return powG(credentialSecret(uuid, credential));
}

/** A fresh election identifier: 14 base-58 characters, as `belenios-tool setup generate-token`. */
export function generateUuid(): string {
  let uuid = "";
  for (let i = 0; i < TOKEN_LENGTH; i++) uuid += BASE58[randomBelow(58)];
  return uuid;
}
