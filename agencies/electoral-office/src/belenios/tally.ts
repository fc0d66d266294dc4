// Tallied ballots and the encrypted tally (Belenios spec §4.15 "Tallied ballots", §4.16): only
// the last ballot of each credential counts; for a non-homomorphic question the tally is the list
// of those ballots' ciphertexts, sorted (question_nh.ml process_ciphertexts) so that the order of
// casting is not carried into the mix.
import { ElectoralOfficeError } from "../errors.ts";
import type { Ballot } from "./ballot.ts";
import { type Ciphertext, ciphertextJson, compareCiphertexts } from "./elgamal.ts";
import { expectArray, expectObject } from "./proofs.ts";

/** last(B): the last ballot of each credential. */
export function talliedBallots(ballots: readonly Ballot[]): Ballot[] {
  const last = new Map<bigint, Ballot>();
  for (const b of ballots) {
    last.delete(b.credential);
    last.set(b.credential, b);
  }
  return [...last.values()];
}

export function encryptedTally(ballots: readonly Ballot[], questionCount: number): Ciphertext[][] {
  return Array.from({ length: questionCount }, (_, i) =>
    ballots.map((b) => (b.answers[i] as Ballot["answers"][number]).choices).sort(compareCiphertexts),
  );
}

export function encryptedTallyText(tally: readonly (readonly Ciphertext[])[]): string {
  return JSON.stringify(tally.map((cs) => cs.map(ciphertextJson)));
}

/** The EncryptedTally event's payload: counts (every riik voter weighs 1) and the tally's hash. */
export function sizedTallyText(count: number, tallyHash: string): string {
  return JSON.stringify({ num_tallied: count, total_weight: count, encrypted_tally: tallyHash });
}

/** owned_shuffle / owned_partial_decryption (§4.16, §4.17): who made the payload. */
export function ownedText(owner: number, payloadHash: string): string {
  return JSON.stringify({ owner, payload: payloadHash });
}

export function parseOwned(text: string): { owner: number; payload: string } {
  const o = expectObject(JSON.parse(text), "owned", ["owner", "payload"]);
  if (typeof o.owner !== "number" || !Number.isInteger(o.owner) || o.owner < 1 || typeof o.payload !== "string") {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "owned payloads are {owner: positive integer, payload: hash}");
  }
  const owned = { owner: o.owner, payload: o.payload };
  if (ownedText(owned.owner, owned.payload) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "owned payload not canonical");
  return owned;
}

/** §4.18 result: for each non-homomorphic question, every tallied ballot's answer vector in mixed order. */
export function resultText(result: readonly (readonly (readonly number[])[])[]): string {
  return JSON.stringify({ result });
}

export function parseResult(text: string): number[][][] {
  const o = expectObject(JSON.parse(text), "result", ["result"]);
  const result = expectArray(o.result, "result").map((q, i) =>
    expectArray(q, `result[${i}]`).map((v, j) => {
      const values = expectArray(v, `result[${i}][${j}]`);
      if (values.some((x) => typeof x !== "number" || !Number.isInteger(x))) {
        throw new ElectoralOfficeError("RECORD_MALFORMED", `result[${i}][${j}] must be integers`);
      }
      return values as number[];
    }),
  );
  if (resultText(result) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the result is not in canonical form");
  return result;
}
