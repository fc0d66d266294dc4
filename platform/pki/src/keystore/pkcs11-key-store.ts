import { existsSync, readFileSync, statSync } from "node:fs";
import { Crypto as TokenCrypto } from "node-webcrypto-p11";
import { generationParams, type KeyAlgorithm } from "../algorithms.ts";
import { PkiError } from "../errors.ts";
import type { KeyStore } from "./key-store.ts";

const NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** Where the token is: the PKCS#11 module, the token's label, the user PIN's file. */
export interface Pkcs11Config {
  module: string;
  /** CKA_LABEL of the token (PKCS#11 v2.40 §3.2 CK_TOKEN_INFO.label): stable where slot numbers are not. */
  tokenLabel: string;
  /** A file holding the user PIN (mode 0600); without it the PIN comes from RIIK_PKCS11_PIN. Never a CLI argument. */
  pinFile?: string | undefined;
}

/**
 * Keys inside a PKCS#11 token (HSM, smart card, SoftHSM2). Key pairs are made by the token
 * itself (C_GenerateKeyPair) as token objects labelled by name, the private key
 * CKA_SENSITIVE and not extractable (PKCS#11 v2.40 §4.9), so only handles leave it. The
 * CryptoKeys belong to the token's WebCrypto provider: sign with `store.crypto.subtle`.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly crypto: Crypto;
  readonly #token: TokenCrypto;
  readonly #labels = new Set<string>();

  private constructor(token: TokenCrypto, labels: Iterable<string>) {
    this.#token = token;
    this.crypto = token as unknown as Crypto;
    for (const label of labels) this.#labels.add(label);
  }

  static async open(config: Pkcs11Config): Promise<Pkcs11KeyStore> {
    const pin = readPin(config.pinFile);
    const crypto = openToken(config);
    try {
      crypto.login(pin);
    } catch (cause) {
      crypto.close();
      throw new PkiError(
        "PKI_KEY_PASSPHRASE",
        `the token ${config.tokenLabel} refused the user PIN: check the PIN file (too many wrong tries lock the token; the security officer unlocks it)`,
        { cause },
      );
    }
    const labels: string[] = [];
    for (const key of await webCryptoKeys(crypto)) {
      const label = (key.algorithm as { label?: string }).label;
      if (key.type === "private" && label) labels.push(label);
    }
    return new Pkcs11KeyStore(crypto, labels);
  }

  #check(name: string): void {
    if (!NAME.test(name)) throw new PkiError("PKI_ARGUMENT", `key name ${JSON.stringify(name)} must match ${NAME}`);
  }

  has(name: string): boolean {
    this.#check(name);
    return this.#labels.has(name);
  }

  async generate(name: string, algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
    if (this.has(name))
      throw new PkiError("PKI_ALREADY_INITIALISED", `the token already holds a key ${name}; refusing to overwrite it`);
    const params = { ...generationParams(algorithm), label: name, token: true, sensitive: true };
    const pair = (await this.crypto.subtle.generateKey(params, false, ["sign", "verify"])) as CryptoKeyPair;
    this.#labels.add(name);
    return pair;
  }

  async load(name: string): Promise<CryptoKeyPair> {
    this.#check(name);
    const found: Partial<Record<KeyType, CryptoKey>> = {};
    for (const key of await webCryptoKeys(this.#token))
      if ((key.algorithm as { label?: string }).label === name) found[key.type] = key;
    if (!found.private || !found.public)
      throw new PkiError("PKI_KEY_MISSING", `no key pair labelled ${name} in the token`);
    return { privateKey: found.private, publicKey: found.public };
  }

  /**
   * The Ed25519 key pair labelled `name` (made first with `create`; an existing one is refused),
   * for signers whose format fixes Ed25519 (the ledger's C2SP signed notes). node-webcrypto-p11
   * has no EdDSA provider, so this goes to the session itself: CKM_EC_EDWARDS_KEY_PAIR_GEN and
   * CKM_EDDSA (PKCS#11 v3.0 §2.3.5, §2.3.14; SoftHSM2 ≥ 2.6), the private key sensitive and
   * never extractable. Signing is synchronous, as node:crypto's sign is.
   */
  ed25519(name: string, options: { create?: boolean } = {}): Ed25519TokenKey {
    this.#check(name);
    const session = this.#token.session;
    const existing = (objectClass: number) => {
      const found = session.find({ class: objectClass, keyType: CKK_EC_EDWARDS, label: name });
      return found.length > 0 ? (found.items(0) as unknown) : undefined;
    };
    let pair: { privateKey: unknown; publicKey: unknown };
    if (options.create) {
      if (existing(CKO_PRIVATE_KEY) || this.has(name))
        throw new PkiError(
          "PKI_ALREADY_INITIALISED",
          `the token already holds a key ${name}; refusing to overwrite it`,
        );
      pair = session.generateKeyPair(
        CKM_EC_EDWARDS_KEY_PAIR_GEN,
        { keyType: CKK_EC_EDWARDS, paramsEC: ED25519_OID, token: true, label: name, verify: true },
        { keyType: CKK_EC_EDWARDS, token: true, label: name, sign: true, sensitive: true, extractable: false },
      );
    } else {
      pair = { privateKey: existing(CKO_PRIVATE_KEY), publicKey: existing(CKO_PUBLIC_KEY) };
      if (!pair.privateKey || !pair.publicKey)
        throw new PkiError("PKI_KEY_MISSING", `no Ed25519 key pair labelled ${name} in the token`);
    }
    const publicKey = pair.publicKey as { getAttribute(t: { pointEC: null }): { pointEC: Buffer } };
    const privateKey = pair.privateKey as Parameters<typeof session.createSign>[1];
    const point = publicKey.getAttribute({ pointEC: null }).pointEC;
    // CKA_EC_POINT: the RFC 8032 encoding, DER OCTET STRING-wrapped (PKCS#11 v3.0 §2.3.5); some tokens give it bare.
    const raw = point.length === 34 && point[0] === 0x04 && point[1] === 32 ? point.subarray(2) : point;
    if (raw.length !== 32) throw new PkiError("PKI_ARGUMENT", `the token's Ed25519 key ${name} has a malformed point`);
    return Object.freeze({
      publicKey: new Uint8Array(raw),
      sign: (message: Uint8Array) =>
        new Uint8Array(session.createSign(CKM_EDDSA, privateKey).once(Buffer.from(message))),
    });
  }

  /** Logs out and closes the session (C_Logout, C_CloseSession, C_Finalize). */
  close(): void {
    try {
      this.#token.logout();
    } finally {
      this.#token.close();
    }
  }
}

/** An Ed25519 key pair inside a token: its RFC 8032 public key and a signer that calls the token. */
export interface Ed25519TokenKey {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

// PKCS#11 v3.0 constants node-webcrypto-p11 2.8 and graphene-pk11 2.3 do not name.
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
/** id-Ed25519 (RFC 8410 §3) as the DER OBJECT IDENTIFIER CKA_EC_PARAMS takes. */
const ED25519_OID = Buffer.from("06032b6570", "hex");

/**
 * The token's keys WebCrypto can represent; others (an Ed25519 pair beside them, which
 * node-webcrypto-p11 refuses with "Unsupported type of key") are left out, not fatal.
 */
async function webCryptoKeys(token: TokenCrypto): Promise<CryptoKey[]> {
  const keys: CryptoKey[] = [];
  for (const index of await token.keyStorage.keys()) {
    try {
      keys.push((await token.keyStorage.getItem(index)) as CryptoKey);
    } catch {
      // Not a WebCrypto key type: reachable through ed25519() where it is one.
    }
  }
  return keys;
}

/** A session on the token labelled `config.tokenLabel`, among the module's slots with a token. */
function openToken(config: Pkcs11Config): TokenCrypto {
  const open = (slot: number) => {
    try {
      return new TokenCrypto({ library: config.module, slot, readWrite: true });
    } catch (cause) {
      throw new PkiError(
        "PKI_ARGUMENT",
        `cannot open a token through the PKCS#11 module ${config.module}: check the module path and that a token is initialised`,
        { cause },
      );
    }
  };
  const first = open(0);
  const slots = first.slot.module.getSlots(true);
  const labels: string[] = [];
  for (let i = 0; i < slots.length; i++) labels.push(slots.items(i).getToken().label.trim());
  const index = labels.indexOf(config.tokenLabel);
  if (index === 0) return first;
  first.close();
  if (index < 0)
    throw new PkiError(
      "PKI_ARGUMENT",
      `no token labelled ${JSON.stringify(config.tokenLabel)} in ${config.module} (tokens: ${labels.map((l) => JSON.stringify(l)).join(", ") || "none"})`,
    );
  return open(index);
}

function readPin(pinFile: string | undefined): string {
  if (pinFile) {
    if (!existsSync(pinFile)) throw new PkiError("PKI_ARGUMENT", `no PIN file ${pinFile}`);
    if ((statSync(pinFile).mode & 0o077) !== 0) {
      throw new PkiError("PKI_ARGUMENT", `PIN file ${pinFile} is readable by others: chmod 600 ${pinFile}`);
    }
    return readFileSync(pinFile, "utf8").trim();
  }
  const pin = process.env.RIIK_PKCS11_PIN;
  if (!pin)
    throw new PkiError("PKI_KEY_PASSPHRASE", "no token PIN: give a PIN file (mode 0600) or set RIIK_PKCS11_PIN");
  return pin;
}
