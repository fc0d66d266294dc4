import { LedgerError } from "../errors.ts";
import { type NoteSignature, parseSignatureLine, type SignedNote, signatureLine, signaturesBy } from "./signed-note.ts";
import { type NoteSigner, SIGNATURE_TYPE_COSIGNATURE_V1, type VerifierKey } from "./verifier-key.ts";

/**
 * C2SP tlog-cosignature, "Ed25519 signed message": the header line `cosignature/v1`,
 * the line `time <POSIX seconds>`, then the whole checkpoint note text.
 */
export function cosignedMessage(timestamp: number, checkpointText: string): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, "utf8");
}

/**
 * Produces a cosignature/v1 line: key ID (type 0x04) || timestamped_signature, where
 * timestamped_signature is u64 big-endian timestamp || 64-byte Ed25519 signature.
 */
export function cosign(checkpointText: string, signer: NoteSigner, timestamp = Math.floor(Date.now() / 1000)): string {
  if (signer.verifierKey.type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new LedgerError("VKEY_MALFORMED", "cosignatures need a type 0x04 key");
  }
  const signature = signer.signRaw(cosignedMessage(timestamp, checkpointText));
  const body = Buffer.alloc(8 + signature.length);
  body.writeBigUInt64BE(BigInt(timestamp), 0);
  body.set(signature, 8);
  return signatureLine(signer.name, signer.verifierKey.keyId, body);
}

/** Verifies one cosignature line and returns its timestamp; throws NOTE_BAD_SIGNATURE if it fails. */
export function verifyCosignature(checkpointText: string, signature: NoteSignature, key: VerifierKey): number {
  if (signature.signature.length !== 72) {
    throw new LedgerError("NOTE_BAD_SIGNATURE", `cosignature by ${key.name} is not 8 + 64 bytes`);
  }
  const view = Buffer.from(signature.signature);
  const timestamp = view.readBigUInt64BE(0);
  if (timestamp > 2n ** 63n - 1n) throw new LedgerError("NOTE_BAD_SIGNATURE", "cosignature timestamp exceeds 2^63-1");
  if (!key.verify(cosignedMessage(Number(timestamp), checkpointText), view.subarray(8))) {
    throw new LedgerError("NOTE_BAD_SIGNATURE", `cosignature by ${key.name} does not verify`);
  }
  return Number(timestamp);
}

export interface CosignatureCount {
  /** Names of the witnesses whose cosignature verified. */
  readonly valid: string[];
  /** Witnesses with no cosignature on the note. */
  readonly missing: string[];
}

/**
 * Counts verified cosignatures of the given witness keys. An unknown signature is ignored;
 * a cosignature by a known witness that fails to verify rejects the note (signed-note).
 */
export function countCosignatures(note: SignedNote, witnesses: readonly VerifierKey[]): CosignatureCount {
  const valid: string[] = [];
  const missing: string[] = [];
  for (const key of witnesses) {
    const lines = signaturesBy(note, key);
    if (lines.length === 0) {
      missing.push(key.name);
      continue;
    }
    for (const line of lines) verifyCosignature(note.text, line, key);
    valid.push(key.name);
  }
  return { valid, missing };
}

export { parseSignatureLine };
