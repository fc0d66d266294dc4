import { createHash, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { canonicalJson } from "@riik/core";
import { type LedgerSignature, parseVerifierKey, type VerificationPolicy, verifySignature } from "@riik/ledger";
import { verifyOcspResponse } from "@riik/pki";
import { verifyBytes } from "../crypto/keys.ts";
import { XRoadError } from "../errors.ts";
import type { GlobalConfTrust } from "../globalconf/document.ts";
import { type BatchStatement, type fromRow, type MessageLog, recordHash, statementHash } from "../messagelog/log.ts";
import { rootFromProof } from "../messagelog/merkle.ts";
import { verifyTimestampToken } from "../messagelog/tsa.ts";
import { bodyHash, signingInput } from "../protocol/message.ts";

export const EVIDENCE_FORMAT = "riik-xroad-evidence/1";

type Record = ReturnType<typeof fromRow>;
const b64 = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString("base64") : null);

/**
 * Evidence for one message (riik's counterpart of X-Road's ASiC container from /asic):
 * the logged record with both signatures, the other side's OCSP answer, the record's
 * audit path to its batch statement, the batch's time-stamp (and ledger answer), and the
 * CA, root and TSA certificates needed to check all of it offline.
 */
export async function buildEvidence(
  log: MessageLog,
  server: string,
  queryId: string,
  trust: GlobalConfTrust | undefined,
) {
  const items = await log.evidence(queryId);
  return {
    format: EVIDENCE_FORMAT,
    server,
    queryId,
    generatedAt: new Date().toISOString(),
    messages: items.map(({ record, batch }) => ({
      record: {
        ...record,
        requestBody: b64(record.requestBody),
        responseBody: b64(record.responseBody),
        peerOcsp: b64(record.peerOcsp),
      },
      batch,
    })),
    certificates: {
      serverCas: trust?.serverCas ?? [],
      roots: trust?.roots ?? [],
      tsa: (trust?.tsa ?? []).map((t) => t.certificate),
      ledger: trust?.ledger ? { keys: trust.ledger.keys, witnesses: trust.ledger.witnesses } : null,
    },
  };
}

export interface EvidenceCheck {
  ok: boolean;
  checks: string[];
  problems: string[];
}

const cert = (value: string) => new X509Certificate(Buffer.from(value, "base64"));

/**
 * `riik xroad verify-evidence`: every check offline. `trustedRoots` (PEM or base64) are
 * the roots the verifier trusts; without them the roots inside the evidence are used and
 * the report says so.
 */
export async function verifyEvidence(evidence: any, trustedRoots?: X509Certificate[]): Promise<EvidenceCheck> {
  const checks: string[] = [];
  const problems: string[] = [];
  const check = (ok: boolean, good: string, bad: string) => (ok ? checks.push(good) : problems.push(bad));
  if (evidence?.format !== EVIDENCE_FORMAT || !Array.isArray(evidence.messages))
    throw new XRoadError("XROAD_EVIDENCE_INVALID", `not a ${EVIDENCE_FORMAT} document`);
  const cas = (evidence.certificates?.serverCas ?? []).map(cert);
  const roots = trustedRoots ?? (evidence.certificates?.roots ?? []).map(cert);
  if (!trustedRoots) checks.push("roots taken from the evidence itself (give --root to pin your own)");
  const tsas = (evidence.certificates?.tsa ?? []).map(cert);
  const chained = (c: X509Certificate) => roots.some((r: X509Certificate) => c.checkIssued(r) && c.verify(r.publicKey));
  for (const ca of cas)
    check(
      chained(ca),
      `server CA ${ca.subject.replace(/\n/g, ", ")} chains to a trusted root`,
      "a server CA does not chain to a trusted root",
    );
  for (const tsa of tsas)
    check(
      chained(tsa),
      "the TSA certificate chains to a trusted root",
      "the TSA certificate does not chain to a trusted root",
    );

  for (const [i, item] of evidence.messages.entries()) {
    const r = item.record;
    const record: Record = {
      ...r,
      requestBody: r.requestBody ? new Uint8Array(Buffer.from(r.requestBody, "base64")) : null,
      responseBody: r.responseBody ? new Uint8Array(Buffer.from(r.responseBody, "base64")) : null,
      peerOcsp: r.peerOcsp ? new Uint8Array(Buffer.from(r.peerOcsp, "base64")) : null,
    };
    const label = `message ${i + 1} (${record.side} side, ${record.queryId})`;
    check(
      recordHash(record) === record.recordHash,
      `${label}: record hash matches its fields`,
      `${label}: the record was changed`,
    );
    if (record.requestBody)
      check(
        bodyHash(record.requestBody) === record.requestBodyHash,
        `${label}: request body matches its hash`,
        `${label}: request body was changed`,
      );
    if (record.responseBody)
      check(
        bodyHash(record.responseBody) === record.responseBodyHash,
        `${label}: response body matches its hash`,
        `${label}: response body was changed`,
      );
    const signers: Array<[string, string | null, string | null, string]> = [
      [
        "request",
        record.requestSigner,
        record.requestSignature,
        signingInput(record.requestHead, record.requestBodyHash),
      ],
      [
        "response",
        record.responseSigner,
        record.responseSignature,
        signingInput(record.responseHead, record.responseBodyHash),
      ],
    ];
    for (const [what, signer, signature, input] of signers) {
      if (!signer || !signature) {
        problems.push(`${label}: the ${what} is not signed`);
        continue;
      }
      const c = cert(signer);
      const issuer = cas.find((ca: X509Certificate) => c.checkIssued(ca) && c.verify(ca.publicKey));
      check(
        Boolean(issuer),
        `${label}: ${what} signer ${/serialNumber=(.*)/.exec(c.subject)?.[1]} is certified by a server CA`,
        `${label}: the ${what} signer is not certified by a server CA`,
      );
      check(
        verifyBytes(c.publicKey, input, Buffer.from(signature, "base64")),
        `${label}: ${what} signature verifies`,
        `${label}: the ${what} signature does not verify`,
      );
    }
    // The other side's signing certificate was valid by OCSP when the message was exchanged.
    const peerSigner = record.side === "client" ? record.responseSigner : record.requestSigner;
    if (record.peerOcsp && peerSigner) {
      const c = cert(peerSigner);
      const issuer = cas.find((ca: X509Certificate) => c.checkIssued(ca));
      try {
        const ocsp = await verifyOcspResponse(
          record.peerOcsp,
          new x509.X509Certificate(new Uint8Array(c.raw)),
          new x509.X509Certificate(new Uint8Array(issuer!.raw)),
          { now: new Date(record.createdAt), maxSkewMs: 24 * 3600 * 1000 },
        );
        check(
          ocsp.status.status === "good",
          `${label}: OCSP said good for the other side's signer at ${ocsp.producedAt.toISOString()}`,
          `${label}: OCSP did not say good`,
        );
      } catch (error) {
        problems.push(`${label}: the OCSP response does not verify: ${(error as Error).message}`);
      }
    } else problems.push(`${label}: no OCSP response for the other side's signer`);

    const batch = item.batch as {
      statement: BatchStatement;
      index: number;
      proof: string[];
      tsaToken: string | null;
      ledger: unknown;
    };
    const root = rootFromProof(
      Buffer.from(record.recordHash, "hex"),
      batch.index,
      batch.statement.count,
      batch.proof.map((p) => Buffer.from(p, "hex")),
    );
    check(
      root?.toString("hex") === batch.statement.root,
      `${label}: included in batch ${batch.statement.batch} of ${batch.statement.count} records`,
      `${label}: not included in the batch (audit path fails)`,
    );
    if (batch.tsaToken) {
      try {
        const time = await verifyTimestampToken(
          new Uint8Array(Buffer.from(batch.tsaToken, "base64")),
          Buffer.from(canonicalJson(batch.statement)),
          tsas,
        );
        checks.push(`${label}: batch statement time-stamped at ${time.toISOString()}`);
      } catch (error) {
        problems.push(`${label}: ${(error as Error).message}`);
      }
    } else problems.push(`${label}: the batch has no time-stamp`);
    if (batch.ledger) {
      try {
        const ledger = evidence.certificates?.ledger as { keys: string[]; witnesses: string[] } | null;
        const policy: VerificationPolicy = ledger?.keys?.[0]
          ? {
              kind: "key",
              logKey: parseVerifierKey(ledger.keys[0]),
              witnesses: (ledger.witnesses ?? []).map(parseVerifierKey),
              minWitnesses: (ledger.witnesses ?? []).length > 0 ? 1 : 0,
            }
          : { kind: "internal" };
        const report = verifySignature(batch.ledger as LedgerSignature, statementHash(batch.statement), policy);
        checks.push(`${label}: batch statement in integrity ledger round ${report.round} (${report.policy} policy)`);
      } catch (error) {
        problems.push(`${label}: the integrity ledger signature does not verify: ${(error as Error).message}`);
      }
    }
  }
  return { ok: problems.length === 0, checks, problems };
}

export const sha256Hex = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
