import { encodeImprint } from "../aggregator/imprint.ts";
import { decodeCalendarLeaf } from "../calendar/leaf.ts";
import { isLedgerError, LedgerError, type LedgerErrorCode } from "../errors.ts";
import { verifyConsistency } from "../merkle/consistency.ts";
import { bytesEqual, leafHash } from "../merkle/hash.ts";
import { rootFromInclusionProof, verifyInclusion } from "../merkle/inclusion.ts";
import { type Checkpoint, parseCheckpoint } from "../note/checkpoint.ts";
import { countCosignatures } from "../note/cosignature.ts";
import { parseNote, type SignedNote, verifyNote } from "../note/signed-note.ts";
import type { VerifierKey } from "../note/verifier-key.ts";
import { decodePublicationCode, type Publication } from "../publication/publication-code.ts";
import { findPublication, parsePublicationsFile } from "../publication/publications-file.ts";
import { fromB64, type LedgerSignature } from "./signature-file.ts";

/**
 * The named verification policies. All run offline.
 * - internal: the hash, the aggregation path, the calendar proof and (if extended) the
 *   publication proofs are consistent with each other; nothing ties them to a trusted party.
 * - key: internal, plus the checkpoint signature by the ledger key, plus at least
 *   `minWitnesses` valid cosignatures from the given witness keys.
 * - publication: internal, plus the signature's publication equals a publication code
 *   obtained independently (a newspaper, a web page): no key is trusted at all.
 * - publications-file: as publication, with the code found in a publications file,
 *   whose signature is checked when a key is given.
 */
export type VerificationPolicy =
  | { readonly kind: "internal" }
  | {
      readonly kind: "key";
      readonly logKey: VerifierKey;
      readonly witnesses?: readonly VerifierKey[];
      readonly minWitnesses?: number;
    }
  | { readonly kind: "publication"; readonly code: string }
  | { readonly kind: "publications-file"; readonly file: string; readonly key?: VerifierKey };

export interface VerificationReport {
  readonly policy: VerificationPolicy["kind"];
  readonly algorithm: string;
  readonly digest: string;
  readonly round: number;
  readonly roundTime: string;
  readonly roundSize: number;
  readonly origin: string;
  readonly checkpointSize: number;
  /** Witnesses whose cosignature verified (key policy only). */
  readonly witnesses: readonly string[];
  readonly publication?: {
    readonly code: string;
    readonly size: number;
    readonly publishedAt: string;
    /**
     * A publication code covers a size and a root, not a time: the time is signed only in a
     * publications file. Elsewhere it is what the signature file claims.
     */
    readonly publishedAtFrom: "publications file" | "signature file, unsigned";
  };
}

function rethrow(code: LedgerErrorCode, message: string, run: () => void): void {
  try {
    run();
  } catch (cause) {
    if (isLedgerError(cause) && cause.code.startsWith("VERIFY_")) throw cause;
    throw new LedgerError(code, `${message}: ${(cause as Error).message}`, { cause });
  }
}

/** Verifies a signature for a document digest, computed with the signature's algorithm. */
export function verifySignature(
  signature: LedgerSignature,
  documentDigest: Uint8Array,
  policy: VerificationPolicy,
): VerificationReport {
  const digest = Buffer.from(signature.hash.digest, "hex");
  if (!bytesEqual(digest, documentDigest)) {
    throw new LedgerError("VERIFY_WRONG_HASH", `the document's ${signature.hash.algorithm} hash is not the signed one`);
  }
  const leafBytes = fromB64(signature.calendar.leaf);
  const leaf = decodeCalendarLeaf(leafBytes);

  // Aggregation: imprint leaf -> round root recorded in the calendar leaf.
  const imprintLeaf = leafHash(encodeImprint({ algorithm: signature.hash.algorithm, digest }));
  rethrow("VERIFY_BROKEN_PATH", "the aggregation path is broken", () => {
    const root = rootFromInclusionProof(
      signature.aggregation.index,
      leaf.size,
      imprintLeaf,
      signature.aggregation.path.map(fromB64),
    );
    if (!bytesEqual(root, leaf.root)) throw new LedgerError("MERKLE_ROOT_MISMATCH", "does not reach the round root");
  });

  // Calendar: leaf -> checkpoint root.
  let note: SignedNote;
  let checkpoint: Checkpoint;
  try {
    note = parseNote(signature.checkpoint);
    checkpoint = parseCheckpoint(note.text);
  } catch (cause) {
    throw new LedgerError("SIGNATURE_MALFORMED", `bad checkpoint: ${(cause as Error).message}`, { cause });
  }
  const calendarLeaf = leafHash(leafBytes);
  rethrow("VERIFY_BROKEN_PATH", "the calendar proof is broken", () =>
    verifyInclusion(leaf.round, checkpoint.size, calendarLeaf, signature.calendar.proof.map(fromB64), checkpoint.root),
  );

  // Publication (after extend): leaf -> published root, and checkpoint consistent with it.
  let published: Publication | undefined;
  if (signature.publication) {
    const p = signature.publication;
    published = decodePublicationCode(p.code);
    const target = published;
    rethrow("VERIFY_BROKEN_PATH", "the publication proof is broken", () =>
      verifyInclusion(leaf.round, target.size, calendarLeaf, p.proof.map(fromB64), target.root),
    );
    rethrow("VERIFY_INCONSISTENT_CHECKPOINTS", "the checkpoint is not consistent with the publication", () =>
      verifyConsistency(checkpoint.size, target.size, p.consistency.map(fromB64), checkpoint.root, target.root),
    );
  }

  let witnesses: string[] = [];
  let signedPublicationTime: number | undefined;
  switch (policy.kind) {
    case "internal":
      break;
    case "key": {
      try {
        verifyNote(note, policy.logKey);
      } catch (cause) {
        throw translateNoteError(cause, "checkpoint");
      }
      const required = policy.minWitnesses ?? 0;
      try {
        witnesses = countCosignatures(note, policy.witnesses ?? []).valid;
      } catch (cause) {
        throw translateNoteError(cause, "cosignature");
      }
      if (witnesses.length < required) {
        throw new LedgerError(
          "VERIFY_TOO_FEW_WITNESSES",
          `${witnesses.length} of the ${policy.witnesses?.length ?? 0} trusted witnesses cosigned; ${required} required`,
          { details: { valid: witnesses, required } },
        );
      }
      break;
    }
    case "publication":
    case "publications-file": {
      if (!published || !signature.publication) {
        throw new LedgerError("VERIFY_NOT_EXTENDED", "the signature has no publication yet; run `riik ledger extend`");
      }
      if (policy.kind === "publication") {
        const trusted = decodePublicationCode(policy.code);
        if (trusted.size !== published.size || !bytesEqual(trusted.root, published.root)) {
          throw new LedgerError(
            "VERIFY_PUBLICATION_MISMATCH",
            `the signature is extended to publication ${published.size}, not to the given code (${trusted.size})`,
          );
        }
      } else {
        let file: ReturnType<typeof parsePublicationsFile>;
        try {
          file = parsePublicationsFile(policy.file, policy.key);
        } catch (cause) {
          throw translateNoteError(cause, "publications file");
        }
        const listed = findPublication(file, published);
        if (!listed) {
          throw new LedgerError(
            "VERIFY_PUBLICATION_MISMATCH",
            `the publications file does not list publication ${published.size}`,
          );
        }
        signedPublicationTime = listed.publishedAt;
      }
      break;
    }
  }
  return Object.freeze({
    policy: policy.kind,
    algorithm: signature.hash.algorithm,
    digest: signature.hash.digest,
    round: leaf.round,
    roundTime: new Date(leaf.time).toISOString(),
    roundSize: leaf.size,
    origin: checkpoint.origin,
    checkpointSize: checkpoint.size,
    witnesses,
    ...(published && signature.publication
      ? {
          publication: {
            code: signature.publication.code,
            size: published.size,
            ...(signedPublicationTime === undefined
              ? { publishedAt: signature.publication.publishedAt, publishedAtFrom: "signature file, unsigned" as const }
              : {
                  publishedAt: new Date(signedPublicationTime).toISOString(),
                  publishedAtFrom: "publications file" as const,
                }),
          },
        }
      : {}),
  });
}

function translateNoteError(cause: unknown, what: string): LedgerError {
  if (isLedgerError(cause, "NOTE_UNKNOWN_KEY")) {
    return new LedgerError("VERIFY_UNKNOWN_KEY", `${what}: ${cause.message}`, { cause });
  }
  if (isLedgerError(cause, "NOTE_BAD_SIGNATURE")) {
    return new LedgerError("VERIFY_BAD_SIGNATURE", `${what}: ${cause.message}`, { cause });
  }
  return cause as LedgerError;
}
