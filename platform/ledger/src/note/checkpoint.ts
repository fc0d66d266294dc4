import { LedgerError } from "../errors.ts";
import { HASH_SIZE } from "../merkle/hash.ts";
import { decodeBase64Strict } from "./verifier-key.ts";

/** The note text of a checkpoint, C2SP tlog-checkpoint section "Note text". */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
}

/** Formats origin, size and base64 root hash, each on its own line, then extension lines. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  checkOrigin(checkpoint.origin);
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) {
    throw new LedgerError("CHECKPOINT_MALFORMED", `tree size ${checkpoint.size} is not a non-negative integer`);
  }
  if (checkpoint.root.length !== HASH_SIZE) throw new LedgerError("CHECKPOINT_MALFORMED", "root hash must be 32 bytes");
  const lines = [checkpoint.origin, String(checkpoint.size), Buffer.from(checkpoint.root).toString("base64")];
  for (const extension of checkpoint.extensions) {
    if (extension === "" || extension.includes("\n")) {
      throw new LedgerError("CHECKPOINT_MALFORMED", "extension lines must be non-empty single lines");
    }
    lines.push(extension);
  }
  return `${lines.join("\n")}\n`;
}

function checkOrigin(origin: string): void {
  if (origin === "" || origin.includes("\n")) {
    throw new LedgerError("CHECKPOINT_MALFORMED", "the origin line must be non-empty");
  }
}

/**
 * Parses checkpoint note text: at least three non-empty lines; the size in decimal with
 * no leading zeroes; the root hash canonical base64 of 32 bytes (SHA-256, RFC 6962).
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw new LedgerError("CHECKPOINT_MALFORMED", "checkpoint text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new LedgerError("CHECKPOINT_MALFORMED", "a checkpoint has at least three lines");
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  checkOrigin(origin);
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    throw new LedgerError("CHECKPOINT_MALFORMED", `tree size ${JSON.stringify(sizeLine)} is not a canonical decimal`);
  }
  const root = decodeBase64Strict(rootLine, "CHECKPOINT_MALFORMED", "root hash");
  if (root.length !== HASH_SIZE) throw new LedgerError("CHECKPOINT_MALFORMED", "root hash must be 32 bytes");
  if (extensions.some((line) => line === "")) {
    throw new LedgerError("CHECKPOINT_MALFORMED", "extension lines must be non-empty");
  }
  return Object.freeze({ origin, size: Number(sizeLine), root, extensions: Object.freeze(extensions) });
}
