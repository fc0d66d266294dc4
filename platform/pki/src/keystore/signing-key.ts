import * as x509 from "@peculiar/x509";
import {
  generationParams,
  type KeyAlgorithm,
  keyAlgorithmOf,
  nodeCrypto,
  signingParams,
  subtle,
} from "../algorithms.ts";

const ecFormatter = new x509.AsnEcSignatureFormatter();

/**
 * A trust service's private key as every signer uses it — CAs through @peculiar/x509, the
 * OCSP responder and the TSA over DER they assemble — wherever the key lives. Signing goes
 * to the WebCrypto that owns the key (Node's for a file, the token's for PKCS#11), so a
 * token key never leaves the token; public-key work stays with Node's WebCrypto.
 * Structurally a CryptoKeyPair, so it goes wherever a key pair did.
 */
export class SigningKey implements CryptoKeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly #owner: Crypto;
  /** For @peculiar/x509 generators: `sign` by the key's owner, the rest (SPKI, digests) by Node. */
  readonly #x509Crypto: Crypto;

  private constructor(
    readonly privateKey: CryptoKey,
    /** Always a Node WebCrypto key, whoever owns the private key. */
    readonly publicKey: CryptoKey,
    owner: Crypto,
  ) {
    this.algorithm = keyAlgorithmOf(publicKey);
    this.#owner = owner;
    this.#x509Crypto = owner === nodeCrypto ? owner : signingOnlyBy(owner);
  }

  /** The key pair `pair` whose keys belong to `owner` (a KeyStore's `crypto`). */
  static async of(pair: CryptoKeyPair, owner: Crypto): Promise<SigningKey> {
    const algorithm = keyAlgorithmOf(pair.publicKey);
    const publicKey =
      owner === nodeCrypto
        ? pair.publicKey
        : await subtle.importKey(
            "spki",
            await owner.subtle.exportKey("spki", pair.publicKey),
            generationParams(algorithm),
            true,
            ["verify"],
          );
    return new SigningKey(pair.privateKey, publicKey, owner);
  }

  /**
   * The signature value over `data` as X.509, CMS and OCSP carry it: PKCS#1 v1.5 for RSA, the
   * DER Ecdsa-Sig-Value for ECDSA (RFC 3279 2.2.3) where WebCrypto gives r || s.
   */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    const params = signingParams(this.algorithm);
    const raw = await this.#owner.subtle.sign(params, this.privateKey, data as BufferSource);
    if (this.algorithm === "rsa2048") return new Uint8Array(raw);
    return new Uint8Array(ecFormatter.toAsnSignature({ ...params, ...generationParams(this.algorithm) }, raw)!);
  }

  /** A certificate signed by this key (RFC 5280 4.1.1.3), with the signature algorithm its type uses. */
  certificate(
    params: Omit<x509.X509CertificateCreateWithKeyParams, "signingKey" | "signingAlgorithm">,
  ): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create(
      { ...params, signingKey: this.privateKey, signingAlgorithm: signingParams(this.algorithm) },
      this.#x509Crypto,
    );
  }
}

/** Node's WebCrypto with `subtle.sign` handed to `owner` (Node's methods must be called on Node's subtle). */
function signingOnlyBy(owner: Crypto): Crypto {
  const subtleProxy = new Proxy(nodeCrypto.subtle, {
    get(target, property) {
      if (property === "sign") return owner.subtle.sign.bind(owner.subtle);
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    subtle: subtleProxy,
    getRandomValues: nodeCrypto.getRandomValues.bind(nodeCrypto),
    randomUUID: nodeCrypto.randomUUID.bind(nodeCrypto),
  } as Crypto;
}
