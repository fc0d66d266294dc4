/**
 * Smart-ID's verification code (RP API v2, 2.3.13.2 "Computing the verification code"):
 * `integer(SHA256(hash)[-2:-1]) mod 10000`, the two rightmost bytes of SHA-256 of the hash
 * to be signed as a big-endian unsigned integer, shown as four digits. WebCrypto only, so the
 * server and the app page compute it with the same code.
 */
export async function verificationCode(hash: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", hash as Uint8Array<ArrayBuffer>));
  const value = ((digest[30]! << 8) | digest[31]!) % 10_000;
  return String(value).padStart(4, "0");
}
