import { LedgerError } from "../errors.ts";
import { bytesEqual } from "../merkle/hash.ts";
import { parseNote, signNote, verifyNote } from "../note/signed-note.ts";
import type { NoteSigner, VerifierKey } from "../note/verifier-key.ts";
import { decodePublicationCode, encodePublicationCode, type Publication } from "./publication-code.ts";

export const PUBLICATIONS_HEADER = "riik-ledger-publications/v1";

export interface PublicationRecord extends Publication {
  /** When the publication was made, milliseconds since the epoch. */
  readonly publishedAt: number;
  readonly code: string;
}

export interface PublicationsFile {
  readonly origin: string;
  readonly publications: readonly PublicationRecord[];
  /** The whole signed note. */
  readonly text: string;
}

/** Publications files grow by a line a day; they get a larger note limit than checkpoints. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The publications file is a C2SP signed note, signed by the ledger key, whose text is
 *
 *   riik-ledger-publications/v1
 *   <origin>
 *   <size> <publication time, RFC 3339 UTC> <publication code>     (one line each, oldest first)
 *
 * Its first line cannot be a checkpoint size line, so it can never pass for a checkpoint.
 */
export function formatPublicationsText(origin: string, publications: readonly PublicationRecord[]): string {
  const lines = [PUBLICATIONS_HEADER, origin];
  for (const p of publications) lines.push(`${p.size} ${new Date(p.publishedAt).toISOString()} ${p.code}`);
  return `${lines.join("\n")}\n`;
}

export function signPublicationsFile(
  origin: string,
  publications: readonly PublicationRecord[],
  signer: NoteSigner,
): string {
  return signNote(formatPublicationsText(origin, publications), signer);
}

/** Parses a publications file; with a key, its signature must verify (signed-note rules). */
export function parsePublicationsFile(text: string, key?: VerifierKey): PublicationsFile {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", "file too large");
  let note: ReturnType<typeof parseNote>;
  try {
    note = parseNote(text, MAX_FILE_BYTES);
  } catch (cause) {
    throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", `not a signed note: ${(cause as Error).message}`, { cause });
  }
  if (key) verifyNote(note, key);
  const lines = note.text.slice(0, -1).split("\n");
  if (lines[0] !== PUBLICATIONS_HEADER || lines.length < 2) {
    throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", `the file must start with ${PUBLICATIONS_HEADER}`);
  }
  const origin = lines[1]!;
  const publications: PublicationRecord[] = [];
  for (const line of lines.slice(2)) {
    const record = parsePublicationLine(line);
    const previous = publications[publications.length - 1];
    if (previous && previous.size >= record.size) {
      throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", "publications must be in increasing size order");
    }
    publications.push(record);
  }
  return Object.freeze({ origin, publications: Object.freeze(publications), text });
}

/**
 * One line exactly as formatPublicationsText writes it: a file is signed text, so a line
 * another writer could spell differently (a lenient time, a lowercase code) is refused, and
 * a bad code in it is a bad file (PUBLICATIONS_FILE_MALFORMED, the code's error as cause).
 */
function parsePublicationLine(line: string): PublicationRecord {
  const match = /^([1-9]\d*) (\S+) (\S+)$/.exec(line);
  if (!match) throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", `bad publication line ${JSON.stringify(line)}`);
  const publishedAt = Date.parse(match[2]!);
  if (Number.isNaN(publishedAt) || new Date(publishedAt).toISOString() !== match[2]) {
    throw new LedgerError("PUBLICATIONS_FILE_MALFORMED", `bad time in ${JSON.stringify(line)}: not RFC 3339 UTC`);
  }
  let decoded: Publication;
  try {
    decoded = decodePublicationCode(match[3]!);
  } catch (cause) {
    throw new LedgerError(
      "PUBLICATIONS_FILE_MALFORMED",
      `bad code in ${JSON.stringify(line)}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const code = encodePublicationCode(decoded);
  if (code !== match[3] || String(decoded.size) !== match[1]) {
    throw new LedgerError(
      "PUBLICATIONS_FILE_MALFORMED",
      `size ${match[1]} or code of ${JSON.stringify(line)} is not canonical`,
    );
  }
  return Object.freeze({ ...decoded, publishedAt, code });
}

/** Finds the publication of a given size and root in a file. */
export function findPublication(file: PublicationsFile, publication: Publication): PublicationRecord | undefined {
  return file.publications.find((p) => p.size === publication.size && bytesEqual(p.root, publication.root));
}
