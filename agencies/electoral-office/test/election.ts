// A small complete election run with riik's code only, shared by the tests: 5 voters, 3
// candidates, one re-vote, trustees = the server's Single key + Pedersen 2-of-3, two mixes.
import {
  combinedPublicKey,
  createBallot,
  credentialSecret,
  type Election,
  ElectionArchive,
  ElectionRecord,
  generatePrivateCredential,
  generateSingleTrustee,
  generateUuid,
  pedersenFinish,
  pedersenStep1,
  pedersenStep3,
  publicCredential,
  type TrusteeKind,
} from "../src/index.ts";

export const CANDIDATES = ["Kask", "Mänd", "Tamm"];
/** Each voter's last choice; voter 0 first votes for candidate 2, then again for 0 (the last vote counts). */
export const CHOICES = [0, 2, 1, 2, 0];

export const oneHot = (i: number) => CANDIDATES.map((_, j) => (j === i ? 1 : 0));

export interface RunElection {
  bytes: Buffer;
  uuid: string;
  expected: number[][];
  /** What a monitor recorded after the first three ballots, and when voting ended (before the tally). */
  snapshots: { early: Buffer; voted: Buffer };
}

/** Setup only: the trustees' keys (Single + Pedersen 2-of-3), the election, the voters' credentials. */
export function setupElection(voters = CHOICES.length) {
  const uuid = generateUuid();
  const server = generateSingleTrustee();
  const pedersen = [pedersenStep1(), pedersenStep1(), pedersenStep1()];
  const polynomials = pedersen.map((t) => pedersenStep3(t, pedersen.length, 2));
  const { parameters, decryptionKeys } = pedersenFinish(pedersen, polynomials, 2);
  const trustees: TrusteeKind[] = [
    { kind: "Single", key: server.key },
    { kind: "Pedersen", parameters },
  ];
  const election: Election = {
    uuid,
    name: "Riigikogu 2027, district 1",
    description: "riik test election",
    publicKey: combinedPublicKey(trustees),
    questions: [{ question: "Kandidaat", answers: CANDIDATES }],
  };
  const privateCredentials = Array.from({ length: voters }, () => generatePrivateCredential());
  const archive = new ElectionArchive(1_795_900_000n);
  const record = new ElectionRecord(
    archive,
    election,
    trustees,
    privateCredentials.map((c) => publicCredential(uuid, c)),
  );
  return { uuid, server, decryptionKeys, election, privateCredentials, archive, record };
}

export function runElection(): RunElection {
  const { uuid, server, decryptionKeys, election, privateCredentials, archive, record } = setupElection();
  const vote = (voter: number, candidate: number) =>
    record.castBallot(
      createBallot(election, credentialSecret(uuid, privateCredentials[voter] as string), [oneHot(candidate)]),
    );
  vote(0, 2); // voter 0 first votes for Tamm, then voters 1 and 2 vote…
  vote(1, CHOICES[1] as number);
  vote(2, CHOICES[2] as number);
  const early = archive.bytes();
  // …then voter 0 votes again (Kask: the last vote counts), then voters 3 and 4.
  for (const voter of [0, 3, 4]) vote(voter, CHOICES[voter] as number);
  const voted = archive.bytes();
  record.endBallots();
  record.shuffle(2);
  record.shuffle(3);
  record.endShuffles();
  record.decrypt(1, server.secret);
  record.decrypt(2, decryptionKeys[0] as bigint);
  record.decrypt(4, decryptionKeys[2] as bigint);
  const result = record.publishResult()[0] as number[][];
  return { bytes: archive.bytes(), uuid, expected: result, snapshots: { early, voted } };
}
