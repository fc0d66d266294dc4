import type { Generated, Selectable } from "kysely";

// The security server's tables as kysely sees them, column for column as ./migrations.ts
// creates them: every query on the store is typed, none goes through `any`.

export interface ClientTable {
  client_id: string;
  connection: string;
  allowed_addresses: string;
  logging_mode: string;
  created_at: string;
}

export interface ServiceTable {
  client_id: string;
  service_code: string;
  url: string;
  timeout_ms: number;
  service_type: string;
  endpoints: string;
  openapi: string | null;
  personal_data: string | null;
  /** http, https-no-auth or https (information-system-tls.ts); null: from the URL's scheme. */
  connection: string | null;
}

export interface AccessRightTable {
  client_id: string;
  service_code: string;
  subject: string;
  method: string;
  path: string;
  granted_at: string;
}

/** One exchange as one side logged it (messagelog/log.ts); bodies only in logging mode "full". */
export interface MessageLogTable {
  id: Generated<number>;
  side: string;
  query_id: string;
  request_id: string;
  client_id: string;
  service_id: string;
  created_at: string;
  logging_mode: string;
  request_head: string;
  request_body: Uint8Array | null;
  request_body_hash: string;
  request_signature: string;
  request_signer: string;
  response_status: number;
  response_head: string;
  response_body: Uint8Array | null;
  response_body_hash: string;
  response_signature: string | null;
  response_signer: string | null;
  peer_ocsp: Uint8Array | null;
  /** X-Road-Represented-Party, canonical (migration 0006); null when none. */
  represented_party: string | null;
  record_hash: string;
  batch_id: number | null;
}

/** One use of one person's data (datatracker/record.ts). */
export interface DataUseTable {
  id: Generated<number>;
  provider_id: string;
  subject: string;
  logged_at: string;
  query_id: string;
  client_id: string;
  service_id: string;
  user_id: string;
  purpose: string;
  processing_type: string;
  legal_basis: string | null;
  consent_reference: string | null;
  /** 0 or 1. */
  bulk: number;
  initiator_system: string | null;
  initiator_person: string | null;
  hidden_until: string | null;
  hidden_reason: string | null;
  /** X-Road-Represented-Party of the exchange (migration 0006). */
  represented_party: string | null;
  /** Why the person is in this use: null as a data subject, "REPRESENTED" as the party acted for. */
  subject_role: string | null;
  record_hash: string;
  batch_id: number | null;
}

/** An anchored batch of message-log records or of uses (messagelog/batch.ts). */
export interface BatchTable {
  id: number;
  first_id: number;
  last_id: number;
  statement: string;
  tsa_token: Uint8Array | null;
  ledger_proof: string | null;
  created_at: string;
}

export interface SsDb {
  client: ClientTable;
  is_certificate: { client_id: string; cert_hash: string; pem: string };
  service: ServiceTable;
  data_tracker_grant: { client_id: string; kind: string; subject: string; granted_at: string };
  access_right: AccessRightTable;
  local_group_member: { client_id: string; group_code: string; member_id: string };
  message_log: MessageLogTable;
  anchor_batch: BatchTable;
  data_use: DataUseTable;
  data_use_batch: BatchTable;
  replay_guard: { id: string; signed_at: number };
}

export type MessageLogRow = Selectable<MessageLogTable>;
export type DataUseRow = Selectable<DataUseTable>;
export type BatchRow = Selectable<BatchTable>;
