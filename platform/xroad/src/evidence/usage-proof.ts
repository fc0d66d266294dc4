import { X509Certificate } from "node:crypto";
import { Type } from "typebox";
import { type DataUse, useHash } from "../datatracker/record.ts";
import { USE_BATCH_FORMAT, USE_PROOF_FORMAT } from "../datatracker/store.ts";
import { batchRootFromProof, hashOfStatement, verifyBatchTimeStamp } from "../messagelog/batch.ts";
import { checkLedger } from "./evidence.ts";
import { ANCHORED_BATCH, assertDocument, BASE64, HEX64, NULLABLE_TEXT, TEXT } from "./schemas.ts";
import { acceptedTsa, claimedTime, noTrustAnchor, type XRoadTrustAnchor } from "./trust.ts";

/** The proof a provider's Data Tracker serves at `riik/proof` (and the portal hands a person). */
const USAGE_PROOF = Type.Object({
  format: Type.Literal(USE_PROOF_FORMAT),
  server: TEXT,
  use: Type.Object({
    providerId: TEXT,
    subject: TEXT,
    loggedAt: TEXT,
    queryId: TEXT,
    clientId: TEXT,
    serviceId: TEXT,
    userId: TEXT,
    purpose: TEXT,
    processingType: Type.Literal("DATA_RESPONSE"),
    legalBasis: NULLABLE_TEXT,
    consentReference: NULLABLE_TEXT,
    bulk: Type.Boolean(),
    initiatorSystem: NULLABLE_TEXT,
    initiatorPerson: NULLABLE_TEXT,
    hiddenUntil: NULLABLE_TEXT,
    hiddenReason: NULLABLE_TEXT,
    representedParty: Type.Optional(NULLABLE_TEXT),
    subjectRole: Type.Optional(Type.Union([Type.Literal("REPRESENTED"), Type.Null()])),
    recordHash: HEX64,
  }),
  batch: ANCHORED_BATCH,
  certificates: Type.Optional(Type.Object({ tsa: Type.Optional(Type.Array(BASE64, { maxItems: 100 })) })),
});

export interface UsageProofCheck {
  ok: boolean;
  checks: string[];
  problems: string[];
  /** The use the proof is about (valid or not, so a report can name it). */
  use: { providerId: string; subject: string; queryId: string; loggedAt: string };
  /** The TSA's time of the batch, when its token verified. */
  timestampedAt?: Date;
  /** The integrity ledger round, when its signature verified against the anchor. */
  ledgerRound?: number;
}

/**
 * Verifies a Data Tracker proof (riik-datatracker-proof/1) offline against `anchor`: the use
 * record against its hash, the hash's RFC 6962 audit path to the batch root, the batch
 * statement's RFC 3161 time-stamp and integrity ledger signature. The TSA certificates and
 * ledger keys inside the proof are never trusted by themselves. The portal can compute its
 * "anchored" badge from `ok` of this check.
 */
export async function verifyUsageProof(proof: unknown, anchor: XRoadTrustAnchor): Promise<UsageProofCheck> {
  if (!anchor) throw noTrustAnchor("the proof");
  assertDocument(USAGE_PROOF, proof, USE_PROOF_FORMAT);
  const { use, batch } = proof;
  const checks: string[] = [];
  const problems: string[] = [];
  const check = (ok: boolean, good: string, bad: string) => (ok ? checks.push(good) : problems.push(bad));
  const { recordHash, ...fields } = use;
  check(
    useHash(fields as DataUse) === recordHash,
    `the use of ${use.subject}'s data by ${use.clientId} (${use.queryId}) matches its record hash`,
    "the use record was changed (its hash does not match)",
  );
  check(
    batch.statement.format === USE_BATCH_FORMAT && batch.statement.server === proof.server,
    `batch ${batch.statement.batch} is a Data Tracker batch of ${proof.server}`,
    `the batch statement is not a ${USE_BATCH_FORMAT} statement of ${proof.server}`,
  );
  const root = batchRootFromProof(recordHash, batch.index, batch.statement.count, batch.proof);
  check(
    root === batch.statement.root,
    `included in batch ${batch.statement.batch} of ${batch.statement.count} records (audit path)`,
    "the use is not included in the batch (audit path fails)",
  );
  const result: UsageProofCheck = { ok: false, checks, problems, use };
  if (!batch.tsaToken && batch.ledger === null) problems.push("the batch is neither time-stamped nor in the ledger");
  if (batch.tsaToken) {
    const offered = (proof.certificates?.tsa ?? []).flatMap((der) => {
      try {
        return [new X509Certificate(Buffer.from(der, "base64"))];
      } catch {
        problems.push("a TSA certificate of the proof does not parse");
        return [];
      }
    });
    try {
      result.timestampedAt = await verifyBatchTimeStamp(
        new Uint8Array(Buffer.from(batch.tsaToken, "base64")),
        batch.statement,
        await acceptedTsa(anchor, offered, claimedTime(use.loggedAt)),
      );
      checks.push(`batch statement time-stamped at ${result.timestampedAt.toISOString()} (RFC 3161)`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (batch.ledger !== null && batch.ledger !== undefined) {
    const ledger = checkLedger(batch.ledger, hashOfStatement(batch.statement), anchor, "the batch");
    (ledger.ok ? checks : problems).push(ledger.line);
    if (ledger.ok) result.ledgerRound = ledger.round;
  }
  result.ok = problems.length === 0;
  return result;
}
