// The deciding official's decision: a JSON document {number, granted, reason?} signed as an
// ASiC-E container (ETSI EN 319 162-1) with their card. The agency validates every signature
// with @riik/signature against its configured trust anchors only, never anchors the container
// carries, and accepts it only when every signer is a listed official.
import type { CardFile } from "@riik/pki";
import {
  cardFileSigner,
  createContainer,
  documentSigners,
  SignatureError,
  signContainer,
  signedDocumentFile,
  type ValidationOptions,
  writeContainer,
} from "@riik/signature";
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { EResidencyError } from "../errors.ts";

/** The one data file of a decision container. */
export const DECISION_FILE = "decision.json";

export const DECISION_DOCUMENT = Type.Object(
  {
    number: Type.String({ pattern: "^ER-\\d{4}-\\d{6}$" }),
    granted: Type.Boolean(),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type DecisionDocument = Static<typeof DECISION_DOCUMENT>;

/** The bytes an official signs (what `riik e-residency decide` puts in the container). */
export const decisionDocument = (decision: DecisionDocument): string => JSON.stringify(decision);

export interface SignedDecision extends DecisionDocument {
  /** Personal codes of the officials who signed. */
  signers: string[];
}

/** The decision in `container`, for application `number`, signed by officials only. */
export async function verifyDecision(
  container: Uint8Array,
  number: string,
  officials: readonly string[],
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<SignedDecision> {
  let decision: unknown;
  let signers: string[];
  try {
    const file = signedDocumentFile(container, DECISION_FILE);
    try {
      decision = JSON.parse(Buffer.from(file.data).toString("utf8"));
    } catch {
      throw new EResidencyError("DECISION_INVALID", `${DECISION_FILE} is not JSON`);
    }
    signers = (await documentSigners(container, trustAnchors)).signers.map((s) => s.personalCode);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new EResidencyError("DECISION_SIGNATURE", error.message, {
      details: { reason: error.code, ...error.details },
    });
  }
  if (!Value.Check(DECISION_DOCUMENT, decision))
    throw new EResidencyError("DECISION_INVALID", "the decision must be {number, granted, reason?}");
  if (decision.number !== number)
    throw new EResidencyError("DECISION_SIGNATURE", `the signed decision is for ${decision.number}, not ${number}`);
  if (!decision.granted && !decision.reason)
    throw new EResidencyError("DECISION_INVALID", "a refusal states its reason");
  const outsiders = signers.filter((code) => !officials.includes(code));
  if (outsiders.length > 0)
    throw new EResidencyError("NOT_AN_OFFICIAL", "the decision is signed by someone who is not a deciding official", {
      details: { signers: outsiders.length },
    });
  return { ...decision, signers };
}

/** An official's decision as a B-LT signed container (what `riik e-residency decide` sends). */
export async function signDecision(
  card: CardFile,
  pin2: string,
  decision: DecisionDocument,
  options: { tsaUrl: string; ocspUrl?: string },
): Promise<Uint8Array> {
  const container = createContainer([
    { name: DECISION_FILE, mediaType: "application/json", data: new TextEncoder().encode(decisionDocument(decision)) },
  ]);
  const signed = await signContainer(container, await cardFileSigner(card, pin2), options);
  return writeContainer(signed.container);
}
