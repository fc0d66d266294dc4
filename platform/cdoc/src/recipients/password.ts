// Password recipient (PBKDF2Capsule): PBKDF2-HMAC-SHA-256 (RFC 8018 5.2) of the UTF-8 password
// with password_salt gives a 256-bit secret, then the symmetric-key KEK derivation with salt.
import { pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { CdocError } from "../errors.ts";
import type { PasswordRecipient } from "../header.ts";
import { SALT_LENGTH, secretKek, xor } from "../key-derivation.ts";

/** NIST's recommendation for PBKDF2-HMAC-SHA-256, as the reference implementation writes. */
export const PBKDF2_ITERATIONS = 600_000;
/** Iterations refused on reading: a header must not make decryption take hours. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const pbkdf2Async = promisify(pbkdf2);

async function passwordKey(password: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new CdocError("CDOC_UNSUPPORTED", `PBKDF2 iterations ${iterations} out of range`);
  }
  return pbkdf2Async(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
}

export async function passwordRecipient(
  fmk: Uint8Array,
  password: string,
  keyLabel: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<PasswordRecipient> {
  if (password.length < 8) throw new CdocError("CDOC_ARGUMENT", "a password must have at least 8 characters");
  const salt = randomBytes(SALT_LENGTH);
  const passwordSalt = randomBytes(SALT_LENGTH);
  const secret = await passwordKey(password, passwordSalt, iterations);
  return {
    type: "password",
    keyLabel,
    salt,
    passwordSalt,
    iterations,
    encryptedFmk: xor(fmk, secretKek(secret, salt, keyLabel)),
  };
}

export async function passwordKekFor(record: PasswordRecipient, password: string): Promise<Uint8Array> {
  const secret = await passwordKey(password, record.passwordSalt, record.iterations);
  return secretKek(secret, record.salt, record.keyLabel);
}
