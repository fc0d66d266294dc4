import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LedgerError } from "../errors.ts";
import {
  type FileNoteSigner,
  generateSigner,
  type NoteSigner,
  parseSigner,
  type SignatureType,
} from "./verifier-key.ts";

/**
 * The ledger's key in a PKCS#11 token, as DIR/ledger.pkcs11.json keeps it: where the token
 * is and the key's label, never the PIN (`riik ledger init --pkcs11`; opened by the caller
 * with @riik/pki's Pkcs11KeyStore.ed25519 and handed over as tokenSigner).
 */
export interface LedgerTokenKey {
  module: string;
  tokenLabel: string;
  pinFile?: string;
  keyLabel: string;
}

export const tokenKeyPath = (keyDir: string) => join(keyDir, "ledger.pkcs11.json");

export function readTokenKey(keyDir: string): LedgerTokenKey | undefined {
  const path = tokenKeyPath(keyDir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LedgerTokenKey;
  } catch (cause) {
    throw new LedgerError("VKEY_MALFORMED", `${path} is not JSON`, { cause });
  }
}

/** Records the token key and writes its verifier key beside it, as loadOrCreateSigner does for a file key. */
export function writeTokenKey(keyDir: string, key: LedgerTokenKey, signer: NoteSigner): void {
  if (existsSync(join(keyDir, "ledger.key")) || existsSync(tokenKeyPath(keyDir)))
    throw new LedgerError("VKEY_MALFORMED", `${keyDir} already holds the ledger's key; refusing to replace it`);
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  writeFileSync(tokenKeyPath(keyDir), `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  writeFileSync(join(keyDir, "ledger.vkey"), `${signer.verifierKey.text}\n`);
}

/**
 * Loads the signing key at `path` (Go note form, PRIVATE+KEY+…), or creates it with mode
 * 0600 on first start; writes the verifier key next to it at `vkeyPath`.
 */
export function loadOrCreateSigner(path: string, vkeyPath: string, name: string, type: SignatureType): FileNoteSigner {
  let signer: FileNoteSigner;
  if (existsSync(path)) {
    signer = parseSigner(readFileSync(path, "utf8"));
    if (signer.name !== name || signer.verifierKey.type !== type) {
      throw new LedgerError("VKEY_MALFORMED", `the key in ${path} is for ${signer.name}, not ${name}`);
    }
  } else {
    mkdirSync(dirname(path), { recursive: true });
    signer = generateSigner(name, type);
    writeFileSync(path, `${signer.privateText}\n`, { mode: 0o600, flag: "wx" });
  }
  writeFileSync(vkeyPath, `${signer.verifierKey.text}\n`);
  return signer;
}
