import { type ComponentMigration, columnTypes, openStorage, type Storage } from "@riik/core";
import { isLedgerError, LedgerError } from "../errors.ts";
import { verifyConsistency } from "../merkle/consistency.ts";
import { bytesEqual, HASH_SIZE } from "../merkle/hash.ts";
import { type Checkpoint, parseCheckpoint } from "../note/checkpoint.ts";
import { cosign } from "../note/cosignature.ts";
import { parseNote, type SignedNote, verifyNote } from "../note/signed-note.ts";
import { decodeBase64Strict, type NoteSigner, type VerifierKey } from "../note/verifier-key.ts";

/** C2SP tlog-witness "add-checkpoint": at most 63 consistency proof lines. */
export const MAX_PROOF_LINES = 63;

export const witnessMigrations: Readonly<Record<string, ComponentMigration>> = Object.freeze({
  "0001_witness_log": {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable("witness_log")
        .addColumn("origin", "text", (c) => c.primaryKey())
        .addColumn("tree_size", "bigint", (c) => c.notNull())
        .addColumn("root", types.binary, (c) => c.notNull())
        .addColumn("checkpoint", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
});

interface WitnessDb {
  witness_log: { origin: string; tree_size: number; root: Uint8Array; checkpoint: string; updated_at: number };
}

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  readonly note: SignedNote;
  readonly checkpoint: Checkpoint;
  /** The checkpoint note exactly as received. */
  readonly noteText: string;
}

/**
 * Parses an add-checkpoint body (C2SP tlog-witness "add-checkpoint"): `old <size>`, zero
 * to 63 base64 consistency proof lines, an empty line, then a checkpoint signed note.
 */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf("\n\n");
  if (blank < 0) throw new LedgerError("WITNESS_MALFORMED", "the request needs an empty line before the checkpoint");
  const header = body.slice(0, blank).split("\n");
  const noteText = body.slice(blank + 2);
  const oldLine = /^old (0|[1-9][0-9]{0,15})$/.exec(header[0] ?? "");
  if (!oldLine || !Number.isSafeInteger(Number(oldLine[1]))) {
    throw new LedgerError("WITNESS_MALFORMED", "the first line must be `old <size>` in canonical decimal");
  }
  const proofLines = header.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) throw new LedgerError("WITNESS_MALFORMED", "more than 63 proof lines");
  const proof = proofLines.map((line) => {
    const hash = decodeBase64Strict(line, "WITNESS_MALFORMED", "consistency proof line");
    if (hash.length !== HASH_SIZE) throw new LedgerError("WITNESS_MALFORMED", "proof hashes are 32 bytes");
    return hash;
  });
  let note: SignedNote;
  let checkpoint: Checkpoint;
  try {
    note = parseNote(noteText);
    checkpoint = parseCheckpoint(note.text);
  } catch (cause) {
    throw new LedgerError("WITNESS_MALFORMED", `bad checkpoint: ${(cause as Error).message}`, { cause });
  }
  return { oldSize: Number(oldLine[1]), proof, note, checkpoint, noteText };
}

export interface WitnessOptions {
  signer: NoteSigner;
  /** Trusted log keys; a log is identified by its checkpoint origin, the key's name. */
  logs: readonly VerifierKey[];
  dataDir: string;
  url?: string | undefined;
  schema?: string;
  now?: () => number;
}

/**
 * A tlog-witness: keeps the latest checkpoint it cosigned per log, and cosigns a new one
 * only when it is signed by the log and provably consistent with that state. Check and
 * update are one compare-and-swap, so concurrent requests can never roll a log back.
 */
export class Witness {
  private constructor(
    private readonly storage: Storage<WitnessDb>,
    private readonly options: WitnessOptions,
  ) {}

  static async open(options: WitnessOptions): Promise<Witness> {
    const storage = await openStorage<WitnessDb>({
      component: "witness",
      dataDir: options.dataDir,
      url: options.url,
      ...(options.schema ? { schema: options.schema } : {}),
      migrations: witnessMigrations,
    });
    return new Witness(storage, options);
  }

  get verifierKey(): VerifierKey {
    return this.options.signer.verifierKey;
  }

  async latest(origin: string): Promise<{ size: number; root: Uint8Array; checkpoint: string } | undefined> {
    const row = await this.storage.db
      .selectFrom("witness_log")
      .select(["tree_size", "root", "checkpoint"])
      .where("origin", "=", origin)
      .executeTakeFirst();
    return row
      ? { size: Number(row.tree_size), root: Uint8Array.from(row.root), checkpoint: row.checkpoint }
      : undefined;
  }

  /** Handles add-checkpoint; returns the cosignature line(s). Errors carry the spec's statuses. */
  async addCheckpoint(body: string): Promise<string> {
    const request = parseAddCheckpoint(body);
    const { checkpoint, note, oldSize, proof } = request;
    const keys = this.options.logs.filter((key) => key.name === checkpoint.origin);
    if (keys.length === 0) throw new LedgerError("WITNESS_UNKNOWN_LOG", `unknown log origin ${checkpoint.origin}`);
    let verified = false;
    for (const key of keys) {
      try {
        verifyNote(note, key);
        verified = true;
      } catch (error) {
        if (isLedgerError(error, "NOTE_BAD_SIGNATURE")) {
          throw new LedgerError("WITNESS_BAD_SIGNATURE", "the log signature does not verify");
        }
      }
    }
    if (!verified) throw new LedgerError("WITNESS_BAD_SIGNATURE", "no signature by a trusted log key");
    if (oldSize > checkpoint.size) {
      throw new LedgerError(
        "WITNESS_OLD_SIZE",
        `old size ${oldSize} is larger than the checkpoint size ${checkpoint.size}`,
      );
    }
    const current = await this.latest(checkpoint.origin);
    const currentSize = current?.size ?? 0;
    if (oldSize !== currentSize) throw conflict(currentSize, `the witness is at size ${currentSize}, not ${oldSize}`);
    if (current && oldSize === checkpoint.size) {
      if (proof.length > 0) throw new LedgerError("WITNESS_INCONSISTENT", "a proof between equal sizes must be empty");
      if (!bytesEqual(current.root, checkpoint.root)) {
        throw conflict(currentSize, `a different root for size ${checkpoint.size}: the log forked`);
      }
    } else if (oldSize === 0) {
      // No previous state: the proof MUST be empty (tlog-witness "add-checkpoint").
      if (proof.length > 0)
        throw new LedgerError("WITNESS_INCONSISTENT", "the proof must be empty when the old size is 0");
    } else {
      try {
        verifyConsistency(oldSize, checkpoint.size, proof, current!.root, checkpoint.root);
      } catch (cause) {
        throw new LedgerError(
          "WITNESS_INCONSISTENT",
          `consistency proof does not verify: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
    }
    await this.compareAndSwap(checkpoint, request.noteText, current);
    const now = this.options.now?.() ?? Date.now();
    return cosign(note.text, this.options.signer, Math.floor(now / 1000));
  }

  private async compareAndSwap(
    checkpoint: Checkpoint,
    noteText: string,
    expected: { size: number; root: Uint8Array } | undefined,
  ): Promise<void> {
    const now = Date.now();
    const values = { tree_size: checkpoint.size, root: checkpoint.root, checkpoint: noteText, updated_at: now };
    if (expected) {
      const result = await this.storage.db
        .updateTable("witness_log")
        .set(values)
        .where("origin", "=", checkpoint.origin)
        .where("tree_size", "=", expected.size)
        .where("root", "=", expected.root)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return;
    } else {
      try {
        await this.storage.db
          .insertInto("witness_log")
          .values({ origin: checkpoint.origin, ...values })
          .execute();
        return;
      } catch {
        // another request recorded this log first: answer with its size below
      }
    }
    const now2 = await this.latest(checkpoint.origin);
    throw conflict(now2?.size ?? 0, "the witness state changed concurrently");
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

function conflict(size: number, message: string): LedgerError {
  return new LedgerError("WITNESS_CONFLICT", message, { details: { size } });
}
