import {
  constants,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateEncrypt,
  X509Certificate,
} from "node:crypto";
import { p256, p384 } from "@noble/curves/nist.js";
import { type CardFile, unlockCardKey } from "@riik/pki";
import { SignatureError } from "../errors.ts";

export type DigestAlgorithm = "SHA-256" | "SHA-384" | "SHA-512";

/**
 * A signing key seen from outside: its certificate and a function that signs a digest.
 * Only the digest crosses this interface, as with an ID card (PIN2 on the card reader),
 * a PKCS#11 token (CKM_ECDSA / CKM_RSA_PKCS) or Web eID in a browser (`sign(hash,
 * hashFunction)`), so any of them can implement it.
 */
export interface HashSigner {
  /** The signing certificate, DER. */
  readonly certificate: Uint8Array;
  /**
   * Signs a digest the caller computed with `algorithm`. ECDSA keys return r‖s, each half
   * the curve's length (IEEE P1363, as XMLDSig 1.1 and PKCS#11 CKM_ECDSA write it); RSA keys
   * return the PKCS#1 v1.5 signature over the DigestInfo.
   */
  sign(digest: Uint8Array, algorithm: DigestAlgorithm): Promise<Uint8Array>;
}

const EC_CURVES: Record<string, typeof p256 | typeof p384> = { "P-256": p256, "P-384": p384 };

const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** RFC 8017 9.2 note 1: DER DigestInfo prefixes. */
const DIGEST_INFO_PREFIX: Record<DigestAlgorithm, string> = {
  "SHA-256": "3031300d060960864801650304020105000420",
  "SHA-384": "3041300d060960864801650304020205000430",
  "SHA-512": "3051300d060960864801650304020305000440",
};

export const digestInfo = (algorithm: DigestAlgorithm, digest: Uint8Array): Uint8Array =>
  Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], "hex"), digest]);

/** A signer over a private key held in this process (a sandbox card, a test key, a seal on disk). */
export function keyObjectSigner(privateKey: KeyObject, certificate: Uint8Array): HashSigner {
  const parsed = new X509Certificate(certificate);
  const publicKey = createPublicKey(privateKey);
  if (!parsed.publicKey.equals(publicKey))
    throw new SignatureError("SIGNER_CERTIFICATE", "the private key does not belong to the certificate");
  let signDigestWith: (digest: Uint8Array, algorithm: DigestAlgorithm) => Uint8Array;
  if (privateKey.asymmetricKeyType === "ec") {
    const jwk = privateKey.export({ format: "jwk" });
    const curve = EC_CURVES[jwk.crv ?? ""];
    if (!curve) throw new SignatureError("SIGNER_CERTIFICATE", `curve ${jwk.crv} is not supported (P-256, P-384)`);
    const d = Buffer.from(jwk.d!, "base64url");
    // Node hashes whatever it signs; a hash signer gets only the digest, as a card does,
    // so the digest is signed with noble's audited ECDSA (RFC 6979 nonces, constant time).
    signDigestWith = (digest) => curve.sign(digest, d, { prehash: false, format: "compact" });
  } else if (privateKey.asymmetricKeyType === "rsa") {
    signDigestWith = (digest, algorithm) =>
      new Uint8Array(
        privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(algorithm, digest)),
      );
  } else throw new SignatureError("SIGNER_CERTIFICATE", `key type ${privateKey.asymmetricKeyType} is not supported`);
  return Object.freeze({
    certificate: new Uint8Array(certificate),
    async sign(digest: Uint8Array, algorithm: DigestAlgorithm): Promise<Uint8Array> {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH[algorithm])
        throw new SignatureError(
          "SIG_ARGUMENT",
          `digest must be ${DIGEST_LENGTH[algorithm] ?? "?"} bytes of ${algorithm}`,
        );
      return signDigestWith(digest, algorithm);
    },
  });
}

/**
 * The signing key of a riik card file, unlocked with PIN2. A wrong PIN2 fails here with
 * PkiError CARD_WRONG_PIN, before anything is signed.
 */
export async function cardFileSigner(card: CardFile, pin2: string): Promise<HashSigner> {
  await unlockCardKey(card, "signing", pin2);
  const key = createPrivateKey({ key: card.signing.privateKey, passphrase: pin2 });
  return keyObjectSigner(key, new Uint8Array(new X509Certificate(card.signing.certificate).raw));
}
