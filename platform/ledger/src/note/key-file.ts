import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LedgerError } from "../errors.ts";
import { generateSigner, type NoteSigner, parseSigner, type SignatureType } from "./verifier-key.ts";

/**
 * Loads the signing key at `path` (Go note form, PRIVATE+KEY+…), or creates it with mode
 * 0600 on first start; writes the verifier key next to it at `vkeyPath`.
 */
export function loadOrCreateSigner(path: string, vkeyPath: string, name: string, type: SignatureType): NoteSigner {
  let signer: NoteSigner;
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
