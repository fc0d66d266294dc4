import { LedgerError } from "../errors.ts";
import { bytesEqual } from "../merkle/hash.ts";
import {
  checkKeyName,
  decodeBase64Strict,
  type NoteSigner,
  SIGNATURE_TYPE_ED25519,
  type VerifierKey,
} from "./verifier-key.ts";

/** One signature line of a note: `— <name> base64(key ID || signature)`. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** The signature bytes after the 4-byte key ID. */
  readonly signature: Uint8Array;
  /** The whole line, including the final newline. */
  readonly line: string;
}

export interface SignedNote {
  /** The note text, ending in a newline; the bytes every signature covers. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const EM_DASH = "\u2014";
/** Verifiers MUST accept at least 16 signatures (signed-note, "Format"); we cap notes at 100. */
export const MAX_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 64 * 1024;

/** Formats one signature line, signed-note section "Signatures". */
export function signatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  return `${EM_DASH} ${name} ${Buffer.concat([keyId, signature]).toString("base64")}\n`;
}

export function parseSignatureLine(line: string): NoteSignature {
  const match = /^\u2014 (\S+) (\S+)\n$/u.exec(line);
  if (!match) throw new LedgerError("NOTE_MALFORMED", `malformed signature line ${JSON.stringify(line)}`);
  const name = match[1]!;
  try {
    checkKeyName(name);
  } catch (cause) {
    throw new LedgerError("NOTE_MALFORMED", `bad key name in signature line: ${(cause as Error).message}`, { cause });
  }
  const bytes = decodeBase64Strict(match[2]!, "NOTE_MALFORMED", "signature");
  if (bytes.length < 5) throw new LedgerError("NOTE_MALFORMED", "a signature holds a 4-byte key ID and a signature");
  return Object.freeze({ name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4), line });
}

/**
 * Parses a signed note (C2SP signed-note, "Format"): UTF-8 with no control characters but
 * newline, text ending in newline, a blank line, then one or more signature lines. The
 * text is separated from the signatures by the last blank line.
 */
export function parseNote(input: string | Uint8Array, maxBytes = MAX_NOTE_BYTES): SignedNote {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  if (bytes.length > maxBytes) throw new LedgerError("NOTE_MALFORMED", `note larger than ${maxBytes} bytes`);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (!Buffer.from(text, "utf8").equals(bytes) || text.includes("\uFFFD")) {
    throw new LedgerError("NOTE_MALFORMED", "a note must be valid UTF-8");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids exactly these
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) {
    throw new LedgerError("NOTE_MALFORMED", "a note must not contain control characters other than newline");
  }
  if (!text.endsWith("\n")) throw new LedgerError("NOTE_MALFORMED", "a note must end with a newline");
  const split = text.lastIndexOf("\n\n");
  if (split < 0) throw new LedgerError("NOTE_MALFORMED", "a note needs a blank line before its signatures");
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2).split("\n");
  lines.pop(); // the part after the final newline is empty
  if (lines.length === 0) throw new LedgerError("NOTE_MALFORMED", "a note needs at least one signature");
  if (lines.length > MAX_SIGNATURES) throw new LedgerError("NOTE_MALFORMED", `more than ${MAX_SIGNATURES} signatures`);
  return Object.freeze({ text: body, signatures: Object.freeze(lines.map((line) => parseSignatureLine(`${line}\n`))) });
}

export function formatNote(note: SignedNote): string {
  return `${note.text}\n${note.signatures.map((s) => s.line).join("")}`;
}

/** Signs note text with an Ed25519 note key (signature type 0x01): the signature is over the text bytes. */
export function signNoteText(text: string, signer: NoteSigner): NoteSignature {
  if (signer.verifierKey.type !== SIGNATURE_TYPE_ED25519) {
    throw new LedgerError("VKEY_MALFORMED", "note signatures need a type 0x01 (Ed25519) key");
  }
  const signature = signer.signRaw(Buffer.from(text, "utf8"));
  return parseSignatureLine(signatureLine(signer.name, signer.verifierKey.keyId, signature));
}

export function signNote(text: string, signer: NoteSigner): string {
  checkNoteText(text);
  return formatNote({ text, signatures: [signNoteText(text, signer)] });
}

function checkNoteText(text: string): void {
  if (!text.endsWith("\n")) throw new LedgerError("NOTE_MALFORMED", "note text must end with a newline");
}

/** Signatures of a note by a given key: same name and key ID (signed-note, "Signatures"). */
export function signaturesBy(note: SignedNote, key: VerifierKey): NoteSignature[] {
  return note.signatures.filter((s) => s.name === key.name && bytesEqual(s.keyId, key.keyId));
}

/**
 * Verifies a note against a type 0x01 key per signed-note "Signatures": signatures of
 * unknown keys are ignored; a signature of the known key that fails rejects the note;
 * no signature of the key at all is NOTE_UNKNOWN_KEY.
 */
export function verifyNote(note: SignedNote, key: VerifierKey): void {
  const mine = signaturesBy(note, key);
  if (mine.length === 0) {
    throw new LedgerError(
      "NOTE_UNKNOWN_KEY",
      `the note carries no signature by ${key.name}+${Buffer.from(key.keyId).toString("hex")}`,
    );
  }
  const message = Buffer.from(note.text, "utf8");
  for (const s of mine) {
    if (!key.verify(message, s.signature)) {
      throw new LedgerError("NOTE_BAD_SIGNATURE", `the signature by ${key.name} does not verify`);
    }
  }
}
