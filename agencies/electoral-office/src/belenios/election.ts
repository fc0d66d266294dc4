// The `election` structure (Belenios spec §4.11) for riik's elections: one or more
// non-homomorphic (mixnet) questions in RFC-3526-2048, so a candidate list of any length (up to
// what 8 bits per value in 2048 bits hold: 254 candidates) is one ciphertext per ballot.
// Homomorphic questions are not produced by riik. The fingerprint φ is H_JSON of the exact text.
import { ElectoralOfficeError } from "../errors.ts";
import { EMBEDDING, GROUP_NAME, sha256B64 } from "./group.ts";
import { expectArray, expectObject, parseElement } from "./proofs.ts";

export interface Question {
  readonly question: string;
  readonly answers: readonly string[];
}

export interface Election {
  readonly uuid: string;
  readonly name: string;
  readonly description: string;
  readonly publicKey: bigint;
  readonly questions: readonly Question[];
}

/** The most candidates one 2048-bit element holds at 8 bits each with 8 bits of padding. */
export const MAX_ANSWERS = Math.floor((2047 - EMBEDDING.padding) / EMBEDDING.bitsPerInt) - 1;

/** Serialises in the field order of the spec (version 1 of the structure, as Belenios 2.0 writes it). */
export function electionText(e: Election): string {
  return JSON.stringify({
    version: 1,
    description: e.description,
    name: e.name,
    group: GROUP_NAME,
    public_key: e.publicKey.toString(),
    questions: e.questions.map((q) => ({
      type: "NonHomomorphic",
      value: { answers: q.answers, question: q.question },
    })),
    uuid: e.uuid,
  });
}

export function fingerprint(text: string): string {
  return sha256B64(text);
}

export function checkQuestions(questions: readonly Question[]): void {
  if (questions.length === 0) throw new ElectoralOfficeError("VOTE_INVALID", "an election has at least one question");
  for (const q of questions) {
    if (q.answers.length === 0 || q.answers.length > MAX_ANSWERS) {
      throw new ElectoralOfficeError(
        "VOTE_INVALID",
        `a question has 1..${MAX_ANSWERS} answers, got ${q.answers.length}`,
      );
    }
  }
}

/** Reads an election text and refuses anything riik does not write byte for byte (another group, a homomorphic question). */
export function parseElection(text: string): Election {
  const o = expectObject(JSON.parse(text), "election", [
    "version",
    "description",
    "name",
    "group",
    "public_key",
    "questions",
    "uuid",
  ]);
  if (o.version !== 1 || o.group !== GROUP_NAME) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", `only version 1 elections in ${GROUP_NAME} are read`);
  }
  if (typeof o.uuid !== "string" || !/^[1-9A-HJ-NP-Za-km-z]{14,}$/.test(o.uuid)) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "election.uuid must be at least 14 base-58 characters");
  }
  const questions = expectArray(o.questions, "election.questions").map((raw, i) => {
    const path = `election.questions[${i}]`;
    const gen = expectObject(raw, path, ["type", "value"]);
    if (gen.type !== "NonHomomorphic") {
      throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must be a NonHomomorphic question`);
    }
    const v = expectObject(gen.value, `${path}.value`, ["answers", "question"]);
    const answers = expectArray(v.answers, `${path}.value.answers`);
    if (typeof v.question !== "string" || answers.some((a) => typeof a !== "string")) {
      throw new ElectoralOfficeError("RECORD_MALFORMED", `${path} must have a text question and text answers`);
    }
    return { question: v.question, answers: answers as string[] };
  });
  if (typeof o.name !== "string" || typeof o.description !== "string") {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "election.name and election.description must be text");
  }
  const election: Election = {
    uuid: o.uuid,
    name: o.name,
    description: o.description,
    publicKey: parseElement(o.public_key, "election.public_key"),
    questions,
  };
  checkQuestions(questions);
  if (electionText(election) !== text) {
    throw new ElectoralOfficeError("RECORD_MALFORMED", "the election is not in canonical form");
  }
  return election;
}
