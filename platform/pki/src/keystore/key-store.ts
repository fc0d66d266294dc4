import type { KeyAlgorithm } from "../algorithms.ts";

/**
 * Where the trust services' private keys live. Only WebCrypto key handles cross this
 * interface, never key bytes, so an HSM can stand behind it: a PKCS#11 store returns
 * non-extractable CryptoKeys from a PKCS#11-backed WebCrypto provider, and every
 * signer in riik (certificates, OCSP, time-stamps) works unchanged.
 */
export interface KeyStore {
  /** Creates a new key pair under `name`; refuses to overwrite an existing one. */
  generate(name: string, algorithm: KeyAlgorithm): Promise<CryptoKeyPair>;
  /** The key pair stored under `name`. */
  load(name: string): Promise<CryptoKeyPair>;
  has(name: string): boolean;
  /** The WebCrypto that owns this store's keys and so signs with them (see SigningKey). */
  readonly crypto: Crypto;
  /** Lets go of the store (a token's session and login); keys already loaded stop working. */
  close(): void;
}
