import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generationParams, type KeyAlgorithm, keyAlgorithmOf, nodeCrypto, subtle } from "../algorithms.ts";
import { PkiError } from "../errors.ts";
import type { KeyStore } from "./key-store.ts";

const NAME = /^[a-z][a-z0-9-]{0,40}$/;

/**
 * Keys at rest as encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), one PEM file
 * per key, readable by `openssl pkey -passin`. The passphrase comes from
 * RIIK_PKI_PASSPHRASE or, for a sandbox, from a random secret file created beside the
 * keys with mode 0600 (production: set the variable or use an HSM-backed KeyStore).
 */
export class FileKeyStore implements KeyStore {
  readonly crypto = nodeCrypto;
  readonly #dir: string;
  readonly #passphrase: string;

  private constructor(dir: string, passphrase: string) {
    this.#dir = dir;
    this.#passphrase = passphrase;
  }

  static open(dir: string, options: { create?: boolean } = {}): FileKeyStore {
    const fromEnv = process.env.RIIK_PKI_PASSPHRASE;
    const secretFile = join(dir, "passphrase");
    if (fromEnv) return new FileKeyStore(dir, fromEnv);
    if (existsSync(secretFile)) return new FileKeyStore(dir, readFileSync(secretFile, "utf8").trim());
    if (!options.create) {
      throw new PkiError("PKI_KEY_PASSPHRASE", `no key passphrase: set RIIK_PKI_PASSPHRASE or keep ${secretFile}`);
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString("base64url");
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return new FileKeyStore(dir, secret);
  }

  #file(name: string): string {
    if (!NAME.test(name)) throw new PkiError("PKI_ARGUMENT", `key name ${JSON.stringify(name)} must match ${NAME}`);
    return join(this.#dir, `${name}.key.pem`);
  }

  has(name: string): boolean {
    return existsSync(this.#file(name));
  }

  async generate(name: string, algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
    const file = this.#file(name);
    const pair = (await subtle.generateKey(generationParams(algorithm), true, ["sign", "verify"])) as CryptoKeyPair;
    const der = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
    const pem = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: this.#passphrase,
    });
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return this.load(name);
  }

  async load(name: string): Promise<CryptoKeyPair> {
    const file = this.#file(name);
    if (!existsSync(file)) throw new PkiError("PKI_KEY_MISSING", `no key ${name} in ${this.#dir}`);
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey({ key: readFileSync(file), passphrase: this.#passphrase });
    } catch (cause) {
      throw new PkiError("PKI_KEY_PASSPHRASE", `cannot decrypt key ${name}: wrong passphrase or damaged file`, {
        cause,
      });
    }
    return importKeyObjects(privateKey);
  }

  close(): void {}
}

/** Turns a node KeyObject into a non-extractable WebCrypto signing key and its public key. */
export async function importKeyObjects(privateKey: ReturnType<typeof createPrivateKey>): Promise<CryptoKeyPair> {
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const probe = await subtle.importKey("spki", spki, probeParams(privateKey), true, ["verify"]);
  const algorithm = generationParams(keyAlgorithmOf(probe));
  return {
    privateKey: await subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]),
    publicKey: await subtle.importKey("spki", spki, algorithm, true, ["verify"]),
  };
}

const NAMED_CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

function probeParams(key: ReturnType<typeof createPrivateKey>): EcKeyImportParams | RsaHashedImportParams {
  if (key.asymmetricKeyType === "ec") {
    const namedCurve = NAMED_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!namedCurve) throw new PkiError("PKI_ARGUMENT", `unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
    return { name: "ECDSA", namedCurve };
  }
  if (key.asymmetricKeyType === "rsa") return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  throw new PkiError("PKI_ARGUMENT", `unsupported key type ${key.asymmetricKeyType}`);
}
