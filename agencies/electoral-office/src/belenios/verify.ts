// riik's own verifier of a Belenios 2.0 election archive (spec §3.5 Audit), independent of
// belenios-tool but checking what `belenios-tool election verify` checks: the archive is exactly
// the one its events rebuild, the trustees' keys and proofs, every ballot's credential, signature
// and proof, every shuffle proof in sequence, every partial decryption proof, and the result.
import { readFile } from "node:fs/promises";
import { ElectoralOfficeError, type ElectoralOfficeErrorCode } from "../errors.ts";
import {
  type ArchiveEntry,
  type ArchiveEvent,
  ElectionArchive,
  type EventType,
  parseEvent,
  readArchive,
  sha256,
} from "./archive.ts";
import { type Ballot, checkBallot, parseBallot } from "./ballot.ts";
import { combineFactors, decodeResult, type OwnedPartialDecryption, parsePartialDecryption } from "./decryption.ts";
import { fingerprint, parseElection } from "./election.ts";
import type { Ciphertext } from "./elgamal.ts";
import { isElement, parseNumber } from "./group.ts";
import { expectArray, expectObject } from "./proofs.ts";
import { checkShuffleProof, parseShuffle } from "./shuffle.ts";
import {
  encryptedTally,
  encryptedTallyText,
  parseOwned,
  parseResult,
  sizedTallyText,
  talliedBallots,
} from "./tally.ts";
import { checkTrustees, combinedPublicKey, parseTrustees } from "./trustees.ts";

export interface VerificationReport {
  readonly valid: boolean;
  /** Set when not valid: what failed, as a code a program matches and a sentence a person reads. */
  readonly error?: { readonly code: ElectoralOfficeErrorCode; readonly message: string };
  readonly ballots: number;
  readonly tallied: number;
  readonly shuffles: number;
  readonly partialDecryptions: number;
  /** The verified result, when the archive has one. */
  readonly result?: number[][][];
}

/** Verifies the archive at `path`; never throws for a bad archive, reports it instead. */
export async function verifyElectionArchive(path: string): Promise<VerificationReport> {
  return verifyElectionRecord(await readFile(path));
}

// The order in which event types may follow each other (§4.4 table).
const PHASE: Record<EventType, number> = {
  Setup: 0,
  Ballot: 1,
  EndBallots: 2,
  EncryptedTally: 3,
  Shuffle: 4,
  EndShuffles: 5,
  PartialDecryption: 6,
  Result: 7,
};

/**
 * §3.5.1 step 2 (belenios-tool `election verify-diff`): a monitor's earlier snapshot must be a
 * prefix of the later archive, entry for entry — this is what catches a ballot dropped and the
 * chain rebuilt, which `election verify` alone cannot see. Then the later archive is verified.
 */
export function verifyArchiveGrowth(earlier: Uint8Array, later: Uint8Array): VerificationReport {
  try {
    const before = readChain(earlier).entries;
    const after = readArchive(later).entries;
    if (!before.every((e, i) => after[i]?.hash === e.hash && after[i]?.kind === e.kind)) {
      throw new ElectoralOfficeError(
        "CHAIN_BROKEN",
        "the later archive does not extend the earlier snapshot: something published was removed or changed",
      );
    }
  } catch (error) {
    return failure(error, { ballots: 0, tallied: 0, shuffles: 0, partialDecryptions: 0 });
  }
  return verifyElectionRecord(later);
}

export function verifyElectionRecord(bytes: Uint8Array): VerificationReport {
  const counts = { ballots: 0, tallied: 0, shuffles: 0, partialDecryptions: 0 };
  try {
    const result = check(bytes, counts);
    return { valid: true, ...counts, ...(result === undefined ? {} : { result }) };
  } catch (error) {
    return failure(error, counts);
  }
}

/** A bad archive is a report, not an exception; anything else (a bug) still throws. */
function failure(error: unknown, counts: Omit<VerificationReport, "valid" | "error" | "result">): VerificationReport {
  if (error instanceof ElectoralOfficeError)
    return { valid: false, error: { code: error.code, message: error.message }, ...counts };
  if (error instanceof SyntaxError)
    return { valid: false, error: { code: "RECORD_MALFORMED", message: error.message }, ...counts };
  throw error;
}

/**
 * archive.ml fsck: reads the archive, walks back from its last event, and rebuilds the file from
 * that chain; the file must be exactly the rebuilt one — nothing extra, missing or reordered.
 */
function readChain(bytes: Uint8Array): {
  entries: ArchiveEntry[];
  chain: ArchiveEvent[];
  get: (hash: string | undefined, what: string) => string;
} {
  const { timestamp, entries } = readArchive(bytes);
  const store = new Map<string, string>();
  let lastEvent: string | undefined;
  for (const e of entries) {
    if (sha256(e.text) !== e.hash)
      throw new ElectoralOfficeError("CHAIN_BROKEN", `entry ${e.hash} does not hash to its name`);
    store.set(e.hash, e.text);
    if (e.kind === "event") lastEvent = e.hash;
  }
  if (lastEvent === undefined) throw new ElectoralOfficeError("CHAIN_BROKEN", "the archive has no events");
  const get = (hash: string | undefined, what: string): string => {
    const text = hash === undefined ? undefined : store.get(hash);
    if (text === undefined) throw new ElectoralOfficeError("CHAIN_BROKEN", `${what} ${hash ?? "(none)"} is missing`);
    return text;
  };

  // Walk back from the last event to the Setup event, then forward: the chain (§3.5.1).
  const chain: ArchiveEvent[] = [];
  for (let hash: string | undefined = lastEvent; hash !== undefined; ) {
    const event = parseEvent(get(hash, "event"));
    chain.unshift(event);
    hash = event.parent;
  }
  const rebuilt = new ElectionArchive(timestamp);
  let phase = 0;
  chain.forEach((event, height) => {
    const repeatable = event.type === "Ballot" || event.type === "Shuffle" || event.type === "PartialDecryption";
    const order = PHASE[event.type];
    if (
      event.height !== height ||
      order < phase ||
      (order === phase && height > 0 && !repeatable) ||
      (height === 0) !== (event.type === "Setup")
    ) {
      throw new ElectoralOfficeError("CHAIN_BROKEN", `event at height ${height} (${event.type}) is out of order`);
    }
    phase = order;
    const needsPayload = event.type !== "EndBallots" && event.type !== "EndShuffles";
    if (needsPayload !== (event.payload !== undefined)) {
      throw new ElectoralOfficeError("CHAIN_BROKEN", `event at height ${height} (${event.type}) has a wrong payload`);
    }
    const payload = event.payload === undefined ? undefined : get(event.payload, "payload");
    if (event.type === "Setup") {
      const setup = expectObject(JSON.parse(payload as string), "setup_data", ["election", "trustees", "credentials"]);
      for (const key of ["election", "trustees", "credentials"]) rebuilt.data(get(setup[key] as string, key));
    } else if (event.type === "EncryptedTally") {
      const sized = expectObject(JSON.parse(payload as string), "sized_encrypted_tally", [
        "num_tallied",
        "total_weight",
        "encrypted_tally",
      ]);
      rebuilt.data(get(sized.encrypted_tally as string, "encrypted tally"));
    } else if (event.type === "Shuffle" || event.type === "PartialDecryption") {
      rebuilt.data(get(parseOwned(payload as string).payload, event.type));
    }
    if (payload !== undefined) rebuilt.data(payload);
    rebuilt.event(event.type, event.payload);
  });
  if (!rebuilt.bytes().equals(Buffer.from(bytes))) {
    throw new ElectoralOfficeError(
      "CHAIN_BROKEN",
      "the archive is not the one its events rebuild (extra, missing or reordered entries)",
    );
  }

  return { entries, chain, get };
}

function check(
  bytes: Uint8Array,
  counts: { ballots: number; tallied: number; shuffles: number; partialDecryptions: number },
): number[][][] | undefined {
  const { chain, get } = readChain(bytes);
  const payloadOf = (event: ArchiveEvent) => get(event.payload, "payload");
  const setup = JSON.parse(payloadOf(chain[0] as ArchiveEvent)) as Record<string, string>;
  const electionText = get(setup.election, "election");
  const election = parseElection(electionText);
  const phi = fingerprint(electionText);
  const trustees = parseTrustees(get(setup.trustees, "trustees"));
  checkTrustees(trustees);
  if (combinedPublicKey(trustees) !== election.publicKey) {
    throw new ElectoralOfficeError("TRUSTEES_INVALID", "the election's public key is not the trustees' combined key");
  }
  const credentials = new Set<bigint>();
  expectArray(JSON.parse(get(setup.credentials, "credentials")), "credentials").forEach((c, i) => {
    const x = parseNumber(c, `credentials[${i}]`);
    if (!isElement(x) || credentials.has(x)) {
      throw new ElectoralOfficeError("NOT_IN_GROUP", `credential ${i + 1} is not a group element or is repeated`);
    }
    credentials.add(x);
  });

  const ballots: Ballot[] = [];
  for (const event of chain.filter((e) => e.type === "Ballot")) {
    const ballot = parseBallot(payloadOf(event));
    if (!credentials.has(ballot.credential)) {
      throw new ElectoralOfficeError(
        "CREDENTIAL_UNKNOWN",
        `ballot ${ballots.length + 1} uses a credential that is not on the list`,
      );
    }
    checkBallot(election, phi, ballot);
    ballots.push(ballot);
  }
  counts.ballots = ballots.length;
  const tallied = talliedBallots(ballots);
  counts.tallied = tallied.length;
  let ciphertexts: Ciphertext[][] = encryptedTally(tallied, election.questions.length);

  const tallyEvent = chain.find((e) => e.type === "EncryptedTally");
  if (tallyEvent !== undefined) {
    const text = encryptedTallyText(ciphertexts);
    if (payloadOf(tallyEvent) !== sizedTallyText(tallied.length, sha256(text))) {
      throw new ElectoralOfficeError(
        "RESULT_MISMATCH",
        "the published encrypted tally is not the tally of the last ballots",
      );
    }
  }
  for (const event of chain.filter((e) => e.type === "Shuffle")) {
    const shuffle = parseShuffle(get(parseOwned(payloadOf(event)).payload, "shuffle"));
    const input = ciphertexts;
    const ok =
      shuffle.ciphertexts.length === input.length &&
      shuffle.proofs.length === input.length &&
      input.every((cs, i) => {
        const proof = shuffle.proofs[i];
        return (
          proof !== undefined && checkShuffleProof(election.publicKey, phi, cs, shuffle.ciphertexts[i] ?? [], proof)
        );
      });
    if (!ok) throw new ElectoralOfficeError("PROOF_INVALID", `shuffle ${counts.shuffles + 1} does not verify`);
    counts.shuffles += 1;
    ciphertexts = shuffle.ciphertexts;
  }

  const resultEvent = chain.find((e) => e.type === "Result");
  if (resultEvent === undefined) return undefined;
  const decryptions: OwnedPartialDecryption[] = chain
    .filter((e) => e.type === "PartialDecryption")
    .map((event) => {
      const owned = parseOwned(payloadOf(event));
      return { owner: owned.owner, decryption: parsePartialDecryption(get(owned.payload, "partial decryption")) };
    });
  counts.partialDecryptions = decryptions.length;
  const factors = combineFactors(phi, ciphertexts, trustees, decryptions);
  const expected = decodeResult(
    ciphertexts,
    factors,
    election.questions.map((q) => q.answers.length),
  );
  const published = parseResult(payloadOf(resultEvent));
  if (JSON.stringify(published) !== JSON.stringify(expected)) {
    throw new ElectoralOfficeError("RESULT_MISMATCH", "the published result is not what the partial decryptions give");
  }
  return published;
}
