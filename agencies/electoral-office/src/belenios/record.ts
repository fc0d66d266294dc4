// An election run by riik, written as it happens into the Belenios 2.0 archive (spec §3 processes,
// §4.4 the sequence of data and events). Each method appends exactly the entries archive.ml
// writes for that step, in that order, so the file is the one `belenios-tool` rebuilds.
import { ElectoralOfficeError } from "../errors.ts";
import type { ElectionArchive } from "./archive.ts";
import { type Ballot, ballotText, ballotTracker, checkBallot } from "./ballot.ts";
import {
  combineFactors,
  decodeResult,
  decryptPartially,
  type OwnedPartialDecryption,
  partialDecryptionText,
} from "./decryption.ts";
import { type Election, electionText, fingerprint } from "./election.ts";
import type { Ciphertext } from "./elgamal.ts";
import { checkShuffleProof, type Shuffle, shuffleQuestion, shuffleText } from "./shuffle.ts";
import { encryptedTally, encryptedTallyText, ownedText, resultText, sizedTallyText, talliedBallots } from "./tally.ts";
import { checkTrustees, combinedPublicKey, type TrusteeKind, trusteeKeys, trusteesText } from "./trustees.ts";

export class ElectionRecord {
  readonly fingerprint: string;
  private readonly credentials: Set<bigint>;
  private readonly ballots: Ballot[] = [];
  private readonly trackers = new Set<string>();
  private tally: Ciphertext[][] | undefined;
  private readonly decryptions: OwnedPartialDecryption[] = [];

  /** Setup (§3.1): the election, trustees and public credentials, then the Setup event. */
  constructor(
    private readonly archive: ElectionArchive,
    readonly election: Election,
    readonly trustees: readonly TrusteeKind[],
    publicCredentials: readonly bigint[],
  ) {
    checkTrustees(trustees);
    if (combinedPublicKey(trustees) !== election.publicKey) {
      throw new ElectoralOfficeError("TRUSTEES_INVALID", "the election's public key is not the trustees' combined key");
    }
    this.credentials = new Set(publicCredentials);
    if (this.credentials.size !== publicCredentials.length) {
      throw new ElectoralOfficeError("CREDENTIAL_INVALID", "public credentials must be distinct");
    }
    const text = electionText(election);
    this.fingerprint = fingerprint(text);
    const setup = JSON.stringify({
      election: archive.data(text),
      trustees: archive.data(trusteesText(trustees)),
      // §3.1 step 3: L is published in an order that does not follow the voter list.
      credentials: archive.data(JSON.stringify(publicCredentials.map(String).sort())),
    });
    archive.event("Setup", archive.data(setup));
  }

  /** Accepts a ballot (§3.2 step 3) and returns its smart ballot tracker (§4.15), what the voter keeps. */
  castBallot(ballot: Ballot): string {
    if (this.tally !== undefined) throw new ElectoralOfficeError("VOTE_INVALID", "voting has ended");
    if (!this.credentials.has(ballot.credential)) {
      throw new ElectoralOfficeError(
        "CREDENTIAL_UNKNOWN",
        "the ballot's credential is not on the public credential list",
      );
    }
    const text = ballotText(ballot);
    const tracker = ballotTracker(text);
    if (this.trackers.has(tracker)) {
      throw new ElectoralOfficeError(
        "BALLOT_REPLAYED",
        "this exact ballot was already accepted; to change the vote, make a new ballot",
      );
    }
    checkBallot(this.election, this.fingerprint, ballot);
    this.ballots.push(ballot);
    this.trackers.add(tracker);
    this.archive.event("Ballot", this.archive.data(text));
    return tracker;
  }

  /** EndBallots, then the encrypted tally of the last ballot per credential (§3.4 step 1). */
  endBallots(): Ciphertext[][] {
    this.archive.event("EndBallots");
    const tallied = talliedBallots(this.ballots);
    this.tally = encryptedTally(tallied, this.election.questions.length);
    const hash = this.archive.data(encryptedTallyText(this.tally));
    this.archive.event("EncryptedTally", this.archive.data(sizedTallyText(tallied.length, hash)));
    return this.tally;
  }

  /** One mix server re-encrypts and permutes every question's ciphertexts with a proof (§3.4 step 3). */
  shuffle(owner: number): Shuffle {
    const input = this.requireTally();
    const outputs = input.map((cs) => shuffleQuestion(this.election.publicKey, this.fingerprint, cs));
    const shuffle: Shuffle = { ciphertexts: outputs.map((o) => o.ciphertexts), proofs: outputs.map((o) => o.proof) };
    this.appendShuffle(owner, shuffle);
    return shuffle;
  }

  /** Appends a shuffle made elsewhere after checking it against the current ciphertexts. */
  appendShuffle(owner: number, shuffle: Shuffle): void {
    const input = this.requireTally();
    const ok =
      shuffle.ciphertexts.length === input.length &&
      input.every((cs, i) => {
        const proof = shuffle.proofs[i];
        return (
          proof !== undefined &&
          checkShuffleProof(this.election.publicKey, this.fingerprint, cs, shuffle.ciphertexts[i] ?? [], proof)
        );
      });
    if (!ok) throw new ElectoralOfficeError("PROOF_INVALID", `the shuffle of trustee ${owner} does not verify`);
    const hash = this.archive.data(shuffleText(shuffle));
    this.archive.event("Shuffle", this.archive.data(ownedText(owner, hash)));
    this.tally = shuffle.ciphertexts;
  }

  endShuffles(): Ciphertext[][] {
    this.archive.event("EndShuffles");
    return this.requireTally();
  }

  /** A trustee's partial decryption with its secret (the trustee's own device in a real election). */
  decrypt(owner: number, secret: bigint): void {
    const tally = this.requireTally();
    const decryption = decryptPartially(this.fingerprint, tally, secret);
    const keys = trusteeKeys(this.trustees);
    if (keys[owner - 1] === undefined)
      throw new ElectoralOfficeError("DECRYPTION_INCOMPLETE", `there is no trustee ${owner}`);
    this.decryptions.push({ owner, decryption });
    const hash = this.archive.data(partialDecryptionText(decryption));
    this.archive.event("PartialDecryption", this.archive.data(ownedText(owner, hash)));
  }

  /** Combines the partial decryptions and publishes the result (§3.4 step 6). */
  publishResult(): number[][][] {
    const tally = this.requireTally();
    const factors = combineFactors(this.fingerprint, tally, this.trustees, this.decryptions);
    const result = decodeResult(
      tally,
      factors,
      this.election.questions.map((q) => q.answers.length),
    );
    this.archive.event("Result", this.archive.data(resultText(result)));
    return result;
  }

  private requireTally(): Ciphertext[][] {
    if (this.tally === undefined) throw new ElectoralOfficeError("VOTE_INVALID", "voting has not ended");
    return this.tally;
  }
}
