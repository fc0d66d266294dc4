// Bad input at the record: each refused with its code before anything is appended.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ballotText,
  ballotTracker,
  createBallot,
  credentialSecret,
  generatePrivateCredential,
  verifyElectionRecord,
} from "../src/index.ts";
import { CANDIDATES, oneHot, setupElection } from "./election.ts";

describe("the election record refuses bad input with a code", () => {
  const setup = setupElection();
  const { election, record, uuid, privateCredentials, archive } = setup;
  const secret = (voter: number) => credentialSecret(uuid, privateCredentials[voter] as string);

  it("a ballot signed with a credential that is not on the list: CREDENTIAL_UNKNOWN", () => {
    const outsider = credentialSecret(uuid, generatePrivateCredential());
    assert.throws(() => record.castBallot(createBallot(election, outsider, [oneHot(0)])), {
      code: "CREDENTIAL_UNKNOWN",
    });
  });

  it("a ballot made for another election: PROOF_INVALID", () => {
    const other = { ...election, uuid: `${uuid.slice(0, -1)}${uuid.endsWith("z") ? "y" : "z"}` };
    assert.throws(() => record.castBallot(createBallot(other, secret(0), [oneHot(0)])), { code: "PROOF_INVALID" });
  });

  it("a ballot whose answer proof was made for another credential: PROOF_INVALID", () => {
    const mine = createBallot(election, secret(0), [oneHot(0)]);
    // Voter 1's ballot carrying voter 0's answers: each raweg proof is bound to voter 0's credential.
    const grafted = createBallot(election, secret(1), [oneHot(1)]);
    assert.notEqual(mine.credential, grafted.credential);
    assert.throws(() => record.castBallot({ ...grafted, answers: mine.answers }), { code: "PROOF_INVALID" });
  });

  it("a vote with the wrong number of values or a value over 8 bits: VOTE_INVALID", () => {
    assert.throws(() => createBallot(election, secret(0), [[1, 0]]), { code: "VOTE_INVALID" });
    assert.throws(() => createBallot(election, secret(0), [CANDIDATES.map(() => 256)]), { code: "VOTE_INVALID" });
    assert.throws(() => createBallot(election, secret(0), []), { code: "VOTE_INVALID" });
  });

  it("a replayed ballot: BALLOT_REPLAYED; a new ballot of the same voter is a re-vote", () => {
    const ballot = createBallot(election, secret(3), [oneHot(0)]);
    const tracker = record.castBallot(ballot);
    assert.equal(tracker, ballotTracker(ballotText(ballot)));
    assert.throws(() => record.castBallot(ballot), { code: "BALLOT_REPLAYED" });
    record.castBallot(createBallot(election, secret(3), [oneHot(2)]));
  });

  it("nothing refused was appended, and one trustee of a 2-of-3 group cannot decrypt: DECRYPTION_INCOMPLETE", () => {
    assert.equal(verifyElectionRecord(archive.bytes()).ballots, 2);
    record.endBallots();
    record.shuffle(2);
    record.shuffle(3);
    record.endShuffles();
    record.decrypt(1, setup.server.secret);
    record.decrypt(3, setup.decryptionKeys[1] as bigint);
    assert.throws(() => record.publishResult(), { code: "DECRYPTION_INCOMPLETE" });
    record.decrypt(4, setup.decryptionKeys[2] as bigint);
    assert.deepEqual(record.publishResult(), [[oneHot(2)]]); // voter 3's re-vote only
  });
});
