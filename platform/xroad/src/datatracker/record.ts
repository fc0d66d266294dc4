import { createHash } from "node:crypto";
import type { DataUseRow } from "../ss/storage/schema.ts";

/**
 * One use of one person's data in one exchange of a personal-data service, recorded by the
 * provider's security server (riik's Data Tracker; fields after the Data Tracker usage
 * protocol v3 draft, `UsageCommon`, e-gov/AJ doc/spetsifikatsioonid/dumonitor-openapi-v3.yaml).
 */
export interface DataUse {
  /** Provider subsystem whose service answered (INSTANCE/CLASS/MEMBER/SUBSYSTEM). */
  providerId: string;
  /** The person the data concerns, as an X-Road user id (`EE38001085718`). */
  subject: string;
  /** ISO 8601 UTC time with milliseconds. */
  loggedAt: string;
  /** X-Road-Id of the exchange: v3 `queryId`, the same on both sides' message logs. */
  queryId: string;
  /** Consumer client id (with subsystem). */
  clientId: string;
  serviceId: string;
  /** X-Road-UserId of the request. */
  userId: string;
  /** X-Road-Issue (or X-Road-PDU-Purpose): v2 `action`, v3 `purpose`. */
  purpose: string;
  /** v3 processing type; the provider's server records answers to incoming requests. */
  processingType: "DATA_RESPONSE";
  legalBasis: string | null;
  consentReference: string | null;
  bulk: boolean;
  /** The consumer's information system name, when it said (X-Road-PDU-Initiator-Org-System). */
  initiatorSystem: string | null;
  /** v3 `initiatorPerson` as JSON ({code?, alternativeCode?, name?}), when the consumer said. */
  initiatorPerson: string | null;
  /** Hidden from the person until this time (ISO 8601), with the consumer's legal reason. */
  hiddenUntil: string | null;
  hiddenReason: string | null;
  /**
   * X-Road-Represented-Party of the exchange (PR-THIRDPARTY), canonical: `EE38001085718` for a
   * person, `COM/10000002` for an organisation; null (or absent, in uses recorded before it
   * existed) when the client acted for itself.
   */
  representedParty?: string | null;
  /**
   * Why `subject` sees this use: null as a data subject (the answer carried their data),
   * `REPRESENTED` as the person the use was made for while their data was not in the answer.
   */
  subjectRole?: SubjectRole | null;
}

export type SubjectRole = "REPRESENTED";

/** Fields added after the first uses were written: hashed only when set, so those still verify. */
const HASHED_WHEN_SET: ReadonlyArray<keyof DataUse> = ["representedParty", "subjectRole"];

const HASHED: ReadonlyArray<keyof DataUse> = [
  "providerId",
  "subject",
  "loggedAt",
  "queryId",
  "clientId",
  "serviceId",
  "userId",
  "purpose",
  "processingType",
  "legalBasis",
  "consentReference",
  "bulk",
  "initiatorSystem",
  "initiatorPerson",
  "hiddenUntil",
  "hiddenReason",
];

/**
 * SHA-256 over `riik-datatracker-use/1` and each field as `name=length:value` (as the
 * message-log record hash), null as `name=-`, so null and "" differ.
 */
export function useHash(use: DataUse): string {
  const hash = createHash("sha256").update("riik-datatracker-use/1\n");
  for (const field of HASHED) {
    const value = use[field];
    if (value === null) hash.update(`${field}=-\n`);
    else {
      const text = String(value);
      hash.update(`${field}=${text.length}:${text}\n`);
    }
  }
  for (const field of HASHED_WHEN_SET) {
    const value = use[field];
    if (value !== null && value !== undefined) hash.update(`${field}=${String(value).length}:${value}\n`);
  }
  return hash.digest("hex");
}

/** A `data_use` row as written (with its hash, not yet in a batch). */
export type NewUseRow = Omit<DataUseRow, "id">;

export function useToRow(use: DataUse): NewUseRow {
  return {
    provider_id: use.providerId,
    subject: use.subject,
    logged_at: use.loggedAt,
    query_id: use.queryId,
    client_id: use.clientId,
    service_id: use.serviceId,
    user_id: use.userId,
    purpose: use.purpose,
    processing_type: use.processingType,
    legal_basis: use.legalBasis,
    consent_reference: use.consentReference,
    bulk: use.bulk ? 1 : 0,
    initiator_system: use.initiatorSystem,
    initiator_person: use.initiatorPerson,
    hidden_until: use.hiddenUntil,
    hidden_reason: use.hiddenReason,
    represented_party: use.representedParty ?? null,
    subject_role: use.subjectRole ?? null,
    record_hash: useHash(use),
    batch_id: null,
  };
}

/** Columns of `data_use` written on append (the SQLite writer thread binds these names). */
export const USE_COLUMNS: readonly string[] = Object.keys(
  useToRow({
    providerId: "",
    subject: "",
    loggedAt: "",
    queryId: "",
    clientId: "",
    serviceId: "",
    userId: "",
    purpose: "",
    processingType: "DATA_RESPONSE",
    legalBasis: null,
    consentReference: null,
    bulk: false,
    initiatorSystem: null,
    initiatorPerson: null,
    hiddenUntil: null,
    hiddenReason: null,
  }),
);

export function useFromRow(row: DataUseRow): DataUse & { id: number; recordHash: string; batchId: number | null } {
  return {
    id: Number(row.id),
    providerId: row.provider_id,
    subject: row.subject,
    loggedAt: row.logged_at,
    queryId: row.query_id,
    clientId: row.client_id,
    serviceId: row.service_id,
    userId: row.user_id,
    purpose: row.purpose,
    processingType: row.processing_type as DataUse["processingType"],
    legalBasis: row.legal_basis,
    consentReference: row.consent_reference,
    bulk: Number(row.bulk) === 1,
    initiatorSystem: row.initiator_system,
    initiatorPerson: row.initiator_person,
    hiddenUntil: row.hidden_until,
    hiddenReason: row.hidden_reason,
    representedParty: row.represented_party ?? null,
    subjectRole: (row.subject_role as SubjectRole | null) ?? null,
    recordHash: row.record_hash,
    batchId: row.batch_id === null || row.batch_id === undefined ? null : Number(row.batch_id),
  };
}
