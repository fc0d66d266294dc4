// Ballots (Belenios spec §4.12.2 non-homomorphic answers, §4.14 signatures, §4.15 ballots).
// A voter's answer to each question is a vector of small integers (riik: 1 for the chosen
// candidate, 0 elsewhere), packed into one group element, ElGamal-encrypted, with a proof of
// knowledge of the randomness bound to the credential (raweg), and the whole ballot signed with
// the credential's secret so that only holders of a listed credential can vote.
import { ElectoralOfficeError } from "../errors.ts";
import { type Election, electionText, fingerprint } from "./election.ts";
import { type Ciphertext, ciphertextJson, encrypt, parseCiphertext } from "./elgamal.ts";
import { encodeInts, g, powG, sha256B64 } from "./group.ts";
import {
  ballotSignaturePrefix,
  expectArray,
  expectObject,
  type Proof,
  parseElement,
  parseProof,
  proofJson,
  prove,
  rawElGamalPrefix,
  verifies,
} from "./proofs.ts";

export interface Answer {
  readonly choices: Ciphertext;
  readonly proof: Proof;
}

export interface Ballot {
  readonly electionUuid: string;
  readonly electionHash: string;
  readonly credential: bigint;
  readonly answers: readonly Answer[];
  readonly signature: { readonly hash: string; readonly proof: Proof };
}

function unsignedJson(b: Omit<Ballot, "signature">) {
  return {
    election_uuid: b.electionUuid,
    election_hash: b.electionHash,
    credential: b.credential.toString(),
    answers: b.answers.map((a) => ({ choices: ciphertextJson(a.choices), proof: proofJson(a.proof) })),
  };
}

/** The ballot's canonical text: fields in the order of §4.15, compact. */
export function ballotText(b: Ballot): string {
  return JSON.stringify({
    ...unsignedJson(b),
    signature: { hash: b.signature.hash, proof: proofJson(b.signature.proof) },
  });
}

/** The smart ballot tracker (§4.15): H_JSON of the whole ballot, what the voter keeps. */
export function ballotTracker(text: string): string {
  return sha256B64(text);
}

/** S0 of §4.12: φ | credential, binding every answer proof to this election and this voter. */
const answerPrefixBase = (electionFingerprint: string, credential: bigint) => `${electionFingerprint}|${credential}`;

/**
 * Builds a ballot for `votes[i]` (one vector per question) with the secret of the voter's credential.
 */
export function createBallot(
  election: Election,
  credentialSecret: bigint,
  votes: readonly (readonly number[])[],
): Ballot {
  if (votes.length !== election.questions.length) {
    throw new ElectoralOfficeError(
      "VOTE_INVALID",
      `the ballot answers ${election.questions.length} question(s), got ${votes.length}`,
    );
  }
  const phi = fingerprint(electionText(election));
  const credential = powG(credentialSecret);
  const s0 = answerPrefixBase(phi, credential);
  const answers = votes.map((vote, i) => {
    if (vote.length !== election.questions[i]?.answers.length) {
      throw new ElectoralOfficeError(
        "VOTE_INVALID",
        `question ${i + 1} has ${election.questions[i]?.answers.length} answers, the vote ${vote.length} values`,
      );
    }
    const { ciphertext, r } = encrypt(election.publicKey, encodeInts(vote));
    const proof = prove(r, [g], rawElGamalPrefix(s0, election.publicKey, ciphertext.alpha, ciphertext.beta));
    return { choices: ciphertext, proof };
  });
  const unsigned = { electionUuid: election.uuid, electionHash: phi, credential, answers };
  const hash = sha256B64(JSON.stringify(unsignedJson(unsigned)));
  return { ...unsigned, signature: { hash, proof: prove(credentialSecret, [g], ballotSignaturePrefix(hash)) } };
}

/** Reads a ballot text, refusing a non-canonical one (Belenios rejects those too: `NonCanonical`). */
export function parseBallot(text: string): Ballot {
  const o = expectObject(JSON.parse(text), "ballot", [
    "election_uuid",
    "election_hash",
    "credential",
    "answers",
    "signature",
  ]);
  if (typeof o.election_uuid !== "string" || typeof o.election_hash !== "string") {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "ballot.election_uuid and election_hash must be text");
  }
  const answers = expectArray(o.answers, "ballot.answers").map((raw, i) => {
    const a = expectObject(raw, `ballot.answers[${i}]`, ["choices", "proof"]);
    return {
      choices: parseCiphertext(a.choices, `ballot.answers[${i}].choices`),
      proof: parseProof(a.proof, `ballot.answers[${i}].proof`),
    };
  });
  const sig = expectObject(o.signature, "ballot.signature", ["hash", "proof"]);
  if (typeof sig.hash !== "string")
    throw new ElectoralOfficeError("RECORD_MALFORMED", "ballot.signature.hash must be text");
  const ballot: Ballot = {
    electionUuid: o.election_uuid,
    electionHash: o.election_hash,
    credential: parseElement(o.credential, "ballot.credential"),
    answers,
    signature: { hash: sig.hash, proof: parseProof(sig.proof, "ballot.signature.proof") },
  };
  if (ballotText(ballot) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the ballot is not in canonical form");
  return ballot;
}

/**
 * election.ml `check_ballot`: the ballot names this election, its signature hash is the hash of
 * the ballot without signature, the signature verifies under the credential, and each answer's
 * proof verifies. Throws PROOF_INVALID naming the first check that fails.
 */
export function checkBallot(election: Election, electionFingerprint: string, ballot: Ballot): void {
  const fail = (what: string) => {
    throw new ElectoralOfficeError("PROOF_INVALID", `ballot ${what}`);
  };
  if (ballot.electionUuid !== election.uuid || ballot.electionHash !== electionFingerprint)
    fail("is for another election");
  if (ballot.answers.length !== election.questions.length) fail("does not answer every question");
  if (sha256B64(JSON.stringify(unsignedJson(ballot))) !== ballot.signature.hash)
    fail("signature hash does not match its content");
  if (!verifies(ballot.signature.proof, [[g, ballot.credential]], ballotSignaturePrefix(ballot.signature.hash))) {
    fail("signature does not verify under its credential");
  }
  const s0 = answerPrefixBase(electionFingerprint, ballot.credential);
  ballot.answers.forEach((a, i) => {
    const prefix = rawElGamalPrefix(s0, election.publicKey, a.choices.alpha, a.choices.beta);
    if (!verifies(a.proof, [[g, a.choices.alpha]], prefix)) fail(`answer ${i + 1} proof does not verify`);
  });
}
