import { createHash, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { type LedgerSignature, type VerificationPolicy, verifySignature } from "@riik/ledger";
import { verifyOcspResponse } from "@riik/pki";
import { Type } from "typebox";
import { verifyBytes } from "../crypto/keys.ts";
import { trustedPath } from "../crypto/trust-path.ts";
import { XRoadError } from "../errors.ts";
import type { GlobalConfTrust } from "../globalconf/document.ts";
import { batchRootFromProof, hashOfStatement, verifyBatchTimeStamp } from "../messagelog/batch.ts";
import { type fromRow, type MessageLog, recordHash } from "../messagelog/log.ts";
import { bodyHash, signingInput } from "../protocol/message.ts";
import {
  formatRepresentedParty,
  parseRepresentedParty,
  REPRESENTED_PARTY_HEADER,
} from "../protocol/represented-party.ts";
import { ANCHORED_BATCH, assertDocument, BASE64, HEX64, NULLABLE_BASE64, NULLABLE_TEXT, TEXT } from "./schemas.ts";
import { acceptedTsa, chainsTo, claimedTime, noTrustAnchor, type XRoadTrustAnchor } from "./trust.ts";

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

function cert(value: string, what: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(value, "base64"));
  } catch (cause) {
    throw new XRoadError("XROAD_EVIDENCE_INVALID", `${what} is not a certificate`, { cause });
  }
}

const EVIDENCE = Type.Object({
  format: Type.Literal(EVIDENCE_FORMAT),
  server: TEXT,
  queryId: TEXT,
  messages: Type.Array(
    Type.Object({
      record: Type.Object({
        side: Type.Union([Type.Literal("client"), Type.Literal("server")]),
        queryId: TEXT,
        requestId: TEXT,
        clientId: TEXT,
        serviceId: TEXT,
        createdAt: TEXT,
        loggingMode: Type.Union([Type.Literal("full"), Type.Literal("metadata")]),
        requestHead: TEXT,
        requestBody: NULLABLE_BASE64,
        requestBodyHash: TEXT,
        requestSignature: NULLABLE_TEXT,
        requestSigner: NULLABLE_BASE64,
        responseStatus: Type.Integer(),
        responseHead: TEXT,
        responseBody: NULLABLE_BASE64,
        responseBodyHash: TEXT,
        responseSignature: NULLABLE_TEXT,
        responseSigner: NULLABLE_BASE64,
        peerOcsp: NULLABLE_BASE64,
        representedParty: Type.Optional(NULLABLE_TEXT),
        recordHash: HEX64,
      }),
      batch: Type.Union([ANCHORED_BATCH, Type.Null()]),
    }),
    { minItems: 1, maxItems: 1000 },
  ),
  certificates: Type.Object({
    serverCas: Type.Array(BASE64, { maxItems: 100 }),
    roots: Type.Array(BASE64, { maxItems: 100 }),
    tsa: Type.Array(BASE64, { maxItems: 100 }),
  }),
});

/**
 * `riik xroad verify-evidence`: every check offline, against `anchor` only. The CA, TSA
 * and ledger material the evidence carries are candidates: a server CA or TSA certificate
 * counts only when it chains to the anchor (or is the anchor's own), and the ledger
 * signature is checked with the anchor's keys.
 */
export async function verifyEvidence(evidence: unknown, anchor: XRoadTrustAnchor): Promise<EvidenceCheck> {
  if (!anchor) throw noTrustAnchor("the evidence");
  assertDocument(EVIDENCE, evidence, EVIDENCE_FORMAT);
  const checks: string[] = [];
  const problems: string[] = [];
  const check = (ok: boolean, good: string, bad: string) => (ok ? checks.push(good) : problems.push(bad));
  const offered = (field: "serverCas" | "tsa"): X509Certificate[] =>
    evidence.certificates[field].map((der, i) => cert(der, `certificates.${field}[${i}]`));
  // The CAs and the TSA are judged at the time of the exchange (its first record).
  const exchangedAt = claimedTime(evidence.messages[0]?.record.createdAt);
  let cas: X509Certificate[];
  if (anchor.serverCas) cas = anchor.serverCas;
  else {
    cas = [];
    for (const ca of offered("serverCas")) {
      const name = ca.subject.replace(/\n/g, ", ");
      if (await chainsTo(ca, anchor.roots, exchangedAt)) {
        cas.push(ca);
        checks.push(`server CA ${name} chains to the trust anchor`);
      } else problems.push(`server CA ${name} does not chain to the trust anchor`);
    }
  }
  const tsas = await acceptedTsa(anchor, offered("tsa"), exchangedAt);
  if (tsas.length === 0) problems.push("the trust anchor names no TSA certificate");

  for (const [i, item] of evidence.messages.entries()) {
    const r = item.record;
    const record: Record = {
      ...(r as unknown as Record),
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
      const c = cert(signer, `${label}: the ${what} signer`);
      const certified = await trustedPath(c, cas, claimedTime(record.createdAt));
      check(
        certified.ok,
        `${label}: ${what} signer ${/serialNumber=(.*)/.exec(c.subject)?.[1]} is certified by a server CA`,
        `${label}: the ${what} signer is not certified by a server CA`,
      );
      check(
        verifyBytes(c.publicKey, input, Buffer.from(signature, "base64")),
        `${label}: ${what} signature verifies`,
        `${label}: the ${what} signature does not verify`,
      );
    }
    const party = representedPartyCheck(record);
    if (party) (party.ok ? checks : problems).push(`${label}: ${party.line}`);
    // The other side's signing certificate was valid by OCSP when the message was exchanged.
    const peerSigner = record.side === "client" ? record.responseSigner : record.requestSigner;
    if (record.peerOcsp && peerSigner) {
      const c = cert(peerSigner, `${label}: the other side's signer`);
      const path = await trustedPath(c, cas, claimedTime(record.createdAt));
      if (!path.ok) problems.push(`${label}: no trusted server CA issued the other side's signer (OCSP not checked)`);
      else
        try {
          const ocsp = await verifyOcspResponse(
            record.peerOcsp,
            new x509.X509Certificate(new Uint8Array(c.raw)),
            new x509.X509Certificate(new Uint8Array(path.anchor.raw)),
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

    const batch = item.batch;
    if (!batch) {
      problems.push(`${label}: not anchored yet (no batch)`);
      continue;
    }
    const root = batchRootFromProof(record.recordHash, batch.index, batch.statement.count, batch.proof);
    check(
      root === batch.statement.root,
      `${label}: included in batch ${batch.statement.batch} of ${batch.statement.count} records`,
      `${label}: not included in the batch (audit path fails)`,
    );
    if (batch.tsaToken) {
      try {
        const time = await verifyBatchTimeStamp(
          new Uint8Array(Buffer.from(batch.tsaToken, "base64")),
          batch.statement,
          tsas,
        );
        checks.push(`${label}: batch statement time-stamped at ${time.toISOString()}`);
      } catch (error) {
        problems.push(`${label}: ${(error as Error).message}`);
      }
    } else problems.push(`${label}: the batch has no time-stamp`);
    if (batch.ledger) {
      const ledger = checkLedger(batch.ledger, hashOfStatement(batch.statement), anchor, label);
      (ledger.ok ? checks : problems).push(ledger.line);
    }
  }
  return { ok: problems.length === 0, checks, problems };
}

/**
 * The record's X-Road-Represented-Party against the line in the signed request head (its
 * signature checked above): they must name the same party. A record without the field
 * (written before it existed) only reports what the head says; removing the field from a
 * newer record changes its hash.
 */
function representedPartyCheck(record: Record): { ok: boolean; line: string } | undefined {
  const prefix = `${REPRESENTED_PARTY_HEADER}:`;
  const lines = record.requestHead.split("\n").filter((line) => line.startsWith(prefix));
  const recorded = record.representedParty ?? null;
  if (lines.length === 0)
    return recorded === null
      ? undefined
      : { ok: false, line: `the record names represented party ${recorded}, the signed request none` };
  let signed: string;
  try {
    if (lines.length > 1) throw new Error("the header occurs more than once");
    signed = formatRepresentedParty(parseRepresentedParty(lines[0]!.slice(prefix.length)));
  } catch (error) {
    return { ok: false, line: `the signed request's represented party is malformed: ${(error as Error).message}` };
  }
  if (recorded === null) return { ok: true, line: `the signed request was made for represented party ${signed}` };
  return recorded === signed
    ? { ok: true, line: `represented party ${signed} is the one the request signature covers` }
    : { ok: false, line: `the record names represented party ${recorded}, the signed request ${signed}` };
}

/**
 * The integrity ledger's signature over a statement hash, with the anchor's log key (and a
 * witness when the anchor names any); without a key it cannot be checked, which is a failure,
 * not a pass: the key inside a file is no anchor.
 */
export function checkLedger(
  signature: unknown,
  hash: Uint8Array,
  anchor: XRoadTrustAnchor,
  label: string,
): { ok: true; round: number; line: string } | { ok: false; line: string } {
  const logKey = anchor.ledgerKeys[0];
  if (!logKey)
    return {
      ok: false,
      line: `${label}: the trust anchor names no integrity ledger key to check the ledger signature`,
    };
  const policy: VerificationPolicy = {
    kind: "key",
    logKey,
    witnesses: anchor.witnesses,
    minWitnesses: anchor.witnesses.length > 0 ? 1 : 0,
  };
  try {
    const report = verifySignature(signature as LedgerSignature, hash, policy);
    return {
      ok: true,
      round: report.round,
      line: `${label}: batch statement in integrity ledger round ${report.round} (${report.policy} policy)`,
    };
  } catch (error) {
    return { ok: false, line: `${label}: the integrity ledger signature does not verify: ${(error as Error).message}` };
  }
}

export const sha256Hex = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
